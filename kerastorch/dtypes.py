"""Keras's dtype names and its type promotion (``keras.backend.result_type``), as Keras 3 on torch applies them.

Every op computes its result dtype here, so ``ops.add(int32, float16)`` and ``x + 1.5`` agree with Keras. The
promotion is a least upper bound on a lattice in which Python ``int`` and ``float`` are *weak* types (they take
the precision of the other operand: ``int8 + 1`` stays int8, ``float16 + 1.5`` stays float16). On torch, Keras
then narrows 64-bit results to 32 bits (``int64`` -> ``int32``, ``float64`` -> ``float32``), and so do we.
"""
import functools

import numpy as np
import torch

BOOL_TYPES = ("bool",)
INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
WEAK_TYPES = ("int", "float")
COMPLEX_TYPES = ("complex64", "complex128")
FLOAT8_TYPES = ("float8_e4m3fn", "float8_e5m2")
ALLOWED_DTYPES = (BOOL_TYPES + INT_TYPES + FLOAT_TYPES + COMPLEX_TYPES + FLOAT8_TYPES + ("string",))

# What a Python type (or Keras's shorthand) stands for as a tensor dtype on torch.
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string", complex: "complex64",
                  "int": "int32", "float": "float32"}
_NARROWED = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}


def _floatx():
    from kerastorch import backend   # backend re-exports this module, so it is read on use
    return backend.floatx()


def standardize_dtype(dtype):
    """A dtype's Keras name: ``"float32"`` from a string, a torch or NumPy dtype, a Python type, or None (floatx).

    Raises:
        ValueError: for a name Keras does not know.
    """
    if dtype is None:
        return _floatx()
    if isinstance(dtype, torch.dtype):
        name = str(dtype)[len("torch."):]
    else:
        dtype = _PYTHON_DTYPES.get(dtype, dtype) if isinstance(dtype, (type, str)) else dtype
        if isinstance(dtype, str):
            name = dtype[len("torch."):] if dtype.startswith("torch.") else dtype
        elif isinstance(dtype, np.dtype) or (isinstance(dtype, type) and issubclass(dtype, np.generic)):
            name = np.dtype(dtype).name
        elif hasattr(dtype, "dtype"):   # a tensor, array or KerasTensor
            return standardize_dtype(dtype.dtype)
        else:
            name = getattr(dtype, "name", None) or str(dtype)
    if name not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype!r}. Expected one of {ALLOWED_DTYPES}.")
    return name


def is_float_dtype(dtype):
    """Whether ``dtype`` is a floating type (``float16``/``bfloat16``/``float32``/``float64``)."""
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    """Whether ``dtype`` is a signed or unsigned integer type."""
    return standardize_dtype(dtype).startswith(("int", "uint"))


def is_complex_dtype(dtype):
    return standardize_dtype(dtype).startswith("complex")


def torch_dtype(dtype):
    """The torch.dtype of a Keras dtype (anything ``standardize_dtype`` takes)."""
    return getattr(torch, standardize_dtype(dtype))


# ---- the promotion lattice ------------------------------------------------------------------------------------

# Each type and the types just above it. Weak "int" sits below every integer type, weak "float" below every float.
_LATTICE = {
    "bool": ["int"], "int": ["uint8", "int8", "complex64"],
    "uint8": ["int16", "uint16"], "uint16": ["int32", "uint32"], "uint32": ["int64", "uint64"],
    "uint64": ["float"],
    "int8": ["int16"], "int16": ["int32"], "int32": ["int64"], "int64": ["float"],
    "float": ["bfloat16", "float16"], "bfloat16": ["float32"], "float16": ["float32"],
    "float32": ["float64", "complex64"], "float64": ["complex128"],
    "complex64": ["complex128"], "complex128": [],
}


def _upper_bounds():
    """Every type's set of types at or above it."""
    bounds = {}

    def above(node):
        if node not in bounds:
            bounds[node] = {node}.union(*(above(parent) for parent in _LATTICE[node]))
        return bounds[node]

    for node in _LATTICE:
        above(node)
    return bounds


_UPPER_BOUNDS = _upper_bounds()


@functools.lru_cache(maxsize=512)
def _least_upper_bound(*nodes):
    unknown = [n for n in nodes if n not in _UPPER_BOUNDS]
    if unknown:
        raise ValueError(f"dtype={unknown[0]!r} is not a valid dtype for Keras type promotion.")
    common = set.intersection(*(_UPPER_BOUNDS[n] for n in nodes))
    least = [c for c in common if common <= _UPPER_BOUNDS[c]]
    if len(least) != 1:
        raise ValueError(f"Input dtypes {nodes} have no available implicit dtype promotion path. Try explicitly "
                         f"casting inputs to the desired output type.")
    return least[0]


def _weak(dtype):
    """The weak type a Python scalar's dtype stands for."""
    if dtype == "bool":
        return dtype
    for kind in ("float", "int", "complex"):
        if kind in dtype:
            return "complex64" if kind == "complex" else kind
    raise ValueError(f"Invalid value for argument `dtype`. Received: dtype={dtype}")


def _resolve_weak(dtype):
    """A weak result in floatx's precision: ``int`` -> int32, ``float`` -> float32 (float16 under float16)."""
    precision = _floatx()[-2:]
    if dtype == "int":
        return "int" + precision
    if dtype == "float":
        return "float" + precision
    return dtype


def result_type(*dtypes):
    """The dtype of an operation on values of ``dtypes``, by Keras's promotion rules.

    Args:
        *dtypes: dtypes (anything ``standardize_dtype`` takes); the Python types ``int`` and ``float`` are weak.
            None stands for floatx. No argument gives floatx.

    Returns:
        The result's dtype name: ``result_type("int32", "float16") == "float16"``,
        ``result_type("int8", int) == "int8"``, ``result_type("int32", float) == "float32"``.
    """
    if not dtypes:
        return _floatx()
    names, weak = [], []
    for dtype in dtypes:
        if dtype is None:
            dtype = _floatx()
        if isinstance(dtype, str) and dtype in FLOAT8_TYPES:
            raise ValueError(f"There is no implicit conversions from float8 dtypes to others. You must cast it "
                             f"internally. Received: {dtypes}")
        names.append(standardize_dtype(dtype))
        weak.append(dtype is int or dtype is float)
    if len(names) == 1:
        result, result_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        result, result_weak = names[0], False
    elif all(weak):
        result, result_weak = _least_upper_bound(*sorted(set(names))), True
    else:
        nodes = {(_weak(n) if w else n) for n, w in zip(names, weak)}
        result = _least_upper_bound(*sorted(nodes))
        result_weak = result in WEAK_TYPES
    if result_weak and result != "bool":
        result = _resolve_weak(_weak(result) if result not in WEAK_TYPES else result)
    return _NARROWED.get(result, result)
