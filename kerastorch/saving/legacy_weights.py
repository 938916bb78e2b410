"""Keras 2 weight layouts that differ from kerastorch's: the CuDNN recurrent layers.

Keras 2's ``CuDNNLSTM`` and ``CuDNNGRU`` stored their weights in the memory layout cuDNN reads, so their ``.h5``
files do not fit an ``LSTM`` or ``GRU`` as they are. For ``u`` units, ``d`` input features and the gates in
Keras's order (LSTM: i, f, c, o; GRU: z, r, h):

- ``kernel`` ``(d, gates * u)``: the block of gate ``g``, ``kernel[:, g*u:(g+1)*u]``, holds cuDNN's matrix
  ``W_g`` (``u x d``, ``gate = W_g @ x``) as its flat row-major memory: ``W_g = block.reshape(u, d)``. Keras's
  block is ``W_g.T``.
- ``recurrent_kernel`` ``(u, gates * u)``: each ``(u, u)`` block is cuDNN's ``U_g`` the same way, so Keras's block
  is ``block.T``.
- ``bias``: cuDNN adds an input bias and a recurrent bias to every gate: ``(2 * gates * u,)``, the input biases
  of all gates first. An LSTM adds both, so its bias is their sum ``(4u,)``; a ``GRU(reset_after=True)`` keeps
  both, as the rows of its ``(2, 3u)`` bias.

This is how Keras 2.3's ``preprocess_weights_for_loading`` converted them; a file is recognized by its bias
shape, so ``LSTM``/``GRU`` (and ``CuDNNLSTM``/``CuDNNGRU``) layers, alone, in ``Bidirectional`` or in a nested
model, take CuDNN files as well as their own.
"""
import numpy as np


def _legacy_weights(layer):
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _cudnn_kernel(kernel, gates):
    units = kernel.shape[1] // gates
    blocks = np.hsplit(np.asarray(kernel), gates)
    return np.hstack([block.reshape(units, block.shape[0]).T for block in blocks])


def _cudnn_recurrent_kernel(recurrent_kernel, gates):
    return np.hstack([block.T for block in np.hsplit(np.asarray(recurrent_kernel), gates)])


def from_cudnn_lstm(kernel, recurrent_kernel, bias):
    """``[kernel, recurrent_kernel, bias]`` of an ``LSTM`` from Keras 2's ``CuDNNLSTM`` weights."""
    input_bias, recurrent_bias = np.split(np.asarray(bias), 2)
    return [_cudnn_kernel(kernel, 4), _cudnn_recurrent_kernel(recurrent_kernel, 4), input_bias + recurrent_bias]


def from_cudnn_gru(kernel, recurrent_kernel, bias):
    """``[kernel, recurrent_kernel, bias]`` of a ``GRU(reset_after=True)`` from Keras 2's ``CuDNNGRU`` weights."""
    return [_cudnn_kernel(kernel, 3), _cudnn_recurrent_kernel(recurrent_kernel, 3), np.asarray(bias).reshape(2, -1)]


def _rnn_converter(layer, shapes):
    from kerastorch.layers.recurrent.gru import GRU
    from kerastorch.layers.recurrent.lstm import LSTM
    if not isinstance(layer, (LSTM, GRU)) or len(shapes) != 3 or len(shapes[1]) != 2:
        return None
    units = shapes[1][0]
    gates = 4 if isinstance(layer, LSTM) else 3
    if tuple(shapes[2]) != (2 * gates * units,):
        return None
    if isinstance(layer, GRU) and not layer.reset_after:
        raise ValueError(f"Layer '{layer.name}' is a GRU(reset_after=False), which cannot take the weights of "
                         f"Keras 2's CuDNNGRU (they need reset_after=True).")
    convert = from_cudnn_lstm if isinstance(layer, LSTM) else from_cudnn_gru
    return lambda values: convert(*values)


def _split_converter(parts, shapes):
    """A converter for a layer whose weights are the concatenation of ``parts`` (``[(sublayer, count)]``)."""
    converters, start = [], 0
    for sublayer, count in parts:
        converter = cudnn_converter(sublayer, shapes[start:start + count]) if count else None
        converters.append((start, start + count, converter))
        start += count
    if start != len(shapes) or all(converter is None for _, _, converter in converters):
        return None

    def convert(values):
        converted = []
        for begin, end, converter in converters:
            converted += converter(values[begin:end]) if converter else list(values[begin:end])
        return converted
    return convert


def cudnn_converter(layer, shapes):
    """A function that turns the file's values for ``layer`` (in Keras 2's order: trainable weights, then
    non-trainable ones) into the layer's, when ``shapes`` (the file's) are the CuDNN layout somewhere in it;
    None when there is nothing to convert."""
    from kerastorch.layers.recurrent.bidirectional import Bidirectional
    shapes = [tuple(shape) for shape in shapes]
    if isinstance(layer, Bidirectional):
        forward, backward = layer.forward_layer, layer.backward_layer
        parts = [(forward, len(forward.trainable_weights)), (backward, len(backward.trainable_weights))]
        # An RNN's weights are all trainable or all frozen; frozen ones follow all trainable ones.
        frozen = [(forward, len(forward.non_trainable_weights)), (backward, len(backward.non_trainable_weights))]
        return _split_converter(parts + frozen, shapes)
    sublayers = getattr(layer, "layers", None)
    if isinstance(sublayers, list) and sublayers and hasattr(layer, "inputs"):
        parts = [(sub, len(sub.trainable_weights)) for sub in sublayers]
        parts += [(sub, len(sub.non_trainable_weights)) for sub in sublayers]
        return _split_converter(parts, shapes)
    inner = getattr(layer, "layer", None)
    if inner is not None and len(_legacy_weights(inner)) == len(shapes):   # TimeDistributed and other wrappers
        return cudnn_converter(inner, shapes)
    return _rnn_converter(layer, shapes)
