"""``kerastorch export --to pytorch MODEL.keras OUTDIR`` (and ``--to onnx``, ``--to torch``): a saved model
becomes files that run without kerastorch; bad arguments and unconvertible models give a clear error."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch.__main__ import main
from fresh_interpreter import run_in_fresh_interpreter
from trained_models import Trained, batch

ROOT = Path(__file__).resolve().parents[2]
L = keras.layers


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """The trained LSTM classifier and two-input model, saved as .keras files: name -> (model, path)."""
    root = tmp_path_factory.mktemp("saved")
    trained, files = Trained(), {}
    for name in ("lstm_classifier", "two_inputs"):
        path = root / f"{name}.keras"
        trained[name].save(path)
        files[name] = (trained[name], path)
    return files


@pytest.mark.slow   # a fresh interpreter that imports torch
def test_export_to_pytorch_of_saved_models_predicts_the_same_without_kerastorch(saved, tmp_path, capsys):
    cases, expected = [], {}
    for name, (model, path) in saved.items():
        outdir = tmp_path / name
        assert main(["export", "--to", "pytorch", str(path), str(outdir)]) == 0
        assert capsys.readouterr().out.strip() == f"Wrote {outdir / 'model.py'} and {outdir / 'model.safetensors'}"
        arrays = batch(model, 4, seed=30)
        cases.append((name, str(outdir / "model.py"), arrays))
        expected[name] = model.predict(arrays, verbose=0)
    outputs = run_in_fresh_interpreter(cases, str(tmp_path))
    for name in saved:
        np.testing.assert_allclose(outputs[name][0], expected[name], rtol=0, atol=1e-5)


@pytest.mark.slow   # a kerastorch process that imports torch and loads the model
def test_export_command_runs_as_the_kerastorch_program(saved, tmp_path):
    _, path = saved["lstm_classifier"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "kerastorch", "export", "--to", "pytorch", str(path),
                             str(tmp_path / "out")], capture_output=True, text=True, env=environment, timeout=300)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tmp_path / "out")) == ["model.py", "model.safetensors"]


def test_export_to_torch_writes_a_program_that_matches_predict(saved, tmp_path, capsys):
    model, path = saved["two_inputs"]
    assert main(["export", "--to", "torch", str(path), str(tmp_path)]) == 0
    program = torch.export.load(str(tmp_path / "model.pt2")).module()
    numbers, sequence = batch(model, 3, seed=31)
    with torch.no_grad():
        outputs = program([torch.from_numpy(numbers), torch.from_numpy(sequence)]).numpy()
    np.testing.assert_allclose(outputs, model.predict([numbers, sequence], verbose=0), rtol=0, atol=1e-5)


@pytest.mark.skipif(any(importlib.util.find_spec(n) is None for n in ("onnx", "onnxscript", "onnxruntime")),
                    reason="onnx, onnxscript and onnxruntime are needed (the 'export' extra)")
def test_export_to_onnx_writes_model_onnx(saved, tmp_path, capsys):
    _, path = saved["lstm_classifier"]
    assert main(["export", "--to", "onnx", str(path), str(tmp_path)]) == 0
    assert (tmp_path / "model.onnx").is_file()


def test_export_of_an_unsupported_model_exits_1_naming_the_layer(tmp_path, capsys):
    model = keras.Sequential([L.Input((4,)), L.UnitNormalization(name="unit")])
    path = tmp_path / "unit.keras"
    model.save(path)
    assert main(["export", "--to", "pytorch", str(path), str(tmp_path / "out")]) == 1
    assert "kerastorch export: error: Layer 'unit' of class UnitNormalization" in capsys.readouterr().err


def test_export_of_a_missing_file_exits_1(tmp_path, capsys):
    assert main(["export", "--to", "pytorch", str(tmp_path / "absent.keras"), str(tmp_path)]) == 1
    assert "absent.keras" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["export"], ["export", "--to", "tflite", "m.keras", "out"],
                                  ["export", "--to", "pytorch", "m.keras"]])
def test_export_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    assert "usage: kerastorch export" in capsys.readouterr().err


@pytest.mark.slow   # a fresh interpreter that imports torch
def test_export_of_files_keras_wrote_gives_keras_predictions_without_kerastorch(tmp_path, capsys):
    """Files saved by Keras 3 (tools/golden_saving.py, tools/golden_sequence_files.py; a Keras 2 .h5 of the first
    model) with Keras's own predictions: a convnet with a nested Sequential head, an attention encoder over
    embedded tokens, masked recurrent models (Embedding(mask_zero=True) into an LSTM, a Bidirectional GRU tagger
    with TimeDistributed(Dense), a Bidirectional LSTM with the masked mean) on right-padded tokens, and an LSTM into
    a reset_after=False GRU."""
    from golden_loader import golden_npz, golden_path
    saving, sequence = golden_npz("saving/saving.npz"), golden_npz("saving/sequence/sequence.npz")
    files = {"keras3_functional": ("saving/keras3_functional.keras", saving["x"], saving["y"])}
    if importlib.util.find_spec("h5py") is not None:   # the same model in Keras 2's HDF5 file (the 'h5' extra)
        files["keras2_full"] = ("saving/keras2_full.h5", saving["x"], saving["y"])
    for name in ("attention_encoder", "lstm_classifier", "bigru_tagger", "bilstm_sum_pooled", "stacked_recurrent"):
        files[name] = (f"saving/sequence/{name}.keras", sequence[f"{name}/x"], sequence[f"{name}/predict"])
    cases = []
    for name, (file, inputs, _) in files.items():
        assert main(["export", "--to", "pytorch", str(golden_path(file)), str(tmp_path / name)]) == 0
        cases.append((name, str(tmp_path / name / "model.py"), inputs))
    outputs = run_in_fresh_interpreter(cases, str(tmp_path))
    for name, (_, _, keras_predictions) in files.items():
        np.testing.assert_allclose(outputs[name][0], keras_predictions, rtol=0, atol=1e-5)
