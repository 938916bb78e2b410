"""LSTM and LSTMCell: Keras 3.15's numbers in every mode, Keras's weights and config, and clear errors."""
import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers
from recurrent_golden import assert_case_matches_keras, case_inputs, case_layer, cases


@pytest.mark.parametrize("name", cases("lstm_"))
def test_lstm_matches_keras(name):
    assert_case_matches_keras(name)


def test_lstm_weights_have_keras_names_and_layouts():
    layer = layers.LSTM(4)
    layer(np.zeros((2, 3, 5), "float32"))
    assert [tuple(w.shape) for w in layer.weights] == [(5, 16), (4, 16), (16,)]
    assert [w.path for w in layer.weights] == ["lstm_cell/kernel", "lstm_cell/recurrent_kernel", "lstm_cell/bias"]


def test_lstm_unit_forget_bias_starts_the_forget_gate_at_one():
    layer = layers.LSTM(3)
    layer(np.zeros((1, 2, 2), "float32"))
    np.testing.assert_array_equal(layer.cell.bias.detach().numpy(), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])


def test_lstm_reads_its_cell_arguments_as_attributes():
    layer = layers.LSTM(3, dropout=0.25)
    assert (layer.units, layer.dropout, layer.unit_forget_bias) == (3, 0.25, True)


def test_lstm_refuses_a_rank_2_input():
    with pytest.raises(ValueError, match=r"lstm.*rank >= 3.*\(2, 5\)|expected min_ndim=3.*\(2, 5\)"):
        layers.LSTM(3)(np.zeros((2, 5), "float32"))


def test_lstm_refuses_a_mask_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"mask of shape \(2, 4\).*\(2, 5\)"):
        layers.LSTM(3)(torch.zeros(2, 5, 2), mask=torch.ones(2, 4, dtype=torch.bool))


def test_lstm_refuses_an_initial_state_of_the_wrong_count():
    with pytest.raises(ValueError, match=r"expects 2 initial state tensor\(s\).*received 1"):
        layers.LSTM(3)(torch.zeros(2, 5, 2), initial_state=[torch.zeros(2, 3)])


def test_lstm_refuses_an_initial_state_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"initial state 1 has shape \(2, 4\).*\(2, 3\)"):
        layers.LSTM(3)(torch.zeros(2, 5, 2), initial_state=[torch.zeros(2, 3), torch.zeros(2, 4)])


def test_stateful_lstm_refuses_an_unknown_batch_size():
    with pytest.raises(ValueError, match=r"stateful=True.*batch size must be static.*\(None, 5, 2\)"):
        kerastorch.Sequential([kerastorch.Input((5, 2)), layers.LSTM(3, stateful=True)])


def test_stateful_lstm_refuses_another_batch_size():
    layer = layers.LSTM(3, stateful=True)
    layer(torch.zeros(2, 5, 2))
    with pytest.raises(ValueError, match="Expected batch size: 2. Received batch size: 4"):
        layer(torch.zeros(4, 5, 2))


def test_stateful_lstm_carries_states_until_reset_states():
    name = "lstm_stateful"
    layer = case_layer(name)
    x, _ = case_inputs(name)
    first = layer(x)
    assert not torch.allclose(layer(x), first)
    layer.reset_states()
    torch.testing.assert_close(layer(x), first)


def test_cudnn_lstm_is_keras_2s_alias_of_lstm():
    layer = layers.CuDNNLSTM(3, return_sequences=True)
    assert isinstance(layer, layers.LSTM)
    assert layer(torch.zeros(2, 4, 2)).shape == (2, 4, 3)


def test_keras_2_import_path_holds_the_recurrent_layers():
    from kerastorch.layers import recurrent
    assert recurrent.LSTM is layers.LSTM and recurrent.CuDNNGRU is layers.CuDNNGRU


def test_lstm_trains_through_the_fused_kernel():
    layer = layers.LSTM(3)
    x = torch.randn(4, 6, 2)
    assert layer._execution_path(x) == "fused"
    layer(x).square().sum().backward()
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in layer.weights)
