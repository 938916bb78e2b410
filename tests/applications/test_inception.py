"""InceptionV3 and InceptionResNetV2: Keras's architecture, names, counts, summaries, predictions (fixtures from
Keras 3, tools/golden_applications_a.py) and preprocessing."""
import pytest
import torch

from apps_a_shared import (assert_architecture_equals_keras, assert_predictions_equal_keras,
                           assert_preprocessing_equals_keras)
from kerastorch.applications import InceptionResNetV2, InceptionV3, inception_resnet_v2, inception_v3
from kerastorch.applications.inception_resnet_v2 import CustomScaleLayer

ARCHITECTURES = {
    "inception_v3": lambda: InceptionV3(weights=None),
    "inception_v3_notop": lambda: InceptionV3(weights=None, include_top=False),
    "inception_resnet_v2": lambda: InceptionResNetV2(weights=None),
}


@pytest.mark.parametrize("case", sorted(ARCHITECTURES))
def test_architecture_equals_keras(case, cheap_init):
    assert_architecture_equals_keras(case, ARCHITECTURES[case])


@pytest.mark.slow
def test_inception_resnet_v2_without_top_equals_keras(cheap_init):
    assert_architecture_equals_keras("inception_resnet_v2_notop",
                                     lambda: InceptionResNetV2(weights=None, include_top=False, pooling="max"))


def test_inception_v3_predictions_equal_keras_with_the_same_weights(cheap_init):
    assert_predictions_equal_keras("inception_v3", InceptionV3)


@pytest.mark.slow
def test_inception_resnet_v2_features_equal_keras_with_the_same_weights(cheap_init):
    assert_predictions_equal_keras("inception_resnet_v2", InceptionResNetV2)


def test_preprocess_input_equals_keras():
    assert_preprocessing_equals_keras("inception_v3", inception_v3.preprocess_input)
    assert_preprocessing_equals_keras("inception_resnet_v2", inception_resnet_v2.preprocess_input)


def test_custom_scale_layer_adds_the_scaled_branch():
    layer = CustomScaleLayer(0.5)
    out = layer([torch.ones(2, 3), torch.full((2, 3), 4.0)])
    assert torch.equal(out, torch.full((2, 3), 3.0))
    assert CustomScaleLayer.from_config(layer.get_config()).scale == 0.5


def test_inputs_smaller_than_75_are_refused():
    with pytest.raises(ValueError, match="Input size must be at least 75x75"):
        InceptionV3(weights=None, include_top=False, input_shape=(64, 64, 3))
