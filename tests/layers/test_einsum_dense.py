"""EinsumDense beyond the fixtures (tests/layers/attention/test_golden.py has Keras's numbers for several
equations): weight shapes from the equation, the matrix-product path equals the einsum, initializer fans,
errors."""
import math

import pytest
import torch

from kerastorch import layers
from kerastorch.layers.einsum_dense import _linear_plan


@pytest.mark.parametrize("equation, output_shape, bias_axes, input_shape, kernel, bias", [
    ("ab,bc->ac", 4, "c", (2, 3), (3, 4), (4,)),
    ("abc,cde->abde", (None, 2, 5), "de", (2, 7, 3), (3, 2, 5), (2, 5)),
    ("abc,cde->abde", (None, 2, 5), "e", (2, 7, 3), (3, 2, 5), (5,)),
    ("abcd,cde->abe", (None, 6), "e", (2, 7, 2, 5), (2, 5, 6), (6,)),
    ("abc,bd->adc", (4, None), "d", (2, 7, 3), (7, 4), (4, 1)),
    ("ab...,bc->ac...", (5,), "c", (2, 6, 4), (6, 5), (5, 1)),
])
def test_weights_are_shaped_by_the_equation(equation, output_shape, bias_axes, input_shape, kernel, bias):
    layer = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes)
    layer.build(input_shape)
    assert tuple(layer.kernel.shape) == kernel
    assert tuple(layer.bias.shape) == bias


@pytest.mark.parametrize("equation, output_shape, bias_axes, input_shape", [
    ("abc,cde->abde", (None, 2, 5), "de", (2, 7, 3)),
    ("abc,cde->abde", (None, 2, 5), "e", (2, 7, 3)),
    ("abcd,cde->abe", (None, 6), "e", (2, 7, 2, 5)),
    ("...b,bc->...c", 4, "c", (2, 3, 5, 6)),
    ("abc,cd->abd", (None, 4), None, (2, 7, 3)),
])
def test_matrix_product_path_equals_the_einsum(equation, output_shape, bias_axes, input_shape):
    torch.manual_seed(0)
    layer = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, bias_initializer="random_normal")
    layer.build(input_shape)
    x = torch.randn(input_shape)
    assert _linear_plan(equation, bias_axes) is not None
    expected = torch.einsum(equation, x, layer.kernel)
    if layer.bias is not None:
        expected = expected + layer.bias
    torch.testing.assert_close(layer(x), expected, atol=1e-6, rtol=1e-6)


def test_other_equations_run_as_einsum():
    assert _linear_plan("abc,bd->adc", "d") is None
    assert _linear_plan("ab...,bc->ac...", "c") is None


def test_kernel_fans_are_the_einsum_input_and_output_axes():
    # glorot_uniform's limit is sqrt(6 / (fan_in + fan_out)): fan_in = 64, fan_out = 4 * 8 for a (64, 4, 8) kernel.
    torch.manual_seed(0)
    layer = layers.EinsumDense("abc,cde->abde", (None, 4, 8), bias_axes="de")
    layer.build((2, 3, 64))
    limit = math.sqrt(6 / (64 + 32))
    assert 0.9 * limit < layer.kernel.abs().max().item() <= limit


@pytest.mark.parametrize("equation, output_shape, bias_axes, words", [
    ("ab->b", 3, None, "invalid einsum equation 'ab->b'"),
    ("ab,bc->ac", 4, "z", "bias dimension 'z'"),
    ("ab,bc->ad", 4, None, "dimension 'd' was specified in the output"),
    ("ab,bcz->ac", 4, None, "weight dimension 'z'"),
    ("abc,cd->abd", (5, 4), None, "do not match at shared dimension 'b'"),
])
def test_bad_equations_are_refused_naming_the_layer(equation, output_shape, bias_axes, words):
    layer = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, name="proj")
    with pytest.raises(ValueError, match=f"Layer 'proj'.*{words}".replace("(", r"\(").replace(")", r"\)")):
        layer.build((2, 7, 3) if equation.startswith("abc") else (2, 3))


def test_input_of_another_rank_is_refused():
    layer = layers.EinsumDense("abc,cd->abd", (None, 4), name="proj")
    layer(torch.zeros(2, 5, 3))
    with pytest.raises(ValueError, match="proj"):
        layer(torch.zeros(2, 3))


def test_config_round_trip():
    layer = layers.EinsumDense("abc,cde->abde", (None, 2, 5), bias_axes="de", activation="relu", name="proj")
    again = layers.EinsumDense.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
