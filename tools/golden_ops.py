"""Writes the fixtures of keras.ops numpy/math/linalg, for tests/ops/test_numpy.py, test_math.py, test_linalg.py and
test_symbolic.py.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_ops.py

The cases go to one pair of files per group (``unary``, ``binary``, ``reductions``, ``arrays`` of keras.ops.numpy,
``math``, ``linalg``), so each stays small: tests/golden/ops/<group>.json holds the cases (the namespace and op,
the arguments: arrays by input name, slices, tuples and special floats as small marker dicts, see ``encode``;
Keras's output dtypes, or the error Keras raised; and for the symbolic check the output shapes and dtypes Keras
gives on KerasTensors of the inputs' shapes, with the first dimension known and unknown (None)), and
tests/golden/ops/<group>.npz the inputs and Keras's outputs, packed into one flat array per dtype (``Packer``:
each array is ``[dtype, offset, shape]`` in the JSON). Inputs come from a seeded generator; ``cases`` below says
what each one is.
"""
import json
import os
import pathlib
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "ops"
rng = np.random.default_rng(14)
INPUTS = {}


def A(kind, *shape):
    """An input array: ``kind`` is a dtype (``f32``, ``f16``, ``i32``, ``i8``, ``u8``, ``b``) or a value range
    (``pos``: (0.5, 2), ``unit``: (-0.9, 0.9), ``ge1``: (1.1, 3), ``small``: ints in [1, 4], ``idx<n>``: ints in
    [0, n), ``spd``: symmetric positive-definite matrices, ``tri``: a well-conditioned upper triangle,
    ``nan``: float32 with NaNs), of ``shape``."""
    name = f"{kind}_{'x'.join(map(str, shape))}_{len(INPUTS)}"
    if kind == "f32":
        value = rng.normal(size=shape).astype("float32")
    elif kind == "f16":
        value = rng.normal(size=shape).astype("float16")
    elif kind == "f64":
        value = rng.normal(size=shape)
    elif kind in ("i32", "i8", "i16", "i64"):
        value = rng.integers(-5, 6, size=shape).astype(kind.replace("i", "int"))
    elif kind == "u8":
        value = rng.integers(0, 10, size=shape).astype("uint8")
    elif kind == "b":
        value = rng.random(size=shape) > 0.5
    elif kind == "pos":
        value = rng.uniform(0.5, 2.0, size=shape).astype("float32")
    elif kind == "unit":
        value = rng.uniform(-0.9, 0.9, size=shape).astype("float32")
    elif kind == "ge1":
        value = rng.uniform(1.1, 3.0, size=shape).astype("float32")
    elif kind == "small":
        value = rng.integers(1, 5, size=shape).astype("int32")
    elif kind.startswith("idx"):
        value = rng.integers(0, int(kind[3:]), size=shape).astype("int32")
    elif kind == "spd":
        m = rng.normal(size=shape).astype("float32")
        value = (m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])).astype("float32")
    elif kind == "tri":
        value = (np.triu(rng.normal(size=shape)) + 3 * np.eye(shape[-1])).astype("float32")
    elif kind == "lower":
        value = (np.tril(rng.normal(size=shape)) + 3 * np.eye(shape[-1])).astype("float32")
    elif kind == "posf16":
        value = rng.uniform(0.5, 2.0, size=shape).astype("float16")
    elif kind == "c64":
        value = (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype("complex64")
    elif kind == "nan":
        value = rng.normal(size=shape).astype("float32")
        value[rng.random(size=shape) < 0.3] = np.nan
    elif kind == "sorted":
        value = np.sort(rng.normal(size=shape)).astype("float32")
    else:
        raise ValueError(kind)
    INPUTS[name] = value
    return Input(name)


class Input:
    def __init__(self, name):
        self.name = name


def C(ns, op, *args, **kwargs):
    return (ns, op, args, kwargs)


N, M, L = "numpy", "math", "linalg"
INF = float("inf")

UNARY_FLOAT = ["arcsinh", "arctan", "cos", "cosh", "sin", "sinh", "tan", "tanh", "exp", "exp2", "expm1", "sinc",
               "i0", "deg2rad", "rad2deg", "fabs", "negative", "sign", "signbit", "isfinite", "isinf", "isnan",
               "isneginf", "isposinf", "isreal", "logical_not", "abs", "absolute", "trunc", "floor", "ceil",
               "square", "real", "imag", "conj", "conjugate", "copy", "cbrt", "round", "nan_to_num", "angle"]
UNARY_POSITIVE = ["log", "log10", "log1p", "log2", "sqrt", "reciprocal"]
UNARY_UNIT = ["arccos", "arcsin", "arctanh"]
BINARY = ["add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum", "fmax", "fmin", "mod",
          "fmod", "arctan2", "hypot", "logaddexp", "logaddexp2", "heaviside", "nextafter", "equal", "not_equal",
          "less", "less_equal", "greater", "greater_equal", "logical_and", "logical_or", "logical_xor",
          "floor_divide", "divide_no_nan", "isclose"]
BITWISE = ["bitwise_and", "bitwise_or", "bitwise_xor"]
SHIFTS = ["bitwise_left_shift", "left_shift", "bitwise_right_shift", "right_shift"]
REDUCTIONS = ["sum", "mean", "max", "min", "amax", "amin", "prod", "all", "any", "std", "var", "ptp",
              "count_nonzero", "argmax", "argmin", "median"]
NAN_REDUCTIONS = ["nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanstd", "nanvar", "nanargmax",
                  "nanargmin", "nanmedian"]


def cases():
    out = []
    for op in UNARY_FLOAT:
        out += [C(N, op, A("f32", 3, 4)), C(N, op, A("i32", 5)), C(N, op, A("f16", 2, 3))]
        if op not in ("sinc", "i0"):
            out.append(C(N, op, A("b", 4)))
    for op in UNARY_POSITIVE:
        out += [C(N, op, A("pos", 3, 4)), C(N, op, A("small", 4)), C(N, op, A("posf16", 2, 2))]
    out.append(C(N, "arccosh", A("ge1", 3, 4)))
    out.append(C(N, "arccosh", A("small", 4)))
    for op in UNARY_UNIT:
        out += [C(N, op, A("unit", 3, 4))]
    out += [C(N, "round", A("f32", 3, 4), decimals=1), C(N, "round", A("i32", 6), decimals=-1)]
    for op in BINARY:
        out += [C(N, op, A("f32", 3, 4), A("pos", 3, 4)), C(N, op, A("f32", 2, 1, 4), A("pos", 3, 1)),
                C(N, op, A("i32", 3, 4), A("small", 4)), C(N, op, A("f32", 5), 2.5),
                C(N, op, A("i32", 5), 2), C(N, op, A("f16", 4), A("pos", 4)), C(N, op, A("i8", 4), A("small", 4))]
        if op not in ("nextafter",):
            out += [C(N, op, A("b", 4), A("b", 4)), C(N, op, A("i32", 4), 1.5)]
    out += [C(N, "power", A("pos", 3, 4), A("f32", 4)), C(N, "power", A("small", 3), 2),
            C(N, "power", A("pos", 3), 0.5), C(N, "power", A("f16", 3), 2)]
    for op in BITWISE:
        out += [C(N, op, A("i32", 3, 4), A("i32", 4)), C(N, op, A("b", 4), A("b", 4)), C(N, op, A("u8", 5), 3)]
    for op in SHIFTS:
        out += [C(N, op, A("small", 3, 4), A("idx3", 4)), C(N, op, A("u8", 5), 1)]
    out += [C(N, "gcd", A("i32", 3, 4), A("small", 4)), C(N, "lcm", A("i32", 3, 4), A("small", 4)),
            C(N, "ldexp", A("f32", 3, 4), A("idx3", 4)), C(N, "ldexp", A("i32", 3), A("idx3", 3)),
            C(N, "bitwise_not", A("i32", 5)), C(N, "bitwise_invert", A("b", 5)), C(N, "bitwise_not", A("u8", 5))]
    out += [C(N, "clip", A("f32", 3, 4), -0.5, 0.5), C(N, "clip", A("i32", 6), -2, 3), C(N, "clip", A("b", 4), 0, 1),
            C(N, "clip", A("f16", 4), -0.5, 0.5), C(N, "clip", A("i32", 6), -1.5, 2.5)]
    out += [C(N, "where", A("b", 3, 4), A("f32", 3, 4), A("f32", 4)), C(N, "where", A("b", 3, 1), A("i32", 4), 1.5),
            C(N, "where", A("b", 4), A("i32", 4), A("f16", 4)), C(N, "allclose", A("f32", 3), A("f32", 3)),
            C(N, "isclose", A("f32", 4), A("f32", 4), atol=1.0)]
    # reductions
    for op in REDUCTIONS:
        out += [C(N, op, A("f32", 3, 4)), C(N, op, A("f32", 2, 3, 4), axis=1),
                C(N, op, A("f32", 2, 3, 4), axis=-1, keepdims=True), C(N, op, A("i32", 3, 4), axis=0),
                C(N, op, A("b", 3, 4), axis=1), C(N, op, A("f16", 3, 4), axis=0), C(N, op, A("u8", 3, 4))]
        if op not in ("argmax", "argmin", "count_nonzero", "median"):
            out.append(C(N, op, A("f32", 2, 3, 4), axis=(0, 2)))
    out += [C(N, "count_nonzero", A("i32", 2, 3, 4), axis=(0, 2)), C(N, "median", A("f32", 2, 3, 4), axis=(0, 2)),
            C(N, "max", A("f32", 3, 4), axis=0, initial=0.5), C(N, "min", A("f32", 3, 4), initial=-0.5),
            C(N, "prod", A("i32", 3, 4), axis=1, dtype="float32")]
    for op in NAN_REDUCTIONS:
        out += [C(N, op, A("nan", 4, 5)), C(N, op, A("nan", 4, 5), axis=1), C(N, op, A("i32", 3, 4), axis=0),
                C(N, op, A("nan", 2, 3, 4), axis=-1, keepdims=True)]
    for op in ("quantile", "nanquantile"):
        kind = "nan" if op.startswith("nan") else "f32"
        out += [C(N, op, A(kind, 4, 5), 0.3), C(N, op, A(kind, 4, 5), [0.25, 0.75], axis=1),
                C(N, op, A(kind, 4, 5), 0.5, axis=0, keepdims=True), C(N, op, A("i32", 4, 5), 0.5, axis=1),
                C(N, op, A(kind, 4, 5), 0.4, axis=1, method="nearest"),
                C(N, op, A(kind, 4, 5), 0.4, axis=1, method="lower"),
                C(N, op, A(kind, 4, 5), 0.4, axis=1, method="higher"),
                C(N, op, A(kind, 4, 5), 0.4, axis=1, method="midpoint")]
    for op in ("percentile", "nanpercentile"):
        kind = "nan" if op.startswith("nan") else "f32"
        out += [C(N, op, A(kind, 4, 5), 30), C(N, op, A(kind, 4, 5), [25, 75], axis=1)]
    out += [C(N, "average", A("f32", 3, 4)), C(N, "average", A("f32", 3, 4), axis=1, weights=A("pos", 4)),
            C(N, "average", A("i32", 3, 4), axis=0), C(N, "average", A("f32", 3, 4), axis=0, weights=A("pos", 3, 4))]
    for op in ("cumsum", "cumprod", "nancumsum", "nancumprod"):
        kind = "nan" if op.startswith("nan") else "f32"
        out += [C(N, op, A(kind, 3, 4)), C(N, op, A(kind, 3, 4), axis=1), C(N, op, A("i32", 3, 4), axis=0),
                C(N, op, A("b", 5), axis=0), C(N, op, A("f16", 5), axis=0), C(N, op, A("i32", 4), axis=0,
                                                                             dtype="float32")]
    out += [C(N, "trace", A("f32", 3, 4)), C(N, "trace", A("i32", 2, 3, 3), offset=1, axis1=1, axis2=2),
            C(N, "trace", A("b", 3, 3))]
    # shapes
    out += [C(N, "reshape", A("f32", 3, 4), (2, 6)), C(N, "reshape", A("i32", 2, 3, 4), (-1, 4)),
            C(N, "ravel", A("f32", 3, 4)), C(N, "transpose", A("f32", 2, 3, 4)),
            C(N, "transpose", A("f32", 2, 3, 4), (1, 0, 2)), C(N, "swapaxes", A("f32", 2, 3, 4), 0, 2),
            C(N, "moveaxis", A("f32", 2, 3, 4), 0, -1), C(N, "moveaxis", A("f32", 2, 3, 4), (0, 1), (2, 0)),
            C(N, "expand_dims", A("f32", 3, 4), 1), C(N, "expand_dims", A("f32", 3, 4), (0, -1)),
            C(N, "squeeze", A("f32", 3, 1, 4)), C(N, "squeeze", A("f32", 1, 3, 1), axis=0),
            C(N, "squeeze", A("f32", 1, 3, 1), axis=(0, 2)),
            C(N, "broadcast_to", A("f32", 3, 1), (2, 3, 4)), C(N, "flip", A("f32", 3, 4)),
            C(N, "flip", A("f32", 3, 4), axis=1), C(N, "flip", A("f32", 2, 3, 4), axis=(0, 2)),
            C(N, "fliplr", A("f32", 3, 4)), C(N, "flipud", A("f32", 3, 4)),
            C(N, "rot90", A("f32", 3, 4)), C(N, "rot90", A("f32", 2, 3, 4), k=2, axes=(1, 2)),
            C(N, "roll", A("f32", 3, 4), 2), C(N, "roll", A("f32", 3, 4), -1, axis=1),
            C(N, "roll", A("f32", 3, 4), (1, 2), axis=(0, 1)),
            C(N, "tile", A("f32", 2, 3), (2, 2)), C(N, "tile", A("f32", 2, 3), 3), C(N, "tile", A("f32", 3), (2, 1, 2)),
            C(N, "repeat", A("f32", 2, 3), 2), C(N, "repeat", A("f32", 2, 3), 3, axis=1),
            C(N, "repeat", A("f32", 2, 3), [1, 2], axis=0),
            C(N, "concatenate", [A("f32", 2, 3), A("f32", 1, 3)]),
            C(N, "concatenate", [A("f32", 2, 3), A("i32", 2, 2)], axis=1),
            C(N, "concatenate", [A("i32", 2, 3), A("f16", 2, 3)], axis=None),
            C(N, "stack", [A("f32", 2, 3), A("f32", 2, 3)]), C(N, "stack", [A("f32", 2, 3), A("i32", 2, 3)], axis=-1),
            C(N, "hstack", [A("f32", 2, 3), A("f32", 2, 1)]), C(N, "vstack", [A("f32", 2, 3), A("f32", 3)]),
            C(N, "dstack", [A("f32", 2, 3), A("f32", 2, 3)]), C(N, "append", A("f32", 2, 3), A("f32", 2, 3)),
            C(N, "append", A("f32", 2, 3), A("f32", 1, 3), axis=0),
            C(N, "split", A("f32", 6, 2), 3), C(N, "split", A("f32", 6, 2), [1, 4]),
            C(N, "split", A("f32", 2, 6), 2, axis=1), C(N, "array_split", A("f32", 7, 2), 3),
            C(N, "array_split", A("f32", 2, 5), 2, axis=1), C(N, "hsplit", A("f32", 2, 6), 3),
            C(N, "vsplit", A("f32", 4, 3), 2), C(N, "dsplit", A("f32", 2, 2, 4), 2),
            C(N, "diag", A("f32", 3)), C(N, "diag", A("f32", 3, 4), k=1), C(N, "diag", A("f32", 4), k=-1),
            C(N, "diagflat", A("f32", 2, 2)), C(N, "diagflat", A("f32", 3), k=1),
            C(N, "diagonal", A("f32", 3, 4)), C(N, "diagonal", A("f32", 2, 3, 4), offset=1, axis1=1, axis2=2),
            C(N, "tril", A("f32", 3, 4)), C(N, "tril", A("f32", 2, 3, 3), k=-1), C(N, "triu", A("f32", 3, 4)),
            C(N, "triu", A("i32", 3, 4), k=1),
            C(N, "pad", A("f32", 2, 3), ((1, 1), (2, 0))), C(N, "pad", A("f32", 2, 3), ((1, 2), (1, 1)),
                                                               constant_values=5.0),
            C(N, "pad", A("f32", 3, 4), ((1, 1), (2, 2)), mode="reflect"),
            C(N, "pad", A("f32", 3, 4), ((1, 2), (2, 1)), mode="symmetric"),
            C(N, "pad", A("f32", 3, 4), ((0, 1), (2, 1)), mode="edge"),
            C(N, "pad", A("f32", 3, 4), ((1, 1), (2, 1)), mode="wrap"), C(N, "pad", A("i32", 4), ((2, 1),)),
            C(N, "take", A("f32", 3, 4), A("idx4", 2, 2), axis=1), C(N, "take", A("f32", 3, 4), A("idx12", 5)),
            C(N, "take", A("f32", 5, 2), [0, -1, 2], axis=0),
            C(N, "take_along_axis", A("f32", 3, 4), A("idx4", 3, 2), axis=1),
            C(N, "take_along_axis", A("f32", 3, 4), A("idx3", 1, 4), axis=0),
            C(N, "select", [A("b", 4), A("b", 4)], [A("f32", 4), A("f32", 4)], 0.5),
            C(N, "select", [A("b", 3, 1)], [A("i32", 3, 4)]),
            C(N, "get_item", A("f32", 3, 4), (slice(None), 1)), C(N, "get_item", A("f32", 3, 4), 1),
            C(N, "get_item", A("f32", 2, 3, 4), (Ellipsis, slice(1, None, 2))),
            C(N, "get_item", A("f32", 3, 4), (None, slice(0, 2))),
            C(N, "get_item", A("f32", 5, 2), A("idx5", 3)),
            C(N, "view", A("f32", 2, 4), "int32"), C(N, "view", A("i32", 2, 4), "float32"),
            C(N, "view", A("u8", 2, 4), "int8"),
            C(N, "meshgrid", A("f32", 3), A("f32", 4)), C(N, "meshgrid", A("f32", 3), A("i32", 2), indexing="ij"),
            C(N, "unravel_index", A("idx12", 5), (3, 4)), C(N, "unravel_index", A("idx24", 2, 3), (2, 3, 4)),
            C(N, "sort", A("f32", 3, 4)), C(N, "sort", A("f32", 3, 4), axis=0), C(N, "sort", A("i32", 6)),
            C(N, "sort", A("b", 6)), C(N, "argsort", A("f32", 3, 4)), C(N, "argsort", A("f32", 3, 4), axis=0),
            C(N, "argsort", A("b", 6)),
            C(N, "searchsorted", A("sorted", 6), A("f32", 4)), C(N, "searchsorted", A("sorted", 6), A("f32", 2, 3),
                                                                side="right"),
            C(N, "digitize", A("f32", 3, 4), A("sorted", 5)), C(N, "digitize", A("i32", 6), [-2, 0, 2]),
            C(N, "nonzero", A("i32", 3, 4)), C(N, "nonzero", A("b", 5)),
            C(N, "unique", A("idx5", 8)), C(N, "unique", A("idx5", 8), return_counts=True),
            C(N, "unique", A("idx5", 8), return_inverse=True), C(N, "unique", A("idx5", 8), return_index=True),
            C(N, "histogram", A("f32", 20)), C(N, "histogram", A("f32", 20), bins=4, range=(-1.0, 1.0)),
            C(N, "bincount", A("idx5", 8)), C(N, "bincount", A("idx5", 8), minlength=7),
            C(N, "bincount", A("idx5", 8), weights=A("pos", 8)), C(N, "bincount", A("idx4", 2, 5)),
            C(N, "isin", A("idx5", 3, 4), A("idx5", 3)), C(N, "isin", A("idx5", 6), [1, 2], invert=True),
            C(N, "diff", A("f32", 3, 5)), C(N, "diff", A("f32", 3, 5), n=2, axis=0), C(N, "diff", A("i32", 6)),
            C(N, "correlate", A("f32", 6), A("f32", 3)), C(N, "correlate", A("f32", 6), A("f32", 3), mode="same"),
            C(N, "correlate", A("f32", 6), A("f32", 4), mode="full"),
            C(N, "correlate", A("f32", 5), A("f32", 4), mode="same"), C(N, "correlate", A("i32", 5), A("i32", 2)),
            C(N, "corrcoef", A("f32", 3, 6)), C(N, "corrcoef", A("i32", 2, 5)),
            C(N, "trapezoid", A("f32", 3, 5)), C(N, "trapezoid", A("f32", 5), x=A("sorted", 5)),
            C(N, "trapezoid", A("f32", 3, 5), dx=0.5, axis=0), C(N, "trapezoid", A("i32", 5)),
            C(N, "vander", A("f32", 4)), C(N, "vander", A("i32", 3), N=4, increasing=True),
            C(N, "size", A("f32", 3, 4)), C(N, "ndim", A("f32", 2, 3, 4)),
            C(N, "slogdet", A("spd", 3, 3)), C(N, "slogdet", A("f32", 2, 3, 3))]
    # products
    out += [C(N, "matmul", A("f32", 3, 4), A("f32", 4, 2)), C(N, "matmul", A("f32", 2, 3, 4), A("f32", 4, 5)),
            C(N, "matmul", A("f32", 4), A("f32", 4, 3)), C(N, "matmul", A("f32", 2, 3, 4), A("f32", 4)),
            C(N, "matmul", A("i32", 3, 4), A("i32", 4, 2)), C(N, "matmul", A("i8", 3, 4), A("i8", 4, 2)),
            C(N, "matmul", A("f16", 3, 4), A("f16", 4, 2)), C(N, "matmul", A("i32", 3, 4), A("f32", 4, 2)),
            C(N, "matmul", A("f32", 2, 1, 3, 4), A("f32", 3, 4, 2)),
            C(N, "dot", A("f32", 4), A("f32", 4)), C(N, "dot", A("f32", 3, 4), A("f32", 4, 2)),
            C(N, "dot", A("f32", 2, 3, 4), A("f32", 4)), C(N, "dot", A("f32", 2, 3, 4), A("f32", 5, 4, 2)),
            C(N, "dot", A("i32", 3, 4), A("i32", 4)), C(N, "dot", A("f32", 3), 2.0),
            C(N, "tensordot", A("f32", 3, 4, 5), A("f32", 4, 5, 2)),
            C(N, "tensordot", A("f32", 3, 4), A("f32", 4, 2), axes=1),
            C(N, "tensordot", A("f32", 3, 4, 5), A("f32", 5, 3), axes=([0, 2], [1, 0])),
            C(N, "tensordot", A("i32", 3, 4), A("i32", 4, 3), axes=1),
            C(N, "vdot", A("f32", 3, 4), A("f32", 3, 4)), C(N, "vdot", A("i32", 5), A("i32", 5)),
            C(N, "inner", A("f32", 3, 4), A("f32", 2, 4)), C(N, "inner", A("f32", 4), A("f32", 4)),
            C(N, "inner", A("i32", 4), A("i32", 4)),
            C(N, "outer", A("f32", 3), A("f32", 4)), C(N, "outer", A("i32", 2, 2), A("f32", 3)),
            C(N, "kron", A("f32", 2, 2), A("f32", 2, 3)), C(N, "kron", A("i32", 2), A("i32", 3)),
            C(N, "cross", A("f32", 4, 3), A("f32", 4, 3)), C(N, "cross", A("f32", 3), A("f32", 2, 3)),
            C(N, "cross", A("f32", 3, 2), A("f32", 3, 2)), C(N, "cross", A("f32", 3, 4), A("f32", 3, 4), axis=0),
            C(N, "einsum", "ij,jk->ik", A("f32", 3, 4), A("f32", 4, 2)), C(N, "einsum", "bij->bji", A("f32", 2, 3, 4)),
            C(N, "einsum", "i,i->", A("i32", 4), A("i32", 4)), C(N, "einsum", "ij,j->i", A("i8", 3, 4), A("i8", 4)),
            C(N, "einsum", "ij,j->i", A("f32", 3, 4), A("i32", 4))]
    # creation
    out += [C(N, "zeros", (2, 3)), C(N, "zeros", 3, dtype="int32"), C(N, "ones", (2, 3)),
            C(N, "ones", (2,), dtype="bool"), C(N, "full", (2, 3), 1.5), C(N, "full", (2,), 3),
            C(N, "full", (2, 2), 2, dtype="float16"), C(N, "zeros_like", A("f32", 2, 3)),
            C(N, "zeros_like", A("i32", 3), dtype="float32"), C(N, "ones_like", A("b", 3)),
            C(N, "ones_like", A("f16", 3)), C(N, "full_like", A("f32", 2, 3), 7),
            C(N, "full_like", A("i32", 3), 2.5), C(N, "full_like", A("i32", 3), 2.5, dtype="float32"),
            C(N, "array", [1, 2, 3]), C(N, "array", [1.0, 2.0]), C(N, "array", A("f32", 2, 2), dtype="int32"),
            C(N, "eye", 3), C(N, "eye", 3, 4, k=1), C(N, "eye", 4, 3, k=-1, dtype="int32"),
            C(N, "identity", 3), C(N, "identity", 2, dtype="int32"), C(N, "tri", 3), C(N, "tri", 3, 4, k=1),
            C(N, "tri", 4, 3, k=-1, dtype="int32"),
            C(N, "arange", 5), C(N, "arange", 1, 7, 2), C(N, "arange", 0.5, 3.0), C(N, "arange", 0, 3, 0.5),
            C(N, "arange", 5, dtype="float32"), C(N, "arange", 2, 9, 3, dtype="int32"),
            C(N, "linspace", 0.0, 1.0, 5), C(N, "linspace", 0, 10, 4, endpoint=False), C(N, "linspace", 0, 4, 5),
            C(N, "linspace", 0.0, 1.0, 5, retstep=True), C(N, "linspace", [0.0, 1.0], [1.0, 3.0], 3, axis=1),
            C(N, "linspace", 0.0, 2.0, 4, dtype="float16"),
            C(N, "logspace", 0.0, 2.0, 5), C(N, "logspace", 0, 3, 4, base=2, endpoint=False),
            C(N, "geomspace", 1.0, 100.0, 5), C(N, "geomspace", 2, 32, 5), C(N, "geomspace", 1.0, 8.0, 3,
                                                                            endpoint=False),
            C(N, "bartlett", 6), C(N, "blackman", 6), C(N, "hamming", 6), C(N, "hanning", 6), C(N, "kaiser", 6, 2.5),
            C(N, "bartlett", 1), C(N, "hanning", 7)]
    # math
    out += [C(M, "erf", A("f32", 3, 4)), C(M, "erf", A("i32", 4)), C(M, "erfc", A("f32", 3, 4)),
            C(M, "erfinv", A("unit", 3, 4)), C(M, "rsqrt", A("pos", 3, 4)), C(M, "rsqrt", A("small", 3)),
            C(M, "erf", A("f16", 4)),
            C(M, "logsumexp", A("f32", 3, 4)), C(M, "logsumexp", A("f32", 3, 4), axis=1),
            C(M, "logsumexp", A("f32", 2, 3, 4), axis=(0, 2), keepdims=True),
            C(M, "logdet", A("spd", 3, 3)), C(M, "logdet", A("spd", 2, 3, 3)),
            C(M, "cdist", A("f32", 3, 4), A("f32", 5, 4)), C(M, "cdist", A("f32", 2, 3, 4), A("f32", 2, 2, 4)),
            C(M, "segment_sum", A("f32", 6, 2), A("idx3", 6)),
            C(M, "segment_sum", A("f32", 6, 2), [0, 0, 1, 1, 2, 2], num_segments=4, sorted=True),
            C(M, "segment_sum", A("i32", 6), [0, 2, 1, 1, 2, 0], num_segments=3),
            C(M, "segment_max", A("f32", 6, 2), [0, 0, 1, 1, 2, 2], num_segments=3),
            C(M, "segment_max", A("f32", 5), [1, 1, 0, 2, 2], num_segments=4),
            C(M, "segment_min", A("f32", 6, 2), [0, 0, 1, 1, 2, 2], num_segments=3),
            C(M, "segment_prod", A("pos", 6, 2), [0, 0, 1, 1, 2, 2], num_segments=3),
            C(M, "top_k", A("f32", 3, 6), 2), C(M, "top_k", A("f32", 6), 3), C(M, "top_k", A("i32", 2, 5), 2),
            C(M, "in_top_k", A("idx5", 4), A("f32", 4, 5), 2), C(M, "in_top_k", A("idx5", 3), A("f32", 3, 5), 1),
            C(M, "extract_sequences", A("f32", 2, 10), 4, 2), C(M, "extract_sequences", A("f32", 9), 3, 3),
            C(M, "fft", (A("f32", 2, 8), A("f32", 2, 8))), C(M, "fft2", (A("f32", 2, 4, 4), A("f32", 2, 4, 4))),
            C(M, "ifft2", (A("f32", 4, 4), A("f32", 4, 4))), C(M, "rfft", A("f32", 2, 8)),
            C(M, "rfft", A("f32", 8), fft_length=6), C(M, "rfft", A("f32", 2, 6), fft_length=10),
            C(M, "irfft", (A("f32", 2, 5), A("f32", 2, 5))), C(M, "irfft", (A("f32", 5), A("f32", 5)), fft_length=6),
            C(M, "stft", A("f32", 2, 32), 8, 4, 8), C(M, "stft", A("f32", 32), 6, 3, 8, window="hamming"),
            C(M, "stft", A("f32", 2, 30), 8, 4, 16, center=False), C(M, "stft", A("f32", 16), 4, 2, 4, window=None),
            C(M, "istft", (A("f32", 2, 9, 5), A("f32", 2, 9, 5)), 8, 4, 8),
            C(M, "istft", (A("f32", 7, 9), A("f32", 7, 9)), 8, 4, 16),
            C(M, "istft", (A("f32", 7, 5), A("f32", 7, 5)), 8, 4, 8, center=False),
            C(M, "istft", (A("f32", 9, 5), A("f32", 9, 5)), 8, 4, 8, length=30),
            C(M, "view_as_real", A("c64", 3, 2)), C(M, "view_as_complex", A("f32", 3, 2)),
            ]
    # linalg
    out += [C(L, "cholesky", A("spd", 3, 3)), C(L, "cholesky", A("spd", 2, 3, 3), upper=True),
            C(L, "cholesky_inverse", A("lower", 3, 3)),
            C(L, "cholesky_inverse", A("tri", 3, 3), upper=True),
            C(L, "det", A("f32", 3, 3)), C(L, "det", A("f32", 2, 3, 3)), C(L, "inv", A("spd", 3, 3)),
            C(L, "inv", A("spd", 2, 3, 3)), C(L, "eigh", A("spd", 3, 3)), C(L, "lu_factor", A("spd", 3, 3)),
            C(L, "matrix_rank", A("f32", 3, 4)), C(L, "matrix_rank", A("f32", 4, 4), tol=0.5),
            C(L, "norm", A("f32", 3, 4)), C(L, "norm", A("f32", 3, 4), axis=1), C(L, "norm", A("f32", 5), ord=1),
            C(L, "norm", A("f32", 3, 4), ord="fro"), C(L, "norm", A("f32", 3, 4), ord="nuc"),
            C(L, "norm", A("f32", 3, 4), ord=INF), C(L, "norm", A("f32", 2, 3, 4), axis=(1, 2), keepdims=True),
            C(L, "norm", A("f32", 3, 4), ord=2, axis=0), C(L, "norm", A("i32", 5)),
            C(L, "norm", A("f32", 3, 4), ord=-INF, axis=1),
            C(L, "pinv", A("f32", 3, 4)), C(L, "qr", A("f32", 4, 3)), C(L, "qr", A("f32", 4, 3), mode="complete"),
            C(L, "solve", A("spd", 3, 3), A("f32", 3, 2)), C(L, "solve", A("spd", 3, 3), A("f32", 3)),
            C(L, "solve_triangular", A("tri", 3, 3), A("f32", 3, 2)),
            C(L, "solve_triangular", A("lower", 3, 3), A("f32", 3), lower=True),
            C(L, "svd", A("f32", 4, 3)), C(L, "svd", A("f32", 4, 3), full_matrices=False),
            C(L, "svd", A("f32", 4, 3), compute_uv=False), C(L, "lstsq", A("f32", 5, 3), A("f32", 5)),
            C(L, "lstsq", A("f32", 5, 3), A("f32", 5, 2))]
    return out


# ---- encoding -----------------------------------------------------------------------------------------------------

def encode(value):
    """A JSON form of an argument: arrays by input name, and markers for tuples, slices, Ellipsis and inf."""
    if isinstance(value, Input):
        return {"input": value.name}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, slice):
        return {"slice": [value.start, value.stop, value.step]}
    if value is Ellipsis:
        return {"ellipsis": True}
    if isinstance(value, float) and not np.isfinite(value):
        return {"float": str(value)}
    return value


def materialize(value, make):
    if isinstance(value, Input):
        return make(value.name)
    if isinstance(value, tuple):
        return tuple(materialize(v, make) for v in value)
    if isinstance(value, list):
        return [materialize(v, make) for v in value]
    return value


def flat_outputs(result):
    if isinstance(result, (list, tuple)):
        return [leaf for item in result for leaf in flat_outputs(item)]
    return [result]


def run(ns, op, args, kwargs, make):
    # Keras has no public keras.ops.math: its functions are at keras.ops.
    function = getattr(ops.linalg if ns == "linalg" else ops.numpy if ns == "numpy" else ops, op)
    return function(*materialize(list(args), make), **{k: materialize(v, make) for k, v in kwargs.items()})


def symbolic(ns, op, args, kwargs, unknown_batch):
    def make(name):
        shape = list(INPUTS[name].shape)
        if unknown_batch and shape:
            shape[0] = None
        return keras.KerasTensor(shape, dtype=str(INPUTS[name].dtype))

    try:
        result = run(ns, op, args, kwargs, make)
    except Exception as error:  # noqa: BLE001 - recorded: the test skips what Keras cannot infer either
        return {"error": type(error).__name__}
    leaves = flat_outputs(result)
    if not all(isinstance(leaf, keras.KerasTensor) for leaf in leaves):
        return {"error": "not symbolic"}
    history = getattr(leaves[0], "_keras_history", None)
    return {"shapes": [list(leaf.shape) for leaf in leaves], "dtypes": [leaf.dtype for leaf in leaves],
            "class_name": type(history[0]).__name__ if history else None,
            "config_keys": config_keys(history[0]) if history else None}


def config_keys(operation):
    try:
        return sorted(operation.get_config())
    except Exception:  # noqa: BLE001 - a few Keras operations cannot write a config; then none is compared
        return None


ELEMENTWISE = set(UNARY_FLOAT + UNARY_POSITIVE + UNARY_UNIT + BINARY + BITWISE + SHIFTS + [
    "arccosh", "power", "gcd", "lcm", "ldexp", "bitwise_not", "bitwise_invert", "clip", "where", "allclose"])
UNARY = set(UNARY_FLOAT + UNARY_POSITIVE + UNARY_UNIT + ["arccosh", "bitwise_not", "bitwise_invert", "clip"])
REDUCING = set(REDUCTIONS + NAN_REDUCTIONS + ["quantile", "nanquantile", "percentile", "nanpercentile", "average",
                                             "cumsum", "cumprod", "nancumsum", "nancumprod", "trace"])


def group_of(ns, op):
    """The fixture file a case goes to (each file stays small)."""
    if ns != "numpy":
        return ns
    if op in ELEMENTWISE:
        return "unary" if op in UNARY else "binary"
    return "reductions" if op in REDUCING else "arrays"


class Packer:
    """Arrays packed into one flat buffer per dtype (an npz entry per array would cost more than the data)."""

    def __init__(self):
        self.buffers = {}

    def add(self, array):
        array = np.asarray(array)
        parts = self.buffers.setdefault(array.dtype.name, [])
        offset = sum(p.size for p in parts)
        parts.append(array.reshape(-1))
        return [array.dtype.name, offset, list(array.shape)]

    def arrays(self):
        return {dtype: np.concatenate(parts) for dtype, parts in self.buffers.items()}


def record_case(ns, op, args, kwargs, case_id):
    record = {"id": case_id, "ns": ns, "op": op, "args": encode(list(args)),
              "kwargs": {k: encode(v) for k, v in kwargs.items()}}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run(ns, op, args, kwargs, lambda name: INPUTS[name])
    except Exception as error:  # noqa: BLE001 - Keras refuses the input: the test expects a refusal too
        record["error"] = type(error).__name__
        return record, []
    outputs = []
    for leaf in flat_outputs(result):
        if isinstance(leaf, (int, float, bool)) and not hasattr(leaf, "dtype"):
            outputs.append(("python", leaf))
        else:
            outputs.append((keras.backend.standardize_dtype(leaf.dtype), keras.ops.convert_to_numpy(leaf)))
    record["structure"] = type(result).__name__
    record["symbolic"] = symbolic(ns, op, args, kwargs, False)
    record["symbolic_none"] = symbolic(ns, op, args, kwargs, True)
    return record, outputs


def main():
    groups, counts = {}, {}
    for ns, op, args, kwargs in cases():
        counts[op] = counts.get(op, -1) + 1
        record, outputs = record_case(ns, op, args, kwargs, f"{op}_{counts[op]}")
        records, packer, inputs = groups.setdefault(group_of(ns, op), ([], Packer(), {}))
        record["outputs"] = [{"python": value} if dtype == "python" else {"dtype": dtype, "value": packer.add(value)}
                             for dtype, value in outputs]
        for name in json.dumps(record["args"]).split('"input": "')[1:] + json.dumps(record["kwargs"]).split(
                '"input": "')[1:]:
            name = name.split('"')[0]
            if name not in inputs:
                inputs[name] = packer.add(INPUTS[name])
        records.append(record)
    OUT.mkdir(parents=True, exist_ok=True)
    for group, (records, packer, inputs) in groups.items():
        np.savez_compressed(OUT / f"{group}.npz", **packer.arrays())
        (OUT / f"{group}.json").write_text(json.dumps({"keras_version": keras.__version__, "inputs": inputs,
                                                        "cases": records}, separators=(",", ":")) + "\n")
        print(f"{group}: {len(records)} cases of {len({r['op'] for r in records})} ops")


if __name__ == "__main__":
    main()
