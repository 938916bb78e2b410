"""What an exporter traces a model with: its input specs, example tensors made from them, and their names.

One rule for every format: the model's own inputs give each spec (the batch axis unknown), or the user's
``input_signature`` does; the specs are the model's positional arguments, as in Keras (``[spec]`` for a
one-input model, ``[[spec_a, spec_b]]`` for a two-input functional one; a flat list of one spec per input is
taken as that one argument too).
"""
import torch

from kerastorch import tree
from kerastorch.dtypes import standardize_dtype
from kerastorch.keras_tensor import KerasTensor
from kerastorch.layers.layer import InputSpec
from kerastorch.models.model import Model


def _spec(value):
    """An InputSpec (shape with an unknown batch axis, dtype, name) for a spec, KerasTensor or tensor."""
    if isinstance(value, InputSpec):
        if value.shape is None or value.dtype is None:
            raise ValueError(f"The `shape` and `dtype` of an input spec must be given. Received: {value}")
        return value
    if isinstance(value, KerasTensor):
        return InputSpec(shape=(None,) + tuple(value.shape[1:]), dtype=standardize_dtype(value.dtype),
                         name=value.name)
    if isinstance(value, torch.Tensor):
        return InputSpec(shape=(None,) + tuple(value.shape[1:]), dtype=standardize_dtype(value.dtype))
    raise TypeError(f"Unsupported input signature entry {value!r} of type {type(value).__name__}. Supported "
                    f"types are: `keras.InputSpec`, `keras.KerasTensor` and torch tensors.")


def input_signature_of(model, input_signature=None):
    """The model's positional arguments as a list of spec structures.

    Args:
        model: a built ``keras.Model``.
        input_signature: None (the model's own inputs), or a structure of ``InputSpec``s, KerasTensors or
            tensors.

    Returns:
        A list with one structure of ``InputSpec``s per positional argument of ``model``.
    """
    if not isinstance(model, Model):
        raise TypeError(f"The model must be a `keras.Model`. Received: model={model!r} of the type "
                        f"{type(model).__name__}")
    if input_signature is None:
        if not model.built:
            raise ValueError("The model provided has not yet been built. It must be built before export (call it "
                             "on data once), or be given an `input_signature`.")
        inputs = getattr(model, "_inputs_struct", None)
        if inputs is None:
            inputs = getattr(model, "inputs", None)
        if inputs is None:
            return _signature_from_build_shapes(model)
        if isinstance(inputs, list) and len(inputs) == 1:
            inputs = inputs[0]
        return [tree.map_structure(_spec, inputs)]
    if not isinstance(input_signature, (list, tuple)):
        input_signature = [input_signature]
    signature = [tree.map_structure(_spec, entry) for entry in input_signature]
    known = getattr(model, "inputs", None) or []   # None for a subclassed model
    if len(known) > 1 and len(signature) == len(known) and not any(tree.is_nested(s) for s in signature):
        signature = [signature]
    return signature


def _signature_from_build_shapes(model):
    """A subclassed model's signature, from the shapes of its first call (the batch axis left unknown)."""
    shapes = getattr(model, "_build_shapes", None)
    if not isinstance(shapes, (list, tuple)):
        raise ValueError(f"The model '{model.name}' has never been called, so its inputs are unknown: call it on "
                         f"data once, or pass `input_signature=[keras.InputSpec(shape=..., dtype=...)]`.")
    if all(isinstance(d, int) or d is None for d in shapes):
        shapes = [shapes]
    return [InputSpec(shape=(None,) + tuple(shape)[1:], dtype=standardize_dtype(None)) for shape in shapes]


def example_arguments(signature, unknown_size=2, device=None):
    """Tensors of ones shaped as ``signature`` on ``device`` (where the model's weights are), with
    ``unknown_size`` for each unknown axis. Two, not one: an exporter would take a size of 1 for a constant."""
    def ones(spec):
        shape = [unknown_size if d is None else d for d in spec.shape]
        return torch.ones(shape, dtype=getattr(torch, standardize_dtype(spec.dtype)), device=device)
    return tuple(tree.map_structure(ones, entry) for entry in signature)


def device_of(model):
    """The device of the model's first weight (the default device for a model without weights)."""
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    from kerastorch import backend
    return torch.device(backend.device())


def input_names(signature):
    """One name per flat input: the spec's name, else ``input_{i}`` (Keras's names)."""
    names = [getattr(spec, "name", None) or f"input_{i}" for i, spec in enumerate(tree.flatten(signature))]
    seen = set()
    for i, name in enumerate(names):
        if name in seen:
            names[i] = f"input_{i}"
        seen.add(names[i])
    return names


class FlatInputs(torch.nn.Module):
    """``model`` called with its inputs as flat positional tensors (what ONNX and the exporters name one by one),
    repacked into the structure ``signature`` describes."""

    def __init__(self, model, signature):
        super().__init__()
        self.model = model
        self._signature = signature

    def forward(self, *flat):
        return self.model(*tree.pack_sequence_as(self._signature, list(flat)))
