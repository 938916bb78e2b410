"""Device names: Keras's (``"gpu:0"``, ``"cpu:0"``) and torch's, in ``kerastorch.device(...)`` and in the
``KERASTORCH_DEVICE`` / ``KERAS_TORCH_DEVICE`` variables; Keras-on-torch's answers are tests/golden/backend/devices.json.
"""
import pytest
import torch
from golden_loader import golden_json

import kerastorch as keras
from kerastorch import backend, layers

GOLDEN = golden_json("backend/devices.json")


def no_accelerators(monkeypatch):
    for variable in backend.DEVICE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.mark.parametrize("name", sorted(GOLDEN["scope"]))
def test_device_names_map_as_keras_on_torch_maps_them(name):
    expected = torch.device(GOLDEN["scope"][name])
    if expected.type == "cpu":
        # torch's CPU tensors report "cpu"; Keras keeps the ":0", kerastorch drops it so devices compare equal.
        expected = torch.device("cpu")
    with keras.device(name) as scoped:
        assert scoped == expected
        assert backend.device() == expected


def test_cpu_0_is_the_device_cpu_tensors_report():
    assert backend.parse_device("cpu:0") == torch.zeros(1).device
    assert backend.parse_device(torch.device("cpu", 0)) == torch.device("cpu")


@pytest.mark.parametrize("name", ["tpu", "gpu:x", "", "cuda:-1", "cpu:1", "gpu0"])
def test_an_unknown_device_name_names_the_value_and_the_accepted_forms(name):
    with pytest.raises(ValueError, match=r"'gpu:1'.*'cuda:1'.*Received: device_name=" + repr(name)):
        keras.device(name)


@pytest.mark.parametrize("value", [3, None])
def test_a_device_that_is_not_a_string_is_refused_as_keras_refuses_it(value):
    assert GOLDEN["scope_invalid"][repr(value)] == "ValueError"
    with pytest.raises(ValueError, match=f"Received: device_name={value!r} of type {type(value).__name__}"):
        keras.device(value)


def test_a_bad_name_fails_when_the_scope_is_made_not_when_a_model_is_built():
    with pytest.raises(ValueError, match="Invalid device"):
        keras.device("gpu:one")


def test_a_gpu_scope_places_models_on_cuda_by_name_only():
    # Nothing is allocated on a device type until a tensor is made: the scope itself works without CUDA.
    with keras.device("GPU:1"):
        assert backend.device() == torch.device("cuda", 1)
    with keras.device("meta"):
        model = keras.Sequential([keras.Input((2,)), layers.Dense(3)])
    assert {w.device.type for w in model.weights} == {"meta"}


@pytest.mark.parametrize("value", sorted(GOLDEN["keras_torch_device_variable"]))
def test_keras_torch_device_variable_places_variables_as_in_keras(monkeypatch, value):
    no_accelerators(monkeypatch)
    monkeypatch.setenv("KERAS_TORCH_DEVICE", value)
    layer = layers.Dense(2)
    layer.build((None, 3))
    assert str(layer.kernel.device) == GOLDEN["keras_torch_device_variable"][value]


def test_kerastorch_device_wins_over_keras_torch_device(monkeypatch):
    no_accelerators(monkeypatch)
    monkeypatch.setenv("KERAS_TORCH_DEVICE", "meta")
    monkeypatch.setenv("KERASTORCH_DEVICE", "cpu")
    assert backend.device() == torch.device("cpu")


def test_an_empty_kerastorch_device_falls_through_to_keras_torch_device(monkeypatch):
    no_accelerators(monkeypatch)
    monkeypatch.setenv("KERASTORCH_DEVICE", "")
    monkeypatch.setenv("KERAS_TORCH_DEVICE", "meta")
    assert backend.device() == torch.device("meta")


def test_device_variables_take_keras_names(monkeypatch):
    no_accelerators(monkeypatch)
    monkeypatch.setenv("KERAS_TORCH_DEVICE", "GPU:1")
    assert backend.device() == torch.device("cuda", 1)
    monkeypatch.setenv("KERASTORCH_DEVICE", "CPU:0")
    assert backend.device() == torch.device("cpu")


def test_a_bad_device_variable_names_the_variable(monkeypatch):
    no_accelerators(monkeypatch)
    monkeypatch.setenv("KERAS_TORCH_DEVICE", "tpu:0")
    with pytest.raises(ValueError, match=r"Received: KERAS_TORCH_DEVICE='tpu:0'"):
        backend.device()


def test_a_scope_wins_over_both_variables(monkeypatch):
    monkeypatch.setenv("KERASTORCH_DEVICE", "cpu")
    monkeypatch.setenv("KERAS_TORCH_DEVICE", "cpu")
    with keras.device("meta"):
        assert backend.device() == torch.device("meta")


@pytest.mark.parametrize("device, name", [("cpu", "cpu:0"), ("cuda:1", "gpu:1"), ("gpu:3", "gpu:3"),
                                          (torch.device("cuda", 0), "gpu:0"), ("meta", "meta:0")])
def test_keras_device_name_is_keras_s_type_and_index(device, name):
    assert backend.keras_device_name(device) == name
