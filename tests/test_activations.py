"""kerastorch.activations against Keras 3.15's outputs (tests/golden/activations.npz, tools/golden_activations.py)."""
import json

import numpy as np
import pytest
import torch

from kerastorch import activations
from golden_loader import golden_npz

GOLDEN = golden_npz("activations.npz")
CASES = json.loads(str(GOLDEN["cases"]))


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_matches_keras_on_grid(case):
    x = torch.from_numpy(GOLDEN["x"])
    result = getattr(activations, case["name"])(x, **case["kwargs"])
    assert isinstance(result, torch.Tensor) and result.dtype == torch.float32
    atol = 1e-6
    if case["name"] == "squareplus":
        # (x + sqrt(x**2 + b)) / 2 cancels for x << 0: one ulp of the float32 sqrt, about |x| * 2**-23, moves the
        # output by |x| * 2**-24. torch's vectorized sqrt is within one ulp but not always correctly rounded (with
        # AVX-512, sqrt(10001) comes out one ulp high, for Keras on that CPU too): at x = -100 that is 3.8e-6 of an
        # output of 0.0025, however the fixture's machine rounded.
        atol = atol + np.abs(GOLDEN["x"]) * 2.0 ** -24
    expected = GOLDEN["out/" + case["id"]]
    close = np.isclose(result.numpy(), expected, rtol=1e-6, atol=atol)
    assert close.all(), f"at x={GOLDEN['x'][~close]}: {result.numpy()[~close]} instead of Keras's {expected[~close]}"


def test_every_keras_name_is_covered_by_the_fixture():
    names_in_fixture = {case["name"] for case in CASES}
    # sparsemax is checked from its definition below: Keras 3.15's does not sum to one.
    assert set(activations.ACTIVATIONS) - names_in_fixture == {"sparsemax"}


def test_get_resolves_names_aliases_callables_and_none():
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    assert activations.get(None) is activations.linear
    custom = lambda x: x * 2  # noqa: E731
    assert activations.get(custom) is custom


def test_serialize_gives_the_keras_name():
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(activations.swish) == "silu"  # Keras saves the function's own name
    assert activations.deserialize("gelu") is activations.gelu


def test_config_dict_round_trips_through_get():
    config = {"module": "builtins", "class_name": "function", "config": "tanh", "registered_name": "function"}
    assert activations.get(config) is activations.tanh


def test_custom_function_serializes_as_keras_function_dict():
    def scaled(x):
        return 3 * x
    config = activations.serialize(scaled)
    assert config["class_name"] == "function" and config["config"] == "scaled"
    assert activations.deserialize(config, custom_objects={"scaled": scaled}) is scaled


def test_unknown_name_lists_valid_names_closest_first():
    with pytest.raises(ValueError, match=r"Unknown activation: 'rleu'.*closest first: relu, relu6"):
        activations.get("rleu")


def test_uninterpretable_identifier_is_refused():
    with pytest.raises(ValueError, match="Could not interpret activation function identifier: 3"):
        activations.get(3)


def test_numpy_input_is_accepted():
    result = activations.relu(np.array([-1.0, 2.0], dtype="float32"))
    assert torch.equal(result, torch.tensor([0.0, 2.0]))


def test_softmax_over_a_tuple_of_axes_normalizes_jointly():
    x = torch.randn(2, 3, 4)
    result = activations.softmax(x, axis=(1, 2))
    expected = torch.softmax(x.reshape(2, 12), dim=-1).reshape(2, 3, 4)
    torch.testing.assert_close(result, expected)


def test_sparsemax_is_the_simplex_projection():
    # From the definition: logits (1, 0.8, 0) have support {0, 1} and threshold (1 + 0.8 - 1) / 2 = 0.4.
    result = activations.sparsemax(torch.tensor([[1.0, 0.8, 0.0], [0.0, 0.0, 0.0]]))
    torch.testing.assert_close(result, torch.tensor([[0.6, 0.4, 0.0], [1 / 3, 1 / 3, 1 / 3]]))
    many = activations.sparsemax(torch.randn(5, 7) * 3, axis=0)
    torch.testing.assert_close(many.sum(dim=0), torch.ones(7))


def test_activations_keep_gradients_flowing():
    x = torch.linspace(-3, 3, 7, requires_grad=True)
    activations.relu(x, negative_slope=0.1, max_value=2.0, threshold=0.5).sum().backward()
    assert x.grad is not None


def test_python_numbers_become_floatx_and_arrays_keep_their_dtype():
    assert activations.sigmoid([0.0, 1.0]).dtype == torch.float32
    assert activations.sigmoid(np.zeros(2, dtype="float64")).dtype == torch.float64
