"""weights= for the applications of part A: Keras's published files from Keras's cache (Keras 2's HDF5 layout,
batch norms and ConvNeXt's nested Sequential groups included), Keras 3 weight files, and the offline error."""
import hashlib
import time

import numpy as np
import pytest

import kerastorch as keras
from app_weight_rule import weight_values
from kerastorch.applications import ConvNeXtTiny, DenseNet121, ResNet50
from kerastorch.applications import weights as weight_files


def write_keras2_weights(model, path):
    """``model``'s weights in Keras 2's ``save_weights`` layout, as Keras's published application files hold
    them: ``layer_names`` at the root, per layer a group listing its datasets in ``weight_names`` (a nested model
    is one group holding its layers' weights, as Keras 2 wrote ConvNeXt's stem)."""
    import h5py
    with h5py.File(path, "w") as file:
        file.attrs["backend"] = "tensorflow"
        file.attrs["keras_version"] = "2.9.0"
        file.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        for layer in model.layers:
            group = file.create_group(layer.name)
            names = [f"{weight.path}:0" for weight in layer.weights]
            group.attrs["weight_names"] = [name.encode() for name in names]
            for name, weight in zip(names, layer.weights):
                group.create_dataset(name, data=weight.detach().numpy())


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Empty Keras and torch caches, and no way to reach the internet (a closed loopback port)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setenv("KERASTORCH_WEIGHTS_ORIGIN", "http://127.0.0.1:9")
    return tmp_path


def filled(model, seed):
    model.set_weights(weight_values([(w.name, tuple(w.shape)) for w in model.weights], seed=seed))
    return model


def assert_same_weights(model, expected):
    assert len(model.weights) == len(expected.weights)
    for loaded, reference in zip(model.weights, expected.weights):
        np.testing.assert_array_equal(loaded.detach().numpy(), reference.detach().numpy())


def test_offline_imagenet_error_names_the_file_and_the_folder_fast(caches):
    start = time.monotonic()
    with pytest.raises(ValueError) as error:
        ResNet50(weights="imagenet", include_top=False)
    assert time.monotonic() - start < 10
    message = str(error.value)
    assert "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5" in message
    assert weight_files.keras_cache_dir() in message
    assert "torchvision" not in message    # no torchvision file fits Keras's ResNet50


def test_offline_densenet_error_also_names_torchvision_file(caches):
    with pytest.raises(ValueError, match="densenet121-a639ec97.pth"):
        DenseNet121(weights="imagenet")


@pytest.mark.slow
@pytest.mark.parametrize("build, key", [
    (lambda weights: ResNet50(weights=weights, include_top=False, input_shape=(32, 32, 3)), "resnet50"),
    (lambda weights: ConvNeXtTiny(weights=weights, include_top=False, input_shape=(32, 32, 3)), "convnext_tiny"),
])
def test_a_keras2_file_in_keras_cache_with_its_hash_is_loaded(build, key, caches, monkeypatch, cheap_init):
    keras.backend.clear_session()
    reference = filled(build(None), seed=11)
    folder = caches / "keras_home" / "models"
    folder.mkdir(parents=True)
    filename = weight_files.KERAS_WEIGHTS[key][False][0]
    write_keras2_weights(reference, str(folder / filename))
    digest = hashlib.sha256((folder / filename).read_bytes()).hexdigest()
    monkeypatch.setitem(weight_files.KERAS_WEIGHTS, key, {False: (filename, digest)})
    assert_same_weights(build("imagenet"), reference)


@pytest.mark.slow
def test_a_keras3_weights_file_of_convnext_loads_through_its_nested_stem(tmp_path, cheap_init):
    keras.backend.clear_session()
    reference = filled(ConvNeXtTiny(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg"), 12)
    path = str(tmp_path / "convnext_tiny.weights.h5")
    reference.save_weights(path)
    model = ConvNeXtTiny(weights=path, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    assert_same_weights(model, reference)


def test_a_file_of_another_network_is_refused_naming_the_first_layer_that_differs(tmp_path, cheap_init):
    keras.backend.clear_session()
    path = str(tmp_path / "densenet.h5")
    write_keras2_weights(DenseNet121(weights=None, include_top=False, input_shape=(32, 32, 3)), path)
    with pytest.raises(ValueError, match="layer 'conv1_conv' expects weights of shapes \\[\\(7, 7, 3, 64\\), "
                                         "\\(64,\\)\\], but the file's entry #0 \\('conv1_conv'\\) holds "
                                         "\\[\\(7, 7, 3, 64\\)\\]"):
        ResNet50(weights=path, include_top=False, input_shape=(32, 32, 3))
