"""EfficientNetB0 ... B7: Keras's architectures, names, parameter counts, summary, predictions through the built-in
Rescaling/Normalization stem, squeeze-excitation and stochastic depth, and preprocessing (fixtures from real Keras
3, tools/golden_applications_b.py)."""
import numpy as np
import pytest

import kerastorch as keras
from apps_b_checks import (cases_of, check_architecture, check_predictions, check_preprocess_input,
                           check_summary)
from kerastorch.applications import EfficientNetB0, efficientnet

SLOW = {"efficientnetb4_top", "efficientnetb5_top", "efficientnetb6_top", "efficientnetb7_top"}


@pytest.mark.parametrize("case", [pytest.param(case, marks=pytest.mark.slow) if case in SLOW else case
                                  for case in cases_of("efficientnet", "arch")])
def test_architecture_equals_keras(case, cheap_init):
    check_architecture(case)


@pytest.mark.parametrize("case", cases_of("efficientnet", "summary"))
def test_summary_equals_keras(case, cheap_init):
    check_summary(case)


@pytest.mark.parametrize("case", cases_of("efficientnet", "predict"))
def test_predictions_equal_keras_with_the_same_weights(case, cheap_init):
    check_predictions(case)


def test_preprocess_input_is_the_identity_as_in_keras():
    check_preprocess_input("efficientnet")


def test_importable_from_keras_paths():
    assert keras.applications.EfficientNetB0 is efficientnet.EfficientNetB0
    assert keras.applications.efficientnet.EfficientNetB7.__name__ == "EfficientNetB7"


def test_stochastic_depth_drops_whole_samples_of_a_residual_branch_in_training_only(cheap_init):
    model = EfficientNetB0(weights=None, include_top=False, input_shape=(32, 32, 3))
    layer = model.get_layer("block6d_drop")
    assert layer.rate == pytest.approx(0.2 * 14 / 16)
    assert tuple(layer.noise_shape) == (None, 1, 1, 1)
    x = keras.ops.ones((4, 2, 2, 8))
    assert bool((layer(x, training=False) == x).all())
    dropped = layer(x, training=True).reshape(4, -1)
    # Each sample is either dropped whole or kept whole (rescaled).
    assert all(len(set(row.tolist())) == 1 for row in dropped)


def test_imagenet_top_refuses_other_class_counts():
    with pytest.raises(ValueError, match="classes=10"):
        EfficientNetB0(classes=10)


def test_imagenet_weights_add_the_variance_correcting_rescaling():
    # With weights="imagenet", Keras's stem has a third layer (a per-channel Rescaling by 1/sqrt(std)).
    from kerastorch.applications import _blocks
    x = np.full((1, 2, 2, 3), 255.0, "float32")
    outputs = []
    for rescale in (False, True):
        image = keras.Input((2, 2, 3))
        model = keras.Model(image, _blocks.imagenet_normalization(image, False, rescale_variance=rescale))
        outputs.append(model.predict(x, verbose=0))
        assert [type(layer).__name__ for layer in model.layers[1:]] == \
            ["Rescaling", "Normalization"] + ["Rescaling"] * rescale
    np.testing.assert_allclose(outputs[1][0, 0, 0], outputs[0][0, 0, 0] / np.sqrt([0.229, 0.224, 0.225]),
                               rtol=1e-6)
