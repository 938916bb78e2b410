"""PyTorch source rules of the recurrent layers: LSTM, GRU, SimpleRNN (torch.nn's modules, Keras's weights
reordered into torch's gates), Bidirectional, a GRU with reset_after=False (a generated helper module), and their
masks (torch's packed sequences, for masks that keep a prefix of the steps)."""
import torch

from kerastorch import activations
from kerastorch.export._pytorch_common import KERAS, _single_input, unsupported
from kerastorch.layers.recurrent import gru, lstm, simple_rnn

def _gate_rows(matrix, order):
    """``matrix``'s rows (torch's layout: gates stacked on dim 0) with the gates reordered by ``order``."""
    chunks = matrix.chunk(len(order), dim=0)
    return torch.cat([chunks[i] for i in order], dim=0)


def _recurrent_weights(layer, suffix=""):
    """Torch's ``weight_ih_l0``... for one direction of an LSTM, GRU or SimpleRNN layer."""
    cell = layer.cell
    kernel, recurrent = cell.kernel.detach().t(), cell.recurrent_kernel.detach().t()
    bias = None if cell.bias is None else cell.bias.detach()
    if isinstance(layer, gru.GRU):
        if not cell.reset_after:
            raise unsupported(layer, "reset_after=False has no torch.nn.GRU counterpart (torch's GRU computes "
                                     "reset_after=True)")
        order = (1, 0, 2)   # Keras stacks the gates (update, reset, new); torch (reset, update, new)
        kernel, recurrent = _gate_rows(kernel, order), _gate_rows(recurrent, order)
        input_bias, recurrent_bias = (None, None) if bias is None else \
            (_gate_rows(bias[0], order), _gate_rows(bias[1], order))
    else:
        input_bias, recurrent_bias = (None, None) if bias is None else (bias, torch.zeros_like(bias))
    weights = {f"weight_ih_l0{suffix}": kernel, f"weight_hh_l0{suffix}": recurrent}
    if bias is not None:
        weights.update({f"bias_ih_l0{suffix}": input_bias, f"bias_hh_l0{suffix}": recurrent_bias})
    return weights


def _recurrent_constructor(layer, input_size, bidirectional=False):
    cell = layer.cell
    if isinstance(layer, simple_rnn.SimpleRNN):
        activation = getattr(cell.activation, "__wrapped__", cell.activation)
        if activation not in (activations.tanh, activations.relu):
            raise unsupported(layer, "torch.nn.RNN supports the activations 'tanh' and 'relu' only")
        kind, extra = "RNN", f", nonlinearity={'tanh' if activation is activations.tanh else 'relu'!r}"
    else:
        if getattr(cell.activation, "__wrapped__", cell.activation) is not activations.tanh or \
                getattr(cell.recurrent_activation, "__wrapped__", cell.recurrent_activation) is not activations.sigmoid:
            raise unsupported(layer, "torch's LSTM and GRU use activation='tanh' and recurrent_activation='sigmoid' "
                                     "only")
        kind, extra = ("LSTM" if isinstance(layer, lstm.LSTM) else "GRU"), ""
    if getattr(layer, "stateful", False):
        raise unsupported(layer, "stateful=True is not supported")
    arguments = f"{input_size}, {cell.units}{extra}, batch_first=True"
    if cell.bias is None:
        arguments += ", bias=False"
    if bidirectional:
        arguments += ", bidirectional=True"
    return f"nn.{kind}({arguments})"


_LENGTHS_HELPER = '''
def right_padded_lengths(mask):
    """The length of each sequence of a (batch, steps) Keras mask, which must keep a prefix of the steps (padding
    at the end): torch's packed sequences skip the padding as Keras's masked recurrent layers do."""
    lengths = mask.sum(1)
    if not torch.equal(mask, torch.arange(mask.shape[1], device=mask.device) < lengths[:, None]):
        raise ValueError("This module runs masked sequences padded at the end only (a mask of True then False).")
    return lengths.cpu()
'''


def _packed(w, layer, source, mask):
    """Lines that pack ``source`` by the lengths of its right-padded ``mask``; the packed variable's name."""
    w.add_helper("right_padded_lengths", _LENGTHS_HELPER)
    packed = w.fresh(f"{layer.name}_packed")
    w.line(f"{packed} = nn.utils.rnn.pack_padded_sequence({source}, right_padded_lengths({mask}), "
           f"batch_first=True, enforce_sorted=False)")
    return packed


def _unpacked(w, sequences, source):
    w.line(f"{sequences} = nn.utils.rnn.pad_packed_sequence({sequences}, batch_first=True, "
           f"total_length={source}.shape[1])[0]")


_GRU_V1_HELPER = '''
class KerasGRUResetBefore(nn.Module):
    """Keras's GRU with reset_after=False (Keras 2's default), which torch.nn.GRU does not compute: the reset gate
    scales the state before its recurrent product. One step per time step; the gates stacked as Keras's (z, r, h)."""

    FUNCTIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "hard_sigmoid": F.hardsigmoid, "relu": F.relu}

    def __init__(self, input_size, units, activation="tanh", recurrent_activation="sigmoid", bias=True):
        super().__init__()
        self.units = units
        self.activation = self.FUNCTIONS[activation]
        self.recurrent_activation = self.FUNCTIONS[recurrent_activation]
        self.kernel = nn.Linear(input_size, 3 * units, bias=bias)
        self.recurrent_kernel = nn.Parameter(torch.zeros(units, 3 * units))

    def forward(self, x):
        units = self.units
        gates_recurrent, candidate_recurrent = self.recurrent_kernel.split([2 * units, units], dim=1)
        state = x.new_zeros(x.shape[0], units)
        outputs = []
        for projected in self.kernel(x).unbind(1):
            update, reset = self.recurrent_activation(
                projected[:, :2 * units] + state @ gates_recurrent).chunk(2, dim=1)
            candidate = self.activation(projected[:, 2 * units:] + (reset * state) @ candidate_recurrent)
            state = update * state + (1 - update) * candidate
            outputs.append(state)
        return torch.stack(outputs, dim=1), state
'''
_GRU_V1_FUNCTIONS = {activations.tanh: "tanh", activations.sigmoid: "sigmoid",
                     activations.hard_sigmoid: "hard_sigmoid", activations.relu: "relu"}


def _gru_reset_before(w, node, layer, x, source):
    """A reset_after=False GRU through the generated helper module; returns the Keras outputs' sources."""
    cell = layer.cell
    names = [_GRU_V1_FUNCTIONS.get(getattr(f, "__wrapped__", f)) for f in (cell.activation, cell.recurrent_activation)]
    if None in names or x.mask is not None or layer.return_state:
        raise unsupported(layer, f"reset_after=False runs with activations among {sorted(_GRU_V1_FUNCTIONS.values())}, "
                                 f"without a mask or return_state")
    w.add_helper("KerasGRUResetBefore", _GRU_V1_HELPER)
    weights = {"kernel.weight": cell.kernel.detach().t(), "recurrent_kernel": cell.recurrent_kernel.detach()}
    if cell.bias is not None:
        weights["kernel.bias"] = cell.bias.detach()
    bias = "" if cell.bias is not None else ", bias=False"
    attribute = w.add_module(layer, f"KerasGRUResetBefore({node.input_tensors[0].shape[-1]}, {cell.units}, "
                                    f"{names[0]!r}, {names[1]!r}{bias})", weights)
    sequences, final = w.fresh(f"{layer.name}_sequences"), w.fresh(f"{layer.name}_state")
    w.line(f"{sequences}, {final} = {attribute}({source})")
    w.assign(node, [(sequences if layer.return_sequences else final, KERAS)])


def _recurrent(w, node, layer):
    x = _single_input(w, node)
    if isinstance(layer, gru.GRU) and not layer.cell.reset_after:
        source = w.want(x, KERAS)
        return _gru_reset_before(w, node, layer, x, f"{source}.flip(1)" if layer.go_backwards else source)
    if node.call_kwargs.get("initial_state") is not None or node.call_kwargs.get("mask") is not None:
        raise unsupported(layer, "initial_state and mask arguments are not supported")
    if x.mask is not None and layer.go_backwards:
        raise unsupported(layer, "go_backwards=True under a mask is not supported")
    source = w.want(x, KERAS)
    input_size = node.input_tensors[0].shape[-1]
    attribute = w.add_module(layer, _recurrent_constructor(layer, input_size), _recurrent_weights(layer))
    if layer.go_backwards:
        source = f"{source}.flip(1)"
    argument = source if x.mask is None else _packed(w, layer, source, x.mask)
    sequences = w.fresh(f"{layer.name}_sequences")
    is_lstm = isinstance(layer, lstm.LSTM)
    final = w.fresh(f"{layer.name}_state")
    if is_lstm:
        cell_state = w.fresh(f"{layer.name}_cell_state")
        w.line(f"{sequences}, ({final}, {cell_state}) = {attribute}({argument})")
    else:
        w.line(f"{sequences}, {final} = {attribute}({argument})")
    last = f"{final}[0]"
    if x.mask is not None:
        # Keras repeats the last valid output at masked steps (or writes zeros, with zero_output_for_mask).
        _unpacked(w, sequences, source)
        if layer.zero_output_for_mask:
            last = f"torch.where({x.mask}[:, -1:], {last}, 0.0)"
        elif layer.return_sequences:
            w.line(f"{sequences} = torch.where({x.mask}.unsqueeze(-1), {sequences}, {last}.unsqueeze(1))")
    outputs = [(sequences if layer.return_sequences else last, KERAS)]
    if layer.return_state:
        outputs.append((f"{final}[0]", KERAS))
        if is_lstm:
            outputs.append((f"{cell_state}[0]", KERAS))
    w.assign(node, outputs, (x.mask,) if layer.return_sequences and x.mask is not None else ())


_recurrent.reads_masks = True


_BIDIRECTIONAL_MERGES = {"concat": "torch.cat([{0}, {1}], dim=-1)", "sum": "{0} + {1}", "mul": "{0} * {1}",
                         "ave": "({0} + {1}) / 2"}


def _bidirectional(w, node, layer):
    x = _single_input(w, node)
    forward, backward = layer.forward_layer, layer.backward_layer
    if layer.merge_mode not in _BIDIRECTIONAL_MERGES or type(forward) is not type(backward) or \
            type(forward) not in (lstm.LSTM, gru.GRU, simple_rnn.SimpleRNN) or forward.go_backwards or \
            not backward.go_backwards or forward.return_sequences != backward.return_sequences or \
            layer.return_state or forward.cell.units != backward.cell.units:
        raise unsupported(layer, f"only merge_mode in {sorted(_BIDIRECTIONAL_MERGES)} over an LSTM, GRU or "
                                 f"SimpleRNN, without return_state, is supported")
    if node.call_kwargs.get("initial_state") is not None or node.call_kwargs.get("mask") is not None:
        raise unsupported(layer, "initial_state and mask arguments are not supported")
    source = w.want(x, KERAS)
    input_size = node.input_tensors[0].shape[-1]
    weights = {**_recurrent_weights(forward), **_recurrent_weights(backward, "_reverse")}
    attribute = w.add_module(layer, _recurrent_constructor(forward, input_size, bidirectional=True), weights)
    # Under a mask both directions skip the padding (Keras writes zeros at masked steps of returned sequences).
    argument = source if x.mask is None else _packed(w, layer, source, x.mask)
    sequences = w.fresh(f"{layer.name}_sequences")
    final = w.fresh(f"{layer.name}_state")
    states = f"({final}, _)" if isinstance(forward, lstm.LSTM) else final
    w.line(f"{sequences}, {states} = {attribute}({argument})")
    if x.mask is not None:
        _unpacked(w, sequences, source)
    masks = (x.mask,) if forward.return_sequences and x.mask is not None else ()
    units = forward.cell.units
    if forward.return_sequences:   # torch's backward outputs are already aligned with the input steps, as Keras's
        if layer.merge_mode == "concat":
            w.assign(node, [(sequences, KERAS)], masks)
            return
        halves = (f"{sequences}[..., :{units}]", f"{sequences}[..., {units}:]")
    else:
        halves = (f"{final}[0]", f"{final}[1]")
    w.assign(node, [(_BIDIRECTIONAL_MERGES[layer.merge_mode].format(*halves), KERAS)], masks)


_bidirectional.reads_masks = True
