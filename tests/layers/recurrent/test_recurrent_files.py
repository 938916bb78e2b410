"""Keras-written .keras files with LSTM, GRU and Bidirectional load and predict as in Keras, and kerastorch writes
the same variables under the same paths."""
import io
import zipfile

import h5py
import numpy as np
import pytest
import torch

import kerastorch
from golden_loader import golden_json, golden_npz, golden_path

KINDS = ("lstm", "gru", "bidirectional")
ARRAYS = golden_npz("layers/recurrent_files.npz")
LAYOUTS = golden_json("layers/recurrent_files.json")


def weights_layout(path):
    with zipfile.ZipFile(path) as archive:
        h5 = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        found = []
        h5.visititems(lambda key, obj: found.append([key, list(obj.shape)]) if isinstance(obj, h5py.Dataset)
                      else None)
    return sorted(found)


@pytest.mark.parametrize("kind", KINDS)
def test_keras_file_loads_and_predicts_as_keras(kind):
    model = kerastorch.models.load_model(golden_path(f"layers/recurrent_{kind}.keras"))
    with torch.no_grad():
        predicted = model(torch.as_tensor(ARRAYS["x"]))
    np.testing.assert_allclose(predicted.numpy(), ARRAYS[f"{kind}/y"], atol=1e-5, rtol=0)


@pytest.mark.parametrize("kind", KINDS)
def test_saved_file_has_keras_variable_paths_and_shapes(kind, tmp_path):
    model = kerastorch.models.load_model(golden_path(f"layers/recurrent_{kind}.keras"))
    model.save(tmp_path / "model.keras")
    assert weights_layout(tmp_path / "model.keras") == LAYOUTS[kind]
    reloaded = kerastorch.models.load_model(tmp_path / "model.keras")
    with torch.no_grad():
        np.testing.assert_allclose(reloaded(torch.as_tensor(ARRAYS["x"])).numpy(), ARRAYS[f"{kind}/y"], atol=1e-5,
                                   rtol=0)
