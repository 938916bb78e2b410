"""Filter visualization: input gradients through torch autograd, gradient ascent per filter, stitching."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch.utils.visualization import (activation_gradients, deprocess_image, filter_images, stitch_images,
                                            visualize_filters)


def small_convnet(activation="relu", size=(12, 12)):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    inputs = keras.Input(size + (3,))
    x = keras.layers.Conv2D(6, 3, activation=activation, padding="same", name="conv_a")(inputs)
    x = keras.layers.Conv2D(5, 3, activation=activation, name="conv_b")(x)
    return keras.Model(inputs, x)


def test_input_gradient_of_a_linear_layer_predicts_the_change_exactly():
    model = small_convnet(activation=None)
    rng = np.random.RandomState(0)
    images, direction = rng.normal(size=(2, 12, 12, 3)).astype("float32"), rng.normal(size=(2, 12, 12, 3))
    values, gradients = activation_gradients(model, images, "conv_b", filter_index=2)
    moved, _ = activation_gradients(model, images + direction.astype("float32"), "conv_b", filter_index=2)
    # The mean activation is linear in the image, so the gradient gives the change along any direction.
    predicted = (gradients.double() * torch.from_numpy(direction)).sum(dim=(1, 2, 3))
    np.testing.assert_allclose((moved - values).numpy(), predicted.numpy(), rtol=1e-3, atol=1e-4)


def test_each_image_gets_the_gradient_of_its_own_filter():
    model = small_convnet()
    images = np.random.RandomState(1).normal(size=(3, 12, 12, 3)).astype("float32")
    values, gradients = activation_gradients(model, images, "conv_a", filter_index=[0, 4, 1])
    for position, index in enumerate([0, 4, 1]):
        alone_value, alone_gradient = activation_gradients(model, images[position:position + 1], "conv_a",
                                                           filter_index=index)
        torch.testing.assert_close(values[position:position + 1], alone_value)
        torch.testing.assert_close(gradients[position:position + 1], alone_gradient)
    whole_value, _ = activation_gradients(model, images, "conv_a")
    assert whole_value.shape == (3,)


def test_gradient_ascent_raises_each_filters_activation():
    model = small_convnet(activation=None)   # no dead ReLU filter, whose gradient is zero everywhere
    start = filter_images(model, "conv_b", [0, 3], steps=0, seed=4)
    climbed = filter_images(model, "conv_b", [0, 3], steps=8, step_size=2.0, seed=4)
    assert climbed.shape == (2, 12, 12, 3)
    before, _ = activation_gradients(model, start, "conv_b", filter_index=[0, 3])
    after, _ = activation_gradients(model, climbed, "conv_b", filter_index=[0, 3])
    assert bool((after > before).all())


def test_visualize_filters_stitches_a_square_grid_of_viewable_tiles():
    model = small_convnet()
    grid = visualize_filters(model, "conv_a", range(4), steps=2, seed=0, margin=3)
    assert grid.shape == (2 * 12 + 3, 2 * 12 + 3, 3) and grid.dtype == np.uint8
    assert (grid[12:15] == 0).all() and (grid[:, 12:15] == 0).all()     # the margins
    assert grid[:12, :12].std() > 0


def test_vgg16_block5_filters_at_the_seed_cases_size():
    model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
    grid = visualize_filters(model, "block5_conv1", range(4), steps=1, seed=0)
    assert grid.shape == (133, 133, 3)


def test_stitch_images_places_tiles_row_by_row():
    tiles = np.stack([np.full((2, 3, 1), value, "float32") for value in (1, 2, 3)])
    grid = stitch_images(tiles, margin=1)
    assert grid.shape == (5, 7, 1)
    assert grid[0, 0, 0] == 1 and grid[0, 4, 0] == 2 and grid[3, 0, 0] == 3 and grid[3, 4, 0] == 0
    assert stitch_images(tiles, columns=3, margin=0).shape == (2, 9, 1)


def test_deprocess_image_gives_uint8_around_mid_gray():
    image = deprocess_image(np.random.RandomState(0).normal(50, 30, (8, 8, 3)))
    assert image.dtype == np.uint8 and 110 < image.mean() < 145


def test_a_model_taking_any_size_needs_an_image_size():
    model = keras.applications.VGG16(weights=None, include_top=False)
    with pytest.raises(ValueError, match="image_size"):
        filter_images(model, "block1_conv1", [0], steps=1)
    assert filter_images(model, "block1_conv1", [0], steps=1, image_size=(32, 32)).shape == (1, 32, 32, 3)
