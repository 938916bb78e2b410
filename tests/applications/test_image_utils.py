"""kerastorch.utils.save_img / load_img / img_to_array / array_to_img, against Keras 3's pixels."""
import io

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch.utils import array_to_img, img_to_array, load_img, save_img
from vgg_fixtures import GOLDEN

IMAGES = GOLDEN["images"]
X = np.asarray(IMAGES["x"], "float32")


def test_array_to_img_scales_like_keras():
    assert np.asarray(array_to_img(X)).tolist() == IMAGES["rgb_pixels"]
    assert np.asarray(array_to_img(X * 30, scale=False)).tolist() == IMAGES["rgb_unscaled"]
    assert np.asarray(array_to_img(np.asarray(IMAGES["gray_x"], "float32"))).tolist() == IMAGES["gray_pixels"]


def test_channels_first_round_trip_like_keras():
    image = array_to_img(X.transpose(2, 0, 1), data_format="channels_first")
    assert img_to_array(image, data_format="channels_first").tolist() == IMAGES["channels_first_roundtrip"]


def test_torch_tensors_are_accepted():
    assert np.asarray(array_to_img(torch.tensor(X))).tolist() == IMAGES["rgb_pixels"]


def test_save_then_load_gives_the_pixels_back(tmp_path):
    path = tmp_path / "image.png"
    save_img(str(path), X)
    loaded = load_img(path)
    assert loaded.size == (5, 4) and loaded.mode == "RGB"
    array = img_to_array(loaded)
    assert array.dtype == np.float32 and array.shape == (4, 5, 3)
    assert array.tolist() == np.asarray(IMAGES["rgb_pixels"], "float32").tolist()


def test_load_img_modes_sizes_and_file_objects(tmp_path):
    path = tmp_path / "image.jpg"
    save_img(path, np.random.RandomState(0).uniform(0, 255, (30, 40, 3)), quality=95)
    assert load_img(path, color_mode="grayscale").mode == "L"
    assert load_img(path, color_mode="rgba").mode == "RGBA"
    assert load_img(path, target_size=(10, 20), interpolation="bilinear").size == (20, 10)
    cropped = load_img(path, target_size=(16, 16), keep_aspect_ratio=True)
    assert cropped.size == (16, 16)
    buffer = io.BytesIO(path.read_bytes())
    assert load_img(buffer).size == (40, 30)
    assert img_to_array(load_img(path, color_mode="grayscale")).shape == (30, 40, 1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="rank 3"):
        array_to_img(np.zeros((2, 4, 4, 3)))
    with pytest.raises(ValueError, match="Unsupported channel number: 2"):
        array_to_img(np.zeros((4, 4, 2)))
    with pytest.raises(ValueError, match="color_mode"):
        load_img(io.BytesIO(_png_bytes()), color_mode="cmyk")
    with pytest.raises(ValueError, match="Invalid interpolation method cubic"):
        load_img(io.BytesIO(_png_bytes()), target_size=(2, 2), interpolation="cubic")
    with pytest.raises(TypeError, match="path-like"):
        load_img(12)


def _png_bytes():
    buffer = io.BytesIO()
    save_img(buffer, X, file_format="png")
    return buffer.getvalue()


def test_keras_paths():
    assert keras.utils.save_img is save_img
    assert keras.utils.image_utils.load_img is load_img
