"""`Bidirectional`: a recurrent layer run forwards and backwards over the same sequence, outputs merged."""
import torch

from kerastorch.keras_tensor import flatten
from kerastorch.layers.layer import Layer
from kerastorch.layers.recurrent import _fused
from kerastorch.layers.recurrent.rnn import flat_state_sizes, right_padded_lengths
from kerastorch.saving import serialization

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _renamed_copy(layer, name, **changes):
    config = serialization.serialize_keras_object(layer)
    config["config"] = {**config["config"], "name": name, **changes}
    return serialization.deserialize_keras_object(config, package="layers")


def _merge(mode, forward, backward):
    if mode == "concat":
        return torch.cat([forward, backward], -1)
    if mode == "sum":
        return forward + backward
    if mode == "ave":
        return (forward + backward) / 2
    if mode == "mul":
        return forward * backward
    return forward, backward


class Bidirectional(Layer):
    """Runs ``layer`` over the sequence and a copy of it (or ``backward_layer``) backwards, and merges them.

    When both directions are built-in layers on the same fused kernel (two default LSTMs, GRUs or SimpleRNNs)
    with no mask or a right-padded one, both run in one bidirectional torch kernel call (cuDNN on CUDA); otherwise
    each direction is called as a layer.

    Args:
        layer: a recurrent layer (`RNN`, `LSTM`, `GRU`, ...); the forward direction is a copy of it.
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"``, or None (a list of both outputs).
        weights: initial weights, forward ones then backward ones (Keras 2).
        backward_layer: the backward direction (``go_backwards=True``); by default a copy of ``layer``.

    Input shape: as ``layer``'s.
    Output shape: ``layer``'s, with the last axis doubled for ``"concat"``; with ``return_state``, then the
    forward states and the backward states.
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance. "
                             f"Received: {layer}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"`backward_layer` need to be a `keras.layers.Layer` instance. Received: "
                             f"{backward_layer}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                             f'{{"sum", "mul", "ave", "concat", None}}')
        super().__init__(**kwargs)
        self.forward_layer = _renamed_copy(layer, "forward_" + _without_prefix(layer.name, "forward_"))
        if backward_layer is None:
            backward_layer = _renamed_copy(layer, "backward_" + _without_prefix(layer.name, "backward_"),
                                           go_backwards=True)
        self.backward_layer = backward_layer
        self._verify_layer_config()
        for direction in (self.forward_layer, self.backward_layer):
            if getattr(direction, "zero_output_for_mask", None) is not None:
                direction.zero_output_for_mask = direction.return_sequences   # Keras's rule for both directions
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec
        self._initial_weights = list(weights) if weights else None

    def _verify_layer_config(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(f"Forward layer and backward layer should have different `go_backwards` value. "
                             f"Received: forward_layer.go_backwards {forward.go_backwards}, "
                             f"backward_layer.go_backwards={backward.go_backwards}")
        for attribute in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, attribute) != getattr(backward, attribute):
                raise ValueError(f"Forward layer and backward layer are expected to have the same value for "
                                 f'attribute "{attribute}", got "{getattr(forward, attribute)}" for forward layer '
                                 f'and "{getattr(backward, attribute)}" for backward layer')

    def build(self, sequences_shape, initial_state_shape=None):
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction._maybe_build(tuple(sequences_shape))
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None
        self.built = True

    @property
    def states(self):
        forward, backward = self.forward_layer.states, self.backward_layer.states
        return tuple(forward) + tuple(backward) if forward and backward else None

    def reset_state(self):
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def reset_states(self):
        self.reset_state()

    # ---- calling -------------------------------------------------------------------------------------------

    def _fused_mode(self, training):
        """The one torch kernel both directions can share, or None."""
        forward, backward = self.forward_layer, self.backward_layer
        mode = getattr(forward, "_fused_mode", None)
        if mode is None or getattr(backward, "_fused_mode", None) is None or self.stateful:
            return None
        mode = forward._fused_mode(training)
        same = mode is not None and mode == backward._fused_mode(training) \
            and forward.cell.units == backward.cell.units and forward.cell.use_bias == backward.cell.use_bias \
            and not (training and (forward.cell.dropout or backward.cell.dropout))   # one mask per direction
        return mode if same else None

    def _execution_path(self, inputs, mask=None, training=False):
        """``"fused"``, ``"packed"`` (one bidirectional kernel call) or ``"layers"`` (each direction called)."""
        if not self.built:
            self._maybe_build(tuple(inputs.shape))
        return self._path(inputs, self.forward_layer._checked_mask(mask, inputs), training)[0]

    def _path(self, sequences, mask, training):
        if self._fused_mode(training) is None:
            return "layers", None
        if mask is None:
            return "fused", None
        path, lengths = right_padded_lengths(mask)
        return ("layers", None) if path == "loop" else (path, lengths)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if initial_state is not None:
            initial_state = list(initial_state)
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        else:
            forward_state = backward_state = None
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is not None:
            mask = self.forward_layer._checked_mask(mask, sequences)
        path, lengths = self._path(sequences, mask, training)
        if path == "layers":
            y, y_rev, states = self._call_layers(sequences, forward_state, backward_state, mask, training)
        else:
            y, y_rev, states = self._call_fused(sequences, forward_state, backward_state, mask, lengths, training)
        output = _merge(self.merge_mode, y, y_rev)
        if self.return_state:
            return (*output, *states) if self.merge_mode is None else (output, *states)
        return output

    def _call_layers(self, sequences, forward_state, backward_state, mask, training):
        y = self.forward_layer(sequences, initial_state=forward_state, mask=mask, training=training)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, mask=mask, training=training)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)
        return y, y_rev, states

    def _call_fused(self, sequences, forward_state, backward_state, mask, lengths, training):
        # Both directions in one torch kernel call (the layers' own __call__ does not run here: this is the same
        # computation as calling them, in one kernel).
        forward, backward = self.forward_layer, self.backward_layer
        initial = [forward._initial_states(sequences, forward_state),
                   backward._initial_states(sequences, backward_state)]
        weights = [forward.cell._torch_weights(), backward.cell._torch_weights()]
        outputs, finals = _fused.run(self._fused_mode(training), sequences, initial, weights, forward.cell.use_bias,
                                     lengths)
        units = forward.cell.units
        if self.return_sequences:
            y, y_rev = outputs[..., :units], outputs[..., units:]
        else:
            y, y_rev = finals[0][0], finals[1][0]
        return y, y_rev, (*finals[0], *finals[1])

    # ---- shapes, masks, config -----------------------------------------------------------------------------

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shape = ()
        if self.return_state:
            output_shape, state_shape = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = tuple(output_shape[:-1]) + (output_shape[-1] * 2,)
        elif self.merge_mode is None:
            output_shape = (tuple(output_shape), tuple(output_shape))
        if self.return_state:
            if self.merge_mode is None:
                return output_shape + state_shape + state_shape
            return (tuple(output_shape),) + state_shape + state_shape
        return tuple(output_shape) if self.merge_mode is not None else output_shape

    def compute_mask(self, inputs, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            output_mask = (mask, mask) if not self.merge_mode else mask
        else:
            output_mask = (None, None) if not self.merge_mode else None
        if self.return_state:
            count = 2 * len(flat_state_sizes(self.forward_layer.state_size))
            heads = list(output_mask) if isinstance(output_mask, tuple) else [output_mask]
            return heads + [None] * count
        return output_mask

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialization.serialize_keras_object(self.forward_layer),
                "backward_layer": serialization.serialize_keras_object(self.backward_layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = serialization.deserialize_keras_object(config["layer"], custom_objects=custom_objects,
                                                                 package="layers")
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = serialization.deserialize_keras_object(
                backward, custom_objects=custom_objects, package="layers")
        return super().from_config(config)

    def extra_repr(self):
        return f"name={self.name!r}, merge_mode={self.merge_mode!r}"


def _without_prefix(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name
