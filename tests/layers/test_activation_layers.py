"""ReLU, LeakyReLU, ELU and Softmax layers compute their kerastorch.activations counterparts (whose Keras parity
is tested in tests/test_activations.py) and keep shapes and configs."""
import numpy as np
import pytest
import torch

from kerastorch import activations, layers

X = torch.linspace(-3, 3, 24).reshape(2, 3, 4)


@pytest.mark.parametrize("layer, expected", [
    (layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5),
     activations.relu(X, negative_slope=0.1, max_value=2.0, threshold=0.5)),
    (layers.LeakyReLU(negative_slope=0.2), activations.leaky_relu(X, negative_slope=0.2)),
    (layers.LeakyReLU(alpha=0.1), activations.leaky_relu(X, negative_slope=0.1)),
    (layers.ELU(alpha=0.5), activations.elu(X, alpha=0.5)),
    (layers.Softmax(axis=1), activations.softmax(X, axis=1)),
])
def test_layer_matches_its_activation(layer, expected):
    np.testing.assert_allclose(layer(X).numpy(), expected.numpy(), rtol=1e-6)
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)
    clone = type(layer).from_config(layer.get_config())
    np.testing.assert_allclose(clone(X).numpy(), expected.numpy(), rtol=1e-6)


def test_negative_arguments_are_refused():
    with pytest.raises(ValueError, match="max_value"):
        layers.ReLU(max_value=-1)
    with pytest.raises(ValueError, match="negative_slope"):
        layers.LeakyReLU(negative_slope=-0.1)
