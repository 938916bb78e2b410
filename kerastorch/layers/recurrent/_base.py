"""What SimpleRNNCell, LSTMCell and GRUCell share (`BuiltinCell`), and what SimpleRNN, LSTM and GRU share
(`CellLayer`: a `RNN` that builds its cell from its own arguments and reports them in its config)."""
import torch

from kerastorch import activations, regularizers
from kerastorch.layers._weight_arguments import (add_weight_from_arguments, set_weight_arguments,
                                                 weight_arguments_config)
from kerastorch.layers.layer import Layer
from kerastorch.layers.recurrent import _fused
from kerastorch.layers.recurrent.rnn import RNN, DropoutRNNCell

class BuiltinCell(DropoutRNNCell, Layer):
    """A cell with ``kernel`` (input_dim, gates * units), ``recurrent_kernel`` (units, gates * units) and
    ``bias``, Keras's arguments, and a torch kernel to run on (``_fused_mode``)."""

    gates = 1
    state_count = 1

    def __init__(self, units, activation="tanh", recurrent_activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a positive integer, got "
                             f"{units}.")
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.units = units
        self.implementation = implementation
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation) if recurrent_activation else None
        self.use_bias = bool(use_bias)
        for prefix, arguments in {"kernel": (kernel_initializer, kernel_regularizer, kernel_constraint),
                                  "recurrent": (recurrent_initializer, recurrent_regularizer, recurrent_constraint),
                                  "bias": (bias_initializer, bias_regularizer, bias_constraint)}.items():
            set_weight_arguments(self, prefix, *arguments)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        if self.recurrent_dropout != 0.0:
            self.implementation = 1
        if self.implementation == 1 and self.gates > 1:
            self.dropout_mask_count = self.gates
        self.state_size = units if self.state_count == 1 else [units] * self.state_count
        self.output_size = units

    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"The last dimension of the inputs to layer '{self.name}' must be defined. Received "
                             f"input shape {tuple(input_shape)}.")
        width = self.gates * self.units
        self.kernel = add_weight_from_arguments(self, "kernel", "kernel", (input_dim, width))
        self.recurrent_kernel = add_weight_from_arguments(self, "recurrent_kernel", "recurrent", (self.units, width))
        if self.use_bias:
            self.bias = add_weight_from_arguments(self, "bias", "bias", self._bias_shape(), self._bias_initializer())
        else:
            self.bias = None
        self.built = True

    def get_initial_state(self, batch_size=None):
        device = self.kernel.device if self.built else self._input_device()
        return [torch.zeros((batch_size, self.units), dtype=self._compute_torch_dtype, device=device)
                for _ in range(self.state_count)]

    # ---- the fused path ------------------------------------------------------------------------------------

    def _fused_kernel(self):
        """The torch kernel for these activations, or None (subclasses)."""
        return None

    def _fused_mode(self, training):
        """The torch kernel of a call with ``training``, or None when only the step loop gives Keras's numbers
        (other activations, recurrent dropout while training, per-gate input dropout masks)."""
        if training and self.recurrent_dropout > 0:
            return None
        if training and self.dropout > 0 and self.dropout_mask_count is not None:
            return None
        return self._fused_kernel()

    def _torch_weights(self):
        return _fused.cached_torch_weights(self, self._build_torch_weights)

    def _build_torch_weights(self):
        # torch's weight_ih/weight_hh are (gates * units, features): Keras's kernels transposed, as views.
        weights = [self.kernel.T, self.recurrent_kernel.T]
        if self.use_bias:
            weights += [self.bias, torch.zeros_like(self.bias)]
        return weights

    # ---- the step ------------------------------------------------------------------------------------------

    def _dropped(self, inputs, h_tm1, training):
        """The step's inputs and previous output with this call's dropout masks applied (lists per gate under
        ``implementation=1``)."""
        if training and 0.0 < self.dropout < 1.0:
            mask = self.get_dropout_mask(inputs)
            inputs = [inputs * m for m in mask] if isinstance(mask, list) else inputs * mask
        if training and 0.0 < self.recurrent_dropout < 1.0:
            mask = self.get_recurrent_dropout_mask(h_tm1)
            h_tm1 = [h_tm1 * m for m in mask] if isinstance(mask, list) else h_tm1 * mask
        return inputs, h_tm1

    def _gate_inputs(self, inputs, training):
        """``inputs @ kernel`` split per gate: one product, or one per gate with per-gate dropout masks."""
        if isinstance(inputs, list):
            return [x @ k for x, k in zip(inputs, self.kernel.chunk(self.gates, 1))]
        return list((inputs @ self.kernel).chunk(self.gates, -1))

    def get_config(self):
        config = {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **weight_arguments_config(self, ("kernel", "recurrent", "bias")),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        if self.recurrent_activation is not None:
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        return config

    def extra_repr(self):
        return f"name={self.name!r}, units={self.units}"


_LAYER_KEYS = ("name", "trainable", "dtype")


class CellLayer(RNN):
    """A `RNN` over a built-in cell made from the layer's own arguments (SimpleRNN, LSTM, GRU); the cell's
    arguments read as the layer's attributes (``layer.units``, ``layer.kernel``...)."""

    cell_class = None
    cell_name = None
    _cell_keys_not_in_config = ()   # cell arguments Keras leaves out of the layer's config

    def __init__(self, cell_kwargs, activity_regularizer=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"Invalid valid received for argument `use_cudnn`. Expected one of {{'auto', True, "
                             f"False}}. Received: use_cudnn={use_cudnn}")
        implementation = kwargs.pop("implementation", None)
        if implementation is not None:
            cell_kwargs["implementation"] = implementation
        cell = self.cell_class(name=self.cell_name, dtype=kwargs.get("dtype"),
                               trainable=kwargs.get("trainable", True), **cell_kwargs)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = use_cudnn

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            cell = self.__dict__.get("_modules", {}).get("cell")
            if cell is not None and not name.startswith("_"):
                return getattr(cell, name)
            raise

    def _fused_mode(self, training):
        return None if self.use_cudnn is False else super()._fused_mode(training)

    def get_config(self):
        dropped = _LAYER_KEYS + self._cell_keys_not_in_config
        cell_config = {k: v for k, v in self.cell.get_config().items() if k not in dropped}
        return {**Layer.get_config(self), **self._rnn_config(), **cell_config,
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config.pop("cell", None)
        return Layer.from_config.__func__(cls, config)

    def extra_repr(self):
        return super().extra_repr().replace(f"name={self.name!r}", f"name={self.name!r}, units={self.cell.units}")
