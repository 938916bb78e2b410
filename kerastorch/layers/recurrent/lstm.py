"""`LSTMCell` and `LSTM`: Keras's long short-term memory, on ``torch.lstm`` where Keras's defaults allow.

Weights in Keras's layout: ``kernel`` (input_dim, 4 * units) and ``recurrent_kernel`` (units, 4 * units) with the
gates in the order i, f, c, o (torch's i, f, g, o, so they reach ``torch.lstm`` as transposed views), ``bias``
(4 * units,).
"""
import torch

from kerastorch import activations, initializers
from kerastorch.layers.recurrent._base import BuiltinCell, CellLayer


def unit_forget_bias_initializer(base, units):
    """The initializer of an LSTM's (or ConvLSTM's) ``(4 * units,)`` bias with ``unit_forget_bias``: ``base`` for
    the gates i, c, o and ones for the forget gate f."""
    def forget_gate_ones(shape, dtype=None):
        parts = [base((units,), dtype=dtype), initializers.get("ones")((units,), dtype=dtype),
                 base((2 * units,), dtype=dtype)]
        return torch.cat([torch.as_tensor(p) for p in parts])
    return forget_gate_ones


class LSTMCell(BuiltinCell):
    """One timestep of an LSTM: ``call(inputs, [h, c]) -> (h, [h, c])``.

    Args:
        units: the size of the output and of both states.
        activation: for the candidate and the output (default ``tanh``).
        recurrent_activation: for the gates (default ``sigmoid``).
        use_bias: whether the gates have a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        unit_forget_bias: start the forget gate's bias at 1 (Jozefowicz et al., 2015).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout, recurrent_dropout: fractions of the inputs and of the previous output dropped while training.
        seed: makes the dropout masks reproducible.

    Input shape: ``(batch, input_dim)``; states: two ``(batch, units)``.
    Output shape: ``(batch, units)``.
    """

    gates = 4
    state_count = 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        return unit_forget_bias_initializer(self.bias_initializer, self.units) if self.unit_forget_bias \
            else self.bias_initializer

    def _fused_kernel(self):
        if self.activation is activations.tanh and self.recurrent_activation is activations.sigmoid:
            return "lstm"
        return None

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        inputs, h_dropped = self._dropped(inputs, h_tm1, training)
        x = self._gate_inputs(inputs, training)
        if self.use_bias:
            x = [xi + b for xi, b in zip(x, self.bias.chunk(4))]
        if isinstance(h_dropped, list):
            r = [h @ k for h, k in zip(h_dropped, self.recurrent_kernel.chunk(4, 1))]
        else:
            r = (h_dropped @ self.recurrent_kernel).chunk(4, -1)
        i = self.recurrent_activation(x[0] + r[0])
        f = self.recurrent_activation(x[1] + r[1])
        c = f * c_tm1 + i * self.activation(x[2] + r[2])
        o = self.recurrent_activation(x[3] + r[3])
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class LSTM(CellLayer):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997).

    With Keras's defaults (``tanh``, ``sigmoid``), no recurrent dropout while training and ``unroll=False``, it
    runs on ``torch.lstm`` (cuDNN on CUDA, oneDNN on the CPU), a right-padded mask on a packed sequence; any
    other configuration runs Keras's step loop. The numbers are Keras's either way.

    Args:
        units, activation, recurrent_activation, use_bias, the initializers, unit_forget_bias, the regularizers
            (and ``activity_regularizer``), the constraints, dropout, recurrent_dropout, seed: as `LSTMCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as `RNN`.
        use_cudnn: ``"auto"`` (the fused kernels where they apply) or False (always the step loop).

    Input shape: ``(batch, timesteps, features)``.
    Output shape: ``(batch, timesteps, units)`` with ``return_sequences``, else ``(batch, units)``; with
    ``return_state``, then the final ``h`` and ``c``.

    >>> LSTM(4)(np.zeros((2, 10, 8), "float32")).shape
    torch.Size([2, 4])
    """

    cell_class = LSTMCell
    cell_name = "lstm_cell"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        cell_kwargs = dict(units=units, activation=activation, recurrent_activation=recurrent_activation,
                           use_bias=use_bias, kernel_initializer=kernel_initializer,
                           recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                           unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
                           recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                           kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                           bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                           seed=seed)
        super().__init__(cell_kwargs, activity_regularizer=activity_regularizer, return_sequences=return_sequences,
                         return_state=return_state, go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         use_cudnn=use_cudnn, **kwargs)


class CuDNNLSTM(LSTM):
    """Keras 2's ``CuDNNLSTM``: an `LSTM` with its defaults (it runs on cuDNN on CUDA anyway)."""

    def __init__(self, units, kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, **kwargs):
        super().__init__(units, kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, return_sequences=return_sequences,
                         return_state=return_state, go_backwards=go_backwards, stateful=stateful, **kwargs)
