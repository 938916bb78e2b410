"""Backend configuration, seeding and Keras 2's import paths."""
import importlib
import subprocess
import sys

import numpy as np
import pytest

import kerastorch as keras
from kerastorch import backend as K
from golden_loader import golden_json


def test_image_data_format_and_floatx_round_trip():
    assert K.image_data_format() == "channels_last"
    K.set_image_data_format("channels_first")
    try:
        assert K.image_data_format() == "channels_first"
    finally:
        K.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="channels_last"):
        K.set_image_data_format("nhwc")
    assert K.floatx() == "float32" and K.epsilon() == 1e-7
    with pytest.raises(ValueError, match="floatx"):
        K.set_floatx("float8")


def test_same_seed_gives_identical_weights():
    def weights():
        keras.utils.set_random_seed(42)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(2)])
        return model.get_weights()

    for a, b in zip(weights(), weights()):
        np.testing.assert_array_equal(a, b)
    keras.utils.set_random_seed(43)
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8)]).get_weights()[0]
    assert not np.array_equal(other, weights()[0])


def test_clear_session_resets_names():
    keras.layers.Dense(1)
    K.clear_session()
    assert keras.layers.Dense(1).name == "dense"
    assert keras.Sequential().name == "sequential"


def test_clear_session_resets_optimizer_names_as_keras_does():
    import json
    import pathlib
    expected = golden_json("optimizers/optimizers.json")[
        "automatic_names"]["after_clear_session"]   # written by tools/golden_optimizers.py from Keras
    keras.optimizers.Adam()
    assert keras.optimizers.Adam().name.startswith("adam_")
    K.clear_session()
    assert [keras.optimizers.Adam().name, keras.layers.Dense(1).name, keras.optimizers.Adam().name] == expected


@pytest.mark.parametrize("path, names", [
    ("kerastorch.layers.core", ["Dense", "Activation", "Dropout", "Flatten", "Reshape", "Lambda"]),
    ("kerastorch.layers.convolutional", ["Conv2D"]),
    ("kerastorch.layers.pooling", ["MaxPooling2D"]),
    ("kerastorch.layers.normalization", ["BatchNormalization"]),
    ("kerastorch.utils.np_utils", ["to_categorical", "normalize"]),
    ("kerastorch.preprocessing.image", ["load_img", "img_to_array", "array_to_img", "save_img"]),
    ("kerastorch.metrics", ["categorical_crossentropy", "binary_accuracy"]),
    ("kerastorch.losses", ["logcosh", "cosine_proximity", "kullback_leibler_divergence"]),
])
def test_keras_2_import_paths(path, names):
    module = importlib.import_module(path)
    for name in names:
        assert callable(getattr(module, name)), f"{path}.{name}"


def test_missing_keras_symbol_names_it():
    with pytest.raises(AttributeError, match=r"keras.layers.NoSuchLayer is not provided by kerastorch"):
        keras.layers.NoSuchLayer


def test_to_categorical_as_keras():
    np.testing.assert_array_equal(keras.utils.to_categorical([0, 2, 1], num_classes=3),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert keras.utils.to_categorical(np.array([[1], [2]])).shape == (2, 3)
    np.testing.assert_allclose(keras.utils.normalize(np.array([[3.0, 4.0]])), [[0.6, 0.8]])


def test_import_does_not_load_heavy_optional_modules():
    code = ("import sys, kerastorch; heavy = [m for m in ('torchvision', 'h5py', 'matplotlib', 'tensorboard', "
            "'safetensors', 'PIL') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
