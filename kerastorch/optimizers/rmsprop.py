"""RMSprop: steps divided by a running root mean square of the gradients."""
import torch

from kerastorch.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop::

        v = rho * v + (1 - rho) * g ** 2
        step = learning_rate * g / sqrt(v + epsilon)

    With ``centered``, the running mean ``a = rho * a + (1 - rho) * g`` is also kept and the denominator is
    ``sqrt(v - a ** 2 + epsilon)`` (a variance estimate). With ``momentum > 0``,
    ``velocity = momentum * velocity + step`` and ``w -= velocity``; otherwise ``w -= step``.

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to 0.001.
        rho: Decay of the running mean square. Defaults to 0.9.
        momentum: Momentum of the steps. Defaults to 0.0.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        centered: Whether to normalize by the estimated variance instead of the mean square. Defaults to False.
        **kwargs: The arguments every optimizer takes (``weight_decay``, ``clipnorm``, ``clipvalue``,
            ``global_clipnorm``, ``name``, ...): see ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def _slot_groups(self):
        groups = [[("velocity", 0.0)]]
        if self.momentum > 0:
            groups.append([("momentum", 0.0)])
        if self.centered:
            groups.append([("average_gradient", 0.0)])
        return groups

    def _update(self, grads, variables, slots, learning_rate):
        learning_rate = float(self._host_float(learning_rate))
        velocities = slots["velocity"]
        torch._foreach_mul_(velocities, self.rho)
        torch._foreach_addcmul_(velocities, grads, grads, value=1 - self.rho)
        denominators = torch._foreach_add(velocities, self.epsilon)
        if self.centered:
            averages = slots["average_gradient"]
            torch._foreach_mul_(averages, self.rho)
            torch._foreach_add_(averages, grads, alpha=1 - self.rho)
            torch._foreach_addcmul_(denominators, averages, averages, value=-1)
        torch._foreach_sqrt_(denominators)
        if self.momentum > 0:
            steps = slots["momentum"]
            torch._foreach_mul_(steps, self.momentum)
            torch._foreach_addcdiv_(steps, grads, denominators, value=learning_rate)
            torch._foreach_sub_(variables, steps)
        else:
            torch._foreach_addcdiv_(variables, grads, denominators, value=-learning_rate)

    def get_config(self):
        return dict(super().get_config(), rho=self.rho, momentum=self.momentum, epsilon=self.epsilon,
                    centered=self.centered)
