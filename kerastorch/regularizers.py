"""Keras 3's weight regularizers: callables that turn a weight tensor into a 0-dim penalty tensor.

Layers add the penalties of their ``kernel_regularizer``, ``bias_regularizer`` and ``activity_regularizer`` to
``layer.losses``; the training engine adds those to the loss.

    Dense(3, kernel_regularizer="l2")                               # 0.01 * sum(w**2)
    Dense(3, kernel_regularizer=kerastorch.regularizers.L1L2(l1=1e-5, l2=1e-4))
"""
import math
import numbers

import torch

from kerastorch import backend, registry
from kerastorch._porting import missing_attribute


def _non_negative_float(value, name):
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or math.isinf(value) or math.isnan(value) or value < 0):
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. "
                         f"Received: {name}={value!r}")
    return float(value)


class Regularizer:
    """Base class: subclasses implement ``__call__(x)`` returning a scalar tensor, and ``get_config()``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass(cls, "regularizers", snake_case=True)

    def __call__(self, x):
        return x.new_zeros(())

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        try:
            arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        except NotImplementedError:
            arguments = ""
        return f"{type(self).__name__}({arguments})"


class L1L2(Regularizer):
    """``l1 * sum(abs(x)) + l2 * sum(x**2)``.

    Args:
        l1: L1 factor (None means 0).
        l2: L2 factor (None means 0).
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _non_negative_float(0.0 if l1 is None else l1, "l1")
        self.l2 = _non_negative_float(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        penalty = x.new_zeros(())
        if self.l1 != 0.0:
            penalty = penalty + self.l1 * torch.sum(torch.abs(x))
        if self.l2 != 0.0:
            penalty = penalty + self.l2 * torch.sum(torch.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(abs(x))``.

    Args:
        l1: L1 factor (None means the default, 0.01).
    """

    def __init__(self, l1=0.01):
        self.l1 = _non_negative_float(0.01 if l1 is None else l1, "l1")

    def __call__(self, x):
        return self.l1 * torch.sum(torch.abs(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x**2)``.

    Args:
        l2: L2 factor (None means the default, 0.01).
    """

    def __init__(self, l2=0.01):
        self.l2 = _non_negative_float(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return self.l2 * torch.sum(torch.square(x))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2D weight towards orthogonality.

    The penalty is ``factor * 0.5 * sum(abs(off-diagonal dot products)) / number_of_pairs`` of the
    L2-normalized rows (``mode="rows"``) or columns (``mode="columns"``).

    Args:
        factor: Strength of the penalty.
        mode: ``"rows"`` or ``"columns"``.
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _non_negative_float(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(f'Invalid value for argument `mode`. Expected one of {{"rows", "columns"}}. '
                             f"Received: mode={mode!r}")
        self.mode = mode

    def __call__(self, x):
        if x.dim() != 2:
            raise ValueError("Inputs to OrthogonalRegularizer must have rank 2. "
                             f"Received: inputs.shape={tuple(x.shape)}")
        vectors = x if self.mode == "rows" else x.T
        # Keras normalizes with x * rsqrt(sum(x**2)), the inverse norm capped at 1/epsilon for zero vectors.
        inverse_norms = torch.clamp(torch.rsqrt(torch.sum(torch.square(vectors), dim=1, keepdim=True)),
                                    max=1.0 / backend.epsilon())
        unit = vectors * inverse_norms
        size = unit.shape[0]
        off_diagonal = (unit @ unit.T) * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * torch.sum(torch.abs(off_diagonal)) / pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Keras exports these lowercase names as aliases of the classes (so `l2()` is `L2()`, with l2=0.01).
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

# Keras 3 resolves each class by its name and its snake_case name.
REGULARIZERS = {"Regularizer": Regularizer, "regularizer": Regularizer, "L1": L1, "l1": L1, "L2": L2, "l2": L2,
                "L1L2": L1L2, "l1l2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer,
                "orthogonal_regularizer": OrthogonalRegularizer}
# The name Keras documents for L1L2 (and Keras 2 accepted), with the documented 0.01 factors.
_NAME_ONLY = {"l1_l2": lambda: L1L2(l1=0.01, l2=0.01)}
# The base class and Keras's extra aliases; the subclasses registered themselves by both their names.
for _name, _cls in REGULARIZERS.items():
    registry.register_builtin(_cls, "regularizers", names=(_name,))


def serialize(regularizer):
    """Keras's config dict for ``regularizer`` (None for None).

    Args:
        regularizer: A regularizer object, a function, or None.
    """
    from kerastorch.saving import serialization
    return serialization.serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    """The regularizer a Keras config dict (or a name such as ``'l2'``) describes.

    Args:
        config: A dict as :func:`serialize` writes it, or a name.
        custom_objects: Optional ``{name: class}`` consulted before the built-ins.
    """
    if isinstance(config, str) and config in _NAME_ONLY and config not in (custom_objects or {}):
        return _NAME_ONLY[config]()
    from kerastorch.saving import serialization
    return serialization.deserialize_keras_object(config, custom_objects, package="regularizers")


def get(identifier):
    """Resolve ``identifier`` to a regularizer.

    Args:
        identifier: None (returned as None), a name (``'l1'``, ``'l2'``, ``'l1_l2'``), a config dict, a class
            (built with its defaults), or a callable ``f(weight) -> penalty`` (returned as is).
    """
    from kerastorch.saving import serialization
    return serialization.get_object("regularizers", identifier, "l2", deserialize)


__getattr__ = missing_attribute(__name__)
