"""ResNet50/101/152 and ResNet50V2/101V2/152V2: Keras's architecture, names, counts, summaries, predictions
(fixtures from Keras 3, tools/golden_applications_a.py) and preprocessing."""
import numpy as np
import pytest

import kerastorch as keras
from apps_a_shared import (assert_architecture_equals_keras, assert_predictions_equal_keras,
                           assert_preprocessing_equals_keras)
from kerastorch.applications import (ResNet50, ResNet50V2, ResNet101, ResNet101V2, ResNet152, ResNet152V2, resnet,
                                     resnet50, resnet_v2)

ARCHITECTURES = {
    "resnet50": lambda: ResNet50(weights=None),
    "resnet50_notop": lambda: ResNet50(weights=None, include_top=False, pooling="max"),
    "resnet50v2": lambda: ResNet50V2(weights=None),
}
SLOW_ARCHITECTURES = {
    "resnet101": lambda: ResNet101(weights=None),
    "resnet101v2": lambda: ResNet101V2(weights=None),
    "resnet152": lambda: ResNet152(weights=None),
    "resnet152v2": lambda: ResNet152V2(weights=None, include_top=False, pooling="avg"),
}


@pytest.mark.parametrize("case", sorted(ARCHITECTURES))
def test_architecture_equals_keras(case, cheap_init):
    assert_architecture_equals_keras(case, ARCHITECTURES[case])


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(SLOW_ARCHITECTURES))
def test_deepest_architectures_equal_keras(case, cheap_init):
    assert_architecture_equals_keras(case, SLOW_ARCHITECTURES[case])


@pytest.mark.parametrize("case, builder", [("resnet50", ResNet50), ("resnet50v2", ResNet50V2)])
def test_predictions_equal_keras_with_the_same_weights(case, builder, cheap_init):
    assert_predictions_equal_keras(case, builder)


@pytest.mark.slow
def test_resnet101_pooled_features_equal_keras_with_the_same_weights(cheap_init):
    assert_predictions_equal_keras("resnet101", ResNet101)


def test_preprocess_input_equals_keras():
    assert_preprocessing_equals_keras("resnet", resnet.preprocess_input)
    assert_preprocessing_equals_keras("resnet50", resnet50.preprocess_input)
    assert_preprocessing_equals_keras("resnet_v2", resnet_v2.preprocess_input)


def test_importable_from_keras_paths():
    assert keras.applications.resnet50.ResNet50 is ResNet50 is keras.applications.resnet.ResNet50
    assert keras.applications.resnet_v2.ResNet152V2 is ResNet152V2
    assert keras.applications.resnet.decode_predictions is not None


def test_input_tensor_and_name(cheap_init):
    inputs = keras.Input((40, 40, 3), name="raw")
    cropped = keras.layers.CenterCrop(32, 32)(inputs)
    model = ResNet50V2(weights=None, include_top=False, input_tensor=cropped, pooling="avg", name="backbone")
    assert model.name == "backbone" and model.inputs[0] is inputs
    assert model(np.zeros((1, 40, 40, 3), "float32")).shape == (1, 2048)


@pytest.mark.slow
def test_a_torchvision_resnet50_state_dict_does_not_fit_and_says_where(tmp_path, cheap_init):
    # torchvision's ResNet50 has no convolution biases: the first convolution already differs.
    import torch
    import torchvision
    path = tmp_path / "resnet50.pth"
    torch.save(torchvision.models.resnet50(weights=None).state_dict(), path)
    with pytest.raises(ValueError, match=r"layer 'conv1_conv' expects weights of shapes \[\(7, 7, 3, 64\), \(64,\)\], "
                                         r"but the file's entry #0 \('conv1'\) holds \[\(7, 7, 3, 64\)\]"):
        ResNet50(weights=str(path))


def test_a_model_called_on_caffe_preprocessed_arrays_takes_the_flipped_view(cheap_init):
    # preprocess_input flips RGB to BGR as a numpy view with a negative stride, which torch cannot wrap.
    images = resnet50.preprocess_input(np.random.RandomState(0).uniform(0, 255, (1, 32, 32, 3)).astype("float32"))
    assert images.strides[-1] < 0
    model = ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    assert model(images).shape == (1, 2048)


@pytest.mark.slow
def test_channels_first_gives_the_channels_last_results_with_the_same_weights(cheap_init):
    images = np.random.RandomState(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    keras.backend.clear_session()
    last = ResNet50V2(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    last.set_weights([np.random.RandomState(i).uniform(0.5, 1.0, tuple(w.shape)).astype("float32") / np.sqrt(
        np.prod(w.shape[:-1]) if len(w.shape) > 1 else 1) for i, w in enumerate(last.weights)])
    keras.backend.set_image_data_format("channels_first")
    try:
        first = ResNet50V2(weights=None, include_top=False, input_shape=(3, 32, 32), pooling="avg")
        first.set_weights(last.get_weights())
        expected = last.predict(images, verbose=0)
        np.testing.assert_allclose(first.predict(images.transpose(0, 3, 1, 2), verbose=0), expected, rtol=1e-4,
                                   atol=1e-4 * np.abs(expected).max())
    finally:
        keras.backend.set_image_data_format("channels_last")


@pytest.mark.slow
@pytest.mark.parametrize("case, builder", [("resnet152", ResNet152), ("resnet101v2", ResNet101V2),
                                           ("resnet152v2", ResNet152V2)])
def test_deeper_resnets_pooled_features_equal_keras_with_the_same_weights(case, builder, cheap_init):
    assert_predictions_equal_keras(case, builder)
