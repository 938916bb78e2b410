"""Keras 3's weight constraints: callables that map a weight tensor to its constrained value.

The training engine applies a layer's ``kernel_constraint`` / ``bias_constraint`` after each optimizer step.
Norms are taken along ``axis`` (default 0: for a Dense kernel ``(input_dim, units)``, each unit's incoming
weights; for a Conv2D kernel ``(rows, cols, in, out)`` use ``axis=[0, 1, 2]``).

    Dense(3, kernel_constraint="max_norm")                      # each column's norm at most 2
    Dense(3, kernel_constraint=kerastorch.constraints.NonNeg())
"""
import torch

from kerastorch import backend, registry
from kerastorch._porting import missing_attribute


def _norms(w, axis):
    """The L2 norms of ``w`` along ``axis`` (an int or a list of ints), kept broadcastable against ``w``."""
    dims = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    return torch.sqrt(torch.sum(torch.square(w), dim=dims, keepdim=True))


class Constraint:
    """Base class: subclasses implement ``__call__(w)`` returning the constrained tensor. The base leaves
    ``w`` unchanged."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass(cls, "constraints", snake_case=True)

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class MaxNorm(Constraint):
    """Rescales the weight vectors along ``axis`` whose norm exceeds ``max_value`` down to ``max_value``.

    Args:
        max_value: The largest norm allowed.
        axis: Axis (or list of axes) along which norms are computed.
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        return w * (torch.clamp(norms, 0, self.max_value) / (backend.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves the norm of each weight vector along ``axis`` into ``[min_value, max_value]``.

    The new norm is ``rate * clip(norm, min_value, max_value) + (1 - rate) * norm``: ``rate=1`` enforces the
    bounds at once, a smaller rate moves towards them gradually.

    Args:
        min_value: The smallest norm allowed.
        max_value: The largest norm allowed.
        rate: How far each application moves towards the bounds.
        axis: Axis (or list of axes) along which norms are computed.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = self.rate * torch.clamp(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        return torch.clamp(w, min=0)


class UnitNorm(Constraint):
    """Rescales each weight vector along ``axis`` to unit norm.

    Args:
        axis: Axis (or list of axes) along which norms are computed.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (backend.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


# Keras exports the snake_case names as aliases of the classes.
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm

# Keras 3 resolves each class by its name and its snake_case name.
CONSTRAINTS = {"Constraint": Constraint, "constraint": Constraint, "MaxNorm": MaxNorm, "max_norm": MaxNorm,
               "MinMaxNorm": MinMaxNorm, "min_max_norm": MinMaxNorm, "NonNeg": NonNeg, "non_neg": NonNeg,
               "UnitNorm": UnitNorm, "unit_norm": UnitNorm}
# The base class and Keras's extra aliases; the subclasses registered themselves by both their names.
for _name, _cls in CONSTRAINTS.items():
    registry.register_builtin(_cls, "constraints", names=(_name,))


def serialize(constraint):
    """Keras's config dict for ``constraint`` (None for None).

    Args:
        constraint: A constraint object, a function, or None.
    """
    from kerastorch.saving import serialization
    return serialization.serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    """The constraint a Keras config dict (or a name such as ``'max_norm'``) describes.

    Args:
        config: A dict as :func:`serialize` writes it, or a name.
        custom_objects: Optional ``{name: class}`` consulted before the built-ins.
    """
    from kerastorch.saving import serialization
    return serialization.deserialize_keras_object(config, custom_objects, package="constraints")


def get(identifier):
    """Resolve ``identifier`` to a constraint.

    Args:
        identifier: None (returned as None), a name (``'max_norm'``), a config dict, a class (built with its
            defaults), or a callable ``f(weight) -> weight`` (returned as is).
    """
    from kerastorch.saving import serialization
    return serialization.get_object("constraints", identifier, "max_norm")


__getattr__ = missing_attribute(__name__)
