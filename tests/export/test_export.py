"""Trained kerastorch models are plain torch modules to torch's exporters: ``torch.onnx.export`` (the dynamo and
the TorchScript exporters, with a dynamic batch; checked with onnxruntime), ``torch.jit.trace`` with save and load,
and ``torch.export.export`` with a dynamic batch all give ``predict``'s outputs on a batch of another size."""
import importlib.util
import warnings

import numpy as np
import pytest
import torch

from trained_models import Trained, as_list, batch

EXAMPLE_BATCH, NEW_BATCH = 4, 7   # the exported graphs are traced on one batch size and run on another
MODELS = ("convnet", "mlp", "two_inputs")
needs_onnx = pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in ("onnx", "onnxscript", "onnxruntime")),
    reason="onnx, onnxscript and onnxruntime are needed (the 'export' extra)")


@pytest.fixture(scope="module")
def trained():
    return Trained()


def _model(trained, name):
    return trained[name]


def _batch(model, size, seed):
    return batch(model, size, seed)


def _example_args(model):
    """The example arguments of the exporters: the model called as ``model(x)`` or ``model([a, b])``."""
    arrays = _batch(model, EXAMPLE_BATCH, seed=10)
    if isinstance(arrays, list):
        return ([torch.from_numpy(a) for a in arrays],)
    return (torch.from_numpy(arrays),)


def _onnx_export(model, path, dynamo):
    args = _example_args(model)
    names = [f"input_{i}" for i in range(len(model.inputs))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the TorchScript exporter's deprecation and tracer notes
        if dynamo:
            batch = torch.export.Dim("batch")
            shapes = [{0: batch} for _ in names]
            torch.onnx.export(model, args, str(path), dynamo=True, input_names=names, output_names=["output"],
                              dynamic_shapes={"args": (shapes if isinstance(args[0], list) else shapes[0],)})
        else:
            torch.onnx.export(model, args, str(path), dynamo=False, input_names=names, output_names=["output"],
                              dynamic_axes={**{name: {0: "batch"} for name in names}, "output": {0: "batch"}})


@needs_onnx
@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "torchscript"])
@pytest.mark.parametrize("name", list(MODELS))
def test_onnx_export_runs_in_onnxruntime_on_another_batch_size(trained, name, dynamo, tmp_path):
    import onnxruntime
    model = _model(trained, name)
    path = tmp_path / f"{name}.onnx"
    _onnx_export(model, path, dynamo)
    new = _batch(model, NEW_BATCH, seed=11)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = {spec.name: array for spec, array in zip(session.get_inputs(), as_list(new))}
    (outputs,) = session.run(None, feed)
    expected = model.predict(new, verbose=0)
    assert outputs.shape == expected.shape == (NEW_BATCH, expected.shape[1])
    np.testing.assert_allclose(outputs, expected, rtol=0, atol=1e-4)


def test_jit_trace_then_save_and_load_matches_predict(trained, tmp_path):
    model = _model(trained, "convnet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the tracer's notes on Python-side shape checks
        traced = torch.jit.trace(model, _example_args(model))
    path = tmp_path / "convnet.pt"
    torch.jit.save(traced, str(path))
    loaded = torch.jit.load(str(path))
    new = _batch(model, NEW_BATCH, seed=12)
    with torch.no_grad():
        outputs = loaded(torch.from_numpy(new)).numpy()
    np.testing.assert_allclose(outputs, model.predict(new, verbose=0), rtol=0, atol=1e-4)


def test_torch_export_with_a_dynamic_batch_matches_predict(trained):
    model = _model(trained, "convnet")
    program = torch.export.export(model, _example_args(model),
                                  dynamic_shapes={"args": ({0: torch.export.Dim("batch")},)})
    new = _batch(model, NEW_BATCH, seed=13)
    with torch.no_grad():
        outputs = program.module()(torch.from_numpy(new)).numpy()
    np.testing.assert_allclose(outputs, model.predict(new, verbose=0), rtol=0, atol=1e-4)


def test_exported_graphs_run_the_plain_layers(trained):
    """predict runs the trainer's plan (ReLU after pooling, the fused kernel); an export sees the layers."""
    model = _model(trained, "convnet")
    program = torch.export.export(model, _example_args(model))
    targets = [str(node.target) for node in program.graph.nodes if node.op == "call_function"]
    relu = next(i for i, t in enumerate(targets) if "relu" in t)
    pool = next(i for i, t in enumerate(targets) if "max_pool2d" in t)
    assert relu < pool


@pytest.mark.parametrize("name", sorted(MODELS))
def test_jit_trace_gets_no_tracer_warning_from_kerastorch(trained, name):
    """Layer.__call__'s Python-side input checks stand aside while torch.jit.trace runs: comparing traced shapes
    would freeze the example's batch size into the graph."""
    model = _model(trained, name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.jit.trace(model, _example_args(model))
    ours = [w for w in caught if issubclass(w.category, torch.jit.TracerWarning) and "kerastorch" in w.filename]
    assert not ours, [f"{w.filename}:{w.lineno}: {w.message}" for w in ours]
