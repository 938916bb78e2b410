"""`SimpleRNNCell` and `SimpleRNN`: a fully-connected recurrence ``h = activation(x @ kernel + h @ recurrent_kernel
+ bias)``, on ``torch.rnn_tanh`` (``tanh``) or ``torch.rnn_relu`` (``relu``) where Keras's arguments allow."""
from kerastorch import activations
from kerastorch.layers.recurrent._base import BuiltinCell, CellLayer


class SimpleRNNCell(BuiltinCell):
    """One timestep of a SimpleRNN: ``call(inputs, [h]) -> (h, [h])``.

    Args:
        units: the size of the output and of the state.
        activation: default ``tanh``.
        use_bias, the initializers, regularizers and constraints of kernel, recurrent_kernel and bias, dropout,
            recurrent_dropout, seed: as `LSTMCell`.

    Input shape: ``(batch, input_dim)``; state: ``(batch, units)``.
    Output shape: ``(batch, units)``.
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)

    def _fused_kernel(self):
        return {activations.tanh: "rnn_tanh", activations.relu: "rnn_relu"}.get(self.activation)

    def call(self, sequence, states, training=False):
        previous = states[0] if isinstance(states, (list, tuple)) else states
        inputs, h_dropped = self._dropped(sequence, previous, training)
        h = inputs @ self.kernel
        if self.use_bias:
            h = h + self.bias
        output = self.activation(h + h_dropped @ self.recurrent_kernel)
        return output, ([output] if isinstance(states, (list, tuple)) else output)


class SimpleRNN(CellLayer):
    """Fully-connected RNN where the output is fed back as the next input.

    With ``tanh`` or ``relu``, no recurrent dropout while training and ``unroll=False``, it runs on
    ``torch.rnn_tanh``/``torch.rnn_relu``; otherwise Keras's step loop.

    Args:
        units, activation, use_bias, the initializers, regularizers (and ``activity_regularizer``) and
            constraints, dropout, recurrent_dropout, seed: as `SimpleRNNCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as `RNN`.

    Input shape: ``(batch, timesteps, features)``.
    Output shape: ``(batch, timesteps, units)`` with ``return_sequences``, else ``(batch, units)``; with
    ``return_state``, then the final state.
    """

    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"
    _cell_keys_not_in_config = ("seed",)

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, seed=None, **kwargs):
        cell_kwargs = dict(units=units, activation=activation, use_bias=use_bias,
                           kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                           bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                           recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                           kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                           bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                           seed=seed)
        super().__init__(cell_kwargs, activity_regularizer=activity_regularizer, return_sequences=return_sequences,
                         return_state=return_state, go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         **kwargs)
