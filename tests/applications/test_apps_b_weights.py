"""weights="imagenet" and weight files for the MobileNets, EfficientNets and NASNet: Keras's published file names in
Keras's cache, a file in Keras 2's published layout loading into the network, the fast offline error."""
import time

import h5py
import numpy as np
import pytest

import kerastorch as keras
from apps_b_cases import raw_images, weight_values
from kerastorch.applications import EfficientNetB0, MobileNetV2, MobileNetV3Small, NASNetMobile, mobilenet_v2
from kerastorch.applications import weights as weight_files


@pytest.fixture
def offline_caches(tmp_path, monkeypatch):
    """Empty Keras and torch caches, and a weights server that refuses connections (a closed loopback port)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setenv("KERASTORCH_WEIGHTS_ORIGIN", "http://127.0.0.1:9")
    return tmp_path


def write_keras2_layout(model, path):
    """``model``'s weights as Keras 2's ``save_weights`` wrote them (the layout of Keras's published files): root
    attribute ``layer_names``; per layer, ``weight_names`` listing ``<layer>/<weight>:0`` datasets."""
    with h5py.File(path, "w") as file:
        file.attrs["backend"] = "tensorflow"
        file.attrs["keras_version"] = "2.15.0"
        file.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        for layer in model.layers:
            group = file.create_group(layer.name)
            names = [f"{layer.name}/{weight.name}:0" for weight in layer.weights]
            group.attrs["weight_names"] = [name.encode() for name in names]
            for name, weight in zip(names, layer.weights):
                group.create_dataset(name, data=weight.numpy())


@pytest.mark.filterwarnings("ignore:`input_shape` is undefined")
@pytest.mark.parametrize("builder, kwargs, file_name", [
    (MobileNetV2, {"include_top": False, "input_shape": (96, 96, 3)},
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5"),
    (MobileNetV3Small, {"minimalistic": True}, "weights_mobilenet_v3_small_minimalistic_224_1.0_float.h5"),
    (EfficientNetB0, {"include_top": False}, "efficientnetb0_notop.h5"),
    (NASNetMobile, {}, "nasnet_mobile.h5"),
])
def test_offline_imagenet_weights_fail_fast_naming_keras_file_and_folder(builder, kwargs, file_name,
                                                                        offline_caches, cheap_init):
    start = time.monotonic()
    with pytest.raises(ValueError) as error:
        builder(weights="imagenet", **kwargs)
    assert time.monotonic() - start < 10
    assert file_name in str(error.value)
    assert weight_files.keras_cache_dir() in str(error.value)


def test_keras_published_file_in_the_cache_is_loaded_for_imagenet(offline_caches, cheap_init):
    # Keras publishes no hash for the MobileNetV2 files, so a file of that name and layout stands in for it.
    source = MobileNetV2(weights=None, alpha=0.35, include_top=False, input_shape=(96, 96, 3))
    source.set_weights(weight_values([(w.name, tuple(w.shape)) for w in source.weights], seed=3))
    cache = offline_caches / "keras_home" / "models"
    cache.mkdir(parents=True)
    write_keras2_layout(source, cache / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5")

    model = MobileNetV2(weights="imagenet", alpha=0.35, include_top=False, input_shape=(96, 96, 3))
    for loaded, expected in zip(model.weights, source.weights):
        np.testing.assert_array_equal(loaded.numpy(), expected.numpy())
    x = mobilenet_v2.preprocess_input(raw_images("cache", size=96))
    np.testing.assert_allclose(model.predict(x, verbose=0), source.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


def test_a_keras_weights_file_of_another_alpha_is_refused_naming_the_layer(tmp_path, cheap_init):
    source = MobileNetV2(weights=None, alpha=0.5, include_top=False, input_shape=(32, 32, 3))
    path = tmp_path / "other_alpha.h5"
    write_keras2_layout(source, path)
    with pytest.raises(ValueError, match="layer .block_1_project. expects"):
        MobileNetV2(weights=str(path), alpha=0.35, include_top=False, input_shape=(32, 32, 3))


def test_a_normalization_count_loads_back_from_a_keras_3_weights_file(tmp_path):
    # EfficientNet's stem Normalization holds a scalar weight (count): it once came back 1D and failed to load.
    def stem():
        keras.backend.clear_session()
        image = keras.Input((4, 4, 3))
        return keras.Model(image, keras.layers.Conv2D(2, 1)(keras.layers.Normalization(axis=3)(image)))
    source = stem()
    source.set_weights(weight_values([(w.name, tuple(w.shape)) for w in source.weights], seed=5))
    path = str(tmp_path / "stem.weights.h5")
    source.save_weights(path)
    model = stem()
    weight_files.load_weights(model, path)
    for loaded, expected in zip(model.weights, source.weights):
        assert tuple(loaded.shape) == tuple(expected.shape)
        np.testing.assert_array_equal(loaded.numpy(), expected.numpy())
