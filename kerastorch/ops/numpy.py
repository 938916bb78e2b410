"""Graph operations of arithmetic and indexing (``x + y``, ``x * 2``, ``x[:, 0]``), as Keras's ``keras.src.ops.numpy``.

Applying Python operators to KerasTensors makes one of these, as Keras 3 does with its ``keras.src.ops`` classes:
each is a node in the graph with a Keras-style unique name (``add``, ``multiply_1``, ``get_item``), shown in
``summary()`` and written in a functional config, but not listed in ``model.layers`` and without weights. On
real tensors an operation is the plain torch operator.
"""
import operator

import torch

from kerastorch import backend, keras_tensor, registry
from kerastorch.keras_tensor import KerasTensor
from kerastorch.ops.operation import Operation

# Where Keras 3 keeps these classes; functional configs name it.
KERAS_OPS_MODULE = "keras.src.ops.numpy"


class ElementwiseOperation(Operation):
    """A weightless operation that applies ``function`` to its operands; the result's shape is their broadcast
    (subclasses whose result is not override ``compute_output_spec``)."""

    function = None
    result_dtype = None   # "bool" for comparisons; None: the dtype of the operands

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Graph operations are found among Keras's ops, not its layers.
        registry.register_subclass(cls, "ops", module=KERAS_OPS_MODULE)

    def __init__(self, name=None, **kwargs):
        # A functional config written by Keras may carry layer arguments an operation has no use for.
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)

    def get_build_config(self):
        return None

    def call(self, *args, **kwargs):
        return self.function(*args, **kwargs)

    def compute_output_spec(self, *args, **kwargs):
        shapes = [_shape_of(value) for value in args]
        shape = shapes[0]
        for other in shapes[1:]:
            shape = broadcast_shapes(shape, other, self.name)
        return KerasTensor(shape, self.result_dtype or _result_dtype(args, self))

    @classmethod
    def from_config(cls, config):
        return cls(name=config.get("name"))


def _shape_of(value):
    if isinstance(value, KerasTensor):
        return value.shape
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    return tuple(getattr(value, "shape", ()))


def _result_dtype(args, op):
    dtypes = [a.dtype for a in args if isinstance(a, KerasTensor)]
    floats = [d for d in dtypes if d.startswith(("float", "bfloat"))]
    if floats:
        return floats[0]
    if isinstance(op, TrueDivide) or any(isinstance(a, float) for a in args):
        return backend.floatx()
    return dtypes[0] if dtypes else backend.floatx()


def broadcast_shapes(shape1, shape2, name="operation"):
    """NumPy's broadcasting rule on shapes with unknown (None) dimensions."""
    rank = max(len(shape1), len(shape2))
    padded1 = (1,) * (rank - len(shape1)) + tuple(shape1)
    padded2 = (1,) * (rank - len(shape2)) + tuple(shape2)
    result = []
    for a, b in zip(padded1, padded2):
        if a == 1:
            result.append(b)
        elif b == 1 or a == b:
            result.append(a)
        elif a is None or b is None:
            result.append(a if b is None else b)
        else:
            raise ValueError(f"Cannot broadcast shapes {tuple(shape1)} and {tuple(shape2)} in '{name}': "
                             f"dimensions {a} and {b} differ and neither is 1.")
    return tuple(result)


def _operation_class(name, function, result_dtype=None):
    """An Operation subclass that applies ``function`` (a Python operator or torch function)."""
    return type(name, (ElementwiseOperation,), {"function": staticmethod(function), "result_dtype": result_dtype,
                                     "__doc__": f"The graph operation of ``{function.__name__}``."})


Add = _operation_class("Add", operator.add)
Subtract = _operation_class("Subtract", operator.sub)
Multiply = _operation_class("Multiply", operator.mul)
Divide = _operation_class("Divide", operator.truediv)
TrueDivide = _operation_class("TrueDivide", operator.truediv)
FloorDivide = _operation_class("FloorDivide", operator.floordiv)
Mod = _operation_class("Mod", operator.mod)
Power = _operation_class("Power", operator.pow)
Negative = _operation_class("Negative", operator.neg)
Absolute = _operation_class("Absolute", operator.abs)
Less = _operation_class("Less", operator.lt, "bool")
LessEqual = _operation_class("LessEqual", operator.le, "bool")
Greater = _operation_class("Greater", operator.gt, "bool")
GreaterEqual = _operation_class("GreaterEqual", operator.ge, "bool")
NotEqual = _operation_class("NotEqual", operator.ne, "bool")
LogicalAnd = _operation_class("LogicalAnd", torch.logical_and, "bool")
LogicalOr = _operation_class("LogicalOr", torch.logical_or, "bool")
LogicalXor = _operation_class("LogicalXor", torch.logical_xor, "bool")
LogicalNot = _operation_class("LogicalNot", torch.logical_not, "bool")


class Matmul(ElementwiseOperation):
    function = staticmethod(operator.matmul)

    def compute_output_spec(self, x1, x2):
        shape1, shape2 = _shape_of(x1), _shape_of(x2)
        if not shape1 or not shape2:
            raise ValueError(f"Matmul needs operands of rank >= 1. Received shapes {shape1} and {shape2}.")
        inner1, inner2 = shape1[-1], (shape2[-2] if len(shape2) >= 2 else shape2[0])
        if inner1 is not None and inner2 is not None and inner1 != inner2:
            raise ValueError(f"Matmul: the operands' inner dimensions differ ({inner1} and {inner2}). Received "
                             f"shapes {shape1} and {shape2}.")
        rows = shape1[:-1] if len(shape1) >= 2 else ()
        columns = shape2[-1:] if len(shape2) >= 2 else ()
        batch = broadcast_shapes(shape1[:-2], shape2[:-2], self.name)
        return KerasTensor(batch + rows[-1:] + columns, _result_dtype((x1, x2), self))


class GetItem(ElementwiseOperation):
    """``x[key]``: ints, slices, None (new axes) and Ellipsis, as NumPy indexes."""

    def call(self, x, key):
        return x[_as_index(key)]

    def compute_output_spec(self, x, key):
        key = _as_index(key)
        if not isinstance(key, tuple):
            key = (key,)
        if any(isinstance(k, (KerasTensor, torch.Tensor, list)) for k in key):
            raise ValueError(f"Indexing a symbolic tensor supports ints, slices, None and Ellipsis. Received "
                             f"key={key!r}")
        consumed = sum(1 for k in key if k is not None and k is not Ellipsis)
        if consumed > len(x.shape):
            raise ValueError(f"Too many indices for a tensor of rank {len(x.shape)}: key={key!r}")
        if Ellipsis in key:
            position = key.index(Ellipsis)
            key = key[:position] + (slice(None),) * (len(x.shape) - consumed) + key[position + 1:]
        else:
            key = key + (slice(None),) * (len(x.shape) - consumed)
        shape, dims = [], iter(x.shape)
        for k in key:
            if k is None:
                shape.append(1)
                continue
            dim = next(dims)
            if isinstance(k, slice):
                shape.append(None if dim is None else len(range(*k.indices(dim))))
            elif dim is not None and not -dim <= int(k) < dim:
                raise ValueError(f"Index {k} is out of bounds for an axis of size {dim}.")
        return KerasTensor(shape, x.dtype)


def _as_index(key):
    # Configs store tuples as JSON lists; a list key here always meant a tuple of indices.
    return tuple(key) if isinstance(key, list) else key


OPERATIONS = {cls.__name__: cls for cls in (
    Add, Subtract, Multiply, Divide, TrueDivide, FloorDivide, Mod, Power, Negative, Absolute, Less, LessEqual,
    Greater, GreaterEqual, NotEqual, LogicalAnd, LogicalOr, LogicalXor, LogicalNot, Matmul, GetItem)}


def symbolic_call(class_name, *args):
    """Record ``class_name``'s operation on ``args`` (some of them KerasTensors); returns its KerasTensor."""
    return OPERATIONS[class_name]()(*args)


# KerasTensor's Python operators (``x + y``) record these operations; keras_tensor sits below this module.
keras_tensor.set_operator_dispatch(symbolic_call)
