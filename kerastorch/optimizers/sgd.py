"""Stochastic gradient descent, with optional (Nesterov) momentum."""
import numbers

import torch

from kerastorch.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent with momentum.

    Without momentum: ``w -= learning_rate * g``. With momentum: ``velocity = momentum * velocity -
    learning_rate * g``, then ``w += velocity``, or with ``nesterov=True``, ``w += momentum * velocity -
    learning_rate * g``.

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to 0.01.
        momentum: Float in [0, 1] that accelerates descent along consistent directions. Defaults to 0.0.
        nesterov: Whether to apply Nesterov momentum. Defaults to False.
        **kwargs: The arguments every optimizer takes (``weight_decay``, ``clipnorm``, ``clipvalue``,
            ``global_clipnorm``, ``name``, ...): see ``Optimizer``.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(momentum, numbers.Real) or isinstance(momentum, bool) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: momentum={momentum!r}")
        self.momentum = momentum
        self.nesterov = nesterov

    def _slot_groups(self):
        return [[("momentum", 0.0)]] if self.momentum != 0 else []

    def _update(self, grads, variables, slots, learning_rate):
        learning_rate = float(self._host_float(learning_rate))
        if self.momentum == 0:
            torch._foreach_add_(variables, grads, alpha=-learning_rate)
            return
        velocities = slots["momentum"]
        torch._foreach_mul_(velocities, self.momentum)
        torch._foreach_add_(velocities, grads, alpha=-learning_rate)
        if self.nesterov:
            torch._foreach_add_(variables, grads, alpha=-learning_rate)
            torch._foreach_add_(variables, velocities, alpha=self.momentum)
        else:
            torch._foreach_add_(variables, velocities)

    def get_config(self):
        return dict(super().get_config(), momentum=self.momentum, nesterov=self.nesterov)
