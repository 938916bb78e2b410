"""PReLU and Identity against real Keras (tests/golden/layers/sequence_layers.*, tools/golden_sequence_layers.py)."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import layers
from sequence_golden import check_configs, check_outputs_and_masks


def test_prelu_matches_keras():
    inputs = keras.Input((4, 3))
    model = keras.Model(inputs, layers.PReLU(name="prelu")(inputs))
    check_outputs_and_masks(model, "prelu")
    check_configs(model, "prelu")


def test_prelu_shared_axes_matches_keras():
    inputs = keras.Input((4, 4, 3))
    model = keras.Model(inputs, layers.PReLU(shared_axes=[1, 2], name="prelu")(inputs))
    assert model.get_layer("prelu").alpha.shape == (1, 1, 3)
    check_outputs_and_masks(model, "prelu_shared")
    check_configs(model, "prelu_shared")


def test_prelu_alpha_starts_at_zero_and_learns_the_negative_slope():
    layer = layers.PReLU()
    x = torch.tensor([[-2.0, 3.0]])
    np.testing.assert_array_equal(layer(x).detach().numpy(), [[0.0, 3.0]])
    layer(x).sum().backward()
    assert layer.alpha.grad.tolist() == [-2.0, 0.0]


def test_prelu_an_int_shared_axis_is_a_list_of_one():
    assert layers.PReLU(shared_axes=1).get_config()["shared_axes"] == [1]


def test_prelu_refuses_a_shared_axis_out_of_range():
    with pytest.raises(ValueError, match=r"'act'.*shared axis 3.*rank 3"):
        layers.PReLU(shared_axes=[3], name="act")(np.zeros((2, 4, 3), "float32"))


def test_prelu_refuses_a_different_non_shared_axis_once_built():
    layer = layers.PReLU(shared_axes=[1])
    layer(np.zeros((2, 4, 3), "float32"))
    layer(np.zeros((2, 9, 3), "float32"))   # the shared axis may change
    with pytest.raises(ValueError, match="axis 2"):
        layer(np.zeros((2, 4, 5), "float32"))


def test_identity_passes_the_embedding_mask_on_as_in_keras():
    inputs = keras.Input((5,), dtype="int32")
    embedded = layers.Embedding(8, 2, mask_zero=True, name="embedding")(inputs)
    check_outputs_and_masks(keras.Model(inputs, layers.Identity(name="identity")(embedded)), "identity_mask")


def test_identity_returns_its_input_itself():
    x = torch.ones(2, 3)
    assert layers.Identity()(x) is x
