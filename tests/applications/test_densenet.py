"""DenseNet121/169/201: Keras's architecture, names, counts, summary, predictions (fixtures from Keras 3,
tools/golden_applications_a.py), preprocessing, and the proof that torchvision's DenseNet is the same network."""
import numpy as np
import pytest

import kerastorch as keras
from apps_a_shared import (assert_architecture_equals_keras, assert_predictions_equal_keras,
                           assert_preprocessing_equals_keras)
from kerastorch.applications import DenseNet121, DenseNet169, DenseNet201, densenet
from torchvision_shared import randomized_state_dict_file, torch_predict

ARCHITECTURES = {
    "densenet121": lambda: DenseNet121(weights=None),
}


@pytest.mark.parametrize("case", sorted(ARCHITECTURES))
def test_architecture_equals_keras(case, cheap_init):
    assert_architecture_equals_keras(case, ARCHITECTURES[case])


@pytest.mark.slow
def test_densenet169_architecture_equals_keras(cheap_init):
    assert_architecture_equals_keras("densenet169", lambda: DenseNet169(weights=None))


@pytest.mark.slow
def test_densenet201_architecture_equals_keras(cheap_init):
    assert_architecture_equals_keras("densenet201", lambda: DenseNet201(weights=None, include_top=False,
                                                                        pooling="max"))


def test_predictions_equal_keras_with_the_same_weights(cheap_init):
    assert_predictions_equal_keras("densenet121", DenseNet121)


def test_preprocess_input_equals_keras():
    assert_preprocessing_equals_keras("densenet", densenet.preprocess_input)


def test_channels_first_is_refused_as_in_keras():
    keras.backend.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="DenseNet does not support the `channels_first` image data format"):
            DenseNet121(weights=None)
    finally:
        keras.backend.set_image_data_format("channels_last")


def test_torchvision_densenet121_is_the_same_network(tmp_path, cheap_init):
    import torchvision
    path = tmp_path / "densenet121.pth"
    reference = randomized_state_dict_file(torchvision.models.densenet121(weights=None), path)
    model = DenseNet121(weights=str(path), input_shape=(32, 32, 3), classifier_activation=None)
    images = np.random.RandomState(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    expected = torch_predict(reference, images)
    np.testing.assert_allclose(model.predict(images, verbose=0), expected, rtol=0,
                               atol=1e-4 * np.abs(expected).max())


@pytest.mark.slow
def test_torchvision_weights_without_the_top_load_into_the_features(tmp_path, cheap_init):
    import torch
    import torchvision
    path = tmp_path / "densenet121.pth"
    reference = randomized_state_dict_file(torchvision.models.densenet121(weights=None), path)
    model = DenseNet121(weights=str(path), include_top=False, input_shape=(32, 32, 3))
    images = np.random.RandomState(1).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    with torch.inference_mode():
        features = torch.relu(reference.features(torch.from_numpy(images).permute(0, 3, 1, 2)))
    np.testing.assert_allclose(model.predict(images, verbose=0), features.permute(0, 2, 3, 1).numpy(), rtol=0,
                               atol=1e-4 * float(features.abs().max()))


@pytest.mark.slow
def test_imagenet_falls_back_to_torchvision_file_in_torch_cache_without_warning(tmp_path, monkeypatch, cheap_init):
    import hashlib
    import os
    import warnings

    import torch
    import torchvision
    from kerastorch.applications import weights as weight_files
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setenv("KERASTORCH_WEIGHTS_ORIGIN", "http://127.0.0.1:9")
    made = tmp_path / "made.pth"
    reference = randomized_state_dict_file(torchvision.models.densenet121(weights=None), made, seed=3)
    name = f"densenet121-{hashlib.sha256(made.read_bytes()).hexdigest()[:8]}.pth"
    os.makedirs(weight_files.torch_cache_dir())
    os.replace(made, os.path.join(weight_files.torch_cache_dir(), name))
    monkeypatch.setitem(weight_files.TORCHVISION_WEIGHTS, "densenet121", name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # DenseNet's preprocessing is torchvision's: nothing to warn about
        model = DenseNet121(weights="imagenet", include_top=False, input_shape=(32, 32, 3), pooling="avg")
    images = np.random.RandomState(2).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    with torch.inference_mode():
        features = torch.relu(reference.features(torch.from_numpy(images).permute(0, 3, 1, 2))).mean((2, 3))
    np.testing.assert_allclose(model.predict(images, verbose=0), features.numpy(), rtol=0,
                               atol=1e-4 * float(features.abs().max()))


@pytest.mark.slow
@pytest.mark.parametrize("case, builder", [("densenet169", DenseNet169), ("densenet201", DenseNet201)])
def test_larger_densenets_pooled_features_equal_keras_with_the_same_weights(case, builder, cheap_init):
    assert_predictions_equal_keras(case, builder)
