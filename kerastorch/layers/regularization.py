"""Regularization layers: Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout and
ActivityRegularization. Each noise layer acts in training only and passes inputs through at inference.
"""
import math

import torch
import torch.nn.functional as F

from kerastorch.layers._conv_utils import standardize_data_format
from kerastorch.layers.layer import InputSpec, Layer


def _checked_noise_shape(layer, noise_shape):
    """``noise_shape`` as a tuple of positive ints and None entries, or None."""
    if noise_shape is None:
        return None
    if not isinstance(noise_shape, (list, tuple)) or any(
            n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1) for n in noise_shape):
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): `noise_shape` must be a tuple of positive "
                         f"integers or None entries. Received: noise_shape={noise_shape!r}")
    return tuple(noise_shape)


def _mask_shape(layer, input_shape):
    """The keep mask's shape: ``layer.noise_shape`` with None entries taken from the input. Each entry must be
    None, 1 or the input's dimension: a Python check on shapes (no device work), since torch would otherwise
    broadcast a wrong rank silently or fail without naming the argument."""
    noise_shape = layer.noise_shape
    if len(noise_shape) != len(input_shape) or any(
            n is not None and n != 1 and n != d for n, d in zip(noise_shape, input_shape)):
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): `noise_shape` does not broadcast to the "
                         f"input. Received: noise_shape={noise_shape} for an input of shape {tuple(input_shape)}; "
                         f"expected {len(input_shape)} entries, each None, 1 or the input's dimension.")
    return [d if n is None else n for n, d in zip(noise_shape, input_shape)]


class Dropout(Layer):
    """Sets a fraction ``rate`` of its inputs to 0 during training and scales the rest by ``1 / (1 - rate)``.
    Outside training it passes inputs through unchanged.

    Args:
        rate: the fraction of inputs to drop, in [0, 1].
        noise_shape: the shape of the keep mask, broadcast against the input (None entries take the input's
            dimension); e.g. ``(batch, 1, features)`` drops the same features at every timestep.
        seed: makes the masks reproducible.

    Input and output shape: the same, any.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 "
                             f"and 1. Received: rate={rate}")
        self.rate = float(rate)
        self.noise_shape = _checked_noise_shape(self, noise_shape)
        self.seed = seed
        self._generator = None
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.noise_shape is None and self.seed is None:
            return F.dropout(inputs, self.rate, training=True)
        shape = inputs.shape if self.noise_shape is None else _mask_shape(self, inputs.shape)
        keep = torch.rand(shape, generator=self._seeded_generator(inputs.device), device=inputs.device) >= self.rate
        return inputs * keep.to(inputs.dtype) / (1.0 - self.rate)

    def _seeded_generator(self, device):
        if self.seed is None:
            return None
        if self._generator is None or self._generator.device != device:
            self._generator = torch.Generator(device=device)
            self._generator.manual_seed(int(self.seed))
        return self._generator

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}

    def extra_repr(self):
        return f"name={self.name!r}, rate={self.rate}"


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one keep/drop decision per sample and channel, shared by all positions
    (neighbouring positions of a feature map are correlated, so dropping single elements regularizes little).
    SpatialDropout1D/2D/3D set ``rank``.

    Args:
        rate: the fraction of channels to drop, in [0, 1].
        data_format: ``"channels_last"`` (default) or ``"channels_first"`` (not for SpatialDropout1D).
        seed: makes the masks reproducible.
    """

    rank = None

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = standardize_data_format(data_format, self)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = [1] * inputs.dim()
        shape[0] = inputs.shape[0]
        channel_axis = -1 if self.data_format == "channels_last" else 1
        shape[channel_axis] = inputs.shape[channel_axis]
        keep = torch.rand(shape, generator=self._seeded_generator(inputs.device), device=inputs.device) >= self.rate
        return inputs * keep.to(inputs.dtype) / (1.0 - self.rate)

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype,
                "data_format": self.data_format}


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of ``(batch, steps, channels)``; see ``_SpatialDropout``."""

    rank = 1

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, "channels_last", seed=seed, name=name, dtype=dtype, **kwargs)

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of images; see ``_SpatialDropout``."""

    rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature maps of volumes; see ``_SpatialDropout``."""

    rank = 3


def _check_fraction(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"Invalid value received for argument `{name}`. Expected a float value between 0 and 1. "
                         f"Received: {name}={value}")
    return value


class _NoiseLayer(Layer):
    """Shared by the noise layers: an optional seed and its generator, and no change of shape."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._generator = None
        self.supports_masking = True
        self.built = True

    def _seeded_generator(self, device):
        return Dropout._seeded_generator(self, device)

    def _normal(self, inputs):
        return torch.randn(inputs.shape, generator=self._seeded_generator(inputs.device), device=inputs.device,
                           dtype=inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


class GaussianNoise(_NoiseLayer):
    """Adds zero-centred Gaussian noise of standard deviation ``stddev`` during training (a regularizer, and a
    form of data augmentation); outside training it passes inputs through unchanged.

    Args:
        stddev: the noise's standard deviation, in [0, 1].
        seed: makes the noise reproducible.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _check_fraction(stddev, "stddev")

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        return inputs + self.stddev * self._normal(inputs)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_NoiseLayer):
    """Multiplies inputs by Gaussian noise of mean 1 and standard deviation ``sqrt(rate / (1 - rate))`` during
    training; outside training it passes inputs through unchanged.

    Args:
        rate: the equivalent dropout rate, in [0, 1].
        seed: makes the noise reproducible.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_fraction(rate, "rate")

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * (1.0 + stddev * self._normal(inputs))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


# SELU's constants: dropped units take SELU's negative saturation value -scale * alpha.
_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


class AlphaDropout(_NoiseLayer):
    """Dropout for self-normalizing (SELU) networks: dropped inputs are set to SELU's negative saturation value,
    and an affine correction keeps the mean and variance of the inputs, during training only.

    Args:
        rate: the fraction of inputs to drop, in [0, 1].
        noise_shape: the shape of the keep mask, broadcast against the input (None entries take the input's
            dimension).
        seed: makes the masks reproducible.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_fraction(rate, "rate")
        self.noise_shape = _checked_noise_shape(self, noise_shape)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = inputs.shape if self.noise_shape is None else _mask_shape(self, inputs.shape)
        keep = (torch.rand(shape, generator=self._seeded_generator(inputs.device), device=inputs.device)
                >= self.rate).to(inputs.dtype)
        saturation = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * saturation ** 2)) ** -0.5
        b = -a * saturation * self.rate
        return a * (inputs * keep + saturation * (1 - keep)) + b

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}


class ActivityRegularization(Layer):
    """Passes its input through unchanged and adds ``l1 * sum(|x|) + l2 * sum(x ** 2)`` of it (per batch, as
    Keras's activity regularizers count it) to ``losses``.

    Args:
        l1, l2: the penalty factors (default 0).
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        from kerastorch import regularizers
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
