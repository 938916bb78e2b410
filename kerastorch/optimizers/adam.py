"""Adam, and AdamW (Adam with decoupled weight decay on by default)."""
import numpy as np
import torch

from kerastorch.optimizers.optimizer import Optimizer


class Adam(Optimizer):
    """Adam: steps scaled by running estimates of the gradients' first and second moments.

    With ``t`` the step number (from 1), as Keras computes it, epsilon added to ``sqrt(v)`` before the bias
    correction is folded into the step size::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g ** 2
        w -= learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t) * m / (sqrt(v) + epsilon)

    With ``amsgrad``, ``v`` in the last line is the running maximum of ``v``.

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to 0.001.
        beta_1: Decay of the first-moment estimate. Defaults to 0.9.
        beta_2: Decay of the second-moment estimate. Defaults to 0.999.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        amsgrad: Whether to use the AMSGrad variant. Defaults to False.
        **kwargs: The arguments every optimizer takes (``weight_decay``, ``clipnorm``, ``clipvalue``,
            ``global_clipnorm``, ``name``, ...): see ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        self._fused_step_counts = {}  # device -> the step number, as the fused kernel reads it

    def _slot_groups(self):
        groups = [[("momentum", 0.0), ("velocity", 0.0)]]
        if self.amsgrad:
            groups.append([("velocity_hat", 0.0)])
        return groups

    def _update(self, grads, variables, slots, learning_rate):
        host = self._host_float
        step = host(self._iterations + 1)
        bias_correction_1 = host(1) - host(self.beta_1) ** step
        bias_correction_2 = host(1) - host(self.beta_2) ** step
        step_size = host(learning_rate) * np.sqrt(bias_correction_2) / bias_correction_1
        device = self._step_lists.fused_device
        if device is not None and self._fused_kernel_available:
            try:
                self._fused_update(grads, variables, slots, float(step_size), device)
                return
            except NotImplementedError:  # no fused kernel for this device in this torch build
                self._fused_kernel_available = False

        momentums, velocities = slots["momentum"], slots["velocity"]
        torch._foreach_mul_(momentums, self.beta_1)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(velocities, self.beta_2)
        torch._foreach_addcmul_(velocities, grads, grads, value=1 - self.beta_2)
        if self.amsgrad:
            torch._foreach_maximum_(slots["velocity_hat"], velocities)
            velocities = slots["velocity_hat"]
        denominators = torch._foreach_sqrt(velocities)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_addcdiv_(variables, momentums, denominators, value=-float(step_size))

    _fused_kernel_available = hasattr(torch, "_fused_adam_")

    def _fused_update(self, grads, variables, slots, step_size, device):
        """The same rule in torch's fused Adam kernel: one pass over memory instead of seven.

        The kernel computes ``lr / c1 * m / (sqrt(v) / sqrt(c2) + eps)`` with its own bias corrections ``c1``,
        ``c2`` (in double precision, from the step count it is given). Keras's ``step_size * m / (sqrt(v) +
        epsilon)`` is that with ``lr = step_size * c1 / sqrt(c2)`` and ``eps = epsilon / sqrt(c2)``.
        """
        step = self._iterations + 1
        kernel_correction_1 = 1.0 - self.beta_1 ** step
        kernel_correction_2_root = (1.0 - self.beta_2 ** step) ** 0.5
        step_counts = self._fused_step_counts.get(device)
        if step_counts is None:
            step_counts = self._fused_step_counts[device] = torch.zeros((), dtype=torch.float32, device=device)
        step_counts.fill_(step)
        torch._fused_adam_(
            variables, grads, slots["momentum"], slots["velocity"], slots["velocity_hat"] if self.amsgrad else [],
            [step_counts] * len(variables), amsgrad=self.amsgrad,
            lr=step_size * kernel_correction_1 / kernel_correction_2_root, beta1=self.beta_1, beta2=self.beta_2,
            weight_decay=0.0, eps=self.epsilon / kernel_correction_2_root, maximize=False)

    def get_config(self):
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
                    amsgrad=self.amsgrad)


class AdamW(Adam):
    """Adam with weight decay: each step first multiplies the weights by ``1 - weight_decay * learning_rate``,
    then applies Adam's rule.

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to 0.001.
        weight_decay: The decay per unit of learning rate; must be a float. Defaults to 0.004.
        beta_1: Decay of the first-moment estimate. Defaults to 0.9.
        beta_2: Decay of the second-moment estimate. Defaults to 0.999.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        amsgrad: Whether to use the AMSGrad variant. Defaults to False.
        **kwargs: The other arguments every optimizer takes (``clipnorm``, ``clipvalue``, ``global_clipnorm``,
            ``name``, ...): see ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)
