"""Merging layers against Keras 3.15 (tests/golden/layers/merging.npz, made by tools/golden_functional.py), their
function forms, shape inference and errors."""
import json

import numpy as np
import pytest
import torch

from kerastorch import Input, Model, layers
from golden_loader import golden_npz

DATA = golden_npz("layers/merging.npz")
CASES = json.loads(str(DATA["cases"]))


def inputs_of(case):
    return [torch.as_tensor(DATA[f"x{i}/{case['id']}"]) for i in range(len(case["shapes"]))]


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_output_matches_keras(case):
    layer = getattr(layers, case["layer"])(**case["kwargs"])
    output = layer(inputs_of(case))
    np.testing.assert_allclose(output.detach().numpy(), DATA[f"y/{case['id']}"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_symbolic_shape_and_config_match_keras(case):
    layer = getattr(layers, case["layer"])(**case["kwargs"])
    symbolic = [Input(shape[1:]) for shape in case["shapes"]]
    assert list(layer(symbolic).shape) == case["output_shape"]
    config = {k: v for k, v in layer.get_config().items() if k not in ("name", "dtype", "trainable")}
    assert config == case["config"]


@pytest.mark.parametrize("function, layer", [
    (layers.add, layers.Add), (layers.subtract, layers.Subtract), (layers.multiply, layers.Multiply),
    (layers.average, layers.Average), (layers.maximum, layers.Maximum), (layers.minimum, layers.Minimum),
    (layers.concatenate, layers.Concatenate)])
def test_function_forms_build_the_layer(function, layer):
    a, b = Input((3,)), Input((3,))
    output = function([a, b], name=f"merge_{layer.__name__.lower()}")
    model = Model([a, b], output)
    assert isinstance(model.layers[-1], layer)
    x = [torch.rand(2, 3), torch.rand(2, 3)]
    np.testing.assert_allclose(model(x).numpy(), layer()(x).numpy(), rtol=1e-6)


def test_dot_function_form_takes_axes_and_normalize():
    a, b = Input((4,)), Input((4,))
    model = Model([a, b], layers.dot([a, b], axes=1, normalize=True))
    x = torch.tensor([[1.0, 0, 0, 0]]), torch.tensor([[2.0, 0, 0, 0]])
    assert model(list(x)).tolist() == [[pytest.approx(1.0)]]


def test_merge_needs_a_list():
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Add()(torch.zeros(2, 3))


def test_incompatible_shapes_name_both():
    with pytest.raises(ValueError, match=r"incompatible shapes.*\(3,\).*\(4,\)"):
        layers.Add()([Input((3,)), Input((4,))])


def test_subtract_takes_exactly_two_inputs():
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([Input((3,)), Input((3,)), Input((3,))])


def test_concatenate_checks_the_other_axes():
    with pytest.raises(ValueError, match="matching shapes except for the concatenation axis"):
        layers.Concatenate(axis=1)([Input((3, 4)), Input((3, 5))])


def test_dot_checks_the_contracted_axes_and_refuses_the_batch_axis():
    with pytest.raises(ValueError, match=r"axis values 3 \(at axis 1\) != 4 \(at axis 1\)"):
        layers.Dot(axes=1)([Input((3,)), Input((4,))])
    with pytest.raises(ValueError, match="axis 0"):
        layers.Dot(axes=0)([Input((3,)), Input((3,))])
    with pytest.raises(ValueError, match="two elements"):
        layers.Dot(axes=(1, 2, 3))


def test_merging_layers_have_no_weights_and_round_trip_their_config():
    for layer in (layers.Add(), layers.Concatenate(axis=2), layers.Dot(axes=(1, 2), normalize=True)):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()
        layer([Input((3, 3)), Input((3, 3))])
        assert layer.weights == []
