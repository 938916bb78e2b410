"""Trained kerastorch models are plain torch modules to torch's exporters: ``torch.onnx.export`` (the dynamo and
the TorchScript exporters, with a dynamic batch; checked with onnxruntime), ``torch.jit.trace`` with save and load,
and ``torch.export.export`` with a dynamic batch all give ``predict``'s outputs on a batch of another size."""
import importlib.util
import warnings

import numpy as np
import pytest
import torch

import kerastorch as keras

L = keras.layers
EXAMPLE_BATCH, NEW_BATCH = 4, 7   # the exported graphs are traced on one batch size and run on another
needs_onnx = pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in ("onnx", "onnxscript", "onnxruntime")),
    reason="onnx, onnxscript and onnxruntime are needed (the 'export' extra)")


def _fit(model, inputs, targets, loss):
    model.compile(optimizer="adam", loss=loss)
    model.fit(inputs, targets, batch_size=16, epochs=1, verbose=0)
    model.eval()
    return model


def _convnet():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([L.Input((28, 28, 1)), L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(),
                              L.Flatten(), L.Dense(10, activation="softmax")])
    rng = np.random.default_rng(0)
    return _fit(model, rng.random((64, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 64),
                "sparse_categorical_crossentropy")


def _mlp():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([L.Input((20,)), L.Dense(32, activation="relu"), L.Dense(16, activation="tanh"),
                              L.Dense(3, activation="softmax")])
    rng = np.random.default_rng(1)
    return _fit(model, rng.normal(size=(64, 20)).astype("float32"), rng.integers(0, 3, 64),
                "sparse_categorical_crossentropy")


def _two_inputs():
    keras.utils.set_random_seed(2)
    numbers, sequence = keras.Input((12,), name="numbers"), keras.Input((6, 4), name="sequence")
    merged = L.Concatenate()([L.Dense(8, activation="relu")(numbers), L.Flatten()(sequence)])
    model = keras.Model([numbers, sequence], L.Dense(5)(merged))
    rng = np.random.default_rng(2)
    return _fit(model, [rng.normal(size=(64, 12)).astype("float32"), rng.normal(size=(64, 6, 4)).astype("float32")],
                rng.normal(size=(64, 5)).astype("float32"), "mse")


MODELS = {"convnet": _convnet, "mlp": _mlp, "two_inputs": _two_inputs}


@pytest.fixture(scope="module")
def trained():
    return {}


def _model(trained, name):
    if name not in trained:
        trained[name] = MODELS[name]()
    return trained[name]


def _batch(model, size, seed):
    """Arrays for ``model``'s inputs: one array, or a list of them (the two-input model)."""
    rng = np.random.default_rng(seed)
    arrays = [rng.random((size,) + tuple(t.shape[1:]), dtype=np.float32) for t in model.inputs]
    return arrays if len(arrays) > 1 else arrays[0]


def _example_args(model):
    """The example arguments of the exporters: the model called as ``model(x)`` or ``model([a, b])``."""
    arrays = _batch(model, EXAMPLE_BATCH, seed=10)
    if isinstance(arrays, list):
        return ([torch.from_numpy(a) for a in arrays],)
    return (torch.from_numpy(arrays),)


def _as_list(arrays):
    return arrays if isinstance(arrays, list) else [arrays]


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
    feed = {spec.name: array for spec, array in zip(session.get_inputs(), _as_list(new))}
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
