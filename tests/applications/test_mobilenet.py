"""MobileNet (V1): Keras's architecture, names, parameter counts, summary, predictions and preprocessing (fixtures
from real Keras 3, tools/golden_applications_b.py)."""
import numpy as np
import pytest

import kerastorch as keras
from apps_b_checks import (cases_of, check_architecture, check_predictions, check_preprocess_input,
                           check_summary)
from kerastorch.applications import MobileNet, mobilenet


@pytest.mark.parametrize("case", cases_of("mobilenet", "arch"))
def test_architecture_equals_keras(case, cheap_init):
    check_architecture(case)


@pytest.mark.parametrize("case", cases_of("mobilenet", "summary"))
def test_summary_equals_keras(case, cheap_init):
    check_summary(case)


@pytest.mark.parametrize("case", cases_of("mobilenet", "predict"))
def test_predictions_equal_keras_with_the_same_weights(case, cheap_init):
    check_predictions(case)


def test_preprocess_input_equals_keras():
    check_preprocess_input("mobilenet")


def test_importable_from_keras_paths():
    assert keras.applications.MobileNet is mobilenet.MobileNet
    assert keras.applications.mobilenet.decode_predictions is not None


def test_name_defaults_to_alpha_and_rows(cheap_init):
    assert MobileNet(weights=None, alpha=0.25, input_shape=(128, 128, 3)).name == "mobilenet_0.25_128"


def test_dropout_rate_is_the_top_dropout(cheap_init):
    model = MobileNet(weights=None, alpha=0.25, dropout=0.3, input_shape=(32, 32, 3), classes=4)
    assert model.get_layer("dropout").rate == 0.3
    assert model(np.zeros((1, 32, 32, 3), "float32")).shape == (1, 4)


def test_imagenet_weights_refuse_a_depth_multiplier():
    with pytest.raises(ValueError, match="depth_multiplier=2"):
        MobileNet(depth_multiplier=2)


def test_imagenet_weights_refuse_an_unpublished_alpha():
    with pytest.raises(ValueError, match="alpha=0.6"):
        MobileNet(alpha=0.6)
