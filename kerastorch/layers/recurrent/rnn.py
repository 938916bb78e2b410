"""`RNN`: a recurrent layer around any cell, and `DropoutRNNCell`, the dropout masks of the built-in cells.

The cell protocol is Keras's: a cell has ``state_size`` (an int, or a list of ints, or for stacked cells a list of
those), optionally ``output_size`` and ``get_initial_state(batch_size)``, and
``call(inputs, states, training) -> (output, new_states)`` for one timestep. `RNN` runs it over the time axis.

Three execution paths give Keras's numbers (``layer._execution_path(inputs, mask, training)`` says which one a
call takes, and ``call`` itself uses it):

- ``"fused"``: a built-in cell with Keras's default activations and no active recurrent dropout or unrolling
  runs as one torch kernel (``_fused.py``);
- ``"packed"``: the same with a right-padded mask (``Embedding(mask_zero=True)``), on a packed sequence;
- ``"loop"``: any other cell, activation or mask, one step at a time, with Keras's masking rule: at a masked
  step the states are carried over and the output is the previous step's output (zeros with
  ``zero_output_for_mask=True``).
"""
import inspect

import torch

from kerastorch.keras_tensor import flatten
from kerastorch.layers.layer import InputSpec, Layer
from kerastorch.layers.recurrent import _fused
from kerastorch.saving.serialization import deserialize_keras_object, serialize_keras_object


def pack_like(structure, flat):
    """The leaves ``flat`` in the nesting of ``structure`` (lists and tuples), as Keras's ``pack_sequence_as``."""
    leaves = iter(flat)

    def pack(item):
        if isinstance(item, (list, tuple)):
            return [pack(i) for i in item]
        return next(leaves)
    return pack(structure)


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


class DropoutRNNCell:
    """The dropout masks of a cell: one mask per call of the layer, shared by all its timesteps (Keras's rule).

    A cell using it has ``dropout``, ``recurrent_dropout`` and ``seed``; with ``dropout_mask_count`` set (Keras's
    ``implementation=1``), each mask is a list of that many independent masks, one per gate.
    """

    dropout_mask_count = None

    def _new_dropout_mask(self, like, rate):
        generator = None
        if self.seed is not None:
            generator = self.__dict__.get("_dropout_generator")
            if generator is None or generator.device != like.device:
                generator = torch.Generator(device=like.device)
                generator.manual_seed(int(self.seed))
                self.__dict__["_dropout_generator"] = generator

        def one():
            keep = torch.rand(like.shape, generator=generator, device=like.device) >= rate
            return keep.to(like.dtype) / (1.0 - rate)
        return one() if self.dropout_mask_count is None else [one() for _ in range(self.dropout_mask_count)]

    def get_dropout_mask(self, step_input):
        if self.__dict__.get("_dropout_mask") is None and self.dropout > 0:
            self.__dict__["_dropout_mask"] = self._new_dropout_mask(step_input, self.dropout)
        return self.__dict__.get("_dropout_mask")

    def get_recurrent_dropout_mask(self, step_input):
        if self.__dict__.get("_recurrent_dropout_mask") is None and self.recurrent_dropout > 0:
            self.__dict__["_recurrent_dropout_mask"] = self._new_dropout_mask(step_input, self.recurrent_dropout)
        return self.__dict__.get("_recurrent_dropout_mask")

    def reset_dropout_mask(self):
        self.__dict__["_dropout_mask"] = None

    def reset_recurrent_dropout_mask(self):
        self.__dict__["_recurrent_dropout_mask"] = None


def reset_dropout_masks(cell):
    """Forget the masks of ``cell`` (and of the cells it stacks) after a call of the layer."""
    if isinstance(cell, DropoutRNNCell):
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
    for inner in getattr(cell, "cells", ()):
        reset_dropout_masks(inner)


def flat_state_sizes(state_size):
    """The state sizes of a cell as a flat list (a stacked cell's nested sizes flattened, in order)."""
    return [s for s in flatten(_as_list(state_size))]


class RNN(Layer):
    """A recurrent layer: runs ``cell`` over the time axis of its inputs.

    Args:
        cell: a cell (Keras's protocol: ``state_size``, ``call(inputs, states, training)``), or a list of cells,
            stacked into a `StackedRNNCells`.
        return_sequences: return the output of every timestep (else the last one).
        return_state: also return the final states.
        go_backwards: process the sequence backwards (and return the outputs in that order).
        stateful: the final states of a batch are the initial states of the next (needs a fixed batch size).
        unroll: Keras's unrolled loop (here: always the step loop).
        zero_output_for_mask: output zeros at masked timesteps (else the previous timestep's output).

    Call arguments: ``sequences`` (batch, timesteps, ...), ``initial_state`` (a list of tensors),
    ``mask`` (batch, timesteps) booleans, ``training``.

    Input shape: ``(batch, timesteps, features...)``.
    Output shape: ``(batch, timesteps, units)`` with ``return_sequences``, else ``(batch, units)``; with
    ``return_state``, followed by the states ``(batch, state_size)``.
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if "input_length" in kwargs and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            # Keras 2's first recurrent layer of a Sequential: input_length (timesteps) with input_dim (features).
            kwargs["input_shape"] = (kwargs.pop("input_length"), kwargs.pop("input_dim", None))
        elif "input_dim" in kwargs and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = (None, kwargs.pop("input_dim"))
        if isinstance(cell, (list, tuple)):
            from kerastorch.layers.recurrent.stacked_rnn_cells import StackedRNNCells
            cell = StackedRNNCells(cell)
        if not callable(getattr(cell, "call", None)):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell}")
        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError(f"The RNN cell should have a `state_size` attribute (single integer or list of "
                             f"integers, one integer per RNN state). Received: cell={cell}")
        if not isinstance(state_size, (list, tuple, int)):
            raise ValueError(f"state_size must be an integer, or a list/tuple of integers (one for each state "
                             f"tensor). Received: state_size={state_size!r}")
        if kwargs.pop("time_major", False):   # Keras 2's argument: its default (False) is all there is here
            raise ValueError("time_major=True is not supported: recurrent layers take batch-major inputs "
                             "(batch, timesteps, features). Received: time_major=True")
        super().__init__(**kwargs)
        self.cell = cell
        takes_training = getattr(cell, "_call_has_training", None)
        if takes_training is None:
            takes_training = "training" in inspect.signature(cell.call).parameters
        self.__dict__["_cell_takes_training"] = takes_training
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        self.__dict__["states"] = None   # a stateful layer's states: tensors, not weights (Keras saves none)

    @property
    def state_size(self):
        size = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)

    @property
    def _output_size(self):
        size = getattr(self.cell, "output_size", None)
        return self.state_size[0] if size is None else size

    # ---- building ------------------------------------------------------------------------------------------

    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        if len(sequences_shape) < 3:
            raise ValueError(f"Layer '{self.name}' expects inputs of rank >= 3 (batch, timesteps, features), but "
                             f"received an input of shape {sequences_shape}.")
        if self.stateful and sequences_shape[0] is None:
            raise ValueError(f"Layer '{self.name}': when using `stateful=True` in a RNN, the batch size must be "
                             f"static. Found dynamic batch size: sequence.shape={sequences_shape}. Expected a "
                             f"fixed batch size, e.g. Input(batch_shape=(32, ...)).")
        step_shape = (sequences_shape[0],) + sequences_shape[2:]
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._maybe_build(step_shape)
        self.built = True

    # ---- states --------------------------------------------------------------------------------------------

    def get_initial_state(self, batch_size):
        make = getattr(self.cell, "get_initial_state", None)
        if make is not None:
            return _as_list(make(batch_size=batch_size))
        dtype = getattr(self.cell, "_compute_torch_dtype", None) or torch.get_default_dtype()
        device = self._input_device()
        return [torch.zeros((batch_size, size), dtype=dtype, device=device) for size in self.state_size]

    def reset_state(self):
        """Zero a stateful layer's states."""
        if self.states is not None:
            self.__dict__["states"] = [torch.zeros_like(s) for s in self.states]

    def reset_states(self, states=None):
        """Keras 2's name; ``states`` (arrays) sets them instead of zeroing."""
        if states is None:
            self.reset_state()
            return
        if self.states is None:
            raise ValueError(f"Layer '{self.name}' has no states yet: call it once (it must be stateful).")
        values = [torch.as_tensor(v, dtype=s.dtype, device=s.device) for v, s in zip(_as_list(states),
                                                                                     self.states)]
        self._check_states(values, self.states[0].shape[0], "reset_states(states)")
        self.__dict__["states"] = values

    def _check_states(self, flat, batch_size, argument):
        """Refuse states whose count or shapes are not the cell's."""
        sizes = flat_state_sizes(self.state_size)
        if len(flat) != len(sizes):
            raise ValueError(f"Layer '{self.name}' expects {len(sizes)} initial state tensor(s) (state_size="
                             f"{self.cell.state_size}), but received {len(flat)} in `{argument}`.")
        for index, (state, size) in enumerate(zip(flat, sizes)):
            # (batch, state_size) for a vector state; a convolutional cell's states are (batch, ..., state_size).
            if state.dim() < 2 or state.shape[0] != batch_size or (isinstance(size, int) and state.shape[-1] != size):
                raise ValueError(f"Layer '{self.name}': initial state {index} has shape {tuple(state.shape)}, "
                                 f"but the expected shape is {(batch_size, size)} (batch_size, state_size).")

    def _initial_states(self, sequences, initial_state):
        """The states a call starts from, nested as the cell expects (a flat list for a plain cell)."""
        batch_size = sequences.shape[0]
        if initial_state is not None:
            structure = _as_list(initial_state)
            flat = [s if isinstance(s, torch.Tensor) else torch.as_tensor(s, device=sequences.device)
                    for s in flatten(structure)]
            self._check_states(flat, batch_size, "initial_state")
        elif self.stateful:
            if self.states is None:
                self.__dict__["states"] = flatten(self.get_initial_state(batch_size))
                self.__dict__["_stateful_batch"] = batch_size
            elif batch_size != self._stateful_batch:
                raise ValueError(f"Layer '{self.name}': if an RNN is stateful, the batch size of the input "
                                 f"sequences must be the same as the batch size of the initial state. Expected "
                                 f"batch size: {self._stateful_batch}. Received batch size: {batch_size}")
            structure = self.cell.state_size
            flat = [s.to(sequences.device) for s in self.states]
        else:
            structure = self.get_initial_state(batch_size)
            flat = flatten(structure)
        dtype = sequences.dtype if sequences.is_floating_point() else None
        flat = [s.to(dtype) if dtype is not None and s.is_floating_point() and s.dtype != dtype else s
                for s in flat]
        if not self._nested_states:
            return flat
        return pack_like(structure, flat)

    _stateful_batch = None

    @property
    def _nested_states(self):
        return any(isinstance(s, (list, tuple)) for s in self.state_size)

    # ---- calling -------------------------------------------------------------------------------------------

    def _checked_mask(self, mask, sequences):
        return checked_mask(self.name, mask, sequences)

    def _fused_mode(self, training):
        """The torch kernel this layer's cell can run on, or None."""
        if self.unroll:
            return None
        mode = getattr(self.cell, "_fused_mode", None)
        return mode(training) if mode is not None and getattr(self.cell, "built", False) else None

    def _plan(self, sequences, mask, training):
        """``(path, lengths)``: the execution path of a call, and for ``"packed"`` the CPU lengths."""
        if self._fused_mode(training) is None:
            return "loop", None
        if mask is None:
            return "fused", None
        if self.go_backwards:
            return "loop", None
        return right_padded_lengths(mask)

    def _execution_path(self, inputs, mask=None, training=False):
        """``"fused"``, ``"packed"`` or ``"loop"``: how a call on ``inputs`` with ``mask`` runs."""
        if not self.built:
            self._maybe_build(tuple(inputs.shape))
        return self._plan(inputs, self._checked_mask(mask, inputs), training)[0]

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if sequences.dim() < 3:
            raise ValueError(f"Layer '{self.name}' expects inputs of rank >= 3 (batch, timesteps, features), but "
                             f"received an input of shape {tuple(sequences.shape)}.")
        mask = self._checked_mask(mask, sequences)
        states = self._initial_states(sequences, initial_state)
        path, lengths = self._plan(sequences, mask, training)
        try:
            if path == "loop":
                last, outputs, states = self._loop(sequences, states, mask, training)
            else:
                last, outputs, states = self._fused(sequences, states, mask, lengths, training)
        finally:
            reset_dropout_masks(self.cell)
        if self.stateful:
            self.__dict__["states"] = [s.detach() for s in flatten(states)]
            self.__dict__["_stateful_batch"] = sequences.shape[0]
        output = outputs if self.return_sequences else last
        if self.return_state:
            return (output, *_as_list(states))
        return output

    def _fused(self, sequences, states, mask, lengths, training):
        cell = self.cell
        mode = cell._fused_mode(training)
        if training and getattr(cell, "dropout", 0) > 0:
            sequences = sequences * cell.get_dropout_mask(sequences[:, 0]).unsqueeze(1)
        if self.go_backwards:
            sequences = sequences.flip(1)
        outputs, finals = _fused.run(mode, sequences, [states], [cell._torch_weights()], cell.use_bias, lengths)
        states = finals[0]
        last = states[0]
        if lengths is not None:
            valid = mask.unsqueeze(-1)
            if self.zero_output_for_mask:
                last = torch.where(valid[:, -1], last, torch.zeros_like(last))
            elif self.return_sequences:
                outputs = torch.where(valid, outputs, last.unsqueeze(1))
        return last, outputs, states

    def _step(self, inputs, states, training):
        cell = self.cell
        call = cell if callable(cell) else cell.call
        if self._cell_takes_training:
            output, new_states = call(inputs, states, training=training)
        else:
            output, new_states = call(inputs, states)
        if not isinstance(new_states, (list, tuple)):
            new_states = [new_states]
        return output, list(new_states)

    def _loop(self, sequences, states, mask, training):
        """Keras's step loop (``backend.rnn``): masked steps keep the states and repeat (or zero) the output."""
        steps = sequences.unbind(1)
        step_masks = mask.unbind(1) if mask is not None else None
        if self.go_backwards:
            steps = steps[::-1]
            step_masks = step_masks[::-1] if step_masks is not None else None
        outputs, previous = [], None
        for t, inputs in enumerate(steps):
            output, new_states = self._step(inputs, states, training)
            if step_masks is not None:
                keep = step_masks[t]
                if previous is None:
                    previous = torch.zeros_like(output)
                fallback = torch.zeros_like(output) if self.zero_output_for_mask else previous
                output = torch.where(_expand(keep, output), output, fallback)
                flat_new = [torch.where(_expand(keep, n), n, s) for n, s in zip(flatten(new_states),
                                                                                   flatten(states))]
                new_states = pack_like(new_states, flat_new)
            previous = output
            states = new_states
            if self.return_sequences:
                outputs.append(output)
        return previous, torch.stack(outputs, 1) if outputs else None, states

    # ---- shapes, masks, config -----------------------------------------------------------------------------

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        size = self._output_size
        size = tuple(size) if isinstance(size, (list, tuple)) else (size,)
        output = (batch, steps) + size if self.return_sequences else (batch,) + size
        if not self.return_state:
            return output
        states = [[(batch, s) for s in size] if isinstance(size, (list, tuple)) else (batch, size)
                  for size in self.state_size]
        return (output, *states)

    def compute_mask(self, inputs, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(flat_state_sizes(self.state_size))
        return output_mask

    def _rnn_config(self):
        return {"return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask}

    def get_config(self):
        return {**super().get_config(), **self._rnn_config(),
                "cell": serialize_keras_object(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["cell"] = deserialize_keras_object(config.pop("cell"), custom_objects=custom_objects,
                                                                package="layers")
        return super().from_config(config)

    def extra_repr(self):
        flags = [f for f in ("return_sequences", "return_state", "go_backwards", "stateful") if getattr(self, f)]
        return ", ".join([f"name={self.name!r}"] + [f"{f}=True" for f in flags])


def checked_mask(layer_name, mask, sequences):
    """A call's timestep mask as a (batch, timesteps) bool tensor, or a ValueError naming the layer."""
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    if mask is None:
        return None
    if not isinstance(mask, torch.Tensor):
        mask = torch.as_tensor(mask, device=sequences.device)
    if mask.dim() == 3 and mask.shape[-1] == 1:
        mask = mask[..., 0]
    if tuple(mask.shape) != tuple(sequences.shape[:2]):
        raise ValueError(f"Layer '{layer_name}' received a mask of shape {tuple(mask.shape)}, but expects a mask of "
                         f"shape (batch_size, timesteps) = {tuple(sequences.shape[:2])} for inputs of shape "
                         f"{tuple(sequences.shape)}.")
    return mask if mask.dtype == torch.bool else mask.bool()


def _expand(mask, like):
    """A (batch,) mask shaped to broadcast against ``like`` (batch, ...)."""
    return mask.reshape(mask.shape + (1,) * (like.dim() - 1))


def right_padded_lengths(mask):
    """``("packed", lengths)`` when every row of ``mask`` is some True steps then only False ones (none empty),
    ``("fused", None)`` when nothing is masked, else ``("loop", None)``.

    The check is one reduction on the mask's device, and its result comes to the host together with the lengths
    in a single transfer: the one host sync of a masked call, which torch's packed kernels need anyway (they take
    the lengths on the CPU).
    """
    steps = mask.shape[1]
    lengths = mask.sum(1)
    right_padded = (mask == (torch.arange(steps, device=mask.device) < lengths.unsqueeze(1))).all()
    on_host = torch.cat([lengths, right_padded.to(lengths.dtype).unsqueeze(0)]).cpu()
    lengths, right_padded = on_host[:-1], bool(on_host[-1])
    if not right_padded or bool((lengths == 0).any()):
        return "loop", None
    if bool((lengths == steps).all()):
        return "fused", None
    return "packed", lengths
