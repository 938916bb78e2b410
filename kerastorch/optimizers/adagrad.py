"""Adagrad: per-coordinate steps shrinking with the sum of squared gradients."""
import torch

from kerastorch.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad::

        accumulator += g ** 2
        w -= learning_rate * g / sqrt(accumulator + epsilon)

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to 0.001.
        initial_accumulator_value: Starting value of the accumulators (non-negative). Defaults to 0.1.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        **kwargs: The arguments every optimizer takes (``weight_decay``, ``clipnorm``, ``clipvalue``,
            ``global_clipnorm``, ``name``, ...): see ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _slot_groups(self):
        return [[("accumulator", self.initial_accumulator_value)]]

    def _update(self, grads, variables, slots, learning_rate):
        accumulators = slots["accumulator"]
        torch._foreach_addcmul_(accumulators, grads, grads)
        denominators = torch._foreach_add(accumulators, self.epsilon)
        torch._foreach_sqrt_(denominators)
        torch._foreach_addcdiv_(variables, grads, denominators, value=-float(self._host_float(learning_rate)))

    def get_config(self):
        return dict(super().get_config(), initial_accumulator_value=self.initial_accumulator_value,
                    epsilon=self.epsilon)
