"""Nadam: Adam with Nesterov momentum and a warming momentum schedule."""
import torch

from kerastorch import _legacy
from kerastorch.optimizers.optimizer import Optimizer

# Keras's momentum schedule: mu_t = beta_1 * (1 - 0.5 * 0.96 ** t).
_MOMENTUM_DECAY = 0.96


class Nadam(Optimizer):
    """Nadam, with ``t`` the step number (from 1) and ``mu_t = beta_1 * (1 - 0.5 * 0.96 ** t)``::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g ** 2
        m_hat = mu_{t+1} * m / (1 - mu_1 ... mu_{t+1}) + (1 - mu_t) * g / (1 - mu_1 ... mu_t)
        v_hat = v / (1 - beta_2 ** t)
        w -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    The product ``mu_1 ... mu_t`` is kept as state (the last entry of ``variables``).

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to 0.001.
        beta_1: Decay of the first-moment estimate. Defaults to 0.9.
        beta_2: Decay of the second-moment estimate. Defaults to 0.999.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        **kwargs: The arguments every optimizer takes (``weight_decay``, ``clipnorm``, ``clipvalue``,
            ``global_clipnorm``, ``name``, ...): see ``Optimizer``. Also Keras 2's ``schedule_decay`` (with a
            DeprecationWarning): its schedule ``mu_t = beta_1 * (1 - 0.5 * 0.96 ** (schedule_decay * t))``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        if "decay" in kwargs and "schedule_decay" not in kwargs:
            # tf.keras's legacy Nadam wrote its schedule_decay as `decay` (and never decayed the learning rate).
            kwargs["schedule_decay"] = kwargs.pop("decay")
        schedule_decay = kwargs.pop("schedule_decay", None)
        super().__init__(learning_rate=learning_rate, **kwargs)
        if schedule_decay is not None:
            _legacy.warn_once("schedule_decay", "`keras.optimizers.Nadam` without it, whose momentum schedule is "
                                                "Keras 3's 0.96 ** t (kerastorch applies Keras 2's "
                                                "0.96 ** (schedule_decay * t) when it is given)")
        self.schedule_decay = schedule_decay
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._momentum_product = 1.0

    def _slot_groups(self):
        return [[("momentum", 0.0), ("velocity", 0.0)]]

    def _host_state(self):
        return [self._momentum_product] if self.built else []

    def _set_host_state(self, values):
        (self._momentum_product,) = values

    def _update(self, grads, variables, slots, learning_rate):
        host = self._host_float
        step = host(self._iterations + 1)
        beta_1, decay, one = host(self.beta_1), host(_MOMENTUM_DECAY), host(1)
        rate = one if self.schedule_decay is None else host(self.schedule_decay)
        momentum_now = beta_1 * (one - host(0.5) * decay ** (rate * step))
        momentum_next = beta_1 * (one - host(0.5) * decay ** (rate * (step + one)))
        product_now = host(self._momentum_product) * momentum_now
        product_next = product_now * momentum_next
        self._momentum_product = float(product_now)
        velocity_correction = one - host(self.beta_2) ** step

        momentums, velocities = slots["momentum"], slots["velocity"]
        torch._foreach_mul_(momentums, self.beta_1)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(velocities, self.beta_2)
        torch._foreach_addcmul_(velocities, grads, grads, value=1 - self.beta_2)
        m_hat = torch._foreach_mul(momentums, float(momentum_next / (one - product_next)))
        torch._foreach_add_(m_hat, grads, alpha=float((one - momentum_now) / (one - product_now)))
        denominators = torch._foreach_div(velocities, float(velocity_correction))
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_addcdiv_(variables, m_hat, denominators, value=-float(host(learning_rate)))

    def get_config(self):
        config = dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        if self.schedule_decay is not None:
            config["schedule_decay"] = self.schedule_decay
        return config
