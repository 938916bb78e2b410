"""Xception: Keras's architecture, names, counts, summary, predictions (fixtures from Keras 3,
tools/golden_applications_a.py) and preprocessing."""
import pytest

from apps_a_shared import (assert_architecture_equals_keras, assert_predictions_equal_keras,
                           assert_preprocessing_equals_keras)
from kerastorch.applications import Xception, xception


@pytest.mark.parametrize("case, build", [
    ("xception", lambda: Xception(weights=None)),
    ("xception_notop", lambda: Xception(weights=None, include_top=False, pooling="avg")),
])
def test_architecture_equals_keras(case, build, cheap_init):
    assert_architecture_equals_keras(case, build)


def test_predictions_equal_keras_with_the_same_weights(cheap_init):
    assert_predictions_equal_keras("xception", Xception)


def test_preprocess_input_equals_keras():
    assert_preprocessing_equals_keras("xception", xception.preprocess_input)


def test_inputs_smaller_than_71_are_refused():
    with pytest.raises(ValueError, match="Input size must be at least 71x71"):
        Xception(weights=None, include_top=False, input_shape=(64, 64, 3))
