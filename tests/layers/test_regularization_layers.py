"""Spatial dropout, noise and activity-regularization layers: Keras 3.15's inference outputs, configurations and
penalty (tests/golden/layers/regularization.npz, tools/golden_conv.py), and their training-time statistics."""
import math

import numpy as np
import pytest
import torch

from kerastorch import layers
from layer_golden import check_against_keras, load_cases

DATA, CASES = load_cases("regularization")


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_matches_keras_outside_training(case):
    check_against_keras(DATA, case, atol=0)


def test_activity_regularization_penalty_matches_keras():
    (case,) = [case for case in CASES if case["layer"] == "ActivityRegularization"]
    layer = layers.ActivityRegularization(l1=0.01, l2=0.1)
    layer(torch.from_numpy(DATA["x/" + case["id"]]))
    (penalty,) = layer.losses
    np.testing.assert_allclose(float(penalty), DATA["loss/" + case["id"]], rtol=1e-6)


@pytest.mark.parametrize("layer, shape, channel_axis", [
    (layers.SpatialDropout1D(0.5, seed=1), (64, 7, 16), 2),
    (layers.SpatialDropout2D(0.5, seed=2), (64, 5, 6, 16), 3),
    (layers.SpatialDropout2D(0.5, data_format="channels_first", seed=3), (64, 16, 5, 6), 1),
    (layers.SpatialDropout3D(0.5, seed=4), (32, 3, 4, 5, 16), 4),
], ids=["1d", "2d", "2d_channels_first", "3d"])
def test_spatial_dropout_drops_whole_feature_maps(layer, shape, channel_axis):
    x = torch.rand(shape) + 1  # no zeros of its own
    outputs = layer(x, training=True)
    kept = (outputs != 0).movedim(channel_axis, 1).reshape(shape[0], shape[channel_axis], -1)
    assert torch.all(kept.all(-1) | (~kept).all(-1))  # each map entirely kept or entirely dropped
    assert 0.35 < 1 - kept[..., 0].float().mean() < 0.65
    np.testing.assert_allclose(outputs[outputs != 0].numpy(), (x * 2)[outputs != 0].numpy(), rtol=1e-6)


def test_spatial_dropout_passes_inputs_through_outside_training():
    x = torch.randn(2, 3, 4)
    assert layers.SpatialDropout1D(0.5)(x) is x


def test_seed_makes_the_masks_reproducible():
    x = torch.randn(8, 4, 4, 6)
    first = layers.SpatialDropout2D(0.5, seed=11)(x, training=True)
    second = layers.SpatialDropout2D(0.5, seed=11)(x, training=True)
    torch.testing.assert_close(first, second)
    noise = [layers.GaussianNoise(0.3, seed=5)(x, training=True) for _ in range(2)]
    torch.testing.assert_close(noise[0], noise[1])


def test_gaussian_noise_has_the_given_standard_deviation():
    x = torch.randn(200, 500)
    noise = layers.GaussianNoise(0.4, seed=0)(x, training=True) - x
    assert abs(float(noise.mean())) < 0.01 and abs(float(noise.std()) - 0.4) < 0.01


def test_gaussian_dropout_multiplies_by_noise_of_mean_1():
    x = torch.ones(200, 500)
    outputs = layers.GaussianDropout(0.2, seed=0)(x, training=True)
    assert abs(float(outputs.mean()) - 1) < 0.01
    assert abs(float(outputs.std()) - math.sqrt(0.2 / 0.8)) < 0.01


def test_alpha_dropout_keeps_zero_mean_unit_variance_and_sets_dropped_to_the_selu_saturation():
    x = torch.randn(400, 500)
    rate = 0.3
    outputs = layers.AlphaDropout(rate, seed=0)(x, training=True)
    assert abs(float(outputs.mean())) < 0.02 and abs(float(outputs.var()) - 1) < 0.02
    saturation = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * saturation ** 2)) ** -0.5
    dropped_value = a * saturation - a * saturation * rate
    dropped_fraction = float(torch.isclose(outputs, torch.tensor(dropped_value)).float().mean())
    assert abs(dropped_fraction - rate) < 0.01


@pytest.mark.parametrize("make, message", [
    (lambda: layers.SpatialDropout2D(1.5), r"rate.*rate=1.5"),
    (lambda: layers.GaussianNoise(-0.1), r"stddev.*stddev=-0.1"),
    (lambda: layers.GaussianDropout(2), r"rate.*rate=2"),
    (lambda: layers.AlphaDropout(-1), r"rate.*rate=-1"),
    (lambda: layers.SpatialDropout3D(0.5, data_format="ndhwc"), r"data_format='ndhwc'"),
])
def test_invalid_arguments_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_spatial_dropout_wrong_rank_names_the_layer():
    with pytest.raises(ValueError, match=r"'spatial_rank'.*expected ndim=4, found ndim=3"):
        layers.SpatialDropout2D(0.5, name="spatial_rank")(np.zeros((1, 4, 6), "float32"))
