"""Layers that wrap another layer: `Wrapper`, `TimeDistributed` (also Keras 2's ``keras.layers.wrappers``, which
held ``Bidirectional`` too: it is found in kerastorch.layers.recurrent on first use)."""
import torch

from kerastorch.keras_tensor import map_structure
from kerastorch.layers.layer import Layer
from kerastorch.saving.serialization import deserialize_keras_object, serialize_keras_object


class Wrapper(Layer):
    """The base of the layers that wrap one other layer, ``self.layer``: its weights are the wrapper's, and its
    config is saved inside the wrapper's.

    Args:
        layer: the wrapped ``Layer``.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"{type(self).__name__} wraps a kerastorch Layer instance. Received: layer={layer!r} "
                             f"(of type {type(layer).__name__})")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._maybe_build(input_shape)
        self.built = True

    def get_config(self):
        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_keras_object(config.pop("layer"), custom_objects=custom_objects)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = (config["dtype"].get("config") or {}).get("name")
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Applies ``layer`` to every timestep (axis 1) of its input, with the same weights for all of them.

    The timesteps are folded into the batch with one reshape, so ``layer`` runs once on
    ``(batch * timesteps, ...)``: no loop over time. Keras 3 calls the layer once per timestep instead, which
    gives the same numbers for every layer whose samples are independent (Dense, convolutions, pooling,
    inference-mode BatchNormalization). A training-mode BatchNormalization here normalizes over all the
    timesteps of the batch at once and updates its moving statistics once per batch, where Keras's loop does
    both per timestep.

    Args:
        layer: the ``Layer`` to apply to each timestep.

    Call arguments:
        inputs: ``(batch, timesteps, ...)``, of rank 3 at least.
        training: passed on to ``layer`` when its call takes it.
        mask: ``(batch, timesteps, ...)`` booleans; passed on (folded as the inputs are) to ``layer`` when its call
            takes a mask. The output carries the input's mask, as in Keras 3.

    Input shape: ``(batch, timesteps, *inner_input_shape)``.
    Output shape: ``(batch, timesteps, *inner_output_shape)``.

    >>> layer = TimeDistributed(Conv2D(8, 3))
    >>> layer(np.zeros((2, 5, 16, 16, 3), "float32")).shape
    torch.Size([2, 5, 14, 14, 8])
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _child_input_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(f"Layer '{self.name}' (TimeDistributed) expects inputs of rank 3 at least, "
                             f"(batch, timesteps, ...). Received an input of shape {_shape(input_shape)}.")
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        super().build(self._child_input_shape(tuple(input_shape)))

    def compute_output_shape(self, input_shape):
        child_shape = self.layer.compute_output_shape(self._child_input_shape(tuple(input_shape)))
        return (child_shape[0], input_shape[1], *child_shape[1:])

    def call(self, inputs, training=None, mask=None):
        if inputs.dim() < 3:
            self._child_input_shape(tuple(inputs.shape))   # raises
        batch, steps = inputs.shape[0], inputs.shape[1]
        kwargs = {}
        if self.layer._call_has_training:
            kwargs["training"] = training
        if mask is not None and self.layer._call_has_mask:
            self._check_mask(inputs, mask)
            kwargs["mask"] = mask.reshape(batch * steps, *mask.shape[2:])
        outputs = self.layer(inputs.reshape(batch * steps, *inputs.shape[2:]), **kwargs)
        return map_structure(lambda t: t.reshape(batch, steps, *t.shape[1:]) if isinstance(t, torch.Tensor) else t,
                             outputs)

    def _check_mask(self, inputs, mask):
        if mask.dim() < 2 or tuple(mask.shape[:2]) != tuple(inputs.shape[:2]):
            raise ValueError(f"Layer '{self.name}' (TimeDistributed): the mask must have the input's first two "
                             f"dimensions (batch, timesteps) = {tuple(inputs.shape[:2])}. Received a mask of shape "
                             f"{tuple(mask.shape)} for an input of shape {tuple(inputs.shape)}.")

    def extra_repr(self):
        return f"name={self.name!r}"


def _shape(value):
    return tuple(value) if isinstance(value, (tuple, list)) else value


def __getattr__(name):
    if name == "Bidirectional":   # Keras 2's home of Bidirectional
        from kerastorch.layers.recurrent import Bidirectional
        return Bidirectional
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
