"""Normalization layers against Keras 3.15 (tests/golden/layers/normalization.npz and batchnorm_fit.npz,
tools/golden_conv.py and tools/golden_batchnorm_fit.py), BatchNormalization's training semantics, and errors."""
import json

import numpy as np
import pytest
import torch

from kerastorch import backend, layers, optimizers
from kerastorch.models import Sequential
from layer_golden import check_against_keras, load_cases
from golden_loader import golden_json, golden_npz

DATA, CASES = load_cases("normalization")
FIT = golden_npz("layers/batchnorm_fit.npz")
SUMMARIES = golden_json("layers/conv_summaries.json")


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_matches_keras(case):
    check_against_keras(DATA, case)


# ---- BatchNormalization --------------------------------------------------------------------------------------

def test_batchnorm_weights_are_gamma_beta_then_moving_statistics_without_gradients():
    layer = layers.BatchNormalization()
    layer.build((None, 4, 4, 3))
    assert [name for name, _ in layer.named_parameters()] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [p.requires_grad for p in layer.parameters()] == [True, True, False, False]
    assert [w.shape for w in layer.get_weights()] == [(3,)] * 4
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2
    assert layer.momentum == 0.99 and layer.epsilon == 1e-3


def test_batchnorm_outside_training_uses_and_keeps_moving_statistics():
    layer = layers.BatchNormalization(center=False, scale=False)
    x = torch.randn(8, 3) * 3 + 2
    outputs = layer(x)
    np.testing.assert_allclose(outputs.numpy(), (x / np.sqrt(1 + 1e-3)).numpy(), rtol=1e-6)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3))


def test_batchnorm_training_update_uses_the_biased_batch_variance():
    layer = layers.BatchNormalization(momentum=0.5)
    x = torch.randn(6, 4, 3) + 1
    layer(x, training=True)
    flat = x.reshape(-1, 3).double()
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.5 * flat.mean(0).numpy(), rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.5 + 0.5 * flat.var(0, unbiased=False).numpy(),
                               rtol=1e-5)


def test_frozen_batchnorm_runs_in_inference_mode_even_when_training():
    layer = layers.BatchNormalization()
    x = torch.randn(8, 3) + 5
    layer.build(x.shape)
    layer.trainable = False
    outputs = layer(x, training=True)
    np.testing.assert_allclose(outputs.numpy(), (x / np.sqrt(1 + 1e-3)).numpy(), rtol=1e-6)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3))


def test_batchnorm_with_mask_uses_the_unmasked_positions():
    layer = layers.BatchNormalization(momentum=0.0)
    x = torch.randn(2, 5, 3)
    mask = torch.tensor([[True, True, True, False, False], [True, False, False, False, False]])
    layer(x, training=True, mask=mask)
    kept = x[mask]
    np.testing.assert_allclose(layer.moving_mean.numpy(), kept.mean(0).numpy(), atol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), kept.var(0, unbiased=False).numpy(), atol=1e-5)


def test_batchnorm_gradients_reach_gamma_and_beta():
    layer = layers.BatchNormalization()
    x = torch.randn(4, 5, 5, 2, requires_grad=True)
    (layer(x, training=True) * torch.randn(4, 5, 5, 2)).sum().backward()
    assert layer.gamma.grad.shape == (2,) and layer.beta.grad.shape == (2,) and x.grad is not None


def test_batchnorm_axis_1_on_rank_3_summary_is_keras():
    backend.clear_session()
    model = Sequential([layers.Input((1, 5)), layers.Dense(16, activation="relu"), layers.Dense(32, activation="relu"),
                        layers.BatchNormalization(axis=1), layers.Dense(2, activation="softmax")])
    expected = SUMMARIES["s10_batchnorm"]
    rows = [{"name": layer.name, "class": type(layer).__name__, "output_shape": list(layer.output.shape),
             "params": layer.count_params()} for layer in model.layers]
    assert rows == expected["layers"] and model.count_params() == expected["total"] == 710
    assert sum(w.numel() for w in model.non_trainable_weights) == expected["non_trainable"] == 2


def fit_models():
    backend.clear_session()
    yield "conv", Sequential([
        layers.Input((5, 4, 2)), layers.Conv2D(3, 3, padding="same"), layers.BatchNormalization(),
        layers.Activation("relu"), layers.Flatten(), layers.Dense(6), layers.BatchNormalization(momentum=0.9),
        layers.Dense(3, activation="softmax")]), optimizers.SGD(learning_rate=0.05, momentum=0.9)
    backend.clear_session()
    yield "rank3", Sequential([
        layers.Input((1, 5)), layers.Dense(16, activation="relu"), layers.Dense(32, activation="relu"),
        layers.BatchNormalization(axis=1), layers.Dense(3, activation="softmax")]), \
        optimizers.Adam(learning_rate=0.01)


@pytest.mark.parametrize("name", ["conv", "rank3"])
def test_batchnorm_after_two_epochs_of_fit_matches_keras(name):
    model, optimizer = dict((n, (m, o)) for n, m, o in fit_models())[name]
    count = json.loads(str(FIT["models"]))[name]
    model.set_weights([FIT[f"initial{i}/{name}"] for i in range(count)])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy")
    history = model.fit(FIT[f"x/{name}"], FIT[f"y/{name}"], batch_size=8, epochs=2, shuffle=False, verbose=0)
    for index, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, FIT[f"final{index}/{name}"], atol=1e-4, err_msg=f"weight {index}")
    np.testing.assert_allclose(history.history["loss"], FIT[f"loss/{name}"], atol=1e-4)


# ---- Layer, Group and Unit normalization ---------------------------------------------------------------------

def test_layer_normalization_over_a_middle_axis_follows_the_definition():
    # Keras 3.15 on torch cannot do this one (it hands the axis to F.layer_norm as if it were the last).
    layer = layers.LayerNormalization(axis=1)
    x = torch.randn(2, 3, 4)
    layer.build(x.shape)
    layer.set_weights([np.array([1.0, 2.0, 3.0], "float32"), np.array([0.5, 0.0, -0.5], "float32")])
    mean = x.mean(1, keepdim=True)
    variance = x.var(1, unbiased=False, keepdim=True)
    expected = (x - mean) / torch.sqrt(variance + 1e-3) * torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1) \
        + torch.tensor([0.5, 0.0, -0.5]).view(1, 3, 1)
    np.testing.assert_allclose(layer(x).detach().numpy(), expected.numpy(), atol=1e-5)


def test_layer_normalization_rms_scaling_scales_by_the_variance_without_offset():
    layer = layers.LayerNormalization(rms_scaling=True)
    x = torch.randn(3, 5)
    outputs = layer(x)
    assert layer.beta is None
    expected = x / torch.sqrt(x.var(-1, unbiased=False, keepdim=True) + 1e-3)
    np.testing.assert_allclose(outputs.detach().numpy(), expected.numpy(), atol=1e-5)


def test_unit_normalization_keeps_zero_samples_zero():
    outputs = layers.UnitNormalization()(torch.zeros(2, 3))
    assert torch.all(outputs == 0)


def test_group_normalization_groups_consecutive_channels():
    x = torch.randn(2, 3, 3, 4)
    layer = layers.GroupNormalization(groups=2, center=False, scale=False)
    outputs = layer(x)
    first_group = x[..., :2]
    expected = (first_group - first_group.mean((1, 2, 3), keepdim=True)) / torch.sqrt(
        first_group.var((1, 2, 3), unbiased=False, keepdim=True) + 1e-3)
    np.testing.assert_allclose(outputs[..., :2].numpy(), expected.numpy(), atol=1e-5)


# ---- errors --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, shape, message", [
    (lambda: layers.BatchNormalization(axis=3, name="bn_axis"), (2, 4, 5), r"'bn_axis'.*axis 3.*\(2, 4, 5\)"),
    (lambda: layers.BatchNormalization(axis=-4, name="bn_neg"), (2, 4, 5), r"'bn_neg'.*axis -4"),
    (lambda: layers.BatchNormalization(axis=0, name="bn_batch"), (2, 4), r"'bn_batch'.*batch axis"),
    (lambda: layers.LayerNormalization(axis=[1, 5], name="ln_axis"), (2, 4, 5), r"'ln_axis'.*\[1, 5\]"),
    (lambda: layers.GroupNormalization(groups=3, name="gn_groups"), (2, 4, 4), r"'gn_groups'.*groups \(3\).*\(4\)"),
    (lambda: layers.GroupNormalization(groups=8, name="gn_many"), (2, 4, 4), r"'gn_many'.*groups \(8\)"),
])
def test_bad_axes_and_groups_name_the_layer_and_shape(make, shape, message):
    with pytest.raises(ValueError, match=message):
        make()(np.zeros(shape, "float32"))


def test_invalid_constructor_arguments():
    with pytest.raises(ValueError, match=r"groups.*groups=0"):
        layers.GroupNormalization(groups=0)
    with pytest.raises(ValueError, match=r"axis.*axis='last'"):
        layers.BatchNormalization(axis="last")
    with pytest.raises(ValueError, match="synchronized=True"):
        layers.BatchNormalization(synchronized=True)


def test_batchnorm_refuses_a_different_feature_size_after_build():
    layer = layers.BatchNormalization(name="bn_features")
    layer(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"'bn_features'.*axis -1.*value 3"):
        layer(np.zeros((2, 4), "float32"))
