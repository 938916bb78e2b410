"""SimpleRNN and SimpleRNNCell: Keras 3.15's numbers on torch.rnn_tanh/rnn_relu and the step loop."""
import pytest
import torch

from kerastorch import layers
from recurrent_golden import assert_case_matches_keras, cases


@pytest.mark.parametrize("name", cases("simple_rnn_"))
def test_simple_rnn_matches_keras(name):
    assert_case_matches_keras(name)


@pytest.mark.parametrize("activation, path", [("tanh", "fused"), ("relu", "fused"), ("sigmoid", "loop")])
def test_simple_rnn_path_follows_the_activation(activation, path):
    layer = layers.SimpleRNN(3, activation=activation)
    assert layer._execution_path(torch.zeros(2, 3, 2)) == path
