"""The optimizer base class: Keras 3's arguments and API, with updates as torch foreach ops on lists of tensors.

One training step runs, in Keras's order: unscale the gradients (``loss_scale_factor``), clip them (``clipnorm``,
``global_clipnorm`` or ``clipvalue``), decay the weights (``var *= 1 - weight_decay * lr``), apply the
optimizer's rule, apply each variable's ``constraint``, and count the step.

Everything that depends on the step number (the learning rate from a schedule, bias corrections) is computed on
the host from a Python step counter and passed to the kernels as plain numbers, so a step never waits on the
device. The lists of tensors a step works on are built once and reused while the same variables get gradients.
"""
import contextlib
import numbers
import re
import warnings

import numpy as np
import torch

from kerastorch import _legacy, backend, global_state, registry
from kerastorch.optimizers import schedules



class StepCount(int):
    """The optimizer's step count: an int that also answers ``.numpy()``, as Keras's iteration variable does."""

    def numpy(self):
        return np.int64(self)


class LearningRateValue(float):
    """The current learning rate: a float that also answers ``.numpy()`` and ``.assign(value)``, as Keras's
    learning-rate variable does (``optimizer.learning_rate.assign(1e-4)`` in a callback sets the rate)."""

    def __new__(cls, value, optimizer=None):
        instance = super().__new__(cls, value)
        instance._optimizer = optimizer
        return instance

    def numpy(self):
        return np.float32(self)

    def __reduce__(self):
        # Copies and pickles (of logs, say) are plain floats that do not drag the optimizer along.
        return float, (float(self),)

    def assign(self, value):
        if self._optimizer is None:
            raise ValueError("This learning rate value is not attached to an optimizer; set "
                             "`optimizer.learning_rate = value` instead.")
        self._optimizer.learning_rate = value


def _checked_learning_rate(value):
    """A schedule or callable as is, a number as a Python float, anything else a ValueError."""
    if isinstance(value, schedules.LearningRateSchedule) or callable(value):
        return value
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()  # set once by the user, never per step
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    raise ValueError(
        "Argument `learning_rate` should be a float, an instance of LearningRateSchedule, or a callable that takes "
        f"no arguments and returns the learning rate. Received instead: learning_rate={value!r}")


def _translate_keras2_arguments(learning_rate, kwargs):
    """``(learning_rate, decay)`` from Keras 2's ``lr=`` (renamed ``learning_rate``) and ``decay=`` (the rate is
    ``learning_rate / (1 + decay * iterations)`` at each step), each with a once-only DeprecationWarning that says
    what to write; ``decay`` is 0.0 when not given."""
    if "lr" in kwargs:
        _legacy.warn_once("lr", "`learning_rate`")
        learning_rate = kwargs.pop("lr")
    decay = kwargs.pop("decay", None) or 0.0
    if not isinstance(decay, numbers.Real) or isinstance(decay, bool) or decay < 0:
        raise ValueError(f"Keras 2's `decay` must be a float >= 0. Received: decay={decay!r}")
    if decay:
        if isinstance(learning_rate, schedules.LearningRateSchedule) or callable(learning_rate):
            raise ValueError(
                f"Keras 2's `decay` argument cannot be combined with a learning rate schedule. Received: decay={decay} "
                f"and learning_rate={learning_rate!r}. Put the decay in the schedule.")
        _legacy.warn_once(
            "decay", f"learning_rate=keras.optimizers.schedules.InverseTimeDecay({learning_rate}, decay_steps=1, "
                     f"decay_rate={decay}) (Keras 3 ignores `decay`; kerastorch applies it as Keras 2 did)")
    return learning_rate, float(decay)


def _variable_name(variable):
    """The name that ``exclude_from_weight_decay(var_names=...)`` patterns are matched against."""
    for attribute in ("name", "path"):
        value = getattr(variable, attribute, None)
        if isinstance(value, str) and value:
            return value
    return ""


def _clip_each_by_norm(grads, clipnorm):
    """Each gradient scaled to an L2 norm of at most ``clipnorm``: ``g * clipnorm / max(norm(g), clipnorm)``."""
    norms = torch._foreach_norm(grads)
    torch._foreach_clamp_min_(norms, clipnorm)
    clipped = torch._foreach_mul(grads, clipnorm)
    torch._foreach_div_(clipped, norms)
    return clipped


def _clip_by_global_norm(grads, clipnorm):
    """All gradients scaled together so that their joint L2 norm is at most ``clipnorm`` (NaN if it is not
    finite, as in Keras)."""
    norms = torch._foreach_norm(grads)
    device = norms[0].device
    total = torch.linalg.vector_norm(torch.stack([norm.to(device) for norm in norms]))
    scale = torch.clamp(total.reciprocal(), max=1.0 / clipnorm) * clipnorm + (total - total)
    return torch._foreach_mul(grads, scale)


def _clip_by_value(grads, clipvalue):
    clipped = torch._foreach_clamp_min(grads, -clipvalue)
    torch._foreach_clamp_max_(clipped, clipvalue)
    return clipped


# Where torch has fused optimizer kernels, and for which dtypes (float64 stays on the foreach path).
_FUSED_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu")
_FUSED_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


def _common_fused_device(variables):
    """The variables' device when they all share one device and dtype that fused kernels support, else None."""
    if not variables:
        return None
    device, dtype = variables[0].device, variables[0].dtype
    if device.type not in _FUSED_DEVICE_TYPES or dtype not in _FUSED_DTYPES:
        return None
    if any(v.device != device or v.dtype != dtype or v.is_sparse for v in variables):
        return None
    return device


class _StepLists:
    """The lists one step works on, for one set of variables: their slots, which of them get weight decay and
    constraints, and the device a fused kernel may run them on (None when it may not)."""

    def __init__(self, slots, decayed, constrained, fused_device):
        self.slots = slots
        self.decayed = decayed
        self.constrained = constrained
        self.fused_device = fused_device


# The data-parallel loop's reducer (None otherwise): a function from this rank's gradients (a list, None for a
# missing one) to the global batch's, which ``apply`` passes the gradients of a model's own ``train_step`` through.
_gradient_reducer = [None]


@contextlib.contextmanager
def gradients_reduced_by(reducer):
    """``with gradients_reduced_by(fn):`` -- inside the block, every optimizer's ``apply`` (and
    ``apply_gradients``) updates from ``fn(grads)`` instead of ``grads``: how a data-parallel fit averages the
    gradients a model's own ``train_step`` computes."""
    previous = _gradient_reducer[0]
    _gradient_reducer[0] = reducer
    try:
        yield
    finally:
        _gradient_reducer[0] = previous


class Optimizer:
    """Base class of the optimizers.

    Subclasses list their per-variable state in ``_slot_groups`` and implement ``_update``, which applies their
    rule to lists of gradients, variables and slots with torch foreach ops.

    Args:
        learning_rate: A float, a ``keras.optimizers.schedules.LearningRateSchedule`` (evaluated at each step),
            or a callable with no arguments that returns the rate.
        weight_decay: Float. If set, each variable is multiplied by ``1 - weight_decay * learning_rate`` before
            each update (see ``exclude_from_weight_decay``).
        clipnorm: Float. If set, each gradient is rescaled so that its L2 norm is at most this value.
        clipvalue: Float. If set, each gradient is clipped elementwise to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Float. If set, all gradients are rescaled together so that their joint L2 norm is at
            most this value. At most one of the three clipping arguments may be set.
        use_ema: Keras's moving average of the weights; not supported yet (only False).
        ema_momentum: Momentum of that moving average (used only with ``use_ema``).
        ema_overwrite_frequency: Steps between overwrites of the weights by their moving average (used only
            with ``use_ema``).
        loss_scale_factor: Float or None. If set, ``scale_loss`` multiplies the loss by it and each step divides
            the gradients by it.
        gradient_accumulation_steps: Keras's gradient accumulation; not supported yet (only None).
        name: The optimizer's name; by default the class name in snake case, numbered (``adam``, ``adam_1``).
        **kwargs: Keras 2's ``lr`` (use ``learning_rate``) and ``decay`` (use a schedule) are accepted with a
            DeprecationWarning; anything else is an error.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Keras resolves optimizer names in any case: "adam", "Adam", "SGD".
        registry.register_subclass(cls, "optimizers")
        if registry.find_builtin("optimizers", cls.__name__) is cls:
            registry.register_builtin(cls, "optimizers", names=(cls.__name__.lower(),))

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        learning_rate, self._keras2_decay = _translate_keras2_arguments(learning_rate, kwargs)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if use_ema:
            raise NotImplementedError(
                "use_ema=True (a moving average of the weights) is not supported by kerastorch yet. "
                "Received: use_ema=True; use the default use_ema=False.")
        if gradient_accumulation_steps is not None:
            raise NotImplementedError(
                "Gradient accumulation is not supported by kerastorch yet. Received: "
                f"gradient_accumulation_steps={gradient_accumulation_steps}; use the default None.")
        clip_arguments = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(value is not None for value in clip_arguments.values()) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                + ", ".join(f"{key}={value}" for key, value in clip_arguments.items()))
        for key, value in dict(clip_arguments, weight_decay=weight_decay,
                               loss_scale_factor=loss_scale_factor).items():
            if value is not None and (not isinstance(value, numbers.Real) or isinstance(value, bool)):
                raise ValueError(f"Argument `{key}` must be a float or None. Received: {key}={value!r}")

        self.name = name if name is not None else global_state.auto_name(self.__class__.__name__)
        self._learning_rate = _checked_learning_rate(learning_rate)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps

        self.built = False
        self._iterations = 0
        self._trainable_variables = []
        self._variable_index = {}
        self._slots = {}
        self._slot_order = []
        self._excluded_ids = set()
        self._excluded_pattern = None
        self._step_lists_key = None
        self._step_lists = None
        # Keras computes a step's scalars in the variables' float type; build() sets it from the first variable.
        self._host_float = np.float32

    @property
    def epsilon(self):
        """The small constant of the optimizers that divide by a root (Adam, RMSprop, ...)."""
        return self._epsilon

    @epsilon.setter
    def epsilon(self, value):
        if value is None:
            # Keras 2's optimizers took epsilon=None for the backend's fuzz factor.
            _legacy.warn_once("epsilon=None", "a number (Keras 2's None meant `keras.backend.epsilon()`, "
                                              f"{backend.epsilon()})")
            value = backend.epsilon()
        self._epsilon = value

    # ---- per-variable state ----------------------------------------------------------------------------------

    def _slot_groups(self):
        """The optimizer's per-variable state as groups of ``(name, initial value)``. Within a group the slots
        are created variable by variable, interleaved, which is the order of Keras's ``variables``."""
        return []

    def build(self, variables):
        """Create the optimizer's state for ``variables`` (torch tensors), each slot on its variable's device and
        in its dtype. Building twice does nothing."""
        if self.built:
            return
        variables = list(variables)
        for position, variable in enumerate(variables):
            if not isinstance(variable, torch.Tensor) or not variable.is_floating_point():
                raise ValueError(
                    f"{self.__class__.__name__} can only optimize floating-point torch tensors. Received at "
                    f"position {position}: {type(variable).__name__}"
                    + (f" of dtype {variable.dtype}" if isinstance(variable, torch.Tensor) else ""))
        self._trainable_variables = variables
        self._variable_index = {id(variable): i for i, variable in enumerate(variables)}
        with torch.no_grad():
            for group in self._slot_groups():
                for slot_name, initial_value in group:
                    self._slots[slot_name] = [torch.full_like(v, initial_value) for v in variables]
                self._slot_order += [(slot_name, i) for i in range(len(variables)) for slot_name, _ in group]
        if variables and variables[0].dtype == torch.float64:
            self._host_float = np.float64
        self.built = True

    def follow_variables(self):
        """Move each slot to its variable's device and dtype, once the variables have moved: ``model.to("cuda")``
        or ``model.double()`` after a first fit change the tensors in place, and the slots built for them must
        follow. Called by fit before it trains; does nothing when nothing moved (or before ``build``)."""
        moved = False
        with torch.no_grad():
            for tensors in self._slots.values():
                for i, (slot, variable) in enumerate(zip(tensors, self._trainable_variables)):
                    if slot.device != variable.device or slot.dtype != variable.dtype:
                        tensors[i] = slot.to(device=variable.device, dtype=variable.dtype)
                        moved = True
        if moved:
            self._step_lists_key = self._step_lists = None   # their fused device was the old one
        if self._trainable_variables:
            self._host_float = np.float64 if self._trainable_variables[0].dtype == torch.float64 else np.float32

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exclude variables from weight decay: those in ``var_list``, and those whose name contains any of the
        strings in ``var_names`` (e.g. ``['bias']``). Call it before the optimizer is built."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        self._excluded_ids = {id(variable) for variable in var_list or []}
        self._excluded_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _uses_weight_decay(self, variable):
        if id(variable) in self._excluded_ids:
            return False
        return self._excluded_pattern is None or not self._excluded_pattern.search(_variable_name(variable))

    def _lists_for(self, variables):
        """The slots, decayed and constrained variables for this list of variables, rebuilt only when the list
        changes (the constraints present are read then)."""
        key = tuple(map(id, variables))
        if key == self._step_lists_key:
            return self._step_lists
        try:
            indices = [self._variable_index[id(variable)] for variable in variables]
        except KeyError:
            unknown = next(v for v in variables if id(v) not in self._variable_index)
            raise ValueError(
                f"Unknown variable of shape {tuple(unknown.shape)}. This optimizer can only be called for the "
                "variables it was originally built with. When working with a new set of variables, you should "
                "recreate a new optimizer instance.") from None
        if indices == list(range(len(self._trainable_variables))):
            slots = self._slots
        else:
            slots = {slot_name: [tensors[i] for i in indices] for slot_name, tensors in self._slots.items()}
        decayed = [v for v in variables if self._uses_weight_decay(v)] if self.weight_decay else []
        constrained = [v for v in variables if getattr(v, "constraint", None) is not None]
        self._step_lists_key = key
        self._step_lists = _StepLists(slots, decayed, constrained, _common_fused_device(variables))
        return self._step_lists

    # ---- applying gradients ----------------------------------------------------------------------------------

    def _update(self, grads, variables, slots, learning_rate):
        """Apply the rule in place. ``slots`` maps each slot name to the list aligned with ``variables``;
        ``self._step_lists`` describes the same variables."""
        raise NotImplementedError(f"{self.__class__.__name__} must implement `_update`.")

    @torch.no_grad()
    def _apply_step(self, grads, variables):
        lists = self._lists_for(variables)
        learning_rate = self._current_learning_rate()
        if self.loss_scale_factor is not None:
            grads = torch._foreach_div(grads, self.loss_scale_factor)
        if self.clipnorm and self.clipnorm > 0:
            grads = _clip_each_by_norm(grads, self.clipnorm)
        elif self.global_clipnorm and self.global_clipnorm > 0:
            grads = _clip_by_global_norm(grads, self.global_clipnorm)
        elif self.clipvalue and self.clipvalue > 0:
            grads = _clip_by_value(grads, self.clipvalue)
        if lists.decayed:
            host = self._host_float
            torch._foreach_mul_(lists.decayed, float(host(1) - host(self.weight_decay) * host(learning_rate)))
        self._update(grads, variables, lists.slots, learning_rate)
        for variable in lists.constrained:
            variable.copy_(variable.constraint(variable))
        self._iterations += 1

    def step(self, variables=None):
        """The training engine's fast path: update each variable from its ``.grad`` (variables without one are
        skipped), in place, and count the step. ``variables`` defaults to those the optimizer was built with;
        the first call builds it."""
        variables = self._step_variables(variables)
        grads = [variable.grad for variable in variables]
        if any(grad is None for grad in grads):
            pairs = [(grad, variable) for grad, variable in zip(grads, variables) if grad is not None]
            if not pairs:
                raise ValueError("No gradients provided for any variable.")
            grads, variables = [list(side) for side in zip(*pairs)]
        self._apply_step(grads, variables)

    def _step_variables(self, variables):
        """``step``'s variables: those given (building the optimizer on the first call), else those it was built
        with."""
        if variables is None:
            if not self.built:
                raise ValueError("Call `optimizer.build(variables)` or pass the variables to `step` first.")
            return self._trainable_variables
        variables = list(variables)
        self.build(variables)
        return variables

    def apply(self, grads, trainable_variables=None):
        """Update ``trainable_variables`` with ``grads`` (torch tensors or arrays, one per variable; None skips
        a variable). Without ``trainable_variables``, the variables the optimizer was built with are used.

        In a data-parallel fit (a model's own ``train_step`` under torchrun), the gradients are first averaged
        over the processes (see ``gradients_reduced_by``)."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built on a list of "
                    "variables. Call `optimizer.build(trainable_variables)` first.")
            variables = self._trainable_variables
        else:
            variables = list(trainable_variables)
            self.build(variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"Expected one gradient per variable. Received {len(grads)} gradients for {len(variables)} "
                "variables.")
        reducer = _gradient_reducer[0]
        if reducer is not None:
            grads = reducer([None if grad is None else self._as_gradient(grad, v)
                             for grad, v in zip(grads, variables)], variables)
        missing = [tuple(v.shape) for grad, v in zip(grads, variables) if grad is None]
        pairs = [(self._as_gradient(grad, v), v) for grad, v in zip(grads, variables) if grad is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables of shapes {missing} when minimizing the loss.",
                          stacklevel=2)
        grads, variables = [list(side) for side in zip(*pairs)]
        self._apply_step(grads, variables)

    def apply_gradients(self, grads_and_vars):
        """Keras's ``apply_gradients([(grad, variable), ...])``; returns the step count."""
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)
        return self.iterations

    @staticmethod
    def _as_gradient(grad, variable):
        if not isinstance(grad, torch.Tensor) or grad.dtype != variable.dtype or grad.device != variable.device:
            grad = torch.as_tensor(grad, dtype=variable.dtype, device=variable.device)
        if grad.shape != variable.shape:
            raise ValueError(f"A gradient of shape {tuple(grad.shape)} was given for a variable of shape "
                             f"{tuple(variable.shape)}; they must match.")
        if grad.stride() != variable.stride():
            # Fused kernels want a gradient laid out like its variable, as autograd's gradients are.
            grad = torch.empty_like(variable).copy_(grad)
        return grad

    def scale_loss(self, loss):
        """The loss times ``loss_scale_factor`` (unchanged when it is None)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def finalize_variable_values(self, var_list):
        """Called by fit at the end of training; a no-op without ``use_ema``."""

    # ---- learning rate and step count ------------------------------------------------------------------------

    def _scheduled_learning_rate(self):
        """The rate the user set (a float, or a schedule's or callable's value now), before Keras 2's decay."""
        rate = self._learning_rate
        if isinstance(rate, schedules.LearningRateSchedule):
            return float(rate(self._iterations))
        if callable(rate):
            return float(rate())
        return rate

    def _current_learning_rate(self):
        """The rate this step applies: the scheduled rate, divided by ``1 + decay * iterations`` under Keras 2's
        ``decay`` (in the variables' float type, as tf.keras computes it)."""
        rate = self._scheduled_learning_rate()
        if self._keras2_decay:
            host = self._host_float
            rate = float(host(rate) / (host(1) + host(self._keras2_decay) * host(self._iterations)))
        return rate

    @property
    def learning_rate(self):
        """The learning rate at the current step, as a float. Set it to a float, a schedule or a callable.

        Under Keras 2's ``decay`` it is the rate before the decay, as Keras 2's ``optimizer.lr`` was: setting it
        (``K.set_value(model.optimizer.lr, ...)``, ``ReduceLROnPlateau``) sets that rate and the decay goes on."""
        return LearningRateValue(self._scheduled_learning_rate(), self)

    @learning_rate.setter
    def learning_rate(self, value):
        is_schedule = isinstance(value, schedules.LearningRateSchedule) or callable(value)
        if not is_schedule and isinstance(self._learning_rate, schedules.LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                "constructor argument, hence its learning rate is not settable. If you need the learning rate to "
                "be settable, you should instantiate the optimizer with a float `learning_rate` argument.")
        self._learning_rate = _checked_learning_rate(value)

    # Keras 2's name for the learning rate.
    lr = learning_rate

    @property
    def iterations(self):
        """The number of steps applied so far (starts at 0)."""
        return StepCount(self._iterations)

    @iterations.setter
    def iterations(self, value):
        self._iterations = int(value)

    # ---- state as a list of tensors --------------------------------------------------------------------------

    def _host_state(self):
        """Scalar state kept on the host besides the step count and learning rate, in Keras's order."""
        return []

    def _set_host_state(self, values):
        pass

    @property
    def variables(self):
        """The optimizer's state in Keras's order: the step count, the learning rate (when it is a float), the
        slots, then any scalar state. The first two (and the scalars) are copies; the slots are live."""
        # The scalar copies are made where the slots live, as Keras's variables all live on the device.
        device = self._trainable_variables[0].device if self._trainable_variables else None
        state = [torch.tensor(self._iterations, dtype=torch.int32, device=device)]   # int32, as Keras keeps it
        if isinstance(self._learning_rate, float):
            state.append(torch.tensor(self._learning_rate, dtype=torch.float32, device=device))
        state += [self._slots[slot_name][i] for slot_name, i in self._slot_order]
        state += [torch.tensor(value, dtype=torch.float32, device=device) for value in self._host_state()]
        return state

    def get_weights(self):
        """The state as NumPy arrays (Keras 2's ``get_weights``): copies, not views of the live slots."""
        return [value.detach().to("cpu", copy=True).numpy() for value in self.variables]

    def set_weights(self, weights):
        """Restore the state from arrays in ``variables``' order."""
        self._require_built_for_set_weights()
        self._assign_weights(weights)

    def _assign_weights(self, weights):
        """set_weights without its built check (subclasses with their own state override this)."""
        current = self.variables
        if len(weights) != len(current):
            raise ValueError(f"Expected {len(current)} optimizer weights, received {len(weights)}.")
        for position, (variable, weight) in enumerate(zip(current, weights)):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(f"Optimizer weight {position} has shape {tuple(variable.shape)} not compatible "
                                 f"with provided weight shape {tuple(np.shape(weight))}.")
        values = iter(weights)
        self._iterations = int(next(values))
        if isinstance(self._learning_rate, float):
            self._learning_rate = float(next(values))
        with torch.no_grad():
            for slot_name, i in self._slot_order:
                slot = self._slots[slot_name][i]
                slot.copy_(torch.as_tensor(np.asarray(next(values)), dtype=slot.dtype))
        self._set_host_state([float(value) for value in values])

    def _require_built_for_set_weights(self):
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. Please call "
                "`optimizer.build(trainable_variables)` to create the optimizer weights before calling "
                "`set_weights()`.")

    def save_own_variables(self, store):
        """Write the state into ``store`` under ``'0'``, ``'1'``, ... (Keras's saving layout)."""
        for position, value in enumerate(self.get_weights()):
            store[str(position)] = value

    def load_own_variables(self, store):
        """Read the state written by ``save_own_variables``; warn and skip when the counts differ."""
        expected = len(self.variables)
        if len(store.keys()) != expected:
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it has {expected} variables "
                f"whereas the saved optimizer has {len(store.keys())} variables."
                + (" This is likely because the optimizer has not been called/built yet." if not self.built else ""),
                stacklevel=2)
            return
        # Not set_weights: an optimizer that is not built yet (a model saved before training) still holds its
        # iteration count and learning rate, which load as Keras loads them.
        self._assign_weights([store[str(position)] for position in range(expected)])

    # ---- config ----------------------------------------------------------------------------------------------

    def get_config(self):
        """The constructor arguments, in Keras 3's schema (a schedule is serialized as a dict); Keras 2's
        ``decay`` too when it is set (Keras 3 ignores it when it loads the config)."""
        rate = self._learning_rate
        if isinstance(rate, schedules.LearningRateSchedule):
            rate = schedules.serialize(rate)
        return {
            "name": self.name,
            "learning_rate": rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
            **({"decay": self._keras2_decay} if self._keras2_decay else {}),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new optimizer (without state) from ``get_config()``'s dict."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{self.__class__.__name__} name={self.name!r} learning_rate={self._learning_rate!r}>"
