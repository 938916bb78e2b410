"""RNN around any cell (built-in, stacked, the user's own), and the configs of every recorded case."""
import json

import pytest
import torch

from kerastorch import layers
from kerastorch.saving import serialization
from recurrent_golden import SPECS, MinimalRNNCell, assert_case_matches_keras, case_layer, cases


@pytest.mark.parametrize("name", cases("rnn_"))
def test_rnn_matches_keras(name):
    assert_case_matches_keras(name)


@pytest.mark.parametrize("name", sorted(name for name in SPECS if "user_cell" not in name))
def test_config_equals_keras(name):
    ours = json.loads(json.dumps(serialization.serialize_keras_object(case_layer(name))))
    assert ours == SPECS[name]["layer"]


def test_user_cell_runs_on_the_step_loop():
    layer = layers.RNN(MinimalRNNCell(3))
    assert layer._execution_path(torch.zeros(2, 4, 2)) == "loop"


def test_rnn_of_a_list_of_cells_stacks_them():
    layer = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)])
    assert isinstance(layer.cell, layers.StackedRNNCells)
    assert layer(torch.zeros(2, 4, 2)).shape == (2, 2)


def test_rnn_refuses_a_cell_without_state_size():
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(layers.Dense(3))


def test_masked_steps_carry_the_state_over():
    layer = layers.LSTM(3, return_state=True)
    x = torch.randn(2, 4, 2)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    _, h, c = layer(x, mask=mask)
    _, h_short, c_short = layer(x[:1, :2])
    torch.testing.assert_close(h[:1], h_short)
    torch.testing.assert_close(c[:1], c_short)


def test_rnn_passes_the_mask_on_only_with_return_sequences():
    x = torch.randn(2, 4, 2)
    mask = torch.tensor([[True, True, False, False], [True] * 4])
    assert layers.LSTM(3, return_sequences=True)(x, mask=mask)._keras_mask is mask
    assert getattr(layers.LSTM(3)(x, mask=mask), "_keras_mask", None) is None


def test_dropout_in_training_changes_the_output_and_not_in_inference():
    layer = layers.LSTM(3, dropout=0.5, recurrent_dropout=0.5, seed=1, return_sequences=True)
    x = torch.randn(2, 4, 2)
    inference = layer(x)
    assert layer._execution_path(x) == "fused" and layer._execution_path(x, training=True) == "loop"
    assert not torch.allclose(layer(x, training=True), inference)
    torch.testing.assert_close(layer(x), inference)
