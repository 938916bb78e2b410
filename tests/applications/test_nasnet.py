"""NASNetMobile and NASNetLarge: Keras's architectures (normal and reduction cells, the adjust paths), names,
parameter counts, summary, predictions and preprocessing (fixtures from real Keras 3,
tools/golden_applications_b.py)."""
import pytest

import kerastorch as keras
from apps_b_checks import (cases_of, check_architecture, check_predictions, check_preprocess_input,
                           check_summary)
from kerastorch.applications import NASNetMobile, nasnet

SLOW = {"nasnetlarge_top", "nasnetlarge_avg"}


def _marked(cases):
    return [pytest.param(case, marks=pytest.mark.slow) if case in SLOW else case for case in cases]


@pytest.mark.parametrize("case", _marked(cases_of("nasnet", "arch")))
def test_architecture_equals_keras(case, cheap_init):
    check_architecture(case)


@pytest.mark.parametrize("case", cases_of("nasnet", "summary"))
def test_summary_equals_keras(case, cheap_init):
    check_summary(case)


@pytest.mark.parametrize("case", _marked(cases_of("nasnet", "predict")))
def test_predictions_equal_keras_with_the_same_weights(case, cheap_init):
    check_predictions(case)


def test_preprocess_input_equals_keras():
    check_preprocess_input("nasnet")


def test_importable_from_keras_paths():
    assert keras.applications.NASNetMobile is nasnet.NASNetMobile
    assert keras.applications.NASNetLarge is nasnet.NASNetLarge


def test_channels_first_is_refused():
    keras.backend.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="channels_first"):
            NASNetMobile(weights=None)
    finally:
        keras.backend.set_image_data_format("channels_last")


def test_penultimate_filters_must_fit_the_multiplier():
    with pytest.raises(ValueError, match="multiple of 24"):
        nasnet.NASNet(weights=None, include_top=False, input_shape=(32, 32, 3), penultimate_filters=100)


def test_imagenet_weights_need_a_static_input_shape():
    with pytest.raises(ValueError, match="must be static"):
        NASNetMobile(include_top=False, input_shape=(None, None, 3))
