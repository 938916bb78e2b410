"""``model.export(path, format="onnx")``: the file runs in onnxruntime and gives ``predict``'s outputs at batch
sizes other than the traced one; its inputs carry the model's input names and a dynamic ``batch`` axis."""
import importlib.util

import numpy as np
import pytest

import kerastorch as keras
from trained_models import Trained, as_list, batch

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in ("onnx", "onnxscript", "onnxruntime")),
    reason="onnx, onnxscript and onnxruntime are needed (the 'export' extra)")


@pytest.fixture(scope="module")
def trained():
    return Trained()


def _session(path):
    import onnxruntime
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _run(session, arrays):
    feed = {spec.name: array for spec, array in zip(session.get_inputs(), as_list(arrays))}
    return session.run(None, feed)


@pytest.mark.parametrize("name", ["convnet", "lstm_classifier", "two_inputs"])
def test_onnx_outputs_match_predict_at_two_batch_sizes(trained, name, tmp_path):
    model = trained[name]
    path = tmp_path / "model.onnx"
    model.export(path, format="onnx", verbose=False)
    session = _session(path)
    for size, seed in ((3, 0), (11, 1)):
        arrays = batch(model, size, seed)
        (outputs,) = _run(session, arrays)
        np.testing.assert_allclose(outputs, model.predict(arrays, verbose=0), rtol=0, atol=1e-4)


def test_onnx_inputs_are_named_after_the_model_inputs_with_a_dynamic_batch(trained, tmp_path):
    path = tmp_path / "two.onnx"
    trained["two_inputs"].export(path, format="onnx", verbose=False)
    inputs = _session(path).get_inputs()
    assert [(i.name, i.shape) for i in inputs] == [("numbers", ["batch", 12]), ("sequence", ["batch", 6, 4])]


def test_onnx_outputs_are_named_after_the_output_layers(trained, tmp_path):
    model = trained["convnet"]
    path = tmp_path / "convnet.onnx"
    model.export(path, format="onnx", verbose=False)
    assert [(o.name, o.shape) for o in _session(path).get_outputs()] == [(model.layers[-1].name, ["batch", 10])]


def test_onnx_opset_version_is_passed_to_torch(trained, tmp_path):
    import onnx
    path = tmp_path / "mlp.onnx"
    trained["mlp"].export(path, format="onnx", verbose=False, opset_version=17)
    opsets = {entry.domain: entry.version for entry in onnx.load(str(path)).opset_import}
    assert opsets[""] == 17


@pytest.mark.slow   # torch's dynamo exporter: seconds
def test_onnx_export_of_a_static_signature_has_fixed_shapes(trained, tmp_path):
    model = trained["mlp"]
    path = tmp_path / "mlp.onnx"
    model.export(path, format="onnx", verbose=False,
                 input_signature=[keras.InputSpec(shape=(2, 20), dtype="float32", name="features")])
    session = _session(path)
    assert [(i.name, i.shape) for i in session.get_inputs()] == [("features", [2, 20])]
    arrays = batch(model, 2, seed=4)
    np.testing.assert_allclose(_run(session, arrays)[0], model.predict(arrays, verbose=0), rtol=0, atol=1e-4)


def test_onnx_export_prints_keras_message_unless_quiet(trained, tmp_path, capsys):
    path = tmp_path / "mlp.onnx"
    trained["mlp"].export(path, format="onnx")
    assert capsys.readouterr().out.strip().endswith(f"Saved artifact at '{path}'.")
    trained["mlp"].export(path, format="onnx", verbose=False)
    assert capsys.readouterr().out == ""


def test_onnx_export_leaves_the_model_in_its_training_mode(trained, tmp_path):
    model = trained["mlp"]
    model.train()
    try:
        model.export(tmp_path / "mlp.onnx", format="onnx", verbose=False)
        assert model.training
    finally:
        model.eval()


@pytest.mark.slow   # torch's dynamo exporter: seconds
def test_onnx_export_of_attention_falls_back_to_dynamo_with_the_dynamic_batch(tmp_path):
    """The TorchScript tracer cannot export scaled_dot_product_attention's arguments; dynamo can."""
    keras.utils.set_random_seed(12)
    inputs = keras.Input((5, 8), name="steps")
    attended = keras.layers.MultiHeadAttention(2, 4)(inputs, inputs)
    model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.GlobalAveragePooling1D()(attended)))
    path = tmp_path / "attention.onnx"
    model.export(path, format="onnx", verbose=False)
    session = _session(path)
    assert [(i.name, i.shape) for i in session.get_inputs()] == [("steps", ["batch", 5, 8])]
    for size, seed in ((2, 0), (6, 1)):
        arrays = batch(model, size, seed)
        np.testing.assert_allclose(_run(session, arrays)[0], model.predict(arrays, verbose=0), rtol=0, atol=1e-4)


@pytest.mark.parametrize("name", ["lstm_classifier", "bilstm_sum_pooled", "masked_functional"])
def test_onnx_export_of_a_masked_recurrent_model_gives_keras_predictions(name, tmp_path):
    """Keras 3's files (Embedding(mask_zero=True) or Masking into LSTMs) on padded sequences: the exported graph
    runs the masked steps as Keras does for any mask, not the packing of the traced example."""
    from golden_loader import golden_npz, golden_path
    data = golden_npz("saving/sequence/sequence.npz")
    model = keras.saving.load_model(str(golden_path(f"saving/sequence/{name}.keras")), compile=False)
    path = tmp_path / f"{name}.onnx"
    model.export(path, format="onnx", verbose=False)
    np.testing.assert_allclose(_run(_session(path), data[f"{name}/x"])[0], data[f"{name}/predict"], rtol=0, atol=1e-5)
