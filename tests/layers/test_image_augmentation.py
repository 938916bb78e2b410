"""Keras 3's colour and mixing augmentations: each layer's transform_images under the transformation Keras drew
gives Keras's output (tools/golden_image_augmentation.py), and the random draws keep their invariants."""
import json

import numpy as np
import pytest
import torch
from golden_loader import golden_npz

import kerastorch
from kerastorch import layers

DATA = golden_npz("layers/image_augmentation.npz")
CASES = json.loads(str(DATA["cases"]))


def _transformation(case):
    keys = case["transformation"]
    if keys is None:
        return None
    if keys == [""]:
        return torch.as_tensor(DATA[f"{case['key']}/t/"])
    return {k: torch.as_tensor(DATA[f"{case['key']}/t/{k}"]) for k in keys}


@pytest.mark.parametrize("case", CASES, ids=[c["key"] for c in CASES])
def test_transform_images_matches_keras_for_the_same_transformation(case):
    layer = getattr(layers, case["layer"])(**case["kwargs"])
    images = torch.as_tensor(DATA[f"{case['key']}/images"])
    out = layer.transform_images(images, _transformation(case), training=True)
    np.testing.assert_allclose(out.numpy(), DATA[f"{case['key']}/out"], rtol=1e-5, atol=1e-4)


RANDOM_LAYERS = [layers.Solarization(addition_factor=0.2, threshold_factor=0.5, seed=1),
                 layers.RandomInvert(seed=2), layers.RandomPosterization(factor=(2, 6), seed=3),
                 layers.RandomGrayscale(seed=4), layers.RandomHue(0.5, seed=5),
                 layers.RandomSaturation((0.3, 0.5), seed=6), layers.RandomSharpness(0.5, seed=7),
                 layers.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.3, saturation_factor=0.5,
                                          hue_factor=0.2, seed=8),
                 layers.MixUp(seed=9), layers.CutMix(seed=10), layers.Equalization(),
                 layers.RandomErasing(seed=11), layers.RandomGaussianBlur(seed=12),
                 layers.RandomShear(0.3, 0.3, seed=13), layers.RandomPerspective(seed=14),
                 layers.RandomColorDegeneration(0.5, seed=15), layers.RandAugment(seed=16),
                 layers.AugMix(seed=17)]


@pytest.mark.parametrize("layer", RANDOM_LAYERS, ids=lambda l: type(l).__name__)
def test_random_augmentation_keeps_shape_and_value_range_in_training(layer):
    images = torch.rand(4, 8, 8, 3) * 255
    out = layer(images, training=True)
    assert out.shape == images.shape
    assert float(out.min()) >= -1e-3 and float(out.max()) <= 255 + 1e-3


@pytest.mark.parametrize("layer", RANDOM_LAYERS, ids=lambda l: type(l).__name__)
def test_random_augmentation_passes_images_through_in_inference(layer):
    images = torch.rand(2, 4, 4, 3) * 255
    assert torch.equal(layer(images), images)


def test_random_saturation_at_half_keeps_the_image():
    images = torch.rand(2, 4, 4, 3) * 255
    out = layers.RandomSaturation((0.5, 0.5))(images, training=True)
    np.testing.assert_allclose(out.numpy(), images.numpy(), rtol=1e-4, atol=1e-3)


def test_random_augmentation_runs_channels_first():
    images = torch.rand(2, 3, 6, 6)
    out = layers.RandomHue(0.5, value_range=(0, 1), data_format="channels_first", seed=1)(images, training=True)
    assert out.shape == images.shape


def test_auto_contrast_applies_in_inference():
    images = torch.tensor([[[[10.0], [20.0]], [[30.0], [40.0]]]])
    out = layers.AutoContrast()(images)
    assert float(out.min()) == 0.0 and float(out.max()) == 255.0


def test_mix_up_mixes_labels_with_the_images():
    images = torch.stack([torch.zeros(4, 4, 1), torch.ones(4, 4, 1)])
    labels = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    out = layers.MixUp(alpha=0.5, seed=3)({"images": images, "labels": labels}, training=True)
    weight_of_zero = 1 - out["images"][0].mean()
    assert torch.allclose(out["labels"].sum(1), torch.ones(2))
    assert torch.isclose(out["labels"][0, 0], weight_of_zero) or torch.isclose(out["labels"][0, 0], torch.tensor(1.0))


def test_cut_mix_label_weight_is_the_kept_area():
    images = torch.stack([torch.zeros(8, 8, 1), torch.ones(8, 8, 1)])
    labels = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    layer = layers.CutMix(seed=4)
    transformation = layer.get_random_transformation(images)
    mixed = layer.transform_images(images, transformation)
    mixed_labels = layer.transform_labels(labels, transformation)
    assert mixed.shape == images.shape
    assert torch.allclose(mixed_labels.sum(1), torch.ones(2))


def test_pipeline_applies_its_layers_in_order_and_round_trips_its_config():
    pipeline = layers.Pipeline([layers.RandomInvert(factor=(1.0, 1.0)), layers.Rescaling(0.5)])
    images = torch.full((1, 2, 2, 3), 55.0)
    np.testing.assert_allclose(pipeline(images, training=True).numpy(), 100.0)
    restored = layers.Pipeline.from_config(pipeline.get_config())
    assert [type(l).__name__ for l in restored.layers] == ["RandomInvert", "Rescaling"]


def test_grayscale_refuses_a_factor_outside_zero_one():
    with pytest.raises(ValueError, match="between 0 and 1"):
        layers.RandomGrayscale(factor=1.5)


def test_augmentations_train_inside_a_model():
    inputs = kerastorch.Input((8, 8, 3))
    x = layers.RandomColorJitter(brightness_factor=0.1, hue_factor=0.1, seed=1)(inputs)
    x = layers.RandomSharpness(0.5, seed=2)(x)
    x = layers.Flatten()(x)
    model = kerastorch.Model(inputs, layers.Dense(1)(x))
    model.compile("sgd", "mse")
    history = model.fit(np.random.rand(8, 8, 8, 3).astype("float32") * 255, np.zeros((8, 1)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_rand_augment_and_aug_mix_are_reproducible_with_a_seed():
    images = torch.rand(2, 8, 8, 3) * 255
    for make in (lambda: layers.RandAugment(num_ops=3, seed=5), lambda: layers.AugMix(seed=6)):
        assert torch.allclose(make()(images, training=True), make()(images, training=True))
