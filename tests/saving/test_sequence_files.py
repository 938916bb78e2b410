"""Keras-written files of sequence models load in kerastorch and predict what Keras predicted.

tools/golden_sequence_files.py trained tests/sequence_models.py's FILE_CASES one epoch in Keras 3 and saved them
(tests/golden/saving/sequence/): LSTM, GRU (reset_after True and False), Bidirectional (concat and sum),
TimeDistributed, masks from Embedding(mask_zero=True) through to pooling and the loss, MultiHeadAttention.
"""
import numpy as np
import pytest

import kerastorch as keras
import sequence_models as sm
from golden_loader import golden_json, golden_npz, golden_path

ARRAYS = golden_npz("saving/sequence/sequence.npz")
INFO = golden_json("saving/sequence/sequence.json")
TOLERANCE = 1e-5


def _load(name):
    keras.backend.clear_session()
    return keras.models.load_model(golden_path(f"saving/sequence/{name}.keras"))


@pytest.mark.parametrize("name", sorted(sm.FILE_CASES))
def test_keras_file_predicts_as_keras(name):
    model = _load(name)
    np.testing.assert_allclose(model.predict(ARRAYS[f"{name}/x"], verbose=0), ARRAYS[f"{name}/predict"],
                               atol=TOLERANCE)


@pytest.mark.parametrize("name", sorted(sm.FILE_CASES))
def test_keras_file_evaluates_as_keras_with_its_compiled_loss_and_optimizer_state(name):
    model = _load(name)
    _, x_key, y_key, _ = sm.FILE_CASES[name]
    data = sm.make_data()
    result = model.evaluate(sm.file_case_input(data, x_key), data[y_key], batch_size=16, verbose=0)
    np.testing.assert_allclose(result, ARRAYS[f"{name}/evaluate"], atol=TOLERANCE)
    assert int(model.optimizer.iterations) == INFO["models"][name]["optimizer_iterations"]


@pytest.mark.parametrize("name", sorted(sm.FILE_CASES))
def test_keras_file_weights_in_keras_order(name):
    model = _load(name)
    assert len(model.weights) == len(INFO["models"][name]["weight_paths"])


@pytest.mark.parametrize("name", ["lstm_classifier", "bigru_tagger"])
def test_keras_weights_file_loads_into_the_same_architecture(name):
    keras.backend.clear_session()
    model = sm.FILE_CASES[name][0](keras)
    model.load_weights(golden_path(f"saving/sequence/{name}.weights.h5"))
    np.testing.assert_allclose(model.predict(ARRAYS[f"{name}/x"], verbose=0), ARRAYS[f"{name}/predict"],
                               atol=TOLERANCE)


@pytest.mark.parametrize("name", sorted(sm.FILE_CASES))
def test_kerastorch_resaves_a_keras_file_that_loads_and_predicts_the_same(name, tmp_path):
    _load(name).save(tmp_path / "again.keras")
    again = keras.models.load_model(tmp_path / "again.keras")
    np.testing.assert_allclose(again.predict(ARRAYS[f"{name}/x"], verbose=0), ARRAYS[f"{name}/predict"],
                               atol=TOLERANCE)
