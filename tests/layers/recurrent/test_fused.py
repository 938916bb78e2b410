"""The fused torch kernels (and packed sequences) against Keras's step loop: same numbers within 1e-5, the path
each configuration takes, gradients through the torch-layout weights, and the inference cache's refresh."""
import pytest
import torch

from kerastorch import layers

RIGHT_PADDED = torch.tensor([[True] * 6, [True] * 4 + [False] * 2, [True] + [False] * 5])
LEFT_PADDED = RIGHT_PADDED.flip(1)


def twins(make):
    """A layer on its default path and the same layer (same weights) forced onto the step loop."""
    x = torch.randn(3, 6, 4)
    fused, loop = make(), make(use_cudnn=False)
    fused(x), loop(x)
    loop.set_weights(fused.get_weights())
    return x, fused, loop


LAYERS = {
    "lstm": lambda **kw: layers.LSTM(5, return_sequences=True, return_state=True, **kw),
    "lstm_no_bias": lambda **kw: layers.LSTM(5, use_bias=False, return_sequences=True, **kw),
    "lstm_backwards": lambda **kw: layers.LSTM(5, go_backwards=True, return_sequences=True, **kw),
    "lstm_last_zero_output": lambda **kw: layers.LSTM(5, zero_output_for_mask=True, **kw),
    "gru": lambda **kw: layers.GRU(5, return_sequences=True, return_state=True, **kw),
    "gru_no_bias": lambda **kw: layers.GRU(5, use_bias=False, return_sequences=True, **kw),
}


def _flat(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("mask", [None, RIGHT_PADDED], ids=["no_mask", "right_padded"])
def test_fused_path_agrees_with_the_step_loop(name, mask):
    x, fused, loop = twins(LAYERS[name])
    assert loop._execution_path(x, mask) == "loop"
    expected = "loop" if (mask is not None and fused.go_backwards) else ("packed" if mask is not None else "fused")
    assert fused._execution_path(x, mask) == expected
    for a, b in zip(_flat(fused(x, mask=mask)), _flat(loop(x, mask=mask))):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


@pytest.mark.parametrize("mask, path", [(None, "fused"), (RIGHT_PADDED, "packed"), (LEFT_PADDED, "loop"),
                                        (torch.ones(3, 6, dtype=torch.bool), "fused")])
def test_the_mask_chooses_the_path(mask, path):
    assert layers.LSTM(2)._execution_path(torch.zeros(3, 6, 4), mask) == path


def test_a_fully_masked_sequence_takes_the_step_loop():
    mask = RIGHT_PADDED.clone()
    mask[2] = False
    assert layers.LSTM(2)._execution_path(torch.zeros(3, 6, 4), mask) == "loop"


@pytest.mark.parametrize("make", [lambda: layers.LSTM(2, activation="relu"), lambda: layers.LSTM(2, unroll=True),
                                  lambda: layers.GRU(2, recurrent_activation="hard_sigmoid")])
def test_other_activations_and_unroll_take_the_step_loop(make):
    assert make()._execution_path(torch.zeros(3, 6, 4)) == "loop"


@pytest.mark.parametrize("mask", [None, RIGHT_PADDED], ids=["no_mask", "right_padded"])
def test_fused_gradients_equal_the_step_loops(mask):
    x, fused, loop = twins(LAYERS["lstm"])
    x_fused, x_loop = x.clone().requires_grad_(), x.clone().requires_grad_()
    sum(o.square().sum() for o in _flat(fused(x_fused, mask=mask))).backward()
    sum(o.square().sum() for o in _flat(loop(x_loop, mask=mask))).backward()
    torch.testing.assert_close(x_fused.grad, x_loop.grad, atol=1e-5, rtol=0)
    for a, b in zip(fused.weights, loop.weights):
        torch.testing.assert_close(a.grad, b.grad, atol=1e-5, rtol=0)


def test_each_training_step_backpropagates_through_the_current_weights():
    layer = layers.GRU(3)
    x = torch.randn(2, 4, 2)
    layer(x)
    losses = []
    for _ in range(3):
        loss = layer(x).square().sum()
        loss.backward()
        losses.append(float(loss.detach()))
        with torch.no_grad():
            for w in layer.weights:
                w -= 0.1 * w.grad
                w.grad = None
    assert losses[2] < losses[1] < losses[0]


def test_inference_cache_follows_weight_changes():
    layer = layers.GRU(3)
    x = torch.randn(2, 4, 2)
    with torch.no_grad():
        before = layer(x)
        layer.set_weights([w * 0.5 for w in layer.get_weights()])
        after = layer(x)
    reference = layers.GRU(3, use_cudnn=False)
    reference(x)
    reference.set_weights(layer.get_weights())
    assert not torch.allclose(before, after)
    torch.testing.assert_close(after, reference(x), atol=1e-5, rtol=0)
