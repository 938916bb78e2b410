"""Where models live and where fit / evaluate / predict put their batches.

The CPU path runs everywhere; the CUDA branches are checked not to be taken without a GPU (and not to touch
torch.cuda), and run for real where CUDA is available.
"""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import backend, layers
from kerastorch.training.data import DataHandler

RNG = np.random.default_rng(9)
X = RNG.normal(size=(12, 4)).astype("float32")
Y = RNG.integers(0, 3, size=12)
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


class InputDevices(layers.Layer):
    """Passes its input through, noting the device it arrived on."""

    def __init__(self):
        super().__init__()
        self.seen = set()

    def call(self, inputs):
        self.seen.add(inputs.device.type)
        return inputs


def classifier():
    recorder = InputDevices()
    model = keras.Sequential([keras.Input((4,)), recorder, layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, recorder


def fake_accelerators(monkeypatch, cuda, mps):
    for variable in backend.DEVICE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


def forbid_cuda_calls(monkeypatch):
    def no_cuda(*args, **kwargs):
        raise AssertionError("the CPU path must not call into CUDA")
    monkeypatch.setattr(torch.cuda, "mem_get_info", no_cuda)
    monkeypatch.setattr(torch.Tensor, "pin_memory", no_cuda)
    monkeypatch.setattr(torch.Tensor, "cuda", no_cuda)


# ---- the default device -----------------------------------------------------------------------------------------

def test_device_prefers_cuda(monkeypatch):
    fake_accelerators(monkeypatch, cuda=True, mps=True)
    assert backend.device() == torch.device("cuda")


def test_device_falls_back_to_mps_then_cpu(monkeypatch):
    fake_accelerators(monkeypatch, cuda=False, mps=True)
    assert backend.device() == torch.device("mps")
    fake_accelerators(monkeypatch, cuda=False, mps=False)
    assert backend.device() == torch.device("cpu")


def test_environment_variable_overrides_the_choice(monkeypatch):
    fake_accelerators(monkeypatch, cuda=True, mps=False)
    monkeypatch.setenv("KERASTORCH_DEVICE", "cpu")
    assert backend.device() == torch.device("cpu")


def test_device_scope_overrides_the_environment_and_nests(monkeypatch):
    monkeypatch.setenv("KERASTORCH_DEVICE", "cpu")
    with keras.device("meta"):
        assert backend.device() == torch.device("meta")
        with keras.device("cpu"):
            assert backend.device() == torch.device("cpu")
        assert backend.device() == torch.device("meta")
    assert backend.device() == torch.device("cpu")


def test_models_are_built_on_the_scoped_device():
    with keras.device("meta"):
        on_meta = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    with keras.device("cpu"):
        on_cpu = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    assert {w.device.type for w in on_meta.weights} == {"meta"}
    assert {w.device.type for w in on_cpu.weights} == {"cpu"}


# ---- batches follow the model -----------------------------------------------------------------------------------

def test_batches_go_to_the_models_device_not_the_default(monkeypatch):
    with keras.device("cpu"):
        model, recorder = classifier()
    # A default device where nothing can run: the engine must use the model's device instead.
    monkeypatch.setenv("KERASTORCH_DEVICE", "meta")
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0, validation_split=0.25)
    model.evaluate(X, Y, verbose=0)
    assert model.predict(X, verbose=0).shape == (12, 3)
    model.train_on_batch(X, Y)
    model.test_on_batch(X, Y)
    model.predict_on_batch(X.astype("float64"))
    assert recorder.seen == {"cpu"}


def test_cpu_training_never_calls_cuda_even_when_cuda_is_reported(monkeypatch):
    fake_accelerators(monkeypatch, cuda=True, mps=False)
    monkeypatch.setenv("KERASTORCH_DEVICE", "cpu")
    forbid_cuda_calls(monkeypatch)
    model, _ = classifier()
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0, shuffle=True, validation_data=(X, Y))
    model.fit(dataset, batch_size=4, epochs=1, verbose=0)
    model.evaluate(X, Y, verbose=0)
    model.predict(X, verbose=0)


def test_cpu_data_is_not_pinned_and_copies_block():
    handler = DataHandler(X, Y, batch_size=4, device="cpu")
    assert handler._non_blocking is False
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    assert DataHandler(dataset, device="cpu").loader.pin_memory is False


# ---- CUDA, where there is one -----------------------------------------------------------------------------------

@needs_cuda
def test_cuda_model_trains_on_numpy_and_cpu_tensors():
    with keras.device("cuda"):
        model, recorder = classifier()
    model.fit(X, Y, batch_size=4, epochs=2, verbose=0, validation_split=0.25)
    model.fit(torch.from_numpy(X), torch.from_numpy(Y), batch_size=4, epochs=1, verbose=0)
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    model.fit(torch.utils.data.DataLoader(dataset, batch_size=4), epochs=1, verbose=0)
    predictions = model.predict(X, verbose=0)
    assert isinstance(predictions, np.ndarray)
    assert isinstance(model.predict_on_batch(torch.from_numpy(X)), np.ndarray)
    assert recorder.seen == {"cuda"}
    assert isinstance(model.evaluate(X, Y, verbose=0, return_dict=True)["loss"], float)


@needs_cuda
def test_cuda_arrays_that_fit_are_placed_once_and_batches_are_copied_without_blocking():
    handler = DataHandler(X, Y, batch_size=4, shuffle=True, device="cuda")
    assert handler._non_blocking is True
    assert handler.targets.device.type == "cuda"
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    assert DataHandler(dataset, device="cuda").loader.pin_memory is True


def too_big_for_the_gpu(monkeypatch):
    """The GPU reports almost no free memory, so DataHandler keeps arrays on the host, pinned."""
    total = torch.cuda.mem_get_info()[1]
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda *args, **kwargs: (1024, total))


@needs_cuda
def test_cuda_shuffled_batches_of_pinned_arrays_are_gathered_into_pinned_memory(monkeypatch):
    too_big_for_the_gpu(monkeypatch)
    handler = DataHandler(X, Y, batch_size=4, shuffle=True, device="cuda")
    assert handler.loader.dataset.arrays[0].is_pinned()
    index = next(iter(handler.loader.sampler))
    x, y, _ = handler.loader.dataset[index]
    assert x.is_pinned() and y.is_pinned()
    np.testing.assert_array_equal(x.numpy(), X[index.numpy()])
    bx, by, _ = next(handler.epoch())
    assert bx.device.type == "cuda" and by.device.type == "cuda"


@needs_cuda
def test_cuda_fit_from_pinned_arrays_matches_fit_from_device_arrays(monkeypatch):
    keras.utils.set_random_seed(3)
    with keras.device("cuda"):
        model, _ = classifier()
    weights = model.get_weights()
    keras.utils.set_random_seed(4)
    resident = model.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=True).history["loss"]
    model.set_weights(weights)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    too_big_for_the_gpu(monkeypatch)
    keras.utils.set_random_seed(4)
    pinned = model.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=True).history["loss"]
    np.testing.assert_allclose(pinned, resident, rtol=1e-5)


@needs_cuda
def test_cuda_mixed_float16_trains_with_float16_activations_and_a_loss_scale():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        with keras.device("cuda"):
            model = keras.Sequential([keras.Input((4,)), layers.Dense(8),
                                      layers.Dense(3, activation="softmax", dtype="float32")])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    model.compile("adam", "sparse_categorical_crossentropy")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    model.fit(X, Y, batch_size=4, epochs=2, verbose=0)
    assert int(model.optimizer.iterations) == 6 and model.optimizer.dynamic_scale == 2.0 ** 15
    hidden = model.layers[0](torch.from_numpy(X).cuda())
    assert hidden.dtype == torch.float16 and model.layers[0].kernel.dtype == torch.float32
    assert model.predict(X, verbose=0).dtype == np.float32


@needs_cuda
def test_cuda_out_of_range_labels_fail_clearly_before_any_kernel():
    with keras.device("cuda"):
        model, _ = classifier()
    labels = Y.copy()
    labels[-1] = 3
    with pytest.raises(ValueError, match=r"label value of 3 .*\[0, 3\)"):
        model.fit(X, labels, verbose=0)


def test_metrics_live_on_the_models_device_whatever_the_default(monkeypatch):
    with keras.device("cpu"):
        model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    monkeypatch.setenv("KERASTORCH_DEVICE", "meta")
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy", "sparse_top_k_categorical_accuracy"])
    logs = model.fit(X, Y, epochs=1, verbose=0).history
    assert set(logs) == {"loss", "accuracy", "sparse_top_k_categorical_accuracy"}
    assert {metric.device.type for metric in model.metrics} == {"cpu"}


# ---- state follows a model that moved between loops -------------------------------------------------------------

def test_fit_after_model_double_trains_with_slots_of_the_new_dtype():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0)
    model.double()
    logs = model.fit(X.astype("float64"), Y, batch_size=4, epochs=1, verbose=0).history
    assert np.isfinite(logs["loss"][0])
    slots = [v for v in model.optimizer.variables if v.is_floating_point() and v.dim() > 0]
    assert slots and {v.dtype for v in slots} == {torch.float64}


def test_train_on_batch_after_a_move_uses_slots_that_followed():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("rmsprop", "sparse_categorical_crossentropy")
    model.train_on_batch(X, Y)
    model.double()
    model.train_on_batch(X.astype("float64"), Y)
    assert {v.dtype for v in model.optimizer._slots["velocity"]} == {torch.float64}


@needs_cuda
def test_cuda_fit_after_moving_a_cpu_trained_model_puts_every_state_on_cuda():
    with keras.device("cpu"):
        model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0)
    model.to("cuda")
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0)
    assert {v.device.type for v in model.optimizer.variables} == {"cuda"}
    assert {metric.device.type for metric in model.metrics} == {"cuda"}
    model.to("cpu")
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0)
    assert {v.device.type for v in model.optimizer.variables} == {"cpu"}


# ---- predict's outputs go to the host batch by batch ----------------------------------------------------------

def test_cpu_outputs_are_handed_on_without_a_copy():
    from kerastorch.training.logs import outputs_to_host
    tensor = torch.ones(2, 3)
    assert outputs_to_host(tensor) is tensor
    moved = outputs_to_host({"a": tensor, "b": tensor})
    assert moved["a"] is tensor and moved["b"] is tensor
    assert outputs_to_host((tensor, tensor))[1] is tensor


@needs_cuda
def test_cuda_predict_keeps_one_batch_of_outputs_on_the_device():
    with keras.device("cuda"):
        model = keras.Sequential([keras.Input((4,)), layers.Dense(4096)])
    x = RNG.normal(size=(2048, 4)).astype("float32")
    model.predict(x[:32], batch_size=32, verbose=0)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    outputs = model.predict(x, batch_size=32, verbose=0)
    peak = torch.cuda.max_memory_allocated() - before
    assert outputs.shape == (2048, 4096) and peak < outputs.nbytes / 4
    np.testing.assert_allclose(outputs[-32:], model.predict_on_batch(x[-32:]), rtol=1e-5, atol=1e-5)


@needs_cuda
def test_cuda_predict_of_several_outputs_returns_complete_host_arrays():
    with keras.device("cuda"):
        inputs = keras.Input((4,))
        model = keras.Model(inputs, {"a": layers.Dense(2)(inputs), "b": layers.Dense(3)(inputs)})
    outputs = model.predict(X, batch_size=5, verbose=0)
    expected = model.predict_on_batch(X)
    for name in ("a", "b"):
        np.testing.assert_allclose(outputs[name], expected[name], rtol=1e-5, atol=1e-6)
