"""MobileNetV2: Keras's architecture, names, parameter counts, summary, predictions and preprocessing (fixtures from
real Keras 3, tools/golden_applications_b.py)."""
import numpy as np
import pytest

import kerastorch as keras
from apps_b_checks import (cases_of, check_architecture, check_predictions, check_preprocess_input,
                           check_summary)
from kerastorch.applications import MobileNetV2, mobilenet_v2


@pytest.mark.parametrize("case", cases_of("mobilenet_v2", "arch"))
def test_architecture_equals_keras(case, cheap_init):
    check_architecture(case)


@pytest.mark.parametrize("case", cases_of("mobilenet_v2", "summary"))
def test_summary_equals_keras(case, cheap_init):
    check_summary(case)


@pytest.mark.parametrize("case", cases_of("mobilenet_v2", "predict"))
def test_predictions_equal_keras_with_the_same_weights(case, cheap_init):
    check_predictions(case)


def test_preprocess_input_equals_keras():
    check_preprocess_input("mobilenet_v2")


def test_parameter_counts_are_keras_published_ones(cheap_init):
    assert MobileNetV2(weights=None).count_params() == 3_538_984
    assert MobileNetV2(weights=None, include_top=False).count_params() == 2_257_984


def test_importable_from_keras_paths():
    assert keras.applications.MobileNetV2 is mobilenet_v2.MobileNetV2
    assert keras.applications.mobilenet_v2.decode_predictions is not None


def test_input_tensor_sets_the_input_size(cheap_init):
    inputs = keras.Input((48, 48, 3))
    model = MobileNetV2(weights=None, include_top=False, input_tensor=inputs, pooling="avg")
    assert model.inputs[0] is inputs
    assert model.name == "mobilenetv2_1.00_None"   # as Keras names it: the input shape was not given
    assert model(np.zeros((1, 48, 48, 3), "float32")).shape == (1, 1280)
    assert MobileNetV2(weights=None, input_tensor=keras.Input((96, 96, 3))).name == "mobilenetv2_1.00_96"


def test_name_defaults_to_alpha_and_rows(cheap_init):
    assert MobileNetV2(weights=None, alpha=0.5, input_shape=(96, 96, 3)).name == "mobilenetv2_0.50_96"


def test_imagenet_weights_refuse_an_unpublished_alpha():
    with pytest.raises(ValueError, match="alpha must be one of"):
        MobileNetV2(alpha=0.6)


def test_imagenet_top_refuses_other_class_counts():
    with pytest.raises(ValueError, match="classes=10"):
        MobileNetV2(classes=10)


def test_unknown_pooling_is_refused():
    with pytest.raises(ValueError, match="pooling='mean'"):
        MobileNetV2(weights=None, include_top=False, pooling="mean")


def test_input_smaller_than_32_is_refused():
    with pytest.raises(ValueError, match="at least 32x32"):
        MobileNetV2(weights=None, include_top=False, input_shape=(16, 16, 3))
