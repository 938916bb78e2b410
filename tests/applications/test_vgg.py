"""VGG16 and VGG19: Keras's architecture, names, parameter counts, summaries, argument errors and predictions
(fixtures from real Keras 3, tools/golden_vgg.py)."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch.applications import VGG16, VGG19
from vgg_fixtures import ARRAYS, GOLDEN, seeded_weights

BUILDERS = {
    "vgg16_top": lambda: VGG16(weights=None),
    "vgg16_notop": lambda: VGG16(weights=None, include_top=False),
    "vgg16_notop_avg_32": lambda: VGG16(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg"),
    "vgg19_top": lambda: VGG19(weights=None),
    "vgg19_notop_max": lambda: VGG19(weights=None, include_top=False, pooling="max"),
}


def summary_text(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "".join(lines)


@pytest.mark.parametrize("case", sorted(BUILDERS))
def test_architecture_and_summary_equal_keras(case, cheap_init):
    keras.backend.clear_session()
    model = BUILDERS[case]()
    expected = GOLDEN["models"][case]
    assert [layer.name for layer in model.layers] == expected["layer_names"]
    assert model.count_params() == expected["count_params"]
    assert list(model.output_shape) == expected["output_shape"]
    assert summary_text(model) == expected["summary"]


def test_parameter_counts_are_keras_published_ones(cheap_init):
    assert VGG16(weights=None).count_params() == 138_357_544
    assert VGG16(weights=None, include_top=False).count_params() == 14_714_688


def test_importable_from_keras_paths():
    assert keras.applications.vgg16.VGG16 is VGG16
    assert keras.applications.vgg19.VGG19 is VGG19
    assert keras.applications.vgg16.preprocess_input is not None


def test_vgg16_predictions_equal_keras_with_the_same_weights(cheap_init):
    keras.backend.clear_session()
    model = VGG16(weights=None, input_shape=(64, 64, 3), classes=10, classifier_activation=None)
    model.set_weights(seeded_weights(model, 16))
    predictions = model.predict(ARRAYS["vgg16_x"], verbose=0)
    np.testing.assert_allclose(predictions, ARRAYS["vgg16_y"], rtol=1e-4, atol=1e-4 * np.abs(ARRAYS["vgg16_y"]).max())


def test_vgg19_max_pooled_features_equal_keras(cheap_init):
    model = VGG19(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="max")
    model.set_weights(seeded_weights(model, 19))
    features = model.predict(ARRAYS["vgg19_x"], verbose=0)
    assert features.shape == (2, 512)
    np.testing.assert_allclose(features, ARRAYS["vgg19_y"], rtol=1e-4, atol=1e-4 * np.abs(ARRAYS["vgg19_y"]).max())


def test_input_tensor_from_other_layers_makes_the_model_start_at_its_input(cheap_init):
    inputs = keras.Input((40, 40, 3), name="raw")
    resized = keras.layers.CenterCrop(32, 32)(inputs)
    model = VGG16(weights=None, include_top=False, input_tensor=resized, pooling="avg")
    assert model.inputs[0] is inputs
    assert model.layers[0].name == "raw" and model.layers[1].name == "center_crop"
    assert tuple(model.output_shape) == (None, 512)
    assert model(np.zeros((1, 40, 40, 3), "float32")).shape == (1, 512)


def test_name_and_classifier_activation(cheap_init):
    model = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3), name="backbone")
    assert model.name == "backbone"
    head = VGG16(weights=None, input_shape=(32, 32, 3), classes=3, classifier_activation=None)
    logits = head(torch.zeros(1, 32, 32, 3))
    assert logits.shape == (1, 3)
    assert head.get_layer("predictions").get_config()["activation"] == "linear"


def _keras_message(case):
    return GOLDEN["errors"][case].split(": ", 1)[1]


@pytest.mark.parametrize("case, build", [
    ("imagenet_top_input_shape", lambda: VGG16(weights="imagenet", input_shape=(200, 200, 3))),
    ("imagenet_top_classes", lambda: VGG16(weights="imagenet", classes=10)),
    ("too_small", lambda: VGG16(weights=None, include_top=False, input_shape=(16, 16, 3))),
    ("top_without_static_shape", lambda: VGG16(weights=None, input_shape=(None, None, 3))),
    ("imagenet_two_channels", lambda: VGG16(weights="imagenet", include_top=False, input_shape=(64, 64, 2))),
])
def test_bad_arguments_raise_keras_errors_before_any_weights_are_looked_for(case, build):
    with pytest.raises(ValueError) as error:
        build()
    assert str(error.value) == _keras_message(case)


def test_classifier_activation_other_than_softmax_with_imagenet_weights():
    keras_prefix = _keras_message("activation_with_weights").split("classifier_activation=")[0]
    with pytest.raises(ValueError, match="Received: classifier_activation=relu") as error:
        VGG16(weights="imagenet", classifier_activation="relu")
    assert str(error.value).startswith(keras_prefix)


def test_nonexistent_weights_path_names_it(tmp_path):
    missing = tmp_path / "nowhere" / "vgg16.weights.h5"
    with pytest.raises(ValueError, match="no file exists at that path") as error:
        VGG16(weights=str(missing))
    assert str(missing) in str(error.value)
    assert str(error.value).startswith(_keras_message("missing_path").split("  Received")[0])


def test_unknown_pooling_is_refused():
    with pytest.raises(ValueError, match="pooling=\"mean\"|pooling='mean'"):
        VGG16(weights=None, include_top=False, pooling="mean")
