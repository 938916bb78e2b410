"""Augmentation and preprocessing layers: active only in training, batched, reproducible with a seed."""
import numpy as np
import pytest
import torch

from kerastorch import layers

IMAGES = np.random.default_rng(0).random((4, 10, 12, 3)).astype("float32") * 255


@pytest.mark.parametrize("layer", [
    layers.RandomFlip("horizontal_and_vertical"), layers.RandomRotation(0.2), layers.RandomZoom(0.3),
    layers.RandomTranslation(0.1, 0.2), layers.RandomContrast(0.4), layers.RandomBrightness(0.2),
])
def test_random_layers_pass_through_in_inference(layer):
    np.testing.assert_array_equal(layer(IMAGES).numpy(), IMAGES)


@pytest.mark.parametrize("make", [
    lambda: layers.RandomFlip("horizontal", seed=3), lambda: layers.RandomRotation(0.2, seed=3),
    lambda: layers.RandomZoom(0.3, seed=3), lambda: layers.RandomTranslation(0.1, 0.2, seed=3),
    lambda: layers.RandomContrast(0.4, seed=3), lambda: layers.RandomCrop(6, 7, seed=3),
])
def test_seeded_random_layers_are_reproducible_and_keep_shapes(make):
    first = make()(IMAGES, training=True).numpy()
    second = make()(IMAGES, training=True).numpy()
    np.testing.assert_array_equal(first, second)
    assert first.shape[0] == 4 and first.shape[-1] == 3


def test_horizontal_flip_flips_the_width_axis():
    torch.manual_seed(0)
    out = layers.RandomFlip("horizontal")(IMAGES, training=True).numpy()
    for original, flipped in zip(IMAGES, out):
        assert np.array_equal(flipped, original) or np.array_equal(flipped, original[:, ::-1])


def test_random_crop_training_window_and_center_crop_in_inference():
    crop = layers.RandomCrop(6, 7, seed=1)
    out = crop(IMAGES, training=True).numpy()
    assert out.shape == (4, 6, 7, 3)
    for image, window in zip(IMAGES, out):
        found = any(np.array_equal(image[i:i + 6, j:j + 7], window) for i in range(5) for j in range(6))
        assert found
    center = crop(IMAGES).numpy()
    np.testing.assert_array_equal(center, IMAGES[:, 2:8, 2:9])
    assert crop.compute_output_shape((None, 10, 12, 3)) == (None, 6, 7, 3)


def test_contrast_keeps_values_in_range():
    out = layers.RandomContrast(0.9, seed=0)(IMAGES, training=True).numpy()
    assert out.min() >= 0 and out.max() <= 255


def test_rescaling_resizing_center_crop():
    np.testing.assert_allclose(layers.Rescaling(1 / 255.0)(IMAGES).numpy(), IMAGES / 255.0, rtol=1e-6)
    assert tuple(layers.Resizing(5, 6)(IMAGES).shape) == (4, 5, 6, 3)
    assert tuple(layers.CenterCrop(4, 4)(IMAGES).shape) == (4, 4, 4, 3)
    assert tuple(layers.Resizing(5, 6, data_format="channels_first")(IMAGES.transpose(0, 3, 1, 2)).shape) == \
        (4, 3, 5, 6)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="mode"):
        layers.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="fill_mode"):
        layers.RandomRotation(0.1, fill_mode="mirror")


def test_rescaling_takes_one_factor_and_offset_per_channel():
    # EfficientNet's stem rescales each RGB channel by its own factor (a list, broadcast on the last axis).
    x = torch.ones(2, 3, 3, 3)
    out = layers.Rescaling([1.0, 2.0, 4.0], offset=[0.0, -1.0, 1.0])(x)
    assert out[0, 0, 0].tolist() == [1.0, 1.0, 5.0]
    assert out.shape == x.shape
