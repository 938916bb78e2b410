"""The one mechanism by which every ``keras.ops`` function runs on real values and on KerasTensors.

An op is written once, as its eager torch computation, and decorated::

    @keras_op("numpy")
    def sum(x, axis=None, keepdims=False):
        x = to_tensor(x)
        ...                        # torch kernels, Keras's result dtype

    @keras_op("numpy", spec=elementwise)   # the output shape is the broadcast of the operands'
    def add(x1, x2): ...

- Called on torch tensors, NumPy arrays or Python numbers, the function runs as written (``to_tensor`` makes
  torch tensors on the current device, as Keras on torch does).
- Called with any KerasTensor among its arguments, it records a node of the functional graph: an instance of the
  op's ``KerasOperation`` subclass (``Sum``, registered under Keras's module ``keras.src.ops.numpy`` so a model
  that uses it saves and loads), whose output KerasTensors get Keras's shape and dtype. The arguments that hold
  tensors are the node's call arguments; the plain ones (``axis=1``) are the operation's config.

The output spec comes from ``spec(function, args, kwargs)``. The default, ``traced``, runs the eager function on
shape-only "meta" tensors (no memory, no computation), twice with different sizes for unknown dimensions, so the
dimensions that change are ``None``; ``elementwise`` broadcasts the operands' shapes (None-aware); an op whose
output size depends on the data gives its own rule.
"""
import functools
import inspect
import itertools

import numpy as np
import torch

from kerastorch import backend, dtypes, registry
from kerastorch.keras_tensor import KerasTensor, any_symbolic, flatten, map_structure
from kerastorch.ops.operation import Operation

# The module Keras writes for the operations of each namespace.
KERAS_MODULES = {"numpy": "keras.src.ops.numpy", "math": "keras.src.ops.math", "linalg": "keras.src.ops.linalg",
                 "nn": "keras.src.ops.nn", "image": "keras.src.ops.image", "core": "keras.src.ops.core",
                 "einops": "keras.src.ops.einops"}


# ---- real values -> torch tensors --------------------------------------------------------------------------------

def _python_dtype(value):
    if isinstance(value, bool):
        return torch.bool
    if isinstance(value, int):
        return torch.int64 if not -2 ** 31 <= value < 2 ** 31 else torch.int32
    if isinstance(value, float):
        return dtypes.torch_dtype(backend.floatx())
    return torch.complex64


def to_tensor(x, dtype=None, device=None):
    """``x`` as a torch tensor, as Keras's ``convert_to_tensor`` on torch makes it.

    Python bools, ints and floats become bool, int32 (int64 when out of range) and floatx tensors; NumPy arrays keep
    their dtype (uint32 becomes int64, which torch supports); lists take the promoted dtype of their items. New
    tensors go to ``device`` (default: the current device); torch tensors stay on theirs.

    Args:
        x: a torch tensor, NumPy array, Python number, or (nested) list of them.
        dtype: the result's dtype (anything ``standardize_dtype`` takes), or None to keep or infer it.
        device: where a new tensor is made.
    """
    if isinstance(x, torch.Tensor):
        if device is not None and x.device != torch.device(device):
            x = x.to(device)
        return x if dtype is None else x.to(dtypes.torch_dtype(dtype))
    if isinstance(x, KerasTensor):
        raise ValueError(f"A symbolic KerasTensor cannot be converted to a tensor: {x}. It is a placeholder in a "
                         f"model being built; use it as an input of layers or keras.ops functions instead.")
    target = None if dtype is None else dtypes.torch_dtype(dtype)
    device = backend.device() if device is None else device
    if isinstance(x, (bool, int, float, complex)):
        return torch.as_tensor(x, dtype=target or _python_dtype(x), device=device)
    if isinstance(x, (list, tuple)) and any(isinstance(item, torch.Tensor) for item in x):
        return torch.stack([to_tensor(item, dtype, device) for item in x])
    if not isinstance(x, np.ndarray):
        array = np.asarray(x)
        if target is None and isinstance(x, (list, tuple)):
            leaves = flatten(list(x))
            target = dtypes.torch_dtype(dtypes.result_type(*[getattr(v, "dtype", type(v)) for v in leaves])) \
                if leaves else dtypes.torch_dtype(backend.floatx())
        x = array
    if x.dtype == np.uint32:
        x = x.astype(np.int64)
    elif x.dtype.kind in "OUS":
        raise ValueError(f"Cannot convert a value of dtype {x.dtype} to a tensor: {x!r}")
    return torch.as_tensor(x, dtype=target, device=device)


def to_tensors(*values):
    """Each of ``values`` as a torch tensor; new tensors go to the device of the first torch tensor among them."""
    device = next((v.device for v in values if isinstance(v, torch.Tensor)), None)
    return tuple(to_tensor(v, device=device) for v in values)


def dtype_of(x):
    """The Keras dtype name of a tensor, KerasTensor, array or Python number (Python types stay weak types)."""
    if isinstance(x, (bool, int, float)):
        return type(x)
    return dtypes.standardize_dtype(x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype)


def shape_of(x):
    """A tensor's, KerasTensor's or array's shape as a tuple (``()`` for a Python number)."""
    if isinstance(x, (KerasTensor, torch.Tensor, np.ndarray)):
        return tuple(x.shape)
    return tuple(np.shape(x))


# ---- output specs ----------------------------------------------------------------------------------------------

_FILL_SIZES = (83, 89)   # stand-ins for unknown dimensions; a dimension that follows them is unknown
_MAX_ASSIGNMENTS = 256


def _as_meta(value, sizes):
    """A KerasTensor as an empty meta tensor, its unknown dimensions taken in order from ``sizes``."""
    if isinstance(value, KerasTensor):
        shape = [next(sizes) if d is None else d for d in value.shape]
        return torch.empty(shape, dtype=dtypes.torch_dtype(value.dtype), device="meta")
    return value


def _as_keras_tensor(value):
    if isinstance(value, torch.Tensor):
        return KerasTensor(tuple(value.shape), dtypes.standardize_dtype(value.dtype))
    return value


def _trace(function, args, kwargs, sizes):
    """``function``'s outputs on meta tensors of the KerasTensors' shapes, unknown dimensions set to ``sizes``."""
    sizes = iter(sizes)
    meta_args, meta_kwargs = map_structure(lambda v: _as_meta(v, sizes), (list(args), kwargs))
    with torch.no_grad():
        try:
            return function(*meta_args, **meta_kwargs)
        except NotImplementedError:
            # Some kernels have no meta implementation: trace them on real tensors instead.
            real = map_structure(lambda v: torch.zeros(v.shape, dtype=v.dtype) if isinstance(v, torch.Tensor)
                                 and v.is_meta else v, (meta_args, meta_kwargs))
            return function(*real[0], **real[1])


def _unknown_dims(args, kwargs):
    return [d for t in flatten((list(args), kwargs)) if isinstance(t, KerasTensor) for d in t.shape if d is None]


def _assignments(args, kwargs, count):
    """Sizes to try for ``count`` unknown dimensions: all the stand-in first, then (for ops whose operands' sizes
    must agree, such as matmul's inner dimension) each unknown dimension as one of the known sizes."""
    known = sorted({d for t in flatten((list(args), kwargs)) if isinstance(t, KerasTensor) for d in t.shape
                    if d is not None and d > 1})
    candidates = [_FILL_SIZES[0]] + known
    for n, assignment in enumerate(itertools.product(candidates, repeat=count)):
        if n >= _MAX_ASSIGNMENTS:
            return
        yield assignment


def traced(function, args, kwargs):
    """The output spec found by running ``function`` on meta tensors of the KerasTensors' shapes and dtypes.

    Unknown dimensions are set to a stand-in size (or, where the op needs them to agree with other operands, to a
    known size); an output dimension that changes with the stand-in is unknown.
    """
    count = len(_unknown_dims(args, kwargs))
    if not count:
        return map_structure(_as_keras_tensor, _trace(function, args, kwargs, ()))
    error = None
    for assignment in _assignments(args, kwargs, count):
        try:
            first = _trace(function, args, kwargs, assignment)
        except (RuntimeError, ValueError, IndexError) as failure:
            error = error or failure
            continue
        second = _trace(function, args, kwargs, [_FILL_SIZES[1] if size == _FILL_SIZES[0] else size
                                                 for size in assignment])
        break
    else:
        raise error

    def merge(a, b):
        if not isinstance(a, torch.Tensor):
            return a
        shape = tuple(None if da != db else da for da, db in zip(a.shape, b.shape))
        return KerasTensor(shape, dtypes.standardize_dtype(a.dtype))

    flat = [merge(a, b) for a, b in zip(flatten(first), flatten(second))]
    return _pack(first, iter(flat))


def _pack(structure, leaves):
    if isinstance(structure, (list, tuple)):
        packed = [_pack(item, leaves) for item in structure]
        return packed if isinstance(structure, list) else tuple(packed)
    if isinstance(structure, dict):
        return {key: _pack(structure[key], leaves) for key in sorted(structure)}
    return next(leaves)


def broadcast_shapes(shape1, shape2, name="operation"):
    """NumPy's broadcasting rule on shapes with unknown (None) dimensions (None against n > 1 is n)."""
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


def elementwise(function, args, kwargs):
    """The spec of an op whose result has the broadcast shape of its tensor operands; the dtype is traced."""
    operands = [v for v in list(args) + list(kwargs.values())
                if isinstance(v, (KerasTensor, torch.Tensor, np.ndarray))]
    shape = ()
    for value in operands:
        shape = broadcast_shapes(shape, shape_of(value), function.__name__)
    ones = map_structure(lambda v: KerasTensor([1 if d is None else d for d in v.shape], v.dtype)
                         if isinstance(v, KerasTensor) else v, (list(args), kwargs))
    dtype = _trace(function, ones[0], ones[1], ()).dtype
    return KerasTensor(shape, dtypes.standardize_dtype(dtype))


# ---- the graph operation of an op ------------------------------------------------------------------------------

class KerasOperation(Operation):
    """The graph node of one ``keras.ops`` function: ``call`` runs the function on the node's tensors with the
    plain arguments of the config (``Sum(axis=1)``); ``compute_output_spec`` is the op's spec rule."""

    function = None
    spec = staticmethod(traced)

    def __init__(self, name=None, **arguments):
        # A functional config written by Keras may carry layer arguments an operation has no use for.
        arguments.pop("trainable", None)
        if "dtype" in arguments and "dtype" not in self._parameters:
            arguments.pop("dtype")
        super().__init__(name=name)
        self.arguments = arguments

    def call(self, *args, **kwargs):
        arguments = {**self.arguments, **kwargs}
        # einsum(subscripts, *operands): the config's leading arguments go before the node's tensors.
        leading = [arguments.pop(name) for name in self._leading if name in arguments]
        return self.function(*leading, *args, **arguments)

    def compute_output_spec(self, *args, **kwargs):
        arguments = {**self.arguments, **kwargs}
        leading = [arguments.pop(name) for name in self._leading if name in arguments]
        return self.spec(self.function, (*leading, *args), arguments)

    def get_config(self):
        return {"name": self.name, **self.arguments}

    def get_build_config(self):
        return None

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def arguments(function, args, kwargs):
    """``{parameter: value}`` of a call of ``function``, defaults included (for spec rules)."""
    bound = inspect.signature(function).bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.arguments


def _describe(value):
    if isinstance(value, (KerasTensor, torch.Tensor, np.ndarray)):
        return f"shape={tuple(value.shape)} dtype={dtypes.standardize_dtype(value.dtype)}"
    return repr(value)


# Words of torch's errors about the inputs' shapes or dtypes (other RuntimeErrors, out of memory say, pass).
_INPUT_ERRORS = ("size of tensor", "must match", "not implemented for", "shape", "broadcast", "dimension",
                 "expected", "Expected", "dtype", "same number", "mat1 and mat2", "invalid", "out of range")


def bad_input(name, args, kwargs, error, always=False):
    """A ValueError naming the op, its tensor arguments' shapes and dtypes, and torch's complaint; None when the
    error is not about the inputs (``always``: it is)."""
    if isinstance(error, torch.OutOfMemoryError) or not always and not any(
            word in str(error) for word in _INPUT_ERRORS):
        return None
    described = [_describe(v) for v in flatten((list(args), kwargs)) if isinstance(
        v, (KerasTensor, torch.Tensor, np.ndarray))]
    return ValueError(f"keras.ops.{name}: the inputs do not fit this op. Received: {', '.join(described)}. "
                      f"({str(error).splitlines()[0]})")


def _holds_tensor(value):
    return any(isinstance(leaf, (KerasTensor, torch.Tensor, np.ndarray)) for leaf in flatten(value))


def _camel_case(name):
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _config_value(name, value):
    return dtypes.standardize_dtype(value) if name == "dtype" and value is not None else value


def keras_op(namespace, spec=None, class_name=None, call=None):
    """Make ``function`` (an op's eager torch computation) a ``keras.ops`` function, as described in the module
    docstring.

    Args:
        namespace: the Keras namespace (``"numpy"``, ``"math"``, ``"linalg"``, ``"nn"``, ``"image"``, ``"core"``),
            which gives the module Keras writes for the operation.
        spec: ``spec(function, args, kwargs)`` -> the output KerasTensor(s); default ``traced``.
        class_name: the operation's class name (default: the function's name in CamelCase, ``Sum``).
        call: the parameters that are the node's call arguments, as Keras's operation class takes them (default:
            those without a default value); the others are the operation's config, unless they hold a tensor.

    Returns:
        A decorator. The decorated function has ``operation_class``, the Operation subclass it records.
    """
    def decorate(function):
        signature = inspect.signature(function)
        parameters = list(signature.parameters.values())
        variadic = any(p.kind is p.VAR_POSITIONAL for p in parameters)
        call_parameters = frozenset(call or ())
        cls = type(class_name or _camel_case(function.__name__), (KerasOperation,), {
            "function": staticmethod(function), "__module__": function.__module__,
            "__doc__": f"The graph operation of ``keras.ops.{function.__name__}``.",
            "_parameters": frozenset(signature.parameters),
            "_leading": tuple(p.name for p in parameters[:[p.kind for p in parameters].index(
                inspect.Parameter.VAR_POSITIONAL)]) if variadic else ()})
        if spec is not None:
            cls.spec = staticmethod(spec)
        registry.register_builtin(cls, "ops", module=KERAS_MODULES[namespace])

        def symbolic(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()   # Keras's config lists every argument
            if variadic:
                leading = cls._leading
                call_args, rest = list(bound.args[len(leading):]), dict(bound.kwargs)
                rest.update({name: bound.arguments[name] for name in leading})
                call_kwargs = {k: v for k, v in rest.items() if _holds_tensor(v)}
            else:
                call_args, call_kwargs, rest, positional = [], {}, {}, True
                for parameter in parameters:
                    value = bound.arguments[parameter.name]
                    if parameter.name in call_parameters or _holds_tensor(value) or (
                            call is None and parameter.default is parameter.empty):
                        if positional:
                            call_args.append(value)
                        else:
                            call_kwargs[parameter.name] = value
                    else:
                        rest[parameter.name], positional = value, False
            arguments = {k: _config_value(k, v) for k, v in rest.items() if k not in call_kwargs}
            return cls(**arguments)(*call_args, **call_kwargs)

        @functools.wraps(function)
        def op(*args, **kwargs):
            symbolic_call = any_symbolic((args, kwargs))
            try:
                if symbolic_call:
                    return symbolic(*args, **kwargs)
                return function(*args, **kwargs)
            except (RuntimeError, IndexError) as error:
                # Tracing a spec on meta tensors fails only for shapes or dtypes that do not fit.
                replacement = bad_input(function.__name__, args, kwargs, error, always=symbolic_call)
                if replacement is None:
                    raise
                raise replacement from error

        op.operation_class = cls
        return op

    return decorate
