"""Reshaping layers against Keras 3.15 (tests/golden/layers/reshaping.npz, tools/golden_conv.py), views, and errors."""
import numpy as np
import pytest
import torch

from kerastorch import layers
from layer_golden import check_against_keras, load_cases

DATA, CASES = load_cases("reshaping")


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_matches_keras(case):
    check_against_keras(DATA, case, atol=1e-6)


def test_flatten_uses_channels_last_order_so_dense_weights_port():
    x = torch.arange(2 * 3 * 2 * 4, dtype=torch.float32).reshape(2, 3, 2, 4)
    np.testing.assert_array_equal(layers.Flatten()(x).numpy(), x.numpy().reshape(2, -1))
    channels_first = x.permute(0, 3, 1, 2).contiguous()
    flat = layers.Flatten(data_format="channels_first")(channels_first)
    np.testing.assert_array_equal(flat.numpy(), x.numpy().reshape(2, -1))


@pytest.mark.parametrize("layer, shape", [
    (layers.Permute((2, 1)), (2, 3, 4)),
    (layers.RepeatVector(5), (2, 4)),
    (layers.Cropping2D(((1, 0), (1, 2))), (2, 5, 6, 3)),
    (layers.Cropping1D((2, 1)), (2, 6, 3)),
], ids=lambda value: type(value).__name__ if isinstance(value, layers.Layer) else "")
def test_results_that_can_be_views_are_views(layer, shape):
    x = torch.randn(shape)
    outputs = layer(x)
    assert outputs.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()


@pytest.mark.parametrize("size", [3, 5, 7, 11])
def test_nearest_upsampling_repeats_exactly_for_any_factor(size):
    x = torch.randn(2, 4, 3, 2)
    outputs = layers.UpSampling2D((size, 2))(x).numpy()
    np.testing.assert_array_equal(outputs, np.repeat(np.repeat(x.numpy(), size, axis=1), 2, axis=2))


def test_upsampling_and_padding_keep_symbolic_unknown_dimensions():
    inputs = layers.Input((None, 4, 3))
    assert tuple(layers.UpSampling2D(2)(inputs).shape) == (None, None, 8, 3)
    assert tuple(layers.ZeroPadding2D(1)(inputs).shape) == (None, None, 6, 3)
    assert tuple(layers.Cropping2D(1)(inputs).shape) == (None, None, 2, 3)


@pytest.mark.parametrize("layer", [
    layers.ZeroPadding2D(((1, 2), (0, 3)), data_format="channels_first"),
    layers.ZeroPadding1D((2, 0)),
    layers.Cropping3D(1),
    layers.UpSampling2D(3, interpolation="bilinear"),
    layers.UpSampling1D(4),
    layers.Permute((2, 3, 1)),
    layers.RepeatVector(3),
], ids=lambda layer: type(layer).__name__)
def test_from_config_rebuilds_the_same_layer(layer):
    config = layer.get_config()
    rebuilt = type(layer).from_config({**config, "name": config["name"] + "_copy"})
    assert {**rebuilt.get_config(), "name": config["name"]} == config


def test_padding_forms_mean_what_keras_says():
    assert layers.ZeroPadding2D(2).padding == ((2, 2), (2, 2))
    assert layers.ZeroPadding2D((1, 3)).padding == ((1, 1), (3, 3))
    assert layers.ZeroPadding1D(2).get_config()["padding"] == (2, 2)
    assert layers.Cropping3D((1, 2, 3)).cropping == ((1, 1), (2, 2), (3, 3))


@pytest.mark.parametrize("make, message", [
    (lambda: layers.Permute((1, 3)), r"dims.*Received: dims=\(1, 3\)"),
    (lambda: layers.Permute((0, 1)), r"dims"),
    (lambda: layers.RepeatVector(0), r"n=0"),
    (lambda: layers.ZeroPadding2D((1, 2, 3)), r"padding.*\(1, 2, 3\)"),
    (lambda: layers.ZeroPadding2D(((1, -1), (0, 0))), r"padding"),
    (lambda: layers.Cropping2D(-1), r"cropping"),
    (lambda: layers.UpSampling2D(0), r"size=0"),
    (lambda: layers.ZeroPadding2D(data_format="channels_middle"), r"data_format='channels_middle'"),
])
def test_invalid_arguments_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_interpolation_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown interpolation: 'bilinaer'.*bilinear.*nearest"):
        layers.UpSampling2D(2, interpolation="bilinaer")


def test_cropping_everything_names_the_layer_and_shape():
    with pytest.raises(ValueError, match=r"'crop_all'.*\(1, 4, 6, 2\)"):
        layers.Cropping2D(((2, 2), (0, 0)), name="crop_all")(np.zeros((1, 4, 6, 2), "float32"))


def test_wrong_rank_names_the_layer():
    with pytest.raises(ValueError, match=r"'pad_rank'.*expected ndim=4, found ndim=3"):
        layers.ZeroPadding2D(name="pad_rank")(np.zeros((1, 4, 6), "float32"))
    with pytest.raises(ValueError, match=r"'repeat_rank'.*expected ndim=2, found ndim=3"):
        layers.RepeatVector(2, name="repeat_rank")(np.zeros((1, 4, 6), "float32"))
