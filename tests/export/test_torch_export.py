"""``model.export(path, format="torch")``: a ``torch.export`` program in a ``.pt2`` file, loaded with
``torch.export.load``, gives ``predict``'s outputs at two batch sizes; arguments are checked as Keras checks them,
and formats that need TensorFlow, OpenVINO or LiteRT raise a ValueError naming the supported ones."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from trained_models import Trained, as_list, batch


@pytest.fixture(scope="module")
def trained():
    return Trained()


def _run(program, arrays):
    tensors = [torch.from_numpy(a) for a in as_list(arrays)]
    with torch.no_grad():
        return program(tensors if len(tensors) > 1 else tensors[0]).numpy()


@pytest.mark.parametrize("name", ["convnet", "lstm_classifier", "two_inputs"])
def test_torch_program_matches_predict_at_two_batch_sizes(trained, name, tmp_path):
    model = trained[name]
    path = tmp_path / "model.pt2"
    model.export(path, format="torch", verbose=False)
    program = torch.export.load(str(path)).module()
    for size, seed in ((3, 0), (9, 1)):
        arrays = batch(model, size, seed)
        np.testing.assert_allclose(_run(program, arrays), model.predict(arrays, verbose=0), rtol=0, atol=1e-5)


def test_torch_export_with_static_shapes_keeps_the_traced_batch(trained, tmp_path):
    model = trained["mlp"]
    path = tmp_path / "mlp.pt2"
    model.export(path, format="torch", verbose=False, dynamic_shapes=None,
                 input_signature=[keras.InputSpec(shape=(5, 20), dtype="float32")])
    program = torch.export.load(str(path))
    (placeholder,) = [n for n in program.graph.nodes if n.op == "placeholder" and n.name.startswith("args")]
    assert tuple(placeholder.meta["val"].shape) == (5, 20)


def test_torch_export_needs_a_pt2_path(trained, tmp_path):
    with pytest.raises(ValueError, match=r"end with '\.pt2'. Got: .*mlp\.pth"):
        trained["mlp"].export(tmp_path / "mlp.pth", format="torch")


def test_torch_export_refuses_arguments_of_other_functions(trained, tmp_path):
    with pytest.raises(ValueError, match=r"Unsupported arguments for `format=\"torch\"`: opset_version\. "
                                         r"Supported arguments are: .*dynamic_shapes.*strict"):
        trained["mlp"].export(tmp_path / "mlp.pt2", format="torch", opset_version=17)


def test_torch_export_prints_keras_message(trained, tmp_path, capsys):
    path = tmp_path / "mlp.pt2"
    trained["mlp"].export(path, format="torch")
    assert capsys.readouterr().out.strip() == f"Saved PyTorch ExportedProgram at '{path}'."


@pytest.mark.parametrize("format", ["tf_saved_model", "openvino", "litert"])
def test_keras_formats_without_a_torch_converter_raise_naming_the_supported_ones(trained, format, tmp_path):
    with pytest.raises(ValueError, match=rf"format='{format}' is not available in kerastorch.*"
                                         rf"Supported formats are: \['onnx', 'torch'\]"):
        trained["mlp"].export(tmp_path / "artifact", format=format)


def test_export_defaults_to_keras_format_and_says_what_to_use(trained, tmp_path):
    with pytest.raises(ValueError, match=r"'tf_saved_model'.*\['onnx', 'torch'\]"):
        trained["mlp"].export(tmp_path / "artifact")


def test_unknown_format_raises_naming_the_supported_ones(trained, tmp_path):
    with pytest.raises(ValueError, match=r"Unrecognized format='tflite'\. Supported formats are: \['onnx', 'torch'\]"):
        trained["mlp"].export(tmp_path / "artifact", format="tflite")


def test_export_of_a_subclassed_model_without_inputs_asks_for_a_signature(tmp_path):
    class Doubler(keras.Model):
        def call(self, inputs):
            return inputs * 2

    with pytest.raises(ValueError, match="input_signature"):
        Doubler().export(tmp_path / "doubler.pt2", format="torch")


def test_export_of_a_called_subclassed_model_takes_the_shapes_of_its_first_call(tmp_path):
    class Doubler(keras.Model):
        def call(self, inputs):
            return inputs * 2

    model = Doubler()
    model(torch.ones(3, 4))
    model.export(tmp_path / "doubler.pt2", format="torch", verbose=False)
    program = torch.export.load(str(tmp_path / "doubler.pt2")).module()
    np.testing.assert_array_equal(program(torch.ones(5, 4)).numpy(), np.full((5, 4), 2.0, np.float32))


@pytest.mark.parametrize("name", ["lstm_classifier", "bigru_tagger", "masked_functional"])
def test_torch_export_of_a_masked_recurrent_model_gives_keras_predictions(name, tmp_path):
    """Keras 3's files with masks, on padded sequences: the program holds the masked steps, for any mask."""
    from golden_loader import golden_npz, golden_path
    data = golden_npz("saving/sequence/sequence.npz")
    model = keras.saving.load_model(str(golden_path(f"saving/sequence/{name}.keras")), compile=False)
    path = tmp_path / f"{name}.pt2"
    model.export(path, format="torch", verbose=False)
    outputs = _run(torch.export.load(str(path)).module(), data[f"{name}/x"])
    np.testing.assert_allclose(outputs, data[f"{name}/predict"], rtol=0, atol=1e-5)
