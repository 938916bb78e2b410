"""`GRUCell` and `GRU`: Keras's gated recurrent unit, on ``torch.gru`` where Keras's defaults allow.

Weights in Keras's layout: ``kernel`` (input_dim, 3 * units) and ``recurrent_kernel`` (units, 3 * units) with the
gates in the order z, r, h; ``bias`` (2, 3 * units) (input and recurrent biases) when ``reset_after``, else
(3 * units,). torch's GRU orders its gates r, z, n and applies the reset gate after the recurrent product, which
is Keras's ``reset_after=True``: those GRUs reach ``torch.gru`` through a reordered copy of the weights;
``reset_after=False`` runs the step loop.
"""
import torch

from kerastorch import activations
from kerastorch.layers.recurrent._base import BuiltinCell, CellLayer


def _torch_gate_order(weight, units):
    """Keras's (z, r, h) blocks of the last axis as torch's (r, z, n)."""
    return torch.cat([weight[..., units:2 * units], weight[..., :units], weight[..., 2 * units:]], -1)


class GRUCell(BuiltinCell):
    """One timestep of a GRU: ``call(inputs, [h]) -> (h, [h])``.

    Args:
        units: the size of the output and of the state.
        activation: for the candidate (default ``tanh``).
        recurrent_activation: for the update and reset gates (default ``sigmoid``).
        use_bias, the initializers, regularizers and constraints of kernel, recurrent_kernel and bias, dropout,
            recurrent_dropout, seed: as `LSTMCell`.
        reset_after: apply the reset gate after the recurrent product (Keras 3's and cuDNN's default) or before.

    Input shape: ``(batch, input_dim)``; state: ``(batch, units)``.
    Output shape: ``(batch, units)``.
    """

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, seed=None, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _fused_kernel(self):
        if self.reset_after and self.activation is activations.tanh \
                and self.recurrent_activation is activations.sigmoid:
            return "gru"
        return None

    def _build_torch_weights(self):
        units = self.units
        weights = [_torch_gate_order(self.kernel, units).T, _torch_gate_order(self.recurrent_kernel, units).T]
        if self.use_bias:
            weights += [_torch_gate_order(self.bias[0], units), _torch_gate_order(self.bias[1], units)]
        return weights

    def call(self, inputs, states, training=False):
        h_tm1 = states[0] if isinstance(states, (list, tuple)) else states
        units = self.units
        inputs, h_dropped = self._dropped(inputs, h_tm1, training)
        x_z, x_r, x_h = self._gate_inputs(inputs, training)
        input_bias = recurrent_bias = None
        if self.use_bias:
            input_bias, recurrent_bias = (self.bias[0], self.bias[1]) if self.reset_after else (self.bias, None)
            x_z, x_r, x_h = x_z + input_bias[:units], x_r + input_bias[units:2 * units], x_h + input_bias[2 * units:]
        h_z, h_r, h_h = h_dropped if isinstance(h_dropped, list) else (h_dropped,) * 3
        k_z, k_r, k_h = self.recurrent_kernel.chunk(3, 1)
        recurrent_z, recurrent_r = h_z @ k_z, h_r @ k_r
        if recurrent_bias is not None:
            recurrent_z = recurrent_z + recurrent_bias[:units]
            recurrent_r = recurrent_r + recurrent_bias[units:2 * units]
        z = self.recurrent_activation(x_z + recurrent_z)
        r = self.recurrent_activation(x_r + recurrent_r)
        if self.reset_after:
            recurrent_h = h_h @ k_h
            if recurrent_bias is not None:
                recurrent_h = recurrent_h + recurrent_bias[2 * units:]
            recurrent_h = r * recurrent_h
        else:
            recurrent_h = (r * h_h) @ k_h
        hh = self.activation(x_h + recurrent_h)
        h = z * h_tm1 + (1 - z) * hh
        return h, ([h] if isinstance(states, (list, tuple)) else h)

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


class GRU(CellLayer):
    """Gated Recurrent Unit layer (Cho et al., 2014).

    With Keras's defaults (``tanh``, ``sigmoid``, ``reset_after=True``), no recurrent dropout while training and
    ``unroll=False``, it runs on ``torch.gru`` (a right-padded mask on a packed sequence); otherwise Keras's step
    loop. The numbers are Keras's either way.

    Args:
        units, activation, recurrent_activation, use_bias, the initializers, regularizers (and
            ``activity_regularizer``) and constraints, dropout, recurrent_dropout, seed, reset_after: as `GRUCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as `RNN`.
        use_cudnn: ``"auto"`` (the fused kernels where they apply) or False (always the step loop).

    Input shape: ``(batch, timesteps, features)``.
    Output shape: ``(batch, timesteps, units)`` with ``return_sequences``, else ``(batch, units)``; with
    ``return_state``, then the final state.
    """

    cell_class = GRUCell
    cell_name = "gru_cell"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        cell_kwargs = dict(units=units, activation=activation, recurrent_activation=recurrent_activation,
                           use_bias=use_bias, kernel_initializer=kernel_initializer,
                           recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                           kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                           bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                           recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                           dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after, seed=seed)
        super().__init__(cell_kwargs, activity_regularizer=activity_regularizer, return_sequences=return_sequences,
                         return_state=return_state, go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         use_cudnn=use_cudnn, **kwargs)


class CuDNNGRU(GRU):
    """Keras 2's ``CuDNNGRU``: a `GRU` with cuDNN's semantics (``reset_after=True``, Keras 3's default)."""

    def __init__(self, units, kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, **kwargs):
        kwargs.setdefault("reset_after", True)
        super().__init__(units, kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards,
                         stateful=stateful, **kwargs)
