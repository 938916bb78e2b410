"""GRU and GRUCell: Keras 3.15's numbers with reset_after True and False, masks, states."""
import numpy as np
import pytest
import torch

from kerastorch import layers
from recurrent_golden import assert_case_matches_keras, cases


@pytest.mark.parametrize("name", cases("gru_"))
def test_gru_matches_keras(name):
    assert_case_matches_keras(name)


@pytest.mark.parametrize("reset_after, bias_shape", [(True, (2, 12)), (False, (12,))])
def test_gru_bias_layout_follows_reset_after(reset_after, bias_shape):
    layer = layers.GRU(4, reset_after=reset_after)
    layer(np.zeros((1, 2, 3), "float32"))
    assert [tuple(w.shape) for w in layer.weights] == [(3, 12), (4, 12), bias_shape]


@pytest.mark.parametrize("reset_after, path", [(True, "fused"), (False, "loop")])
def test_only_reset_after_gru_runs_on_torch_gru(reset_after, path):
    layer = layers.GRU(4, reset_after=reset_after)
    assert layer._execution_path(torch.zeros(2, 3, 2)) == path


def test_fused_gru_gradients_equal_the_step_loops():
    fused, loop = layers.GRU(3, return_sequences=True), layers.GRU(3, return_sequences=True, use_cudnn=False)
    x = torch.randn(2, 4, 2)
    fused(x), loop(x)
    loop.set_weights(fused.get_weights())
    fused(x).sum().backward()
    loop(x).sum().backward()
    for a, b in zip(fused.weights, loop.weights):
        torch.testing.assert_close(a.grad, b.grad, atol=1e-5, rtol=0)


def test_cudnn_gru_is_keras_2s_alias_of_gru():
    layer = layers.CuDNNGRU(3)
    assert isinstance(layer, layers.GRU) and layer.reset_after
