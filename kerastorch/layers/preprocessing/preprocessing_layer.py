"""What every preprocessing layer shares: ``adapt`` over arrays, lists, iterables of batches and Datasets, host
string arrays, and the categorical encodings (one-hot, multi-hot, counts) of index tensors.

Strings are not torch tensors: they travel as numpy arrays (``str``/``object``) on the host, from the data
adapter to the first preprocessing layer, which turns them into index tensors on the layer's device.
"""
import numpy as np
import torch

from kerastorch import backend
from kerastorch.keras_tensor import KerasTensor
from kerastorch.layers.layer import Layer

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def check_choice(layer_name, argument, value, choices):
    if value not in choices:
        raise ValueError(f"Layer {layer_name} received an unknown `{argument}` argument: {value!r}. Expected one of "
                         f"{choices}.")


def standardize_output_mode(output_mode):
    """Keras's older spellings: ``"binary"`` is ``"multi_hot"``, ``"tf-idf"`` is ``"tf_idf"``."""
    return {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)


def host_array(values, encoding="utf-8"):
    """``values`` (a list, an array, a tensor, a scalar) as a numpy array; strings as ``str`` objects."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.dtype.kind == "S" or (array.dtype.kind == "O" and array.size and isinstance(array.flat[0], bytes)):
        return np.vectorize(lambda b: b.decode(encoding) if isinstance(b, bytes) else b, otypes=[object])(array)
    if array.dtype.kind == "U":
        return array.astype(object)
    if array.dtype.kind == "O" and array.size and not isinstance(array.flat[0], str):
        return np.asarray(array.tolist())
    return array


def _first_of(batch):
    """The inputs of a batch: ``x`` of ``(x, y)`` or ``(x, y, sample_weight)``."""
    if isinstance(batch, tuple) and 1 <= len(batch) <= 3:
        return batch[0]
    return batch


def adapt_batches(data, steps=None, lists_are_batches=False):
    """The batches ``adapt`` reads: an array, a tensor (or, unless ``lists_are_batches``, a list) is one batch;
    any other iterable (a kerastorch Dataset, a DataLoader, a generator, a PyDataset) yields batches, whose
    ``x`` is taken."""
    if isinstance(data, (np.ndarray, torch.Tensor, str, bytes)) or \
            (isinstance(data, (list, tuple)) and not lists_are_batches):
        yield data
        return
    if hasattr(data, "__getitem__") and hasattr(data, "__len__") and hasattr(data, "on_epoch_end"):
        data = map(data.__getitem__, range(len(data)))   # a PyDataset
    if not hasattr(data, "__iter__"):
        raise TypeError(f"adapt() expects a numpy array, a tensor, a list, or an iterable of batches (a Dataset, "
                        f"a generator). Received: data of type {type(data).__name__}")
    for index, batch in enumerate(data):
        if steps is not None and index >= steps:
            break
        yield _first_of(batch)


class PreprocessingLayer(Layer):
    """A layer with state computed from data by ``adapt`` (``update_state`` per batch, then ``finalize_state``);
    it has no trainable weights and is built from its constructor."""

    _lists_are_batches = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True
        self._is_adapted = False

    @property
    def is_adapted(self):
        return self._is_adapted

    def adapt(self, data, batch_size=None, steps=None):
        """Compute the layer's state from ``data``: an array, a list, or an iterable of batches."""
        self.reset_state()
        for batch in adapt_batches(data, steps, self._lists_are_batches):
            self.update_state(batch)
        self.finalize_state()
        self._is_adapted = True

    def update_state(self, data):
        raise NotImplementedError(f"{type(self).__name__} cannot be adapted.")

    def finalize_state(self):
        pass

    def reset_state(self):
        pass

    def _output_device(self):
        return self._input_device()

    def _output_dtype(self):
        return self.compute_dtype

    def compute_output_spec(self, *args, **kwargs):
        inputs = args[0]
        return KerasTensor(self.compute_output_shape(tuple(inputs.shape)), self._output_dtype())


def encode_categorical(indices, output_mode, depth, dtype, count_weights=None):
    """Index tensors as ``"int"`` (as they are), ``"one_hot"`` (a trailing axis of 1 is replaced by ``depth``),
    or ``"multi_hot"``/``"count"`` over the last axis (a rank-1 input is one sample). Indices outside
    ``[0, depth)`` (a mask) count for nothing."""
    if output_mode == "int":
        return indices
    if indices.dim() == 0:
        indices = indices.reshape(1)
    dtype = backend.torch_dtype(dtype)
    if output_mode == "one_hot":
        if indices.dim() > 1 and indices.shape[-1] == 1:
            indices = indices.squeeze(-1)
        inside = (indices >= 0) & (indices < depth)
        encoded = torch.nn.functional.one_hot(torch.where(inside, indices, 0).long(), depth).to(dtype)
        return encoded * inside.unsqueeze(-1).to(dtype)
    leading = indices.shape[:-1]
    flat = indices.reshape(-1, indices.shape[-1]).long()
    inside = (flat >= 0) & (flat < depth)
    if count_weights is not None:
        weights = torch.as_tensor(count_weights, device=flat.device).reshape(flat.shape).to(dtype)
    else:
        weights = torch.ones(flat.shape, dtype=dtype, device=flat.device)
    encoded = torch.zeros((flat.shape[0], depth), dtype=dtype, device=flat.device)
    encoded.scatter_add_(1, torch.where(inside, flat, 0), weights * inside.to(dtype))
    if output_mode == "multi_hot":
        encoded = (encoded > 0).to(dtype)
    return encoded.reshape(tuple(leading) + (depth,))


def encoded_shape(input_shape, output_mode, depth):
    """The output shape of ``encode_categorical`` for inputs of ``input_shape``."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    return input_shape[:-1] + (depth,)
