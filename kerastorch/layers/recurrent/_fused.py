"""The fused path of the recurrent layers: torch's own RNN kernels (``torch.lstm``, ``torch.gru``,
``torch.rnn_tanh``/``torch.rnn_relu``: oneDNN on the CPU, cuDNN on CUDA) fed with Keras's weights.

A cell that can run here says which kernel (``cell._fused_mode(training)``) and hands its weights over in torch's
layout (``cell._torch_weights()``: ``[weight_ih, weight_hh, bias_ih, bias_hh]``, or the first two without bias).
Keras's LSTM gates (i, f, c, o) are torch's (i, f, g, o), so an LSTM's weights go as transposed views; a GRU's
(z, r, h) become torch's (r, z, n) by a reordered copy. Both are differentiable functions of the variables,
rebuilt per forward while autograd records (a cached copy would tie every forward to one graph); under
``torch.no_grad()`` the copy is cached and refreshed only when a variable changes (its ``_version`` counter or
storage moves).
"""
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

_KERNELS = {"lstm": torch.lstm, "gru": torch.gru, "rnn_tanh": torch.rnn_tanh, "rnn_relu": torch.rnn_relu}


def cached_torch_weights(cell, build):
    """``build()``'s torch-layout weights of ``cell``: rebuilt per call while autograd records, cached otherwise
    (keyed on the variables' version counters and storage, so an optimizer step or ``set_weights`` refreshes it)."""
    if torch.is_grad_enabled():
        return build()
    key = tuple((w._version, w.data_ptr(), w.device, w.dtype) for w in cell.weights)
    cached = cell.__dict__.get("_torch_weights_cache")
    if cached is None or cached[0] != key:
        cached = (key, [w.detach() for w in build()])
        cell.__dict__["_torch_weights_cache"] = cached
    return cached[1]


def _initial_hx(mode, states):
    """torch's ``hx`` from per-direction Keras states (``[[h, c], ...]`` or ``[[h], ...]``), each (batch, units)."""
    h = torch.stack([s[0] for s in states])
    if mode == "lstm":
        return h, torch.stack([s[1] for s in states])
    return h


def _final_states(mode, result):
    """Per-direction Keras states from torch's final ``h_n`` (and ``c_n``)."""
    if mode == "lstm":
        _, h_n, c_n = result
        return [[h_n[d], c_n[d]] for d in range(h_n.shape[0])]
    return [[result[1][d]] for d in range(result[1].shape[0])]


def run(mode, sequences, states, weights, has_biases, lengths=None):
    """Run torch's ``mode`` kernel over batch-major ``sequences`` (batch, steps, features).

    Args:
        mode: ``"lstm"``, ``"gru"``, ``"rnn_tanh"`` or ``"rnn_relu"``.
        sequences: the inputs, already reversed in time for a backward-only layer.
        states: one list of Keras states per direction (one direction, or two for a bidirectional call).
        weights: one list of torch-layout weights per direction.
        has_biases: whether each list holds the two biases.
        lengths: None, or a CPU int64 tensor of each sequence's valid length (a right-padded mask): the call
            then runs on a packed sequence, and the outputs at padded steps are zeros.

    Returns:
        ``(outputs, final_states)``: outputs (batch, steps, directions * units) aligned with the input's time
        axis, and one list of Keras states per direction.
    """
    kernel = _KERNELS[mode]
    bidirectional = len(states) == 2
    params = [w for direction in weights for w in direction]
    hx = _initial_hx(mode, states)
    if lengths is None:
        result = kernel(sequences, hx, params, has_biases, 1, 0.0, False, bidirectional, True)
        return result[0], _final_states(mode, result)
    packed = pack_padded_sequence(sequences, lengths, batch_first=True, enforce_sorted=False)
    order, restore = packed.sorted_indices, packed.unsorted_indices
    hx = tuple(h.index_select(1, order) for h in hx) if mode == "lstm" else hx.index_select(1, order)
    result = kernel(packed.data, packed.batch_sizes, hx, params, has_biases, 1, 0.0, False, bidirectional)
    output = packed._replace(data=result[0])
    outputs, _ = pad_packed_sequence(output, batch_first=True, total_length=sequences.shape[1])
    finals = [r.index_select(1, restore) for r in result[1:]]
    return outputs, _final_states(mode, (None, *finals))
