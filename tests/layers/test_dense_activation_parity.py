"""A Dense layer with each activation, weights copied from Keras 3.15, gives Keras's outputs within 1e-5.

Fixture: tests/golden/layers/dense_activations.npz, written by tools/golden_activations.py from
`keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation=name)])`.
"""
import json

import numpy as np
import pytest

import kerastorch
from golden_loader import golden_npz

GOLDEN = golden_npz("layers/dense_activations.npz")
NAMES = json.loads(str(GOLDEN["names"]))


@pytest.mark.parametrize("name", NAMES)
def test_dense_output_matches_keras(name):
    with kerastorch.device("cpu"):
        model = kerastorch.Sequential([kerastorch.Input((4,)), kerastorch.layers.Dense(3, activation=name)])
    model.set_weights([GOLDEN["kernel/" + name], GOLDEN["bias/" + name]])
    output = model(GOLDEN["x"])
    np.testing.assert_allclose(output.detach().cpu().numpy(), GOLDEN["out/" + name], rtol=1e-5, atol=1e-5)


def test_every_activation_of_the_spec_is_covered():
    spec = {"relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid", "silu", "swish",
            "hard_silu", "softplus", "softsign", "tanh", "exponential", "linear", "softmax", "log_softmax", "mish"}
    assert spec <= set(NAMES)
