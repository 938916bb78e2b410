"""Crossentropy on kerastorch's softmax output runs on the kept logits; it must equal Keras's probability path
(normalize, clip to [eps, 1 - eps], log) in value and gradient, clipped regimes included."""
import torch

from kerastorch import activations, losses


def _compare(loss_fn, make_target):
    torch.manual_seed(0)
    logits = (torch.randn(64, 5) * 10).requires_grad_(True)   # large logits: many probabilities get clipped
    target = make_target()
    fused = loss_fn(target, activations.softmax(logits))
    fused_grad, = torch.autograd.grad(fused.sum(), logits)
    plain = loss_fn(target, torch.softmax(logits, dim=-1))     # a plain tensor keeps no logits
    plain_grad, = torch.autograd.grad(plain.sum(), logits)
    torch.testing.assert_close(fused, plain, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(fused_grad, plain_grad, atol=1e-6, rtol=1e-5)
    return fused


def test_sparse_categorical_crossentropy_on_softmax_matches_probability_path():
    labels = torch.randint(0, 5, (64,), generator=torch.Generator().manual_seed(1))
    values = _compare(losses.sparse_categorical_crossentropy, lambda: labels)
    assert values.max().item() > 16.1   # the clip at eps is reached and reproduced


def test_categorical_crossentropy_on_softmax_matches_probability_path():
    labels = torch.randint(0, 5, (64,), generator=torch.Generator().manual_seed(1))
    _compare(losses.categorical_crossentropy, lambda: torch.nn.functional.one_hot(labels, 5).float() * 0.9 + 0.02)


def test_softmax_over_another_axis_uses_the_probability_path():
    logits = torch.randn(3, 4, 5)
    probabilities = activations.softmax(logits, axis=1)
    assert losses.softmax_log_probabilities(probabilities, axis=2) is None
    assert losses.softmax_log_probabilities(probabilities, axis=1) is not None
