"""Adadelta: steps scaled by the ratio of running RMS of past steps to running RMS of gradients."""
import torch

from kerastorch.optimizers.optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta::

        accumulated_grad = rho * accumulated_grad + (1 - rho) * g ** 2
        delta = -sqrt(accumulated_delta_var + epsilon) / sqrt(accumulated_grad + epsilon) * g
        accumulated_delta_var = rho * accumulated_delta_var + (1 - rho) * delta ** 2
        w += learning_rate * delta

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to 0.001 (Keras 3's default; the original
            method uses 1.0).
        rho: Decay rate of the running averages. Defaults to 0.95.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        **kwargs: The arguments every optimizer takes (``weight_decay``, ``clipnorm``, ``clipvalue``,
            ``global_clipnorm``, ``name``, ...): see ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def _slot_groups(self):
        return [[("accumulated_grad", 0.0), ("accumulated_delta_var", 0.0)]]

    def _update(self, grads, variables, slots, learning_rate):
        accumulated_grads, accumulated_deltas = slots["accumulated_grad"], slots["accumulated_delta_var"]
        torch._foreach_mul_(accumulated_grads, self.rho)
        torch._foreach_addcmul_(accumulated_grads, grads, grads, value=1 - self.rho)
        delta_rms = torch._foreach_add(accumulated_deltas, self.epsilon)
        torch._foreach_sqrt_(delta_rms)
        grad_rms = torch._foreach_add(accumulated_grads, self.epsilon)
        torch._foreach_sqrt_(grad_rms)
        deltas = torch._foreach_mul(delta_rms, grads)
        torch._foreach_div_(deltas, grad_rms)
        torch._foreach_neg_(deltas)
        torch._foreach_mul_(accumulated_deltas, self.rho)
        torch._foreach_addcmul_(accumulated_deltas, deltas, deltas, value=1 - self.rho)
        torch._foreach_add_(variables, deltas, alpha=float(self._host_float(learning_rate)))

    def get_config(self):
        return dict(super().get_config(), rho=self.rho, epsilon=self.epsilon)
