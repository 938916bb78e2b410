"""Pooling layers against Keras 3.15 (tests/golden/layers/pooling.npz, tools/golden_conv.py), 'same' average pooling
against its definition, and errors."""
import numpy as np
import pytest
import torch

from kerastorch import layers
from layer_golden import check_against_keras, load_cases, run_case

DATA, CASES = load_cases("pooling")
KERAS_CASES = [case for case in CASES if case["reference"] == "keras"]
# Keras 3.15's torch backend replicates edge values into asymmetric 'same' average-pooling windows; Keras's
# documentation (and its TensorFlow and JAX backends) average the real elements only.
DEFINITION_CASES = [case for case in CASES if case["reference"] == "first_principles"]


@pytest.mark.parametrize("case", KERAS_CASES, ids=[case["id"] for case in KERAS_CASES])
def test_matches_keras(case):
    check_against_keras(DATA, case)


def average_of_real_elements(x, pool_size, strides, data_format):
    """'same' average pooling from its definition: ceil(n / stride) windows starting at i * stride - before,
    where before is half the total padding (rounded down), each averaging the input elements it covers."""
    if data_format == "channels_last":
        x = np.moveaxis(x, -1, 1)
    spatial = x.shape[2:]
    counts = [-(-n // s) for n, s in zip(spatial, strides)]
    befores = [max((c - 1) * s + k - n, 0) // 2 for n, k, s, c in zip(spatial, pool_size, strides, counts)]
    result = np.zeros(x.shape[:2] + tuple(counts))
    for index in np.ndindex(*counts):
        window = tuple(slice(max(i * s - b, 0), min(i * s - b + k, n))
                       for i, s, b, k, n in zip(index, strides, befores, pool_size, spatial))
        result[(...,) + index] = x[(slice(None), slice(None)) + window].mean(axis=tuple(range(2, x.ndim)))
    return np.moveaxis(result, 1, -1) if data_format == "channels_last" else result


@pytest.mark.parametrize("case", DEFINITION_CASES, ids=[case["id"] for case in DEFINITION_CASES])
def test_asymmetric_same_average_pooling_averages_real_elements_only(case):
    layer, outputs = run_case(DATA, case)
    x = DATA["x/" + case["id"]]
    expected = average_of_real_elements(x, layer.pool_size, layer.strides, layer.data_format)
    np.testing.assert_allclose(outputs, expected, atol=1e-5)
    assert list(outputs.shape) == case["output_shape"]


def test_every_average_pooling_same_case_agrees_with_the_definition():
    for case in CASES:
        if case["layer"].startswith("AveragePooling") and case["kwargs"].get("padding") == "same":
            layer, outputs = run_case(DATA, case)
            expected = average_of_real_elements(DATA["x/" + case["id"]], layer.pool_size, layer.strides,
                                                 layer.data_format)
            np.testing.assert_allclose(outputs, expected, atol=1e-5, err_msg=case["id"])


def test_same_max_pooling_never_takes_a_padded_value():
    x = -torch.ones(1, 5, 5, 1)  # zeros padding would win over every real element
    assert torch.all(layers.MaxPooling2D(2, padding="same")(x) == -1)
    assert torch.all(layers.MaxPooling2D(4, strides=1, padding="same")(x) == -1)


def test_strides_default_to_pool_size():
    layer = layers.MaxPooling2D((2, 3))
    assert layer.strides == (2, 3)
    assert layer(np.zeros((1, 7, 7, 2), "float32")).shape == (1, 3, 2, 2)


def test_global_average_pooling_1d_with_mask_averages_unmasked_steps():
    x = torch.arange(12, dtype=torch.float32).reshape(1, 4, 3)
    mask = torch.tensor([[True, True, False, False]])
    outputs = layers.GlobalAveragePooling1D()(x, mask=mask)
    np.testing.assert_allclose(outputs.numpy(), x[:, :2].mean(1).numpy())


def test_aliases_are_the_same_classes():
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    assert layers.GlobalMaxPool3D is layers.GlobalMaxPooling3D


def test_keras2_pooling_star_import():
    namespace = {}
    exec("from kerastorch.layers.pooling import *", namespace)
    assert namespace["MaxPooling2D"] is layers.MaxPooling2D and namespace["GlobalAvgPool1D"] is \
        layers.GlobalAveragePooling1D
    assert "torch" not in namespace


def test_config_round_trips():
    layer = layers.AveragePooling3D((1, 2, 3), strides=2, padding="same", data_format="channels_first")
    config = layer.get_config()
    assert config["pool_size"] == (1, 2, 3) and config["strides"] == (2, 2, 2)
    assert {**layers.AveragePooling3D.from_config(config).get_config()} == config


def test_window_larger_than_the_input_names_the_layer():
    with pytest.raises(ValueError, match=r"'small_pool'.*\(3, 3\).*\(2, 5\).*padding='valid'"):
        layers.MaxPooling2D(3, name="small_pool")(np.zeros((1, 2, 5, 1), "float32"))


def test_wrong_rank_names_the_layer():
    with pytest.raises(ValueError, match=r"'pool_rank'.*expected ndim=4, found ndim=3"):
        layers.MaxPooling2D(name="pool_rank")(np.zeros((1, 4, 4), "float32"))
    with pytest.raises(ValueError, match=r"'global_rank'.*expected ndim=3, found ndim=4"):
        layers.GlobalAveragePooling1D(name="global_rank")(np.zeros((1, 4, 4, 2), "float32"))


@pytest.mark.parametrize("make, message", [
    (lambda: layers.MaxPooling2D(0), r"pool_size.*pool_size=0"),
    (lambda: layers.AveragePooling1D(2, strides=-1), r"strides.*strides=-1"),
    (lambda: layers.MaxPooling2D(2, padding="causal"), r"padding.*Received: padding='causal'"),
    (lambda: layers.AveragePooling2D(2, data_format="NCHW"), r"data_format='NCHW'"),
    (lambda: layers.GlobalMaxPooling2D(data_format="last"), r"data_format='last'"),
])
def test_invalid_arguments_name_the_layer(make, message):
    with pytest.raises(ValueError, match=message) as error:
        make()
    assert "Pooling" in str(error.value)
