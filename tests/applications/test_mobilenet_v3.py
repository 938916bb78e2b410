"""MobileNetV3Small/Large: Keras's architectures, names, parameter counts, summary, predictions (with and without
the built-in preprocessing, minimalistic or not) and preprocessing (fixtures from real Keras 3,
tools/golden_applications_b.py)."""
import numpy as np
import pytest

import kerastorch as keras
from apps_b_checks import (cases_of, check_architecture, check_predictions, check_preprocess_input,
                           check_summary)
from kerastorch.applications import MobileNetV3Large, MobileNetV3Small, mobilenet_v3


@pytest.mark.parametrize("case", cases_of("mobilenet_v3", "arch"))
def test_architecture_equals_keras(case, cheap_init):
    check_architecture(case)


@pytest.mark.parametrize("case", cases_of("mobilenet_v3", "summary"))
def test_summary_equals_keras(case, cheap_init):
    check_summary(case)


@pytest.mark.parametrize("case", cases_of("mobilenet_v3", "predict"))
def test_predictions_equal_keras_with_the_same_weights(case, cheap_init):
    check_predictions(case)


def test_preprocess_input_is_the_identity_as_in_keras():
    check_preprocess_input("mobilenet_v3")
    x = np.ones((1, 4, 4, 3), "float32")
    assert mobilenet_v3.preprocess_input(x) is x


def test_importable_from_keras_paths():
    assert keras.applications.MobileNetV3Small is MobileNetV3Small
    assert keras.applications.MobileNetV3Large is MobileNetV3Large
    assert keras.applications.mobilenet_v3.decode_predictions is not None


def test_any_input_size_by_default(cheap_init):
    model = MobileNetV3Small(weights=None, include_top=False, pooling="avg", minimalistic=True)
    assert tuple(model.input_shape) == (None, None, None, 3)
    assert model(np.zeros((1, 40, 48, 3), "float32")).shape == (1, 576)


def test_imagenet_weights_refuse_a_minimalistic_alpha_other_than_one():
    with pytest.raises(ValueError, match="1.0` for minimalistic"):
        MobileNetV3Large(alpha=0.75, minimalistic=True)


def test_input_smaller_than_32_is_refused():
    with pytest.raises(ValueError, match="at least 32x32"):
        MobileNetV3Small(weights=None, input_shape=(31, 31, 3))
