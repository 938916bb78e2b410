"""ConvNeXtTiny ... XLarge: Keras's architecture, names, counts, summary, predictions (fixtures from Keras 3,
tools/golden_applications_a.py), preprocessing, and the proof that torchvision's ConvNeXt is the same network."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from apps_a_shared import (assert_architecture_equals_keras, assert_predictions_equal_keras,
                           assert_preprocessing_equals_keras)
from kerastorch.applications import ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny, ConvNeXtXLarge, convnext
from kerastorch.applications._blocks import LayerScale, StochasticDepth
from torchvision_shared import randomized_state_dict_file, torch_predict

ARCHITECTURES = {
    "convnext_tiny": lambda: ConvNeXtTiny(weights=None),
    "convnext_tiny_notop": lambda: ConvNeXtTiny(weights=None, include_top=False, include_preprocessing=False),
}
SLOW_ARCHITECTURES = {
    "convnext_small": lambda: ConvNeXtSmall(weights=None),
    "convnext_base": lambda: ConvNeXtBase(weights=None),
    "convnext_large": lambda: ConvNeXtLarge(weights=None, include_top=False, pooling="avg"),
    "convnext_xlarge": lambda: ConvNeXtXLarge(weights=None),
}


@pytest.mark.parametrize("case", sorted(ARCHITECTURES))
def test_architecture_equals_keras(case, cheap_init):
    assert_architecture_equals_keras(case, ARCHITECTURES[case])


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(SLOW_ARCHITECTURES))
def test_larger_architectures_equal_keras(case, cheap_init):
    assert_architecture_equals_keras(case, SLOW_ARCHITECTURES[case])


@pytest.mark.parametrize("case", ["convnext_tiny", "convnext_tiny_top"])
def test_predictions_equal_keras_with_the_same_weights(case, cheap_init):
    assert_predictions_equal_keras(case, ConvNeXtTiny)


def test_preprocess_input_is_the_identity_as_in_keras():
    assert_preprocessing_equals_keras("convnext", convnext.preprocess_input)


@pytest.mark.slow
def test_torchvision_convnext_tiny_is_the_same_network(tmp_path, cheap_init):
    import torchvision
    path = tmp_path / "convnext_tiny.pth"
    reference = randomized_state_dict_file(torchvision.models.convnext_tiny(weights=None), path)
    model = ConvNeXtTiny(weights=str(path), input_shape=(32, 32, 3), include_preprocessing=False,
                         classifier_activation=None)
    images = np.random.RandomState(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    expected = torch_predict(reference, images)
    np.testing.assert_allclose(model.predict(images, verbose=0), expected, rtol=0,
                               atol=1e-4 * np.abs(expected).max())


def test_imagenet_weights_need_a_name_with_the_variant():
    with pytest.raises(ValueError, match='Model name "backbone" does not match weights variant "convnext_tiny"'):
        ConvNeXtTiny(weights="imagenet", name="backbone")


def test_stochastic_depth_drops_whole_samples_in_training_only():
    layer = StochasticDepth(0.5)
    x = torch.ones(64, 3, 2)
    assert torch.equal(layer(x), x)
    dropped = layer(x, training=True)
    per_sample = dropped.reshape(64, -1)
    assert set(per_sample.unique().tolist()) <= {0.0, 2.0}
    assert bool((per_sample == per_sample[:, :1]).all())


def test_layer_scale_multiplies_the_last_axis_by_its_gamma():
    layer = LayerScale(1e-6, 4)
    y = layer(torch.ones(2, 3, 4))
    assert [w.name for w in layer.weights][0].startswith("variable")
    np.testing.assert_allclose(y.detach().numpy(), np.full((2, 3, 4), 1e-6, "float32"))
    assert LayerScale.from_config(layer.get_config()).projection_dim == 4


def test_nested_sequential_stem_is_part_of_a_plain_call(cheap_init):
    keras.backend.clear_session()
    model = ConvNeXtTiny(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    assert model.get_layer("convnext_tiny_stem").__class__.__name__ == "Sequential"
    assert model(torch.zeros(1, 32, 32, 3)).shape == (1, 768)


@pytest.mark.slow
@pytest.mark.parametrize("case, builder", [("convnext_small", ConvNeXtSmall), ("convnext_base", ConvNeXtBase),
                                           ("convnext_large", ConvNeXtLarge), ("convnext_xlarge", ConvNeXtXLarge)])
def test_larger_convnexts_pooled_features_equal_keras_with_the_same_weights(case, builder, cheap_init):
    assert_predictions_equal_keras(case, builder)
