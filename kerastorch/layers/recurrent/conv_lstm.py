"""Convolutional LSTMs: `ConvLSTMCell` and `ConvLSTM1D`, `ConvLSTM2D`, `ConvLSTM3D` (an LSTM whose input and
recurrent transformations are convolutions).

The input-to-hidden convolution does not depend on the state, so a layer's call runs it for all timesteps at
once: ONE convolution over ``(batch * timesteps, ...)``. Only the hidden-to-hidden convolution runs per step.
Inside the loop the states are kept channels_first (torch's layout; for channels_last models they are views), and
the four gates come from one convolution with the whole ``4 * filters`` kernel, split afterwards.
"""
import torch
import torch.nn.functional as F

from kerastorch import activations
from kerastorch.layers._conv_utils import (channels_of, conv_output_spatial, normalize_tuple, pad_same,
                                           positive_int, same_paddings, spatial_shape, standardize_data_format,
                                           standardize_padding, to_channels_first, to_channels_last, with_spatial)
from kerastorch.layers.convolutional import _torch_conv_kernel
from kerastorch.layers._weight_arguments import (add_weight_from_arguments, set_weight_arguments,
                                                 weight_arguments_config)
from kerastorch.layers.layer import InputSpec, Layer
from kerastorch.layers.recurrent._base import CellLayer
from kerastorch.layers.recurrent.lstm import unit_forget_bias_initializer
from kerastorch.layers.recurrent.rnn import DropoutRNNCell

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


class ConvLSTMCell(DropoutRNNCell, Layer):
    """One timestep of a convolutional LSTM of ``rank`` spatial dimensions (Keras's gates i, f, c, o).

    Args:
        rank: 1, 2 or 3 spatial dimensions.
        filters: the number of output channels (of the output and of both states).
        kernel_size, strides, padding ("valid" or "same"), data_format, dilation_rate: those of the input
            convolution; the recurrent convolution is always 'same' with strides 1. ``strides > 1`` cannot be
            combined with ``dilation_rate > 1``.
        activation, recurrent_activation: default ``tanh`` and ``sigmoid``.
        use_bias, unit_forget_bias: a bias, whose forget-gate quarter starts at 1 with ``unit_forget_bias``.
        kernel_*, recurrent_*, bias_*: the initializers, regularizers and constraints of the three weights.
        dropout, recurrent_dropout, seed: dropout of the inputs and of the previous output (one mask per gate,
            shared by all the timesteps of a call, as in Keras).

    Weights: ``kernel`` ``(*kernel_size, input_channels, 4 * filters)``, ``recurrent_kernel``
    ``(*kernel_size, filters, 4 * filters)``, ``bias`` ``(4 * filters,)``.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", unit_forget_bias=True,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if rank not in (1, 2, 3):
            raise ValueError(f"Rank {rank} convolutions are not implemented. Received: rank={rank}")
        self.rank = rank
        self.filters = positive_int(filters, "filters", self)
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", self)
        self.strides = normalize_tuple(strides, rank, "strides", self)
        self.padding = standardize_padding(padding, self)
        self.data_format = standardize_data_format(data_format, self)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", self)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): `strides > 1` is not compatible with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        for prefix, arguments in {"kernel": (kernel_initializer, kernel_regularizer, kernel_constraint),
                                  "recurrent": (recurrent_initializer, recurrent_regularizer, recurrent_constraint),
                                  "bias": (bias_initializer, bias_regularizer, bias_constraint)}.items():
            set_weight_arguments(self, prefix, *arguments)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.dropout_mask_count = 4
        # Channels per state; the states' spatial shape is the input convolution's output shape, known at build.
        self.state_size = [self.filters, self.filters]
        self.output_size = self.filters
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = spatial_shape(input_shape, self.data_format)
        if None in spatial:
            raise ValueError(f"Layer '{self.name}': ConvLSTM layers need static spatial dimensions. Received input "
                             f"shape {input_shape} (one timestep).")
        channels = channels_of(input_shape, self.data_format)
        if channels is None:
            raise ValueError(f"Layer '{self.name}': the channel dimension of the inputs must be defined "
                             f"(data_format='{self.data_format}'). Received input shape {input_shape}.")
        self.input_dim = channels
        self.spatial_dims = spatial
        self.state_spatial = conv_output_spatial(self, input_shape, self.kernel_size, self.strides, self.padding,
                                                 self.dilation_rate, self.data_format)
        width = 4 * self.filters
        self.kernel = add_weight_from_arguments(self, "kernel", "kernel", self.kernel_size + (channels, width))
        self.recurrent_kernel = add_weight_from_arguments(self, "recurrent_kernel", "recurrent",
                                                          self.kernel_size + (self.filters, width))
        if self.use_bias:
            self.bias = add_weight_from_arguments(self, "bias", "bias", (width,), self._bias_initializer())
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2, shape=(None,) + input_shape[1:])
        self.built = True

    def _bias_initializer(self):
        return unit_forget_bias_initializer(self.bias_initializer, self.filters) if self.unit_forget_bias \
            else self.bias_initializer

    def state_shape(self, batch_size):
        """The shape of each state (and of the output) in the layer's data format."""
        return with_spatial((batch_size,), self.state_spatial, self.filters, self.data_format)

    def get_initial_state(self, batch_size=None):
        device = self.kernel.device if self.built else self._input_device()
        return [torch.zeros(self.state_shape(batch_size), dtype=self._compute_torch_dtype, device=device)
                for _ in range(2)]

    # ---- the computation: channels_first tensors -----------------------------------------------------------

    def input_gates(self, inputs, dropout_masks=None):
        """The input convolution of ``inputs`` (N, ...) in the data format, with the bias: ``(N, 4 * filters,
        *state_spatial)`` channels_first. With the 4 per-gate dropout masks, one grouped convolution."""
        # Contiguous channels_first (one copy of a channels_last input): the gates then come out NCHW-contiguous,
        # and so do the states. Elementwise kernels on per-gate chunks of a channels_last tensor are
        # pathologically slow on the CPU (hundreds of times slower than on NCHW chunks).
        x = to_channels_first(inputs, self.data_format).contiguous()
        kernel = _torch_conv_kernel(self.kernel, self.rank)
        groups = 1
        if dropout_masks is not None:
            x = torch.cat([x * to_channels_first(m, self.data_format) for m in dropout_masks], 1)
            groups = 4
        if self.padding == "same":
            x, padding = pad_same(x, same_paddings(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate))
        else:
            padding = 0
        return _CONV[self.rank](x, kernel, self.bias, self.strides, padding, self.dilation_rate, groups)

    def step(self, input_gates, h, c, recurrent_masks=None):
        """One timestep on channels_first tensors: ``input_gates`` from `input_gates`, the previous ``h`` and
        ``c``; returns the new ``(h, c)``."""
        groups = 1
        if recurrent_masks is not None:
            h = torch.cat([h * m for m in recurrent_masks], 1)
            groups = 4
        x, padding = pad_same(h, same_paddings(h.shape[2:], self.kernel_size, (1,) * self.rank))
        gates = input_gates + _CONV[self.rank](x, _torch_conv_kernel(self.recurrent_kernel, self.rank), None, 1,
                                               padding, 1, groups)
        i, f, g, o = gates.chunk(4, 1)
        c = self.recurrent_activation(f) * c + self.recurrent_activation(i) * self.activation(g)
        return self.recurrent_activation(o) * self.activation(c), c

    def dropout_masks(self, step_inputs, h, training):
        """This call's per-gate dropout masks ``(input masks in the data format, channels_first recurrent masks)``;
        None where that dropout is off."""
        masks, recurrent = None, None
        if training and 0.0 < self.dropout < 1.0:
            masks = self.get_dropout_mask(step_inputs)
        if training and 0.0 < self.recurrent_dropout < 1.0:
            recurrent = [to_channels_first(m, self.data_format)
                         for m in self.get_recurrent_dropout_mask(to_channels_last(h, self.data_format))]
        return masks, recurrent

    def call(self, inputs, states, training=False):
        """Keras's cell protocol: one timestep, ``inputs`` (batch, ...) and ``states [h, c]`` in the data format."""
        h, c = (to_channels_first(s, self.data_format).contiguous() for s in states)
        masks, recurrent = self.dropout_masks(inputs, h, training)
        h, c = self.step(self.input_gates(inputs, masks), h, c, recurrent)
        h, c = (to_channels_last(s, self.data_format) for s in (h, c))
        return h, [h, c]

    def compute_output_shape(self, inputs_shape, states_shape=None):
        shape = with_spatial(inputs_shape, conv_output_spatial(self, inputs_shape, self.kernel_size, self.strides,
                                                               self.padding, self.dilation_rate, self.data_format),
                             self.filters, self.data_format)
        return shape, [shape, shape]

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            **weight_arguments_config(self, ("kernel", "recurrent", "bias")),
            "unit_forget_bias": self.unit_forget_bias,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }

    def extra_repr(self):
        return f"name={self.name!r}, filters={self.filters}, kernel_size={self.kernel_size}"


class ConvLSTM(CellLayer):
    """A convolutional LSTM over ``(batch, timesteps, *spatial, channels)`` (channels_last) or
    ``(batch, timesteps, channels, *spatial)`` (channels_first); `ConvLSTM1D`/`2D`/`3D` fix ``rank``.

    Args: those of `ConvLSTMCell` (but ``rank``), and of `RNN`: return_sequences, return_state, go_backwards,
        stateful (``reset_states()``), plus ``mask`` and ``initial_state`` (``[h, c]``) in the call. Masked
        timesteps keep the states and repeat the previous output, as in Keras.

    Output shape: ``(batch, timesteps, *out_spatial, filters)`` with ``return_sequences``, else
    ``(batch, *out_spatial, filters)``; with ``return_state``, followed by ``h`` and ``c`` of the latter shape.
    """

    cell_class = ConvLSTMCell
    cell_name = "conv_lstm_cell"
    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", unit_forget_bias=True,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, **kwargs):
        cell_kwargs = dict(
            rank=self.rank, filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            recurrent_activation=recurrent_activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed)
        kwargs.pop("zero_output_for_mask", None)   # in Keras's config; a ConvLSTM repeats the previous output
        super().__init__(cell_kwargs, activity_regularizer=activity_regularizer, return_sequences=return_sequences,
                         return_state=return_state, go_backwards=go_backwards, stateful=stateful, **kwargs)
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        if len(sequences_shape) != self.rank + 3:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expects inputs of rank {self.rank + 3}, "
                             f"(batch, timesteps, {self._spatial_words()}). Received an input of shape "
                             f"{sequences_shape} (rank {len(sequences_shape)}).")
        super().build(sequences_shape, initial_state_shape)

    def _spatial_words(self):
        spatial = ", ".join(["spatial"] * self.rank)
        return f"{spatial}, channels" if self.cell.data_format == "channels_last" else f"channels, {spatial}"

    def _check_states(self, flat, batch_size, argument):
        expected = tuple(self.cell.state_shape(batch_size))
        if len(flat) != 2:
            raise ValueError(f"Layer '{self.name}' expects 2 initial state tensors ([h, c]), but received "
                             f"{len(flat)} in `{argument}`.")
        for index, state in enumerate(flat):
            if tuple(state.shape) != expected:
                raise ValueError(f"Layer '{self.name}': initial state {index} has shape {tuple(state.shape)}, but "
                                 f"the expected shape is {expected}.")

    def _loop(self, sequences, states, mask, training):
        """The input convolution for all timesteps at once, then the recurrent convolution step by step, with
        Keras's masking rule (a masked step keeps the states and repeats the previous output)."""
        cell = self.cell
        batch, steps = sequences.shape[0], sequences.shape[1]
        h, c = (to_channels_first(s, cell.data_format).contiguous() for s in states)
        masks, recurrent = cell.dropout_masks(sequences[:, 0], h, training)
        if masks is not None:
            masks = [m.repeat_interleave(steps, 0) for m in masks]   # the same mask for every timestep
        gates = cell.input_gates(sequences.reshape(batch * steps, *sequences.shape[2:]), masks)
        gates = gates.reshape(batch, steps, *gates.shape[1:])
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs, previous = [], None
        for t in order:
            new_h, new_c = cell.step(gates[:, t], h, c, recurrent)
            if mask is not None:
                keep = mask[:, t].reshape(-1, *(1,) * (new_h.dim() - 1))
                previous = torch.zeros_like(new_h) if previous is None else previous
                output = torch.where(keep, new_h, previous)
                h, c = torch.where(keep, new_h, h), torch.where(keep, new_c, c)
            else:
                output, h, c = new_h, new_h, new_c
            previous = output
            if self.return_sequences:
                outputs.append(output)
        last = to_channels_last(previous, cell.data_format)
        sequence = None
        if outputs:
            stacked = torch.stack(outputs, 1)      # (batch, steps, filters, *spatial)
            sequence = stacked if cell.data_format == "channels_first" else \
                stacked.permute(0, 1, *range(3, stacked.dim()), 2)
        return last, sequence, [to_channels_last(h, cell.data_format), to_channels_last(c, cell.data_format)]

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        state = self.cell.compute_output_shape((batch,) + tuple(sequences_shape[2:]))[0]
        output = (batch, steps) + tuple(state[1:]) if self.return_sequences else tuple(state)
        if self.return_state:
            return output, tuple(state), tuple(state)
        return output

    def compute_mask(self, inputs, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        return [output_mask, None, None] if self.return_state else output_mask

    def extra_repr(self):
        flags = [f for f in ("return_sequences", "return_state", "go_backwards", "stateful") if getattr(self, f)]
        return ", ".join([f"name={self.name!r}, filters={self.cell.filters}, kernel_size={self.cell.kernel_size}"]
                         + [f"{f}=True" for f in flags])


class ConvLSTM1D(ConvLSTM):
    """A convolutional LSTM over sequences of 1D feature maps: ``(batch, timesteps, steps, channels)``; see
    `ConvLSTM`."""

    rank = 1


class ConvLSTM2D(ConvLSTM):
    """A convolutional LSTM over sequences of images: ``(batch, timesteps, rows, cols, channels)``; see
    `ConvLSTM`.

    >>> layer = ConvLSTM2D(8, 3, padding="same", return_sequences=True)
    >>> layer(np.zeros((2, 5, 16, 16, 3), "float32")).shape
    torch.Size([2, 5, 16, 16, 8])
    """

    rank = 2


class ConvLSTM3D(ConvLSTM):
    """A convolutional LSTM over sequences of volumes: ``(batch, timesteps, d1, d2, d3, channels)``; see
    `ConvLSTM`."""

    rank = 3
