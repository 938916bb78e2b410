"""Symbolic tensors: what `Input` returns and what calling a layer on one returns.

A KerasTensor carries a shape (``None`` for unknown dimensions), a dtype and the history of which layer call made
it. Calling layers on KerasTensors records a graph of ``Node``s that a functional ``Model`` later runs with real
torch tensors. No computation happens here.
"""
import collections

KerasHistory = collections.namedtuple("KerasHistory", ["operation", "node_index", "tensor_index"])

# How a Python operator on KerasTensors records its operation: set by kerastorch.ops.numpy, which defines the
# operations (it sits above this module, so it registers itself here instead of being imported).
_operator_dispatch = None


def set_operator_dispatch(function):
    """``function(class_name, *operands)`` records the operation ``class_name`` and returns its KerasTensor."""
    global _operator_dispatch
    _operator_dispatch = function


class KerasTensor:
    """A placeholder for a tensor of a known shape and dtype in a model being built."""

    def __init__(self, shape, dtype="float32", name=None, keras_history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = str(dtype)
        self.name = name
        self._keras_history = keras_history

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor has no truth value: it is a placeholder in a model being built.")

    def __iter__(self):
        raise TypeError("A symbolic KerasTensor cannot be iterated; index it or pass it to a layer instead.")

    # Python operators record operations in the graph (kerastorch.ops.numpy), as Keras 3 does. `==` keeps
    # Python's identity meaning, so KerasTensors stay usable in sets and as dict keys.
    def _operation(self, class_name, *args):
        return _operator_dispatch(class_name, *args)

    def __add__(self, other):
        return self._operation("Add", self, other)

    def __radd__(self, other):
        return self._operation("Add", other, self)

    def __sub__(self, other):
        return self._operation("Subtract", self, other)

    def __rsub__(self, other):
        return self._operation("Subtract", other, self)

    def __mul__(self, other):
        return self._operation("Multiply", self, other)

    def __rmul__(self, other):
        return self._operation("Multiply", other, self)

    def __matmul__(self, other):
        return self._operation("Matmul", self, other)

    def __rmatmul__(self, other):
        return self._operation("Matmul", other, self)

    def __truediv__(self, other):
        return self._operation("TrueDivide", self, other)

    def __rtruediv__(self, other):
        return self._operation("TrueDivide", other, self)

    def __floordiv__(self, other):
        return self._operation("FloorDivide", self, other)

    def __rfloordiv__(self, other):
        return self._operation("FloorDivide", other, self)

    def __mod__(self, other):
        return self._operation("Mod", self, other)

    def __rmod__(self, other):
        return self._operation("Mod", other, self)

    def __pow__(self, other):
        return self._operation("Power", self, other)

    def __rpow__(self, other):
        return self._operation("Power", other, self)

    def __neg__(self):
        return self._operation("Negative", self)

    def __abs__(self):
        return self._operation("Absolute", self)

    def __lt__(self, other):
        return self._operation("Less", self, other)

    def __le__(self, other):
        return self._operation("LessEqual", self, other)

    def __gt__(self, other):
        return self._operation("Greater", self, other)

    def __ge__(self, other):
        return self._operation("GreaterEqual", self, other)

    def __ne__(self, other):
        return self._operation("NotEqual", self, other)

    def __and__(self, other):
        return self._operation("LogicalAnd", self, other)

    def __rand__(self, other):
        return self._operation("LogicalAnd", other, self)

    def __or__(self, other):
        return self._operation("LogicalOr", self, other)

    def __ror__(self, other):
        return self._operation("LogicalOr", other, self)

    def __xor__(self, other):
        return self._operation("LogicalXor", self, other)

    def __rxor__(self, other):
        return self._operation("LogicalXor", other, self)

    def __invert__(self):
        return self._operation("LogicalNot", self)

    def __getitem__(self, key):
        return self._operation("GetItem", self, key)

    __hash__ = object.__hash__


class Node:
    """One call of a layer in a graph: the KerasTensors it took and the ones it made."""

    def __init__(self, layer, call_args, call_kwargs, outputs):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.input_tensors = [t for t in flatten((call_args, call_kwargs)) if isinstance(t, KerasTensor)]
        self.outputs = outputs
        self.output_tensors = [t for t in flatten(outputs) if isinstance(t, KerasTensor)]
        node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for i, tensor in enumerate(self.output_tensors):
            tensor._keras_history = KerasHistory(layer, node_index, i)

    @property
    def parent_nodes(self):
        parents = []
        for tensor in self.input_tensors:
            history = tensor._keras_history
            if history is not None:
                parents.append(history.operation._inbound_nodes[history.node_index])
        return parents


def flatten(structure):
    """The leaves of nested lists, tuples and dicts (dicts in key order), as Keras's tree.flatten."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return [structure]


def map_structure(fn, structure):
    """``structure`` with every leaf replaced by ``fn(leaf)``; lists, tuples and dicts keep their shape."""
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple) and not hasattr(structure, "_fields"):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    return fn(structure)


def any_symbolic(structure):
    return any(isinstance(leaf, KerasTensor) for leaf in flatten(structure))
