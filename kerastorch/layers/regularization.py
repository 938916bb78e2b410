"""Regularization layers: Dropout."""
import torch
import torch.nn.functional as F

from kerastorch.layers.layer import Layer


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
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._generator = None
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.noise_shape is None and self.seed is None:
            return F.dropout(inputs, self.rate, training=True)
        shape = inputs.shape if self.noise_shape is None else \
            [d if n is None else n for n, d in zip(self.noise_shape, inputs.shape)]
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
