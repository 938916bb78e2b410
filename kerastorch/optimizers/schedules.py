"""Learning-rate schedules: a step number in, a learning rate out, with Keras 3's formulas and configs.

A schedule is evaluated on the host, once per training step, from the optimizer's Python step counter, so it
never costs a device round trip. ``schedule(step)`` returns a Python float for an int step.
"""
import math

from kerastorch import registry


def _step_as_float(step):
    """An int, float, NumPy scalar or 0-d tensor as a Python float (a tensor costs one host read)."""
    return float(step)


def _check_positive_steps(argument, value):
    if value <= 0:
        raise ValueError(f"Argument `{argument}` must be > 0. Received: {argument}={value}")


class LearningRateSchedule:
    """Base class for schedules: subclasses implement ``__call__(step)`` and ``get_config()``.

    A subclass's ``__call__`` receives the optimizer's iteration count (an int) and returns the learning rate
    for that step.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass(cls, "schedules", module="keras.optimizers.schedules")

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `__call__(self, step)`.")

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `get_config()` in order to be "
            "serializable.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{self.__class__.__name__}({arguments})"


class _DecayOverSteps(LearningRateSchedule):
    """What ExponentialDecay and InverseTimeDecay share: their arguments, and the progress
    ``step / decay_steps`` (floored with ``staircase``) that their ``_decayed`` turns into a rate."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        _check_positive_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = self.__class__.__name__ if name is None else name

    def _decayed(self, progress):
        raise NotImplementedError

    def __call__(self, step):
        progress = _step_as_float(step) / self.decay_steps
        if self.staircase:
            progress = math.floor(progress)
        return float(self._decayed(progress))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_DecayOverSteps):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Steps over which the rate is multiplied by ``decay_rate`` once. Must be > 0.
        decay_rate: The multiplier per ``decay_steps``.
        staircase: If True, ``step / decay_steps`` is floored, so the rate drops in whole steps.
        name: Name of the schedule (defaults to ``'ExponentialDecay'``).
    """

    def _decayed(self, progress):
        return self.initial_learning_rate * self.decay_rate ** progress


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``,
    and ``values[-1]`` after the last boundary.

    Args:
        boundaries: Increasing step numbers, one fewer than ``values``.
        values: The learning rate on each interval.
        name: Name of the schedule.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. Received: "
                f"boundaries={boundaries} of length {len(boundaries)}, and values={values} of length {len(values)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = _step_as_float(step)
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return float(value)
        return float(self.values[-1])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - step / decay_steps) ** power + end``, with step held at ``decay_steps`` after it.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Steps to reach ``end_learning_rate``. Must be > 0.
        end_learning_rate: The learning rate after ``decay_steps``.
        power: The polynomial's power (1.0 is linear).
        cycle: If True, decay again from the start over the next multiple of ``decay_steps`` instead of holding.
        name: Name of the schedule.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name="PolynomialDecay"):
        _check_positive_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = _step_as_float(step)
        decay_steps = float(self.decay_steps)
        if self.cycle:
            # Step 0 belongs to the first cycle; every later step to the cycle that ends at or after it.
            decay_steps *= 1.0 if step == 0 else math.ceil(step / self.decay_steps)
        else:
            step = min(step, decay_steps)
        remaining = 1.0 - step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return float(span * remaining ** self.power + self.end_learning_rate)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class InverseTimeDecay(_DecayOverSteps):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: The step unit of the decay. Must be > 0.
        decay_rate: How fast the rate falls.
        staircase: If True, ``step / decay_steps`` is floored.
        name: Name of the schedule (defaults to ``'InverseTimeDecay'``).
    """

    def _decayed(self, progress):
        return self.initial_learning_rate / (1.0 + self.decay_rate * progress)


def _cosine_factor(fraction, alpha):
    """Half a cosine from 1 down to ``alpha`` as ``fraction`` goes from 0 to 1."""
    return (1.0 - alpha) * 0.5 * (1.0 + math.cos(math.pi * fraction)) + alpha


class CosineDecay(LearningRateSchedule):
    """An optional linear warmup, then a cosine decay to ``alpha`` times the peak rate.

    Without ``warmup_target``: ``initial * cosine(step / decay_steps)``. With it: the rate rises linearly from
    ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``, then decays from ``warmup_target``
    over ``decay_steps``. The step is held at the end of the decay.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Steps of the cosine decay. Must be > 0.
        alpha: The final rate as a fraction of the peak rate.
        name: Name of the schedule.
        warmup_target: The peak rate reached after the warmup, or None for no warmup.
        warmup_steps: Steps of the linear warmup.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        _check_positive_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def __call__(self, step):
        step = _step_as_float(step)
        if self.warmup_target is None:
            step = min(step, self.decay_steps)
            return float(self.initial_learning_rate * _cosine_factor(step / self.decay_steps, self.alpha))
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            rise = self.warmup_target - self.initial_learning_rate
            return float(rise * step / self.warmup_steps + self.initial_learning_rate)
        fraction = (step - self.warmup_steps) / self.decay_steps
        return float(self.warmup_target * _cosine_factor(fraction, self.alpha))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): period ``i`` lasts ``first_decay_steps * t_mul ** i`` steps and
    starts at ``initial_learning_rate * m_mul ** i``.

    Args:
        initial_learning_rate: The learning rate at step 0.
        first_decay_steps: Length of the first period. Must be > 0.
        t_mul: How much longer each period is than the one before.
        m_mul: How much lower each period starts than the one before.
        alpha: The rate at the end of each period as a fraction of its start.
        name: Name of the schedule.
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        _check_positive_steps("first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        fraction = _step_as_float(step) / self.first_decay_steps
        if self.t_mul == 1.0:
            restart = math.floor(fraction)
            fraction -= restart
        else:
            # Periods grow geometrically: find the period index, then the fraction done within it.
            restart = math.floor(math.log(1.0 - fraction * (1.0 - self.t_mul)) / math.log(self.t_mul))
            steps_before = (1.0 - self.t_mul ** restart) / (1.0 - self.t_mul)
            fraction = (fraction - steps_before) / self.t_mul ** restart
        peak = self.m_mul ** restart
        cosine = 0.5 * peak * (1.0 + math.cos(math.pi * fraction))
        return float(self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self.t_mul, "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


ALL_SCHEDULES = {cls.__name__: cls for cls in (
    ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay, CosineDecay,
    CosineDecayRestarts)}


registry.register_builtin(LearningRateSchedule, "schedules", module="keras.optimizers.schedules")


def serialize(learning_rate_schedule):
    """The schedule as Keras 3 writes it: ``{'module', 'class_name', 'config', 'registered_name'}``."""
    from kerastorch.saving import serialization
    return serialization.serialize_keras_object(learning_rate_schedule)


def deserialize(config, custom_objects=None):
    """A schedule from ``serialize``'s dict (``class_name`` and ``config``); ``custom_objects`` maps the names of
    user-defined schedule classes to the classes."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "Expected a learning rate schedule config: a dict with 'class_name' and 'config'. "
            f"Received: {config!r}")
    from kerastorch.saving import serialization
    return serialization.deserialize_keras_object(config, custom_objects, package="schedules")
