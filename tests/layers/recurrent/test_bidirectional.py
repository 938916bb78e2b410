"""Bidirectional: every merge mode, states, masks and a custom backward layer, as Keras 3.15."""
import pytest
import torch

import kerastorch
from kerastorch import layers
from recurrent_golden import assert_case_matches_keras, cases


@pytest.mark.parametrize("name", cases("bidirectional_"))
def test_bidirectional_matches_keras(name):
    assert_case_matches_keras(name)


def test_bidirectional_weights_are_forward_then_backward():
    kerastorch.backend.clear_session()   # the wrapped layer's own name is "lstm" only in a fresh session
    layer = layers.Bidirectional(layers.LSTM(3))
    layer(torch.zeros(1, 2, 2))
    expected = layer.forward_layer.weights + layer.backward_layer.weights
    assert [id(w) for w in layer.weights] == [id(w) for w in expected]
    assert (layer.forward_layer.name, layer.backward_layer.name) == ("forward_lstm", "backward_lstm")


@pytest.mark.parametrize("mask, path", [(None, "fused"), ([[True, True, False], [True, True, True]], "packed"),
                                        ([[False, True, True], [True, True, True]], "layers")])
def test_bidirectional_runs_both_directions_in_one_kernel_call(mask, path):
    layer = layers.Bidirectional(layers.LSTM(3, return_sequences=True))
    mask = None if mask is None else torch.tensor(mask)
    assert layer._execution_path(torch.zeros(2, 3, 2), mask) == path


def test_bidirectional_of_different_layers_calls_each_direction():
    layer = layers.Bidirectional(layers.LSTM(3), backward_layer=layers.GRU(3, go_backwards=True))
    assert layer._execution_path(torch.zeros(2, 3, 2)) == "layers"


def test_bidirectional_refuses_an_unknown_merge_mode():
    with pytest.raises(ValueError, match="Invalid merge mode. Received: max"):
        layers.Bidirectional(layers.LSTM(3), merge_mode="max")


def test_bidirectional_refuses_two_layers_of_the_same_direction():
    with pytest.raises(ValueError, match="different `go_backwards`"):
        layers.Bidirectional(layers.LSTM(3), backward_layer=layers.LSTM(3))


def test_a_hook_on_a_direction_sees_its_call():
    layer = layers.Bidirectional(layers.LSTM(3))
    seen = []
    layer.backward_layer.register_forward_hook(lambda module, args, output: seen.append(module.name))
    x = torch.zeros(2, 3, 2)
    assert layer._execution_path(x) == "layers"
    layer(x)
    assert seen == [layer.backward_layer.name]
