"""EfficientNetV2B0 ... B3, S, M, L: Keras's architectures, names, parameter counts, summary, predictions (MBConv
and fused MBConv blocks, with and without the built-in preprocessing) and preprocessing (fixtures from real Keras
3, tools/golden_applications_b.py)."""
import numpy as np
import pytest

import kerastorch as keras
from apps_b_checks import (cases_of, check_architecture, check_predictions, check_preprocess_input,
                           check_summary)
from kerastorch.applications import EfficientNetV2B0, EfficientNetV2S, efficientnet_v2

SLOW = {"efficientnetv2m_top", "efficientnetv2l_top", "efficientnetv2s_top"}


@pytest.mark.parametrize("case", [pytest.param(case, marks=pytest.mark.slow) if case in SLOW else case
                                  for case in cases_of("efficientnet_v2", "arch")])
def test_architecture_equals_keras(case, cheap_init):
    check_architecture(case)


@pytest.mark.parametrize("case", cases_of("efficientnet_v2", "summary"))
def test_summary_equals_keras(case, cheap_init):
    check_summary(case)


@pytest.mark.parametrize("case", cases_of("efficientnet_v2", "predict"))
def test_predictions_equal_keras_with_the_same_weights(case, cheap_init):
    check_predictions(case)


def test_preprocess_input_is_the_identity_as_in_keras():
    check_preprocess_input("efficientnet_v2")


def test_importable_from_keras_paths():
    assert keras.applications.EfficientNetV2S is efficientnet_v2.EfficientNetV2S
    assert keras.applications.efficientnet_v2.EfficientNetV2L.__name__ == "EfficientNetV2L"


def test_b_variants_normalize_with_imagenet_statistics_and_s_m_l_rescale(cheap_init):
    b0 = EfficientNetV2B0(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert [type(layer).__name__ for layer in b0.layers[1:3]] == ["Rescaling", "Normalization"]
    s = EfficientNetV2S(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert type(s.layers[1]).__name__ == "Rescaling" and s.layers[1].offset == -1


def test_a_renamed_network_keeps_its_architecture(cheap_init):
    renamed = EfficientNetV2B0(weights=None, include_top=False, input_shape=(32, 32, 3), name="backbone")
    assert renamed.name == "backbone"
    assert renamed.count_params() == EfficientNetV2B0(weights=None, include_top=False,
                                                      input_shape=(32, 32, 3)).count_params()
    assert renamed(np.zeros((1, 32, 32, 3), "float32")).shape == (1, 1, 1, 1280)
