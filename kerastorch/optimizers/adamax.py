"""Adamax: Adam with the infinity norm in place of the second moment."""
import torch

from kerastorch.optimizers.optimizer import Optimizer


class Adamax(Optimizer):
    """Adamax, with ``t`` the step number (from 1)::

        m = beta_1 * m + (1 - beta_1) * g
        u = max(beta_2 * u, abs(g))
        w -= learning_rate * m / ((1 - beta_1 ** t) * (u + epsilon))

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to 0.001.
        beta_1: Decay of the first-moment estimate. Defaults to 0.9.
        beta_2: Decay of the infinity norm. Defaults to 0.999.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        **kwargs: The arguments every optimizer takes (``weight_decay``, ``clipnorm``, ``clipvalue``,
            ``global_clipnorm``, ``name``, ...): see ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _slot_groups(self):
        return [[("momentum", 0.0), ("norm", 0.0)]]

    def _update(self, grads, variables, slots, learning_rate):
        host = self._host_float
        bias_correction = host(1) - host(self.beta_1) ** host(self._iterations + 1)
        step_size = host(learning_rate) / bias_correction
        momentums, norms = slots["momentum"], slots["norm"]
        torch._foreach_mul_(momentums, self.beta_1)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(norms, self.beta_2)
        torch._foreach_maximum_(norms, torch._foreach_abs(grads))
        denominators = torch._foreach_add(norms, self.epsilon)
        torch._foreach_addcdiv_(variables, momentums, denominators, value=-float(step_size))

    def get_config(self):
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
