"""Keras 3's weight initializers, drawing with torch.

An initializer is called as ``init(shape, dtype=None)`` and returns a CPU torch tensor (floatx unless ``dtype``
says otherwise); the layer moves it to its device. Defaults, fan arithmetic and the truncated normal are
Keras 3's, and an integer ``seed`` draws exactly the numbers Keras 3 draws on its torch backend for that seed
on the CPU. ``seed=None`` draws from torch's global generator, so ``kerastorch.utils.set_random_seed`` makes a
whole model reproducible.

    Dense(3, kernel_initializer="he_normal")
    Dense(3, kernel_initializer=kerastorch.initializers.RandomNormal(stddev=0.01, seed=1))
"""
import math
import numbers

import numpy as np
import torch

from kerastorch import _legacy, backend, registry
from kerastorch._porting import missing_attribute

# The standard deviation of a unit normal truncated to [-2, 2]; dividing by it gives the truncated samples
# the variance the scaling rule asks for.
_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def _shape_tuple(shape):
    try:
        return tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"Expected `shape` to be a tuple of integers. Received: shape={shape!r}") from None


def compute_fans(shape, input_axes=None, output_axes=None):
    """The number of input and output units of a weight of ``shape``, as Keras counts them.

    A kernel ``(..., in, out)`` of rank > 2 is a convolution kernel: its receptive field (the product of the
    leading dimensions) multiplies both fans.

    Args:
        shape: The weight's shape.
        input_axes: Optional axes whose product is the fan-in (used together with ``output_axes``).
        output_axes: Optional axes whose product is the fan-out.

    Returns:
        ``(fan_in, fan_out)`` as integers.
    """
    shape = _shape_tuple(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config()``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass(cls, "initializers", snake_case=True)

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement `__call__(shape, dtype=None)`.")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


# ---- constants -----------------------------------------------------------------------------------------------

class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return torch.zeros(_shape_tuple(shape), dtype=backend.torch_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return torch.ones(_shape_tuple(shape), dtype=backend.torch_dtype(dtype))


class Constant(Initializer):
    """Every element equal to ``value`` (a scalar, or an array that broadcasts to the shape).

    Args:
        value: The fill value.
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        dtype = backend.torch_dtype(dtype)
        value = torch.as_tensor(self.value, dtype=dtype, device="cpu")
        return value * torch.ones(_shape_tuple(shape), dtype=dtype)

    def get_config(self):
        value = self.value
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        return {"value": value.tolist() if isinstance(value, np.ndarray) else value}


class Identity(Initializer):
    """``gain`` times the identity matrix (2D shapes only; rectangular shapes get ones on the diagonal).

    Args:
        gain: Multiplier of the identity.
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape_tuple(shape)
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        return self.gain * torch.eye(*shape, dtype=backend.torch_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


# ---- random --------------------------------------------------------------------------------------------------

class RandomInitializer(Initializer):
    """Base of the random initializers: owns the seed.

    Args:
        seed: An integer (the same seed gives the same values on every call) or None (draw from torch's
            global generator).
    """

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"`seed` argument should be an integer or None. Received: seed={seed!r}")
        self.seed = None if seed is None else int(seed)

    # Draws happen on the CPU (the layer moves the result), so a seed gives the same values on every device.
    def _generator(self):
        """A fresh generator for an integer seed, else None (torch's global generator)."""
        if self.seed is None:
            return None
        # Keras's torch backend seeds its generator with the seed read as an unsigned 32-bit integer.
        return torch.Generator().manual_seed(self.seed & 0xFFFFFFFF)

    def _normal(self, shape, mean, stddev, dtype):
        return torch.normal(mean, stddev, size=shape, generator=self._generator(), dtype=dtype, device="cpu")

    def _uniform(self, shape, minval, maxval, dtype):
        return (maxval - minval) * torch.rand(shape, generator=self._generator(), dtype=dtype, device="cpu") + minval

    def _truncated_normal(self, shape, mean, stddev, dtype):
        # Keras's recipe: four unit-normal draws per element, keep the first inside (-2, 2). All four fall
        # outside with probability ~4e-6; the first draw is then kept, as Keras does.
        draws = torch.normal(0.0, 1.0, size=shape + (4,), generator=self._generator(), dtype=dtype,
                             device="cpu")
        first_inside = ((draws > -2) & (draws < 2)).to(torch.uint8).argmax(dim=-1, keepdim=True)
        return draws.gather(-1, first_inside).squeeze(-1) * stddev + mean

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    """Samples from a normal distribution.

    Args:
        mean: Mean of the values.
        stddev: Standard deviation of the values.
        seed: Integer seed, or None.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return self._normal(_shape_tuple(shape), self.mean, self.stddev, backend.torch_dtype(dtype))

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomNormal):
    """Samples from a normal distribution, redrawing values more than two standard deviations from the mean.

    Args:
        mean: Mean of the untruncated distribution.
        stddev: Standard deviation of the untruncated distribution.
        seed: Integer seed, or None.
    """

    def __call__(self, shape, dtype=None):
        return self._truncated_normal(_shape_tuple(shape), self.mean, self.stddev, backend.torch_dtype(dtype))


class RandomUniform(RandomInitializer):
    """Samples uniformly from ``[minval, maxval)``.

    Args:
        minval: Lower bound (inclusive).
        maxval: Upper bound (exclusive).
        seed: Integer seed, or None.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return self._uniform(_shape_tuple(shape), self.minval, self.maxval, backend.torch_dtype(dtype))

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class VarianceScaling(RandomInitializer):
    """Samples with a variance of ``scale / n``, where ``n`` is the fan-in, the fan-out or their average.

    ``truncated_normal`` draws a normal truncated at two standard deviations and rescaled so that the
    truncated samples have that variance; ``untruncated_normal`` draws a plain normal; ``uniform`` draws from
    ``[-limit, limit]`` with ``limit = sqrt(3 * scale / n)``.

    Args:
        scale: Positive scaling factor.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"`` (``"normal"`` is an alias), ``"untruncated_normal"`` or
            ``"uniform"``.
        seed: Integer seed, or None.
        input_axes: Optional axes whose product is the fan-in.
        output_axes: Optional axes whose product is the fan-out.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        modes = ("fan_in", "fan_out", "fan_avg")
        if mode not in modes:
            raise ValueError(f"Invalid `mode` argument: {mode!r}. Expected one of {modes}.")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        distributions = ("truncated_normal", "untruncated_normal", "uniform")
        if distribution not in distributions:
            raise ValueError(f"Invalid `distribution` argument: {distribution!r}. Expected one of {distributions}.")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = _shape_tuple(shape)
        dtype = backend.torch_dtype(dtype)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        units = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, units)
        if self.distribution == "truncated_normal":
            return self._truncated_normal(shape, 0.0, math.sqrt(variance) / _TRUNCATED_NORMAL_STDDEV, dtype)
        if self.distribution == "untruncated_normal":
            return self._normal(shape, 0.0, math.sqrt(variance), dtype)
        limit = math.sqrt(3.0 * variance)
        return self._uniform(shape, -limit, limit, dtype)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes, "output_axes": self.output_axes}


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling whose scale, mode and distribution are fixed by the class (Glorot, He, LeCun).

    Args:
        seed: Integer seed, or None.
        input_axes: Optional axes whose product is the fan-in.
        output_axes: Optional axes whose product is the fan-out.
    """

    fixed = None  # (scale, mode, distribution), set by each subclass

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        scale, mode, distribution = self.fixed
        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed, input_axes=input_axes,
                         output_axes=output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Xavier uniform: ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio, 2010)."""
    fixed = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Xavier normal: truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))``."""
    fixed = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """He uniform: ``[-limit, limit]`` with ``limit = sqrt(6 / fan_in)`` (He et al., 2015)."""
    fixed = (2.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal with ``stddev = sqrt(2 / fan_in)``."""
    fixed = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: ``[-limit, limit]`` with ``limit = sqrt(3 / fan_in)``."""
    fixed = (1.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal with ``stddev = sqrt(1 / fan_in)`` (the pairing for ``selu``)."""
    fixed = (1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """An orthogonal matrix (from the QR decomposition of a normal one), times ``gain``.

    A shape of rank > 2 is treated as a ``(prod(shape[:-1]), shape[-1])`` matrix and reshaped back. With fewer
    rows than columns the rows are orthonormal, otherwise the columns (Saxe et al., 2014).

    Args:
        gain: Multiplier of the orthogonal matrix.
        seed: Integer seed, or None.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = _shape_tuple(shape)
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        rows, columns = math.prod(shape[:-1]), shape[-1]
        q, r = torch.linalg.qr(self._normal((max(rows, columns), min(rows, columns)), 0.0, 1.0,
                                            backend.torch_dtype(dtype)))
        # Fixing the signs by R's diagonal makes Q uniformly distributed over orthogonal matrices.
        q = q * torch.sign(torch.diagonal(r))
        if rows < columns:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


# ---- names ---------------------------------------------------------------------------------------------------

_CLASSES = (Initializer, Zeros, Ones, Constant, Identity, RandomNormal, TruncatedNormal, RandomUniform,
            VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal)
_SNAKE_CASE = {
    "Initializer": "initializer", "Zeros": "zeros", "Ones": "ones", "Constant": "constant", "Identity": "identity",
    "RandomNormal": "random_normal", "TruncatedNormal": "truncated_normal", "RandomUniform": "random_uniform",
    "VarianceScaling": "variance_scaling", "GlorotUniform": "glorot_uniform", "GlorotNormal": "glorot_normal",
    "HeUniform": "he_uniform", "HeNormal": "he_normal", "LecunUniform": "lecun_uniform",
    "LecunNormal": "lecun_normal", "Orthogonal": "orthogonal",
}
# Keras 3 resolves each class by its name and its snake_case name, plus these aliases.
INITIALIZERS = {**{cls.__name__: cls for cls in _CLASSES},
                **{_SNAKE_CASE[cls.__name__]: cls for cls in _CLASSES},
                "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
                "normal": RandomNormal, "uniform": RandomUniform, "one": Ones, "zero": Zeros}
# The base class and Keras's extra aliases; the subclasses registered themselves by both their names.
for _name, _cls in INITIALIZERS.items():
    registry.register_builtin(_cls, "initializers", names=(_name,))

# Keras exports the snake_case names as aliases of the classes: kerastorch.initializers.glorot_uniform(seed=1).
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_normal, truncated_normal, random_uniform, variance_scaling = (
    RandomNormal, TruncatedNormal, RandomUniform, VarianceScaling)
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal, orthogonal = LecunUniform, LecunNormal, Orthogonal
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal

# Keras 2's shorter names, which Keras 3 keeps only as strings ("normal"): callables that warn once.
normal = _legacy.alias_function(RandomNormal, "keras.initializers.normal", "`keras.initializers.RandomNormal`")
uniform = _legacy.alias_function(RandomUniform, "keras.initializers.uniform", "`keras.initializers.RandomUniform`")
zero = _legacy.alias_function(Zeros, "keras.initializers.zero", "`keras.initializers.Zeros`")
one = _legacy.alias_function(Ones, "keras.initializers.one", "`keras.initializers.Ones`")


def serialize(initializer):
    """Keras's config dict for ``initializer`` (None for None).

    Args:
        initializer: An initializer object, a function, or None.
    """
    from kerastorch.saving import serialization
    return serialization.serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    """The initializer a Keras config dict (or a name such as ``'glorot_uniform'``) describes.

    Args:
        config: A dict as :func:`serialize` writes it, or a name.
        custom_objects: Optional ``{name: class}`` consulted before the built-ins.
    """
    from kerastorch.saving import serialization
    return serialization.deserialize_keras_object(config, custom_objects, package="initializers")


def get(identifier):
    """Resolve ``identifier`` to an initializer.

    Args:
        identifier: None (returned as None), a name (``'he_normal'``), a config dict, a class (built with its
            defaults), a callable ``f(shape, dtype=None)`` (returned as is), or an array or tensor (used as the
            exact initial value).
    """
    if isinstance(identifier, (torch.Tensor, np.ndarray, np.generic)):
        return _from_value(identifier)
    from kerastorch.saving import serialization
    return serialization.get_object("initializers", identifier, "glorot_uniform")


def _from_value(value):
    """An initializer returning ``value`` itself, for a weight of exactly its shape."""
    value = torch.as_tensor(value)

    def initialize(shape, dtype=None):
        if _shape_tuple(shape) != tuple(value.shape):
            raise ValueError(f"Expected `shape` to be {tuple(value.shape)} for direct tensor as initializer. "
                             f"Received shape={shape}")
        return value.to(backend.torch_dtype(dtype))

    return initialize


__getattr__ = missing_attribute(__name__)
