"""Reshaping layers: Flatten and Reshape."""
import math

from kerastorch import backend
from kerastorch.layers.layer import InputSpec, Layer


class Flatten(Layer):
    """Flattens each sample to one axis, in channels_last order (so that Dense weights port from Keras).

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``; channels_first inputs are moved to
            channels_last order before flattening, as Keras does.

    Input shape: ``(batch_size, ...)``. Output shape: ``(batch_size, product of the other dimensions)``.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.dim() > 2:
            inputs = inputs.movedim(1, -1)
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1, inferred from the others).

    Input shape: ``(batch_size, ...)``. Output shape: ``(batch_size, *target_shape)``.
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if sum(1 for d in target_shape if d == -1) > 1 or any(
                not isinstance(d, int) or (d < 0 and d != -1) for d in target_shape):
            raise ValueError(f"Invalid `target_shape` for layer '{self.name}': it must be a tuple of positive "
                             f"integers with at most one -1. Received: target_shape={target_shape}")
        self.target_shape = target_shape
        self.built = True

    def call(self, inputs):
        return inputs.reshape((inputs.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if -1 not in self.target_shape:
            if None not in rest and math.prod(rest) != math.prod(self.target_shape):
                raise ValueError(f"Layer '{self.name}' cannot reshape inputs of shape {tuple(input_shape)} to "
                                 f"target_shape={self.target_shape}: the sizes differ.")
            return (input_shape[0],) + self.target_shape
        if None in rest:
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        total = math.prod(rest)
        if known == 0 or total % known:
            raise ValueError(f"Layer '{self.name}' cannot reshape inputs of shape {tuple(input_shape)} to "
                             f"target_shape={self.target_shape}.")
        return (input_shape[0],) + tuple(total // known if d == -1 else d for d in self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}
