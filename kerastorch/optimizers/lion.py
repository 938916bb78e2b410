"""Lion: steps of fixed size along the sign of an interpolated momentum."""
import torch

from kerastorch.optimizers.optimizer import Optimizer


class Lion(Optimizer):
    """Lion::

        w -= learning_rate * sign(beta_1 * m + (1 - beta_1) * g)
        m = beta_2 * m + (1 - beta_2) * g

    Its steps are larger than Adam's for the same rate: a rate 3-10x smaller is usual.

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to 0.001.
        beta_1: Interpolation for the step direction, in (0, 1]. Defaults to 0.9.
        beta_2: Decay of the momentum. Defaults to 0.99.
        **kwargs: The arguments every optimizer takes (``weight_decay``, ``clipnorm``, ``clipvalue``,
            ``global_clipnorm``, ``name``, ...): see ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError("Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates "
                             f"to SignSGD. Received: beta_1={beta_1}.")
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def _slot_groups(self):
        return [[("momentum", 0.0)]]

    def _update(self, grads, variables, slots, learning_rate):
        momentums = slots["momentum"]
        directions = torch._foreach_mul(momentums, self.beta_1)
        torch._foreach_add_(directions, grads, alpha=1 - self.beta_1)
        torch._foreach_sign_(directions)
        torch._foreach_add_(variables, directions, alpha=-float(self._host_float(learning_rate)))
        torch._foreach_mul_(momentums, self.beta_2)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_2)

    def get_config(self):
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2)
