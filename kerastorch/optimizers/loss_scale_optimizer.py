"""LossScaleOptimizer: dynamic loss scaling for float16 training, around another optimizer."""
import numbers

import torch

from kerastorch.optimizers.optimizer import Optimizer


class LossScaleOptimizer(Optimizer):
    """Multiplies the loss by a scale before backpropagation, so that small float16 gradients do not underflow,
    and divides the gradients by it before the wrapped optimizer applies them. The scale adapts:

    - a step whose gradients hold an inf or NaN is skipped (the wrapped optimizer does not move, its step count
      does not grow) and the scale is halved;
    - after ``dynamic_growth_steps`` finite steps in a row the scale is doubled.

    ``compile`` wraps the optimizer in one automatically when the model's dtype policy is ``"mixed_float16"``.
    Checking the gradients costs one device-to-host read per step, as torch's ``GradScaler`` does.

    Args:
        inner_optimizer: the optimizer that applies the unscaled gradients.
        initial_scale: the first scale (2**15). Too high a scale is lowered faster than too low a one is raised.
        dynamic_growth_steps: finite steps between doublings of the scale (2000).
        name: defaults to ``loss_scale_optimizer``.
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000, name=None, **kwargs):
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError(f"Argument `inner_optimizer` must be an optimizer instance. Received: "
                             f"inner_optimizer={inner_optimizer!r}")
        if isinstance(inner_optimizer, LossScaleOptimizer):
            raise ValueError("Argument `inner_optimizer` is already a LossScaleOptimizer; wrap the optimizer once.")
        if not isinstance(initial_scale, numbers.Real) or isinstance(initial_scale, bool) or initial_scale <= 0:
            raise ValueError(f"Argument `initial_scale` must be a positive number. Received: "
                             f"initial_scale={initial_scale!r}")
        if not isinstance(dynamic_growth_steps, int) or isinstance(dynamic_growth_steps, bool) \
                or dynamic_growth_steps < 1:
            raise ValueError(f"Argument `dynamic_growth_steps` must be a positive integer. Received: "
                             f"dynamic_growth_steps={dynamic_growth_steps!r}")
        super().__init__(learning_rate=0.0, name=name or "loss_scale_optimizer", **kwargs)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = dynamic_growth_steps
        self.dynamic_scale = float(initial_scale)
        self.step_counter = 0

    # ---- building and stepping -------------------------------------------------------------------------------

    def build(self, variables):
        if self.built:
            return
        self.inner_optimizer.build(variables)
        self._trainable_variables = self.inner_optimizer._trainable_variables
        self.built = True

    def scale_loss(self, loss):
        """The loss times the current scale (what fit backpropagates from)."""
        return loss * self.dynamic_scale

    @torch.no_grad()
    def _unscaled_and_finite(self, grads):
        """Divide ``grads`` by the scale in place; whether they were all finite (the one host read)."""
        found_inf = torch.zeros(1, device=grads[0].device)
        inverse_scale = torch.full((1,), 1.0 / self.dynamic_scale, device=grads[0].device)
        by_device = {}
        for grad in grads:
            by_device.setdefault(grad.device, []).append(grad)
        for device, group in by_device.items():
            found = found_inf if device == found_inf.device else torch.zeros(1, device=device)
            torch._amp_foreach_non_finite_check_and_unscale_(group, found, inverse_scale.to(device))
            if found is not found_inf:
                found_inf += found.to(found_inf.device)
        return not bool(found_inf.item())

    def _update_scale(self, finite):
        if not finite:
            self.dynamic_scale /= 2.0
            self.step_counter = 0
            return
        self.step_counter += 1
        if self.step_counter >= self.dynamic_growth_steps:
            self.dynamic_scale *= 2.0
            self.step_counter = 0

    def step(self, variables=None):
        """fit's fast path: unscale each ``.grad`` in place, then step the wrapped optimizer unless one of them
        is not finite, and adapt the scale."""
        variables = self._step_variables(variables)
        grads = [variable.grad for variable in variables if variable.grad is not None]
        if not grads:
            raise ValueError("No gradients provided for any variable.")
        finite = self._unscaled_and_finite(grads)
        if finite:
            self.inner_optimizer.step(variables)
        self._update_scale(finite)

    def _apply_step(self, grads, variables):
        """``apply``'s step, after the base class has checked and paired ``grads`` (scaled gradients of
        ``scale_loss(loss)``) with ``variables``: unscaled on copies, so the caller's tensors are left as given."""
        grads = [grad.clone() for grad in grads]
        finite = self._unscaled_and_finite(grads)
        if finite:
            self.inner_optimizer._apply_step(grads, variables)
        self._update_scale(finite)

    def follow_variables(self):
        self.inner_optimizer.follow_variables()

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    # ---- what the wrapped optimizer owns ---------------------------------------------------------------------

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    lr = learning_rate

    @property
    def iterations(self):
        """The wrapped optimizer's step count: skipped steps do not count."""
        return self.inner_optimizer.iterations

    @iterations.setter
    def iterations(self, value):
        self.inner_optimizer.iterations = value

    # ---- state -----------------------------------------------------------------------------------------------

    @property
    def variables(self):
        """Keras's order: this optimizer's step count (always 0) and learning rate (0.0), the step counter and
        the scale, then the wrapped optimizer's variables."""
        device = self._trainable_variables[0].device if self._trainable_variables else None
        own = [torch.tensor(0, dtype=torch.int32, device=device), torch.tensor(0.0, device=device),
               torch.tensor(self.step_counter, dtype=torch.int32, device=device),
               torch.tensor(self.dynamic_scale, device=device)]
        return own + self.inner_optimizer.variables

    def _assign_weights(self, weights):
        weights = list(weights)
        expected = len(self.variables)
        if len(weights) != expected:
            raise ValueError(f"Expected {expected} optimizer weights, received {len(weights)}.")
        self.step_counter = int(weights[2])
        self.dynamic_scale = float(weights[3])
        self.inner_optimizer._assign_weights(weights[4:])

    # ---- config ----------------------------------------------------------------------------------------------

    def get_config(self):
        from kerastorch.optimizers import serialize
        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerastorch.optimizers import deserialize
        config = dict(config)
        inner = config.pop("inner_optimizer")
        if isinstance(inner, dict):
            inner = deserialize(inner, custom_objects=custom_objects)
        return cls(inner, **config)

    def __repr__(self):
        return (f"<LossScaleOptimizer name={self.name!r} inner_optimizer={self.inner_optimizer!r} "
                f"dynamic_scale={self.dynamic_scale}>")
