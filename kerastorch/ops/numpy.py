"""``keras.ops.numpy`` on torch: NumPy's functions with NumPy's broadcasting and Keras's result dtypes.

Each function runs torch kernels on torch tensors, NumPy arrays and Python numbers (new tensors go to the current
device), and on KerasTensors records an operation of the functional graph (``Add``, ``Sum``, ``GetItem``) under
Keras's module ``keras.src.ops.numpy`` (see ``kerastorch.ops._dispatch``). Python's operators on KerasTensors
(``x + y``, ``x[:, 0]``) record the same operations.
"""
import builtins
import math

import numpy as np
import torch

from kerastorch import backend, dtypes, keras_tensor
from kerastorch._porting import missing_attribute
from kerastorch.keras_tensor import KerasTensor
from kerastorch.ops._dispatch import (arguments, broadcast_shapes, dtype_of, elementwise, keras_op, shape_of,
                                      to_tensor, to_tensors, traced)

_op = keras_op("numpy")
_elementwise = keras_op("numpy", spec=elementwise)


def _floatx():
    return dtypes.torch_dtype(backend.floatx())


def _cast(x, dtype):
    dtype = dtypes.torch_dtype(dtype)
    return x if x.dtype == dtype else x.to(dtype)


def _axis(axis):
    """An axis argument as torch takes it: None, an int, or a tuple of ints."""
    if axis is None or isinstance(axis, int):
        return axis
    return tuple(int(a) for a in axis)


def _all_axes(x, axis):
    """``axis`` as a tuple of non-negative axes of ``x`` (all of them for None)."""
    if axis is None:
        return tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % builtins.max(x.ndim, 1) for a in axes)


def _weak(x):
    """A Python number stays a number (torch treats it as weakly typed, as Keras does); anything else a tensor."""
    return x if isinstance(x, (bool, int, float)) else to_tensor(x)


def _promoted(x1, x2):
    """Both operands as tensors of Keras's promoted dtype (Python numbers weakly typed)."""
    dtype = dtypes.result_type(dtype_of(x1), dtype_of(x2))
    device = next((v.device for v in (x1, x2) if isinstance(v, torch.Tensor)), None)
    return to_tensor(x1, dtype, device), to_tensor(x2, dtype, device)


def _int_to_float(x):
    """A bool or integer tensor as floatx (the inputs of ops that are only defined on floats)."""
    return x if x.is_floating_point() or x.is_complex() else x.to(_floatx())


# ---- element-wise ops of one tensor ------------------------------------------------------------------------------

def _unary(name, kernel, doc, floating=False):
    def function(x):
        x = to_tensor(x)
        return kernel(_int_to_float(x) if floating else x)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"{doc}, element-wise.\n\n    Args:\n        x: input tensor.\n"
    return _elementwise(function)


arccos = _unary("arccos", torch.arccos, "Inverse cosine", True)
arccosh = _unary("arccosh", torch.arccosh, "Inverse hyperbolic cosine", True)
arcsin = _unary("arcsin", torch.arcsin, "Inverse sine", True)
arcsinh = _unary("arcsinh", torch.arcsinh, "Inverse hyperbolic sine", True)
arctan = _unary("arctan", torch.arctan, "Inverse tangent", True)
arctanh = _unary("arctanh", torch.arctanh, "Inverse hyperbolic tangent", True)
cos = _unary("cos", torch.cos, "Cosine", True)
cosh = _unary("cosh", torch.cosh, "Hyperbolic cosine", True)
sin = _unary("sin", torch.sin, "Sine", True)
sinh = _unary("sinh", torch.sinh, "Hyperbolic sine", True)
tan = _unary("tan", torch.tan, "Tangent", True)
tanh = _unary("tanh", torch.tanh, "Hyperbolic tangent", True)
exp = _unary("exp", torch.exp, "The exponential", True)
exp2 = _unary("exp2", torch.exp2, "2 to the power of x", True)
expm1 = _unary("expm1", torch.expm1, "exp(x) - 1", True)
log = _unary("log", torch.log, "Natural logarithm", True)
log10 = _unary("log10", torch.log10, "Base-10 logarithm", True)
log1p = _unary("log1p", torch.log1p, "log(1 + x)", True)
log2 = _unary("log2", torch.log2, "Base-2 logarithm", True)
sqrt = _unary("sqrt", torch.sqrt, "Square root", True)
sinc = _unary("sinc", torch.sinc, "The normalized sinc, sin(pi x) / (pi x)", True)
i0 = _unary("i0", torch.special.i0, "The modified Bessel function of the first kind, order 0", True)
deg2rad = _unary("deg2rad", torch.deg2rad, "Degrees to radians", True)
rad2deg = _unary("rad2deg", torch.rad2deg, "Radians to degrees", True)
reciprocal = _unary("reciprocal", torch.reciprocal, "1 / x", True)
fabs = _unary("fabs", torch.abs, "Absolute value as a float", True)
negative = _unary("negative", torch.negative, "The negation")
sign = _unary("sign", torch.sign, "The sign (-1, 0 or 1)")
signbit = _unary("signbit", torch.signbit, "Whether the sign bit is set (True for negative values and -0.0)")
isfinite = _unary("isfinite", torch.isfinite, "Whether the value is finite")
isinf = _unary("isinf", torch.isinf, "Whether the value is infinite")
isnan = _unary("isnan", torch.isnan, "Whether the value is NaN")
isneginf = _unary("isneginf", torch.isneginf, "Whether the value is negative infinity")
isposinf = _unary("isposinf", torch.isposinf, "Whether the value is positive infinity")
isreal = _unary("isreal", torch.isreal, "Whether the value has no imaginary part")
logical_not = _unary("logical_not", torch.logical_not, "Logical NOT")
bitwise_not = _unary("bitwise_not", torch.bitwise_not, "Bitwise NOT (inversion)")
bitwise_invert = _unary("bitwise_invert", torch.bitwise_not, "Bitwise NOT (inversion)")
conjugate = _unary("conjugate", torch.conj_physical, "The complex conjugate")
conj = conjugate
copy = _unary("copy", torch.clone, "A copy")


def _keep_bool(kernel):
    """``kernel`` on numbers; a bool tensor is returned as it is (rounding and |x| do not change it)."""
    return lambda x: x if x.dtype == torch.bool else kernel(x)


absolute = _unary("absolute", _keep_bool(torch.abs), "Absolute value")
abs = absolute
trunc = _unary("trunc", _keep_bool(torch.trunc), "Rounding towards zero")


def _floor_like(kernel):
    # Keras rounds integers through float: the result is floatx for integer and bool inputs.
    return lambda x: kernel(x if x.is_floating_point() else x.to(_floatx()))


floor = _unary("floor", _floor_like(torch.floor), "Floor")
ceil = _unary("ceil", _floor_like(torch.ceil), "Ceiling")


def _square(x):
    return torch.square(x.to(torch.int32) if x.dtype == torch.bool else x)


square = _unary("square", _square, "Square")


def _real(x):
    return torch.real(x) if x.is_complex() else x


def _imag(x):
    return torch.imag(x) if x.is_complex() else torch.zeros_like(x)


real = _unary("real", _real, "The real part")
imag = _unary("imag", _imag, "The imaginary part")


def _angle(x):
    dtype = x.dtype
    if not (x.is_floating_point() or x.is_complex()):
        return torch.angle(x.to(_floatx()))
    return torch.angle(x).to(dtype) if not x.is_complex() else torch.angle(x)


angle = _unary("angle", _angle, "The angle of the complex argument")


def _cbrt(x):
    if not x.is_floating_point():
        x = x.to(_floatx())
    return torch.sign(x) * torch.abs(x) ** (1.0 / 3.0)


cbrt = _unary("cbrt", _cbrt, "Cube root")


@_elementwise
def round(x, decimals=0):
    """Round to ``decimals`` decimals (integers stay integers).

    Args:
        x: input tensor.
        decimals: the number of decimals (negative: tens, hundreds...).
    """
    x = to_tensor(x)
    if x.dtype == torch.bool:
        return x
    if not x.is_floating_point():
        return torch.round(x.to(_floatx()), decimals=decimals).to(x.dtype)
    return torch.round(x, decimals=decimals)


@_elementwise
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (default: the dtype's largest and
    smallest finite values)."""
    x = to_tensor(x)
    if not x.is_floating_point():
        return x
    return torch.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


@keras_op("numpy", call=("x",))
def clip(x, x_min, x_max):
    """``x`` limited to ``[x_min, x_max]`` (bool inputs are clipped as int32).

    Args:
        x: input tensor.
        x_min, x_max: the bounds (numbers or tensors).
    """
    x = to_tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    x_min = x_min if isinstance(x_min, (int, float)) or x_min is None else to_tensor(x_min, device=x.device)
    x_max = x_max if isinstance(x_max, (int, float)) or x_max is None else to_tensor(x_max, device=x.device)
    if x.dtype == torch.float16 and x.device.type == "cpu":
        return torch.clip(x.float(), x_min, x_max).to(torch.float16)
    return torch.clip(x, x_min, x_max)


# ---- element-wise ops of two tensors -----------------------------------------------------------------------------

def _binary(name, kernel, doc, prepare=to_tensors):
    def function(x1, x2):
        return kernel(*prepare(x1, x2))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"{doc}, element-wise with NumPy broadcasting.\n\n    Args:\n        x1, x2: input tensors.\n"
    return _elementwise(function)


def _both_weak(x1, x2):
    if isinstance(x1, (bool, int, float)) and isinstance(x2, (bool, int, float)):
        return to_tensors(x1, x2)
    x1, x2 = _weak(x1), _weak(x2)
    if isinstance(x1, torch.Tensor) and not isinstance(x2, torch.Tensor):
        return x1, x2
    if isinstance(x2, torch.Tensor) and not isinstance(x1, torch.Tensor):
        return x1, x2
    return to_tensors(x1, x2)


def _subtract(x1, x2):
    # torch refuses `-` on bools; Keras computes it on int32.
    if x1.dtype == torch.bool:
        x1 = x1.to(torch.int32)
    if x2.dtype == torch.bool:
        x2 = x2.to(torch.int32)
    return torch.subtract(x1, x2)


def _floats(x1, x2):
    """Both operands in the promoted float dtype (Keras's ``result_type(x1, x2, float)``)."""
    dtype = dtypes.result_type(dtype_of(x1), dtype_of(x2), float)
    device = next((v.device for v in (x1, x2) if isinstance(v, torch.Tensor)), None)
    return to_tensor(x1, dtype, device), to_tensor(x2, dtype, device)


def _ints_to_float(x1, x2):
    """Promoted operands; an integer result type becomes floatx (hypot, heaviside)."""
    dtype = dtypes.result_type(dtype_of(x1), dtype_of(x2))
    if dtypes.is_int_dtype(dtype):
        dtype = backend.floatx()
    device = next((v.device for v in (x1, x2) if isinstance(v, torch.Tensor)), None)
    return to_tensor(x1, dtype, device), to_tensor(x2, dtype, device)


def _bool_as_int(kernel):
    def apply(x1, x2):
        if x1.dtype == torch.bool and x2.dtype == torch.bool:
            x1, x2 = x1.to(torch.int32), x2.to(torch.int32)
        return kernel(x1, x2)
    return apply


add = _binary("add", torch.add, "Sum")
subtract = _binary("subtract", _subtract, "Difference")
multiply = _binary("multiply", torch.multiply, "Product")
divide = _binary("divide", torch.true_divide, "True division", _both_weak)
true_divide = _binary("true_divide", torch.true_divide, "True division", _both_weak)
power = _binary("power", torch.pow, "x1 to the power x2")
maximum = _binary("maximum", torch.maximum, "Maximum", _promoted)
minimum = _binary("minimum", torch.minimum, "Minimum", _promoted)
fmax = _binary("fmax", torch.fmax, "Maximum, ignoring NaNs", _promoted)
fmin = _binary("fmin", torch.fmin, "Minimum, ignoring NaNs", _promoted)
mod = _binary("mod", torch.remainder, "Remainder (the sign of the divisor)", lambda a, b: tuple(
    t.to(torch.int32) if t.dtype == torch.bool else t for t in _promoted(a, b)))
fmod = _binary("fmod", torch.fmod, "Remainder (the sign of the dividend)", lambda a, b: tuple(
    t.to(torch.int32) if t.dtype == torch.bool else t for t in _promoted(a, b)))
arctan2 = _binary("arctan2", torch.arctan2, "Arc tangent of x1/x2 in the right quadrant", _floats)
hypot = _binary("hypot", torch.hypot, "sqrt(x1**2 + x2**2)", _ints_to_float)
logaddexp = _binary("logaddexp", torch.logaddexp, "log(exp(x1) + exp(x2))", _floats)
logaddexp2 = _binary("logaddexp2", torch.logaddexp2, "log2(2**x1 + 2**x2)", _floats)
heaviside = _binary("heaviside", torch.heaviside, "The Heaviside step (x2 where x1 == 0)", _ints_to_float)
nextafter = _binary("nextafter", torch.nextafter, "The next float after x1 towards x2", _floats)
gcd = _binary("gcd", torch.gcd, "Greatest common divisor")
lcm = _binary("lcm", torch.lcm, "Least common multiple")
equal = _binary("equal", torch.eq, "x1 == x2")
not_equal = _binary("not_equal", torch.ne, "x1 != x2")
less = _binary("less", torch.lt, "x1 < x2")
less_equal = _binary("less_equal", torch.le, "x1 <= x2")
greater = _binary("greater", torch.gt, "x1 > x2")
greater_equal = _binary("greater_equal", torch.ge, "x1 >= x2")
logical_and = _binary("logical_and", torch.logical_and, "Logical AND")
logical_or = _binary("logical_or", torch.logical_or, "Logical OR")
logical_xor = _binary("logical_xor", torch.logical_xor, "Logical XOR")


def _floor_divide(x1, x2):
    dtype = dtypes.result_type(dtype_of(x1), dtype_of(x2))
    x1, x2 = _both_weak(x1, x2)
    return _cast(torch.floor_divide(x1, x2), dtype)


floor_divide = _binary("floor_divide", lambda a, b: _floor_divide(a, b), "Floor division", lambda a, b: (a, b))


def _bitwise(name, kernel, doc):
    def function(x, y):
        x, y = to_tensors(x, y)
        return kernel(x, y)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"{doc}, element-wise with NumPy broadcasting.\n\n    Args:\n        x, y: integer or bool tensors.\n"
    return _elementwise(function)


bitwise_and = _bitwise("bitwise_and", torch.bitwise_and, "Bitwise AND")
bitwise_or = _bitwise("bitwise_or", torch.bitwise_or, "Bitwise OR")
bitwise_xor = _bitwise("bitwise_xor", torch.bitwise_xor, "Bitwise XOR")
bitwise_left_shift = _bitwise("bitwise_left_shift", torch.bitwise_left_shift, "x shifted left by y bits")
left_shift = _bitwise("left_shift", torch.bitwise_left_shift, "x shifted left by y bits")
bitwise_right_shift = _bitwise("bitwise_right_shift", torch.bitwise_right_shift, "x shifted right by y bits")
right_shift = _bitwise("right_shift", torch.bitwise_right_shift, "x shifted right by y bits")


@_elementwise
def ldexp(x1, x2):
    """``x1 * 2**x2`` (``x2`` must be integers)."""
    if dtype_of(x2) not in dtypes.INT_TYPES and not isinstance(x2, int):
        raise TypeError(f"ldexp exponent must be an integer type. Received: x2 dtype={dtype_of(x2)}")
    dtype = dtypes.result_type(dtype_of(x1), dtype_of(x2), float)
    x1, x2 = to_tensors(x1, x2)
    return _cast(torch.ldexp(x1.to(dtypes.torch_dtype(dtype)), x2), dtype)


@_elementwise
def divide_no_nan(x1, x2):
    """``x1 / x2``, with 0 where ``x2`` is 0."""
    dtype = dtypes.result_type(dtype_of(x1), dtype_of(x2), float)
    x1, x2 = _floats(x1, x2)
    return torch.where(x2 == 0, torch.zeros((), dtype=x1.dtype, device=x1.device), x1 / x2).to(
        dtypes.torch_dtype(dtype))


@keras_op("numpy", spec=elementwise, call=("x1", "x2", "rtol", "atol"))
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether ``|x1 - x2| <= atol + rtol * |x2|``, element-wise."""
    x1, x2 = _promoted(x1, x2)
    return torch.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)


@keras_op("numpy", class_name="AllClose")
def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether ``isclose`` holds everywhere (a bool scalar tensor; no host sync)."""
    x1, x2 = _promoted(x1, x2)
    return torch.all(torch.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _where_spec(function, args, kwargs):
    a = arguments(function, args, kwargs)
    condition, x1, x2 = a["condition"], a["x1"], a["x2"]
    if x1 is None and x2 is None:
        return KerasTensor((len(shape_of(condition)), None), "int32")
    shape = broadcast_shapes(shape_of(condition), broadcast_shapes(shape_of(x1), shape_of(x2), "where"), "where")
    return KerasTensor(shape, dtypes.result_type(dtype_of(x1), dtype_of(x2)))


@keras_op("numpy", spec=_where_spec, call=("condition", "x1", "x2"))
def where(condition, x1=None, x2=None):
    """Elements of ``x1`` where ``condition`` holds, else of ``x2``; with neither, the indices where it holds
    (``(condition.ndim, n)``)."""
    condition = to_tensor(condition)
    if x1 is None and x2 is None:
        return torch.stack(torch.where(condition), dim=0).to(torch.int32)
    if x1 is None or x2 is None:
        raise ValueError("`x1` and `x2` either both should be `None` or both should have non-None value.")
    dtype = dtypes.result_type(dtype_of(x1), dtype_of(x2))
    x1 = to_tensor(x1, dtype, condition.device)
    x2 = to_tensor(x2, dtype, condition.device)
    return torch.where(condition.to(torch.bool), x1, x2)


# ---- linear algebra products -----------------------------------------------------------------------------------

def _product_dtypes(x1, x2):
    """(result dtype, compute dtype) of a product: int8 x int8 -> int32; integers compute in float."""
    d1, d2 = dtype_of(x1), dtype_of(x2)
    if d1 == d2 == "int8":
        return "int32", "int32"
    result = dtypes.result_type(d1, d2)
    compute = dtypes.result_type(result, float)
    if compute == "float16" and x1.device.type == "cpu":
        compute = "float32"
    return result, compute


@_op
def matmul(x1, x2):
    """The matrix product, with NumPy's broadcasting of batch dimensions."""
    x1, x2 = to_tensors(x1, x2)
    result, compute = _product_dtypes(x1, x2)
    if compute == "int32":
        return torch.matmul(x1.to(torch.float32), x2.to(torch.float32)).to(torch.int32)
    return _cast(torch.matmul(_cast(x1, compute), _cast(x2, compute)), result)


@_op
def dot(x1, x2):
    """NumPy's dot: a scalar product for vectors, a matrix product for matrices, the sum over the last axis of
    ``x1`` and the second-to-last of ``x2`` for higher ranks."""
    x1, x2 = to_tensors(x1, x2)
    result, compute = _product_dtypes(x1, x2)
    compute = "float32" if compute == "int32" else compute
    a, b = _cast(x1, compute), _cast(x2, compute)
    if a.ndim == 0 or b.ndim == 0:
        out = a * b
    elif b.ndim == 1:
        out = torch.tensordot(a, b, dims=([a.ndim - 1], [0]))
    else:
        out = torch.tensordot(a, b, dims=([a.ndim - 1], [b.ndim - 2]))
    return _cast(out, result)


@_op
def tensordot(x1, x2, axes=2):
    """The sum of products over ``axes`` (an int: the last axes of ``x1`` and first of ``x2``; or two lists)."""
    x1, x2 = to_tensors(x1, x2)
    result, compute = _product_dtypes(x1, x2)
    compute = "float32" if compute == "int32" else compute
    if not isinstance(axes, int):
        axes = [list(a) if isinstance(a, (list, tuple)) else [a] for a in axes]
    return _cast(torch.tensordot(_cast(x1, compute), _cast(x2, compute), dims=axes), result)


@_op
def vdot(x1, x2):
    """The dot product of the flattened inputs (conjugating the first)."""
    x1, x2 = to_tensors(x1, x2)
    result, compute = _product_dtypes(x1, x2)
    compute = "float32" if compute == "int32" else compute
    return _cast(torch.vdot(_cast(x1, compute).reshape(-1), _cast(x2, compute).reshape(-1)), result)


@_op
def inner(x1, x2):
    """The sum of products over the last axes of both inputs."""
    x1, x2 = to_tensors(x1, x2)
    result, compute = _product_dtypes(x1, x2)
    compute = "float32" if compute == "int32" else compute
    return _cast(torch.inner(_cast(x1, compute), _cast(x2, compute)), result)


@_op
def outer(x1, x2):
    """The outer product of the flattened inputs."""
    x1, x2 = _promoted(x1, x2)
    return torch.outer(x1.reshape(-1), x2.reshape(-1))


@_op
def kron(x1, x2):
    """The Kronecker product."""
    x1, x2 = _promoted(x1, x2)
    return torch.kron(x1, x2)


def _cross_spec(function, args, kwargs):
    a = arguments(function, args, kwargs)
    vector_axes = (a["axis"],) * 2 if a["axis"] is not None else (a["axisa"], a["axisb"])

    def sized(x, axis):
        if not isinstance(x, KerasTensor) or x.shape[axis] is not None:
            return x
        shape = list(x.shape)
        shape[axis] = 3   # an unknown vector axis must have size 2 or 3
        return KerasTensor(shape, x.dtype)

    return traced(function, (sized(a["x1"], vector_axes[0]), sized(a["x2"], vector_axes[1])),
                  {k: a[k] for k in ("axisa", "axisb", "axisc", "axis")})


@keras_op("numpy", spec=_cross_spec)
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (2-vectors are extended with a zero z)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    x1, x2 = _promoted(x1, x2)
    a = torch.moveaxis(x1, axisa, -1)
    b = torch.moveaxis(x2, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(f"cross: the vector axes must have size 2 or 3. Received shapes {tuple(x1.shape)} and "
                         f"{tuple(x2.shape)}")
    two_d = a.shape[-1] == 2 and b.shape[-1] == 2
    if a.shape[-1] == 2:
        a = torch.nn.functional.pad(a, (0, 1))
    if b.shape[-1] == 2:
        b = torch.nn.functional.pad(b, (0, 1))
    a, b = torch.broadcast_tensors(a, b)
    out = torch.linalg.cross(a, b, dim=-1)
    if two_d:
        return out[..., 2]
    return torch.moveaxis(out, -1, axisc)


@keras_op("numpy")
def einsum(subscripts, *operands, **kwargs):
    """Einstein summation over ``operands`` as ``subscripts`` says (``"ij,jk->ik"``)."""
    operands = to_tensors(*operands)
    kinds = {dtypes.standardize_dtype(o.dtype) for o in operands}
    if kinds == {"int8"}:
        return torch.einsum(subscripts, *[o.to(torch.int32) for o in operands]).to(torch.int32)
    dtype = dtypes.result_type(*kinds)
    compute = dtype if dtypes.is_float_dtype(dtype) else "float32"
    if compute == "float16" and operands[0].device.type == "cpu":
        compute = "float32"
    return _cast(torch.einsum(subscripts, *[_cast(o, compute) for o in operands]), dtype)


# ---- reductions --------------------------------------------------------------------------------------------------

def _sum_dtype(dtype):
    return torch.int32 if dtype in (torch.bool, torch.uint8, torch.int8, torch.int16) else dtype


@_op
def sum(x, axis=None, keepdims=False):
    """The sum over ``axis`` (all axes for None). bool and small integers sum as int32.

    Args:
        x: input tensor.
        axis: an int, a tuple of ints, or None.
        keepdims: keep the reduced axes with size 1.
    """
    x = to_tensor(x)
    dtype = _sum_dtype(x.dtype)
    if axis == () or axis == []:
        return x.to(dtype)
    if x.dtype == torch.float16 and x.device.type == "cpu":
        return torch.sum(x.float(), dim=_axis(axis), keepdim=keepdims).to(torch.float16)
    return torch.sum(x, dim=_axis(axis), keepdim=keepdims, dtype=dtype)


@_op
def mean(x, axis=None, keepdims=False):
    """The mean over ``axis``; integer and bool inputs give float32 (computed in at least float32)."""
    x = to_tensor(x)
    if axis == () or axis == []:
        return x
    original = dtypes.standardize_dtype(x.dtype)
    compute = dtypes.result_type(original, "float32")
    result = compute if ("int" in original or original == "bool") else original
    return _cast(torch.mean(_cast(x, compute), dim=_axis(axis), keepdim=keepdims), result)


def _extreme(kernel, x, axis, keepdims, initial, combine, name):
    x = to_tensor(x)
    if x.numel() == 0:
        if initial is None:
            raise ValueError(f"Cannot compute the {name} of an empty tensor.")
        shape = (1,) * x.ndim if keepdims else ()
        return torch.full(shape, initial, dtype=x.dtype, device=x.device)
    if x.dtype == torch.bool:
        result = kernel(x.to(torch.uint8), dim=_all_axes(x, axis), keepdim=keepdims).to(torch.bool)
    else:
        result = kernel(x, dim=_all_axes(x, axis) if axis is not None else (), keepdim=keepdims)
    if initial is not None:
        result = combine(result, torch.as_tensor(initial, dtype=result.dtype, device=result.device))
    return result


@_op
def max(x, axis=None, keepdims=False, initial=None):
    """The maximum over ``axis``; ``initial`` is a lower bound of the result (needed for empty inputs)."""
    return _extreme(torch.amax, x, axis, keepdims, initial, torch.maximum, "max")


@_op
def min(x, axis=None, keepdims=False, initial=None):
    """The minimum over ``axis``; ``initial`` is an upper bound of the result (needed for empty inputs)."""
    return _extreme(torch.amin, x, axis, keepdims, initial, torch.minimum, "min")


@_op
def amax(x, axis=None, keepdims=False):
    """The maximum over ``axis``."""
    return _extreme(torch.amax, x, axis, keepdims, None, None, "max")


@_op
def amin(x, axis=None, keepdims=False):
    """The minimum over ``axis``."""
    return _extreme(torch.amin, x, axis, keepdims, None, None, "min")


@_op
def ptp(x, axis=None, keepdims=False):
    """Peak to peak: ``max - min`` over ``axis``."""
    x = to_tensor(x)
    return amax(x, axis, keepdims) - amin(x, axis, keepdims)


@_op
def prod(x, axis=None, keepdims=False, dtype=None):
    """The product over ``axis``; bool and small integers multiply as int32."""
    x = to_tensor(x)
    target = dtypes.torch_dtype(dtype) if dtype is not None else _sum_dtype(x.dtype)
    compute = torch.float32 if target == torch.float16 and x.device.type == "cpu" else target
    if axis is None:
        return torch.prod(x.to(compute)).to(target)
    x = x.to(compute)
    for a in sorted(_all_axes(x, axis), reverse=True):
        x = torch.prod(x, dim=a, keepdim=keepdims)
    return x.to(target)


@_op
def all(x, axis=None, keepdims=False):
    """Whether every element over ``axis`` is true."""
    x = to_tensor(x)
    if axis == () or axis == []:
        return x.to(torch.bool)
    return torch.all(x, dim=_all_axes(x, axis), keepdim=keepdims).to(torch.bool)


@_op
def any(x, axis=None, keepdims=False):
    """Whether some element over ``axis`` is true."""
    x = to_tensor(x)
    if axis == () or axis == []:
        return x.to(torch.bool)
    return torch.any(x, dim=_all_axes(x, axis), keepdim=keepdims).to(torch.bool)


def _moments_dtypes(x):
    compute = dtypes.result_type(dtypes.standardize_dtype(x.dtype), "float32")
    result = dtypes.result_type(dtypes.standardize_dtype(x.dtype), float)
    return compute, result


@_op
def var(x, axis=None, keepdims=False):
    """The (population) variance over ``axis``."""
    x = to_tensor(x)
    compute, result = _moments_dtypes(x)
    if axis == () or axis == []:
        return torch.zeros_like(x, dtype=dtypes.torch_dtype(result))
    return _cast(torch.var(_cast(x, compute), dim=_axis(axis), keepdim=keepdims, correction=0), result)


@_op
def std(x, axis=None, keepdims=False):
    """The (population) standard deviation over ``axis``."""
    x = to_tensor(x)
    compute, result = _moments_dtypes(x)
    if axis == () or axis == []:
        return torch.zeros_like(x, dtype=dtypes.torch_dtype(result))
    return _cast(torch.std(_cast(x, compute), dim=_axis(axis), keepdim=keepdims, correction=0), result)


def _arg_extreme(kernel, x, axis, keepdims):
    x = to_tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    if axis is None:
        out = kernel(x.reshape(-1))
        return out.reshape((1,) * x.ndim).to(torch.int32) if keepdims else out.to(torch.int32)
    return kernel(x, dim=axis, keepdim=keepdims).to(torch.int32)


@_op
def argmax(x, axis=None, keepdims=False):
    """The index of the maximum along ``axis`` (of the flattened input for None), as int32."""
    return _arg_extreme(torch.argmax, x, axis, keepdims)


@_op
def argmin(x, axis=None, keepdims=False):
    """The index of the minimum along ``axis`` (of the flattened input for None), as int32."""
    return _arg_extreme(torch.argmin, x, axis, keepdims)


@_op
def count_nonzero(x, axis=None):
    """The number of non-zero elements over ``axis``, as int32."""
    x = to_tensor(x)
    if axis == () or axis == []:
        return torch.ne(x, 0).to(torch.int32)
    return torch.count_nonzero(x, dim=_axis(axis)).to(torch.int32)


def _quantile_dtypes(x):
    compute = dtypes.result_type(dtypes.standardize_dtype(x.dtype), "float32")
    return compute, dtypes.result_type(dtypes.standardize_dtype(x.dtype), float)


def _quantile(x, q, axis, method, keepdims, nan_aware):
    x = to_tensor(x)
    compute, result = _quantile_dtypes(x)
    x = _cast(x, compute)
    q = to_tensor(q, compute, x.device)
    kernel = torch.nanquantile if nan_aware else torch.quantile
    if axis is None:
        out = kernel(x.reshape(-1), q, dim=0, interpolation=method)
        if keepdims:
            out = out.reshape(q.shape + (1,) * x.ndim)
    else:
        axes = _all_axes(x, axis)
        kept = [a for a in range(x.ndim) if a not in axes]
        moved = x.permute(kept + list(axes)).reshape([x.shape[a] for a in kept] + [-1])
        out = kernel(moved, q, dim=-1, interpolation=method)
        if keepdims:
            out = out.reshape(q.shape + tuple(1 if a in axes else x.shape[a] for a in range(x.ndim)))
    return _cast(out, result)


@_op
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantile(s) over ``axis`` (``q`` in [0, 1]); a tensor ``q`` adds its axes first."""
    return _quantile(x, q, axis, method, keepdims, False)


@_op
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th percentile(s) over ``axis`` (``q`` in [0, 100])."""
    return _quantile(x, to_tensor(q, backend.floatx()) / 100.0, axis, method, keepdims, False)


@_op
def median(x, axis=None, keepdims=False):
    """The median over ``axis`` (the mean of the two middle values for an even count)."""
    return _quantile(x, 0.5, axis, "linear", keepdims, False)


@_op
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` ignoring NaNs."""
    return _quantile(x, q, axis, method, keepdims, True)


@_op
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """``percentile`` ignoring NaNs."""
    return _quantile(x, to_tensor(q, backend.floatx()) / 100.0, axis, method, keepdims, True)


@_op
def nanmedian(x, axis=None, keepdims=False):
    """``median`` ignoring NaNs."""
    return _quantile(x, 0.5, axis, "linear", keepdims, True)


@keras_op("numpy", call=("x", "weights"))
def average(x, axis=None, weights=None):
    """The (weighted) mean over ``axis``; 1-D ``weights`` weigh the positions along ``axis``."""
    x = to_tensor(x)
    if weights is None:
        dtype = dtypes.result_type(dtypes.standardize_dtype(x.dtype), float)
        return _cast(torch.mean(_cast(x, dtype), dim=axis), dtype)
    weights = to_tensor(weights, device=x.device)
    dtype = dtypes.result_type(dtypes.standardize_dtype(x.dtype), dtypes.standardize_dtype(weights.dtype), float)
    x, weights = _cast(x, dtype), _cast(weights, dtype)
    if axis is not None and weights.ndim == 1 and x.ndim > 1:
        shape = [1] * x.ndim
        shape[axis] = -1
        weights = weights.reshape(shape)
    return torch.sum(x * weights, dim=axis) / torch.sum(weights.expand_as(x), dim=axis)


def _nan_filled(x, value):
    x = to_tensor(x)
    return torch.nan_to_num(x, nan=value) if x.is_floating_point() else x


@_op
def nansum(x, axis=None, keepdims=False):
    """``sum`` counting NaNs as 0."""
    return sum(_nan_filled(x, 0.0), axis, keepdims)


@_op
def nanprod(x, axis=None, keepdims=False):
    """``prod`` counting NaNs as 1."""
    return prod(_nan_filled(x, 1.0), axis, keepdims)


@_op
def nanmean(x, axis=None, keepdims=False):
    """``mean`` of the non-NaN elements."""
    x = to_tensor(x)
    dtype = dtypes.result_type(dtypes.standardize_dtype(x.dtype), float)
    if not x.is_floating_point():
        return mean(x, axis, keepdims)
    return _cast(torch.nanmean(x.float() if x.dtype == torch.float16 else x, dim=_axis(axis), keepdim=keepdims),
                 dtype)


@_op
def nanvar(x, axis=None, keepdims=False):
    """``var`` of the non-NaN elements."""
    x = to_tensor(x)
    compute, result = _moments_dtypes(x)
    x = _cast(x, compute)
    valid = ~torch.isnan(x)
    count = valid.sum(dim=_axis(axis), keepdim=True)
    centred = torch.where(valid, x - torch.nansum(x, dim=_axis(axis), keepdim=True) / count, 0.0)
    out = torch.sum(centred * centred, dim=_axis(axis), keepdim=keepdims) / (
        count if keepdims else count.reshape(torch.sum(centred, dim=_axis(axis)).shape))
    return _cast(out, result)


@_op
def nanstd(x, axis=None, keepdims=False):
    """``std`` of the non-NaN elements."""
    return sqrt(nanvar(x, axis, keepdims))


def _nan_extreme(x, axis, keepdims, fill, reduce):
    x = to_tensor(x)
    if not x.is_floating_point():
        return reduce(x, axis, keepdims)
    nan = torch.isnan(x)
    out = reduce(torch.where(nan, torch.tensor(fill, dtype=x.dtype, device=x.device), x), axis, keepdims)
    return torch.where(all(nan, axis, keepdims), torch.tensor(float("nan"), dtype=x.dtype, device=x.device), out)


@_op
def nanmax(x, axis=None, keepdims=False):
    """``max`` ignoring NaNs (NaN where every element is NaN)."""
    return _nan_extreme(x, axis, keepdims, -float("inf"), amax)


@_op
def nanmin(x, axis=None, keepdims=False):
    """``min`` ignoring NaNs (NaN where every element is NaN)."""
    return _nan_extreme(x, axis, keepdims, float("inf"), amin)


@_op
def nanargmax(x, axis=None, keepdims=False):
    """``argmax`` ignoring NaNs."""
    x = to_tensor(x)
    if x.is_floating_point():
        x = torch.where(torch.isnan(x), torch.tensor(-float("inf"), dtype=x.dtype, device=x.device), x)
    return argmax(x, axis, keepdims)


@_op
def nanargmin(x, axis=None, keepdims=False):
    """``argmin`` ignoring NaNs."""
    x = to_tensor(x)
    if x.is_floating_point():
        x = torch.where(torch.isnan(x), torch.tensor(float("inf"), dtype=x.dtype, device=x.device), x)
    return argmin(x, axis, keepdims)


def _cumulative(kernel, x, axis, dtype):
    x = to_tensor(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    target = dtypes.torch_dtype(dtypes.result_type(dtype or dtypes.standardize_dtype(x.dtype)))
    if target == torch.bool:
        target = torch.int32
    if target == torch.float16 and x.device.type == "cpu":
        return kernel(x, dim=axis, dtype=torch.float32).to(torch.float16)
    return kernel(x, dim=axis, dtype=target)


@_op
def cumsum(x, axis=None, dtype=None):
    """The cumulative sum along ``axis`` (of the flattened input for None)."""
    return _cumulative(torch.cumsum, x, axis, dtype)


@_op
def cumprod(x, axis=None, dtype=None):
    """The cumulative product along ``axis`` (of the flattened input for None)."""
    return _cumulative(torch.cumprod, x, axis, dtype)


@_op
def nancumsum(x, axis=None, dtype=None):
    """``cumsum`` counting NaNs as 0."""
    return cumsum(_nan_filled(x, 0.0), axis, dtype)


@_op
def nancumprod(x, axis=None, dtype=None):
    """``cumprod`` counting NaNs as 1."""
    return cumprod(_nan_filled(x, 1.0), axis, dtype)


@_op
def trace(x, offset=0, axis1=0, axis2=1):
    """The sum along the ``offset`` diagonal of the ``axis1``/``axis2`` planes."""
    x = to_tensor(x)
    return torch.sum(torch.diagonal(x, offset=offset, dim1=axis1, dim2=axis2), dim=-1, dtype=_sum_dtype(x.dtype))


# ---- shapes and arrangement --------------------------------------------------------------------------------------

def _reshape_spec(function, args, kwargs):
    a = arguments(function, args, kwargs)
    x, newshape = a["x"], a["newshape"]
    newshape = (newshape,) if isinstance(newshape, int) else tuple(-1 if d is None else d for d in newshape)
    if -1 not in newshape:
        if None not in x.shape and math.prod(x.shape) != math.prod(newshape):
            raise ValueError(f"The total size of the tensor must be unchanged. Received: input_shape={x.shape}, "
                             f"newshape={newshape}")
        return KerasTensor(newshape, x.dtype)
    if None in x.shape:
        return KerasTensor(tuple(None if d == -1 else d for d in newshape), x.dtype)
    return traced(function, args, kwargs)


@keras_op("numpy", spec=_reshape_spec, call=("x",))
def reshape(x, newshape):
    """``x`` with shape ``newshape`` (one entry may be -1)."""
    x = to_tensor(x)
    newshape = (newshape,) if isinstance(newshape, int) else tuple(-1 if d is None else d for d in newshape)
    return torch.reshape(x, newshape)


@_op
def ravel(x):
    """``x`` flattened to one dimension."""
    return torch.ravel(to_tensor(x))


@_op
def transpose(x, axes=None):
    """``x`` with its axes permuted (reversed for None)."""
    x = to_tensor(x)
    return x.permute(tuple(axes) if axes is not None else tuple(reversed(range(x.ndim))))


@keras_op("numpy", call=("x",))
def swapaxes(x, axis1, axis2):
    """``x`` with two axes swapped."""
    return torch.swapaxes(to_tensor(x), axis1, axis2)


@keras_op("numpy", call=("x",))
def moveaxis(x, source, destination):
    """``x`` with the axes ``source`` moved to ``destination``."""
    return torch.moveaxis(to_tensor(x), source, destination)


@keras_op("numpy", call=("x",))
def expand_dims(x, axis):
    """``x`` with new axes of size 1 at ``axis`` (an int or a tuple)."""
    x = to_tensor(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    rank = x.ndim + len(axes)
    for a in sorted(a % rank for a in axes):
        x = x.unsqueeze(a)
    return x


def _squeeze_spec(function, args, kwargs):
    a = arguments(function, args, kwargs)
    x, axis = a["x"], a["axis"]
    if axis is None:
        return KerasTensor(tuple(d for d in x.shape if d != 1), x.dtype)
    axes = {a % builtins.max(len(x.shape), 1) for a in ((axis,) if isinstance(axis, int) else axis)}
    for a in axes:
        if x.shape[a] is not None and x.shape[a] != 1:
            raise ValueError(f"Cannot squeeze axis {a}, because the dimension is not 1. Received shape: {x.shape}")
    return KerasTensor(tuple(d for i, d in enumerate(x.shape) if i not in axes), x.dtype)


@keras_op("numpy", spec=_squeeze_spec)
def squeeze(x, axis=None):
    """``x`` without its axes of size 1 (only ``axis``, when given)."""
    x = to_tensor(x)
    if axis is None:
        return torch.squeeze(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"Cannot squeeze axis {a}, because the dimension is not 1. Received shape: "
                             f"{tuple(x.shape)}")
    return torch.squeeze(x, dim=axes)


def _broadcast_to_spec(function, args, kwargs):
    a = arguments(function, args, kwargs)
    return KerasTensor(tuple(a["shape"]), a["x"].dtype)


@keras_op("numpy", spec=_broadcast_to_spec, call=("x",))
def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``."""
    return torch.broadcast_to(to_tensor(x), tuple(shape))


@_op
def flip(x, axis=None):
    """``x`` with the order of elements along ``axis`` reversed (all axes for None)."""
    x = to_tensor(x)
    return torch.flip(x, dims=_all_axes(x, axis))


@_op
def fliplr(x):
    """``x`` flipped left-right (axis 1)."""
    return torch.fliplr(to_tensor(x))


@_op
def flipud(x):
    """``x`` flipped up-down (axis 0)."""
    return torch.flipud(to_tensor(x))


@_op
def rot90(array, k=1, axes=(0, 1)):
    """``array`` rotated by ``k`` times 90 degrees in the plane of ``axes``."""
    array = to_tensor(array)
    if array.ndim < 2:
        raise ValueError(f"Input array must have at least 2 dimensions. Received: array.ndim={array.ndim}")
    if len(axes) != 2 or axes[0] == axes[1]:
        raise ValueError(f"Invalid axes: {axes}. Axes must be a tuple of two different dimensions.")
    return torch.rot90(array, k=k, dims=tuple(axes))


@keras_op("numpy", call=("x",))
def roll(x, shift, axis=None):
    """``x`` with elements shifted by ``shift`` along ``axis`` (of the flattened input for None)."""
    x = to_tensor(x)
    if axis is None:
        return torch.roll(x.reshape(-1), shift).reshape(x.shape)
    return torch.roll(x, shift, dims=axis)


@keras_op("numpy", call=("x",))
def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis."""
    x = to_tensor(x)
    repeats = (repeats,) if isinstance(repeats, int) else tuple(repeats)
    return torch.tile(x, repeats)


def _repeat_spec(function, args, kwargs):
    a = arguments(function, args, kwargs)
    x, repeats, axis = a["x"], a["repeats"], a["axis"]
    shape = x.shape
    if axis is None:
        size = None if None in shape else math.prod(shape)
        if isinstance(repeats, int):
            return KerasTensor((None if size is None else size * repeats,), x.dtype)
        return KerasTensor((builtins.sum(repeats),), x.dtype)
    shape = list(shape)
    if isinstance(repeats, int):
        shape[axis] = None if shape[axis] is None else shape[axis] * repeats
    else:
        shape[axis] = builtins.sum(repeats)
    return KerasTensor(shape, x.dtype)


@keras_op("numpy", spec=_repeat_spec, call=("x",))
def repeat(x, repeats, axis=None):
    """Each element of ``x`` repeated ``repeats`` times along ``axis`` (of the flattened input for None)."""
    x = to_tensor(x)
    if not isinstance(repeats, int):
        repeats = to_tensor(repeats, device=x.device) if not isinstance(repeats, (list, tuple)) else \
            torch.as_tensor(repeats, device=x.device)
    if axis is None:
        return torch.repeat_interleave(x.reshape(-1), repeats)
    return torch.repeat_interleave(x, repeats, dim=axis)


def _same_dtype(xs):
    xs = to_tensors(*xs)
    dtype = dtypes.torch_dtype(dtypes.result_type(*[dtypes.standardize_dtype(x.dtype) for x in xs]))
    return [x.to(dtype) for x in xs]


@_op
def concatenate(xs, axis=0):
    """The tensors of ``xs`` joined along ``axis`` (None: flattened first)."""
    xs = _same_dtype(xs)
    if axis is None:
        return torch.cat([x.reshape(-1) for x in xs])
    return torch.cat(xs, dim=axis)


@_op
def stack(x, axis=0):
    """The tensors of ``x`` stacked along a new ``axis``."""
    return torch.stack(_same_dtype(x), dim=axis)


@_op
def hstack(xs):
    """The tensors of ``xs`` joined along axis 1 (axis 0 for vectors)."""
    return torch.hstack(_same_dtype(xs))


@_op
def vstack(xs):
    """The tensors of ``xs`` joined along axis 0 (vectors become rows)."""
    return torch.vstack(_same_dtype(xs))


@_op
def dstack(xs):
    """The tensors of ``xs`` joined along axis 2 (after making them at least 3-D)."""
    return torch.dstack(_same_dtype(xs))


@_op
def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis`` (both flattened for None)."""
    x1, x2 = _same_dtype([x1, x2])
    if axis is None:
        return torch.cat([x1.reshape(-1), x2.reshape(-1)])
    return torch.cat([x1, x2], dim=axis)


def _split_sizes(length, indices_or_sections, name):
    if isinstance(indices_or_sections, int):
        if length % indices_or_sections:
            raise ValueError(f"{name}: an axis of size {length} cannot be split into {indices_or_sections} equal "
                             f"sections; use array_split.")
        return [length // indices_or_sections] * indices_or_sections
    bounds = [0] + [builtins.min(builtins.max(int(i), 0), length) for i in indices_or_sections] + [length]
    return [builtins.max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]


def _split_spec_for(default_axis):
    """The spec of a split along ``axis``: sections of unknown size where that axis is unknown."""
    def spec(function, args, kwargs):
        a = arguments(function, args, kwargs)
        x, sections = a["x"], a["indices_or_sections"]
        axis = a.get("axis", default_axis)
        if axis is None:
            axis = 1 if len(x.shape) > 1 else 0
        if x.shape[axis] is not None:
            return traced(function, args, kwargs)
        if isinstance(sections, int):
            return [KerasTensor(x.shape, x.dtype) for _ in range(sections)]
        # Sections between given indices have known sizes; the last one runs to the unknown end.
        bounds = [0] + [int(i) for i in sections]
        sizes = [b - a for a, b in zip(bounds[:-1], bounds[1:])] + [None]
        return [KerasTensor(x.shape[:axis] + (size,) + x.shape[axis + 1:], x.dtype) for size in sizes]
    return spec


def _split(x, indices_or_sections, axis, name):
    x = to_tensor(x)
    sizes = _split_sizes(x.shape[axis], indices_or_sections, name)
    return list(torch.split(x, sizes, dim=axis))


@keras_op("numpy", spec=_split_spec_for(0), call=("x",))
def split(x, indices_or_sections, axis=0):
    """``x`` split along ``axis`` into equal sections (an int) or at the given indices (a list)."""
    return _split(x, indices_or_sections, axis, "split")


@keras_op("numpy", spec=_split_spec_for(0), call=("x",))
def array_split(x, indices_or_sections, axis=0):
    """``x`` split along ``axis`` into ``indices_or_sections`` sections of sizes differing by at most one."""
    x = to_tensor(x)
    if not isinstance(indices_or_sections, int):
        return _split(x, indices_or_sections, axis, "array_split")
    length = x.shape[axis]
    base, extra = divmod(length, indices_or_sections)
    sizes = [base + 1] * extra + [base] * (indices_or_sections - extra)
    return list(torch.split(x, sizes, dim=axis))


@keras_op("numpy", spec=_split_spec_for(None), call=("x",))
def hsplit(x, indices_or_sections):
    """``split`` along axis 1 (axis 0 for vectors)."""
    x = to_tensor(x)
    return _split(x, indices_or_sections, 1 if x.ndim > 1 else 0, "hsplit")


@keras_op("numpy", spec=_split_spec_for(0), call=("x",))
def vsplit(x, indices_or_sections):
    """``split`` along axis 0."""
    return _split(x, indices_or_sections, 0, "vsplit")


@keras_op("numpy", spec=_split_spec_for(2), call=("x",))
def dsplit(x, indices_or_sections):
    """``split`` along axis 2."""
    return _split(x, indices_or_sections, 2, "dsplit")


def _unknown_if_any_unknown(function, args, kwargs):
    """Keras's rule for diagonals: the diagonal's length is unknown when a dimension it spans is unknown."""
    spec = traced(function, args, kwargs)
    x = arguments(function, args, kwargs)["x"]
    if None in x.shape and spec.shape:
        return KerasTensor(spec.shape[:-1] + (None,), spec.dtype) if len(x.shape) != 1 else spec
    return spec


@keras_op("numpy", spec=_unknown_if_any_unknown)
def diag(x, k=0):
    """The ``k``-th diagonal of a matrix, or a matrix with a vector on its ``k``-th diagonal."""
    x = to_tensor(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"diag: `x` must be 1-D or 2-D. Received: x.shape={tuple(x.shape)}")
    return torch.diag(x, k)


@_op
def diagflat(x, k=0):
    """A matrix with the flattened ``x`` on its ``k``-th diagonal."""
    return torch.diagflat(to_tensor(x), offset=k)


def _diagonal_spec(function, args, kwargs):
    a = arguments(function, args, kwargs)
    x = a["x"]
    spec = traced(function, args, kwargs)
    if x.shape[a["axis1"]] is None or x.shape[a["axis2"]] is None:
        return KerasTensor(spec.shape[:-1] + (None,), spec.dtype)
    return spec


@keras_op("numpy", spec=_diagonal_spec)
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The ``offset`` diagonal of the ``axis1``/``axis2`` planes, as the last axis."""
    return torch.diagonal(to_tensor(x), offset=offset, dim1=axis1, dim2=axis2)


@_op
def tril(x, k=0):
    """``x`` with the elements above the ``k``-th diagonal zeroed."""
    return torch.tril(to_tensor(x), diagonal=k)


@_op
def triu(x, k=0):
    """``x`` with the elements below the ``k``-th diagonal zeroed."""
    return torch.triu(to_tensor(x), diagonal=k)


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "symmetric": None, "edge": "replicate",
              "wrap": "circular", "replicate": "replicate", "circular": "circular"}


@keras_op("numpy", call=("x", "constant_values"))
def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` (``((before, after),) * rank``, or one pair for all axes) with ``mode``
    ``"constant"``, ``"reflect"``, ``"symmetric"``, ``"edge"`` or ``"wrap"``."""
    x = to_tensor(x)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: unsupported mode {mode!r}; expected one of {sorted(_PAD_MODES)}")
    if constant_values is not None and mode != "constant":
        raise ValueError(f"Argument `constant_values` can only be provided when `mode == 'constant'`. "
                         f"Received: mode={mode}")
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64).reshape(-1, 2) if np.ndim(pad_width) else
                             np.full((1, 2), int(pad_width)), (x.ndim, 2))
    if mode == "constant":
        flat = [int(v) for pair in widths[::-1] for v in pair]
        return torch.nn.functional.pad(x, flat, value=0 if constant_values is None else constant_values)
    out = x
    for axis, (before, after) in enumerate(widths):
        if before == after == 0:
            continue
        out = _pad_axis(out, axis, int(before), int(after), mode)
    return out


def _pad_axis(x, axis, before, after, mode):
    """One axis padded by indexing (works for every rank and dtype)."""
    n = x.shape[axis]
    index = torch.arange(-before, n + after, device=x.device)
    if mode == "edge":
        index = index.clamp(0, n - 1)
    elif mode == "wrap":
        index = index % n
    elif mode == "reflect":
        period = 2 * (n - 1) if n > 1 else 1
        index = index.abs() % period
        index = torch.where(index >= n, period - index, index)
    else:   # symmetric
        period = 2 * n
        index = torch.where(index < 0, -index - 1, index) % period
        index = torch.where(index >= n, period - 1 - index, index)
    return torch.index_select(x, axis, index)


def _take_spec(function, args, kwargs):
    a = arguments(function, args, kwargs)
    x, indices, axis = a["x"], a["indices"], a["axis"]
    index_shape = shape_of(indices)
    if axis is None:
        return KerasTensor(index_shape, x.dtype)
    axis = axis % len(x.shape)
    return KerasTensor(x.shape[:axis] + tuple(index_shape) + x.shape[axis + 1:], x.dtype)


@keras_op("numpy", spec=_take_spec)
def take(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened input for None); negative indices count
    from the end."""
    x = to_tensor(x)
    indices = to_tensor(indices, device=x.device).long()
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = axis % x.ndim
    size = x.shape[axis]
    indices = torch.where(indices < 0, indices + size, indices)
    out = torch.index_select(x, axis, indices.reshape(-1))
    return out.reshape(x.shape[:axis] + indices.shape + x.shape[axis + 1:])


@_op
def take_along_axis(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` (of broadcastable shape) along ``axis``."""
    x = to_tensor(x)
    indices = to_tensor(indices, device=x.device).long()
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = axis % x.ndim
    indices = torch.where(indices < 0, indices + x.shape[axis], indices)
    shape = list(torch.broadcast_shapes(tuple(s if i != axis else 1 for i, s in enumerate(x.shape)),
                                        tuple(s if i != axis else 1 for i, s in enumerate(indices.shape))))
    x_shape, index_shape = list(shape), list(shape)
    x_shape[axis], index_shape[axis] = x.shape[axis], indices.shape[axis]
    return torch.take_along_dim(x.broadcast_to(x_shape), indices.broadcast_to(index_shape), dim=axis)


@keras_op("numpy", call=("condlist", "choicelist", "default"))
def select(condlist, choicelist, default=0):
    """The element of the first ``choicelist`` entry whose condition in ``condlist`` holds, else ``default``."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: condlist and choicelist must have the same length. Received: "
                         f"len(condlist)={len(condlist)}, len(choicelist)={len(choicelist)}")
    choices = _same_dtype(list(choicelist))
    out = to_tensor(default, choices[0].dtype, choices[0].device)
    for condition, choice in reversed(list(zip(condlist, choices))):
        out = torch.where(to_tensor(condition, device=choice.device).to(torch.bool), choice, out)
    return out


def _as_key(key):
    # Configs store tuples as JSON lists; a list key here always meant a tuple of indices.
    return tuple(key) if isinstance(key, list) else key


def _get_item_spec(function, args, kwargs):
    a = arguments(function, args, kwargs)
    x, key = a["x"], _as_key(a["key"])
    if not isinstance(key, tuple):
        key = (key,)
    if builtins.any(isinstance(k, (KerasTensor, torch.Tensor, np.ndarray, list)) for k in key):
        return traced(function, args, kwargs)
    consumed = builtins.sum(1 for k in key if k is not None and k is not Ellipsis)
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


@keras_op("numpy", spec=_get_item_spec, class_name="GetItem")
def get_item(x, key):
    """``x[key]``: ints, slices, None (new axes), Ellipsis and index tensors, as NumPy indexes."""
    x = to_tensor(x)
    key = _as_key(key)
    if isinstance(key, tuple):
        key = tuple(to_tensor(k, device=x.device) if isinstance(k, (np.ndarray, list)) else k for k in key)
    elif isinstance(key, np.ndarray):
        key = to_tensor(key, device=x.device)
    return x[key]


@_op
def view(x, dtype=None):
    """``x``'s memory reinterpreted as ``dtype`` (the last axis rescaled by the ratio of item sizes)."""
    x = to_tensor(x)
    return x if dtype is None else x.view(dtypes.torch_dtype(dtype))


@keras_op("numpy")
def meshgrid(*x, indexing="xy"):
    """Coordinate grids of the 1-D inputs (``indexing`` ``"xy"``: Cartesian, ``"ij"``: matrix)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Valid values for `indexing` are 'xy' and 'ij'. Received: indexing={indexing}")
    return list(torch.meshgrid(*to_tensors(*x), indexing=indexing))


@keras_op("numpy", call=("indices",))
def unravel_index(indices, shape):
    """The coordinates in an array of ``shape`` of the flat ``indices``, as a tuple of tensors."""
    indices = to_tensor(indices)
    dtype = indices.dtype
    coordinates = []
    for dim in reversed(tuple(shape)):
        coordinates.append((indices % dim).to(dtype))
        indices = torch.div(indices, dim, rounding_mode="floor")
    return tuple(reversed(coordinates))


@_op
def sort(x, axis=-1):
    """``x`` sorted along ``axis``."""
    x = to_tensor(x)
    if x.dtype == torch.bool:
        return torch.sort(x.to(torch.uint8), dim=axis).values.to(torch.bool)
    return torch.sort(x, dim=axis).values


@_op
def argsort(x, axis=-1):
    """The indices that sort ``x`` along ``axis`` (stable), as int32."""
    x = to_tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@_op
def argpartition(x, kth, axis=-1):
    """Indices that put the ``kth`` element of ``x`` along ``axis`` in its sorted place, smaller ones before it and
    larger ones after (here: a full stable sort, which is one such order)."""
    x = to_tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@keras_op("numpy", class_name="SearchSorted")
def searchsorted(sorted_sequence, values, side="left"):
    """Where ``values`` would be inserted into the 1-D ``sorted_sequence`` to keep it sorted, as int32."""
    if side not in ("left", "right"):
        raise ValueError(f"`side` must be either 'left' or 'right'. Received: side={side}")
    sorted_sequence, values = _promoted(sorted_sequence, values)
    if sorted_sequence.ndim != 1:
        raise ValueError(f"`searchsorted` only supports 1-D sorted sequences. Received: "
                         f"sorted_sequence.shape={tuple(sorted_sequence.shape)}")
    out_int32 = sorted_sequence.shape[0] <= np.iinfo(np.int32).max
    return torch.searchsorted(sorted_sequence, values.contiguous(), side=side, out_int32=out_int32)


@_op
def digitize(x, bins):
    """The index of the bin of each element of ``x`` (``bins`` increasing), as int32."""
    x, bins = to_tensors(x, bins)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    if bins.dtype == torch.bool:
        bins = bins.to(torch.uint8)
    return torch.bucketize(x, bins, right=True).to(torch.int32)


def _nonzero_spec(function, args, kwargs):
    return tuple(KerasTensor((None,), "int32") for _ in range(len(args[0].shape)))


@keras_op("numpy", spec=_nonzero_spec)
def nonzero(x):
    """The indices of the non-zero elements of ``x``, one int32 tensor per axis."""
    x = to_tensor(x)
    return tuple(torch.nonzero(x).T.to(torch.int32))


def _unique_spec(function, args, kwargs):
    a = arguments(function, args, kwargs)
    x = a["x"]
    length = a["size"]
    values_shape = (length,) if a["axis"] is None else tuple(
        length if i == a["axis"] % len(x.shape) else d for i, d in enumerate(x.shape))
    outputs = [KerasTensor(values_shape, x.dtype)]
    if a["return_index"]:
        outputs.append(KerasTensor((length,), "int64"))
    if a["return_inverse"]:
        outputs.append(KerasTensor(x.shape if a["axis"] is None else (x.shape[a["axis"]],), "int64"))
    if a["return_counts"]:
        outputs.append(KerasTensor((length,), "int64"))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


@keras_op("numpy", spec=_unique_spec)
def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None, size=None,
           fill_value=None):
    """The unique elements of ``x`` (with their first indices, the inverse and the counts on request); ``size``
    pads or cuts the result to a fixed length with ``fill_value``."""
    x = to_tensor(x)
    values, inverse, counts = torch.unique(x, sorted=True, return_inverse=True, return_counts=True, dim=axis)
    dim = 0 if axis is None else axis % x.ndim
    outputs = [values]
    if return_index:
        flat_inverse = inverse.reshape(-1)
        positions = torch.arange(flat_inverse.shape[0], device=x.device)
        first = torch.full((values.shape[dim],), flat_inverse.shape[0], dtype=torch.long, device=x.device)
        outputs.append(first.scatter_reduce(0, flat_inverse, positions, reduce="amin"))
    if return_inverse:
        outputs.append(inverse)
    if return_counts:
        outputs.append(counts)
    if size is not None:
        outputs = [_fixed_length(out, size, fill_value if i == 0 else 0, dim if i == 0 else 0)
                   if i != (1 + return_index if return_inverse else -1) else out for i, out in enumerate(outputs)]
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def _fixed_length(x, size, fill_value, dim):
    length = x.shape[dim]
    if length >= size:
        return x.narrow(dim, 0, size)
    pad_shape = list(x.shape)
    pad_shape[dim] = size - length
    fill = x.narrow(dim, 0, 1).min() if fill_value is None and length else (fill_value or 0)
    return torch.cat([x, torch.full(pad_shape, fill, dtype=x.dtype, device=x.device)], dim=dim)


def _histogram_spec(function, args, kwargs):
    a = arguments(function, args, kwargs)
    x, bins = a["x"], a["bins"]
    dtype = x.dtype if dtypes.is_float_dtype(x.dtype) else "float32"
    return KerasTensor((bins,), dtype), KerasTensor((bins + 1,), dtype)


@keras_op("numpy", spec=_histogram_spec)
def histogram(x, bins=10, range=None):
    """The counts of ``x``'s values in ``bins`` equal bins over ``range`` (default: its min and max) and the
    ``bins + 1`` edges."""
    x = to_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"Input tensor must be 1-dimensional. Received: input.shape={tuple(x.shape)}")
    low, high = (x.min(), x.max()) if range is None else range
    counts = torch.histc(x.float(), bins=bins, min=float(low), max=float(high))
    edges = torch.linspace(float(low), float(high), bins + 1, device=x.device)
    return counts.to(x.dtype if x.is_floating_point() else torch.float32), edges.to(
        x.dtype if x.is_floating_point() else torch.float32)


def _bincount_spec(function, args, kwargs):
    a = arguments(function, args, kwargs)
    x, weights = a["x"], a["weights"]
    dtype = "int32" if weights is None else dtypes.result_type(dtype_of(x), dtype_of(weights))
    return KerasTensor(tuple(x.shape[:-1]) + (None,), dtype)


@keras_op("numpy", spec=_bincount_spec)
def bincount(x, weights=None, minlength=0, sparse=False):
    """The number of occurrences (or summed ``weights``) of each non-negative int in ``x`` (a batch for 2-D)."""
    if sparse:
        raise ValueError("Unsupported value `sparse=True` with torch backend")
    x = to_tensor(x)
    dtype = "int32"
    if weights is not None:
        weights = to_tensor(weights, device=x.device)
        dtype = dtypes.result_type(dtypes.standardize_dtype(x.dtype), dtypes.standardize_dtype(weights.dtype))
        weights = _cast(weights, "float32" if not dtypes.is_float_dtype(dtype) else dtype)
    length = builtins.max(int(x.max()) + 1 if x.numel() else 0, minlength)
    if x.ndim == 2:
        rows = [torch.bincount(r, weights=None if weights is None else w, minlength=length)
                for r, w in zip(x, weights if weights is not None else x)]
        return _cast(torch.stack(rows), dtype)
    return _cast(torch.bincount(x, weights=weights, minlength=minlength), dtype)


@keras_op("numpy", class_name="IsIn")
def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each element of ``x1`` is among the elements of ``x2``."""
    x1, x2 = _promoted(x1, x2)
    if x1.dtype == torch.bool:
        x1, x2 = x1.to(torch.int32), x2.to(torch.int32)
    return torch.isin(x1, x2, assume_unique=assume_unique, invert=invert)


@_op
def diff(a, n=1, axis=-1):
    """The ``n``-th discrete difference along ``axis``."""
    return torch.diff(to_tensor(a), n=n, dim=axis)


@_op
def correlate(x1, x2, mode="valid"):
    """The cross-correlation of two 1-D sequences (``mode`` ``"valid"``, ``"same"`` or ``"full"``)."""
    dtype = dtypes.result_type(dtype_of(x1), dtype_of(x2))
    dtype = "float32" if not dtypes.is_float_dtype(dtype) else dtype
    x1, x2 = to_tensors(x1, x2)
    x1, x2 = _cast(x1, dtype), _cast(x2, dtype)
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"Invalid mode: {mode!r}. Expected 'valid', 'same' or 'full'.")
    n1, n2 = x1.shape[0], x2.shape[0]
    if n1 < n2:
        out = correlate(x2, x1, mode).flip(0)
        return out
    padding = {"valid": 0, "full": n2 - 1, "same": n2 // 2}[mode]
    compute = torch.float32 if x1.dtype == torch.float16 and x1.device.type == "cpu" else x1.dtype
    out = torch.nn.functional.conv1d(x1.to(compute).reshape(1, 1, -1), x2.to(compute).reshape(1, 1, -1),
                                     padding=padding).reshape(-1)
    if mode == "same":
        out = out[:n1] if out.shape[0] >= n1 else out
        if n2 % 2 == 0:
            out = torch.nn.functional.conv1d(x1.to(compute).reshape(1, 1, -1), x2.to(compute).reshape(1, 1, -1),
                                             padding=n2 - 1).reshape(-1)[n2 // 2 - 1: n2 // 2 - 1 + n1]
    return out.to(x1.dtype)


@_op
def corrcoef(x):
    """The Pearson correlation coefficients of the rows of ``x``."""
    x = to_tensor(x)
    if not x.is_floating_point():
        x = x.to(_floatx())
    return torch.corrcoef(x)


@_op
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` along ``axis`` by the trapezoidal rule (samples at ``x``, or spaced ``dx``)."""
    y = to_tensor(y)
    if not y.is_floating_point():
        y = y.to(_floatx())
    if x is not None:
        return torch.trapezoid(y, to_tensor(x, y.dtype, y.device), dim=axis)
    return torch.trapezoid(y, dx=dx, dim=axis)


@_op
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D ``x`` (``N`` columns, powers decreasing unless ``increasing``)."""
    x = to_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"Input tensor must be 1-dimensional. Received: input.shape={tuple(x.shape)}")
    return torch.vander(x, N=N, increasing=increasing).to(x.dtype)


def _size_spec(function, args, kwargs):
    return KerasTensor((), "int64")


@keras_op("numpy", spec=_size_spec)
def size(x):
    """The number of elements of ``x``, as a 0-d int64 tensor (as Keras on torch gives it)."""
    return torch.tensor(math.prod(shape_of(x)), dtype=torch.int64,
                        device=x.device if isinstance(x, torch.Tensor) else backend.device())


def ndim(x):
    """The rank of ``x`` (a tensor, array, KerasTensor or number), a Python int."""
    return len(shape_of(x))


def _determinant_pair(x):
    x = to_tensor(x)
    sign_, logdet = torch.linalg.slogdet(_int_to_float(x))
    return sign_, logdet


@_op
def slogdet(x):
    """``(sign, log|det|)`` of the square matrices ``x``."""
    return _determinant_pair(x)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` applied over the leading axes of its tensor arguments with ``torch.vmap`` (NumPy's vectorize;
    ``signature`` such as ``"(m),(m)->()"`` names the core dimensions)."""
    excluded = set(excluded or ())

    def vectorized(*args, **kwargs):
        args = [a if i in excluded else to_tensor(a) for i, a in enumerate(args)]
        core = _core_ranks(signature, len(args))
        function = pyfunc
        batch_ranks = [a.ndim - c for a, c in zip(args, core)] if core else [a.ndim for a in args]
        depth = builtins.max(batch_ranks) if batch_ranks else 0
        for level in range(depth):
            in_dims = tuple(0 if r > level else None for r in batch_ranks)
            function = torch.vmap(function, in_dims=in_dims)
        return function(*args, **kwargs)

    return vectorized


def _core_ranks(signature, count):
    if not signature:
        return [0] * count
    inputs = signature.split("->")[0]
    groups = [g for g in inputs.replace(" ", "").strip("()").split("),(")]
    return [len([d for d in g.split(",") if d]) for g in groups]


# ---- creation ----------------------------------------------------------------------------------------------------

def _shape(shape):
    return (shape,) if isinstance(shape, int) else tuple(int(d) for d in shape)


def _new_dtype(dtype):
    return dtypes.torch_dtype(dtype or backend.floatx())


@_op
def zeros(shape, dtype=None):
    """A tensor of zeros (floatx unless ``dtype``)."""
    return torch.zeros(_shape(shape), dtype=_new_dtype(dtype), device=backend.device())


@_op
def ones(shape, dtype=None):
    """A tensor of ones (floatx unless ``dtype``)."""
    return torch.ones(_shape(shape), dtype=_new_dtype(dtype), device=backend.device())


@_op
def empty(shape, dtype=None):
    """An uninitialized tensor (floatx unless ``dtype``)."""
    return torch.empty(_shape(shape), dtype=_new_dtype(dtype), device=backend.device())


@_op
def full(shape, fill_value, dtype=None):
    """A tensor filled with ``fill_value`` (floatx unless ``dtype``)."""
    value = to_tensor(fill_value, dtype or backend.floatx())
    return torch.broadcast_to(value, _shape(shape)).clone()


def _like(x, dtype):
    x = to_tensor(x)
    return x, (x.dtype if dtype is None else dtypes.torch_dtype(dtype))


@_op
def zeros_like(x, dtype=None):
    """Zeros of ``x``'s shape (and dtype unless ``dtype``)."""
    x, dtype = _like(x, dtype)
    return torch.zeros_like(x, dtype=dtype)


@_op
def ones_like(x, dtype=None):
    """Ones of ``x``'s shape (and dtype unless ``dtype``)."""
    x, dtype = _like(x, dtype)
    return torch.ones_like(x, dtype=dtype)


@_op
def empty_like(x, dtype=None):
    """An uninitialized tensor of ``x``'s shape (and dtype unless ``dtype``)."""
    x, dtype = _like(x, dtype)
    return torch.empty_like(x, dtype=dtype)


@_op
def full_like(x, fill_value, dtype=None):
    """``fill_value`` in ``x``'s shape (and dtype unless ``dtype``)."""
    x, dtype = _like(x, dtype)
    return torch.full_like(x, 0, dtype=dtype) + to_tensor(fill_value, dtype, x.device)


@_op
def array(x, dtype=None):
    """``x`` as a tensor (of ``dtype`` when given)."""
    return to_tensor(x, dtype)


@_op
def eye(N, M=None, k=0, dtype=None):
    """An ``N x M`` matrix with ones on the ``k``-th diagonal."""
    M = N if M is None else M
    ones_ = torch.ones(builtins.max(builtins.min(N, M - k) if k >= 0 else builtins.min(N + k, M), 0),
                       dtype=_new_dtype(dtype), device=backend.device())
    return torch.diag(ones_, k)[:N, :M] if ones_.numel() else torch.zeros((N, M), dtype=_new_dtype(dtype),
                                                                           device=backend.device())


@_op
def identity(n, dtype=None):
    """The ``n x n`` identity matrix."""
    return torch.eye(n, dtype=_new_dtype(dtype), device=backend.device())


@_op
def tri(N, M=None, k=0, dtype=None):
    """An ``N x M`` matrix with ones at and below the ``k``-th diagonal."""
    M = N if M is None else M
    return torch.tril(torch.ones((N, M), dtype=_new_dtype(dtype), device=backend.device()), diagonal=k)


@_op
def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)`` (``[0, start)`` with one argument)."""
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if dtype is None:
        dtype = dtypes.result_type(*[dtype_of(v) for v in (start, stop, step)])
    return torch.arange(start, stop, step, dtype=dtypes.torch_dtype(dtype), device=backend.device())


def _spaced_dtype(start, stop, dtype):
    return dtypes.torch_dtype(dtype or dtypes.result_type(dtype_of(start), dtype_of(stop), float))


def _along(values, axis):
    # values: (num, *broadcast shape) -> num moved to `axis`
    return torch.moveaxis(values, 0, axis) if axis != 0 else values


@_op
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (included unless not ``endpoint``)."""
    dtype = _spaced_dtype(start, stop, dtype)
    start_t, stop_t = to_tensors(start, stop)
    start_t, stop_t = start_t.to(torch.float64 if dtype == torch.float64 else torch.float32), stop_t.to(
        torch.float64 if dtype == torch.float64 else torch.float32)
    divisor = (num - 1) if endpoint else num
    step = (stop_t - start_t) / builtins.max(divisor, 1)
    steps = torch.arange(num, dtype=start_t.dtype, device=start_t.device).reshape((num,) + (1,) * start_t.ndim)
    values = start_t + steps * step
    if endpoint and num > 1:
        values[-1] = stop_t
    values = _along(values, axis).to(dtype)
    if not retstep:
        return values
    if builtins.all(isinstance(v, (int, float)) for v in (start, stop)):
        return values, (stop - start) / builtins.max(divisor, 1)   # Python numbers give a Python step, as Keras
    return values, step.to(dtype)


@_op
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``base ** linspace(start, stop, num)``."""
    dtype = _spaced_dtype(start, stop, dtype)
    exponents = linspace(start, stop, num, endpoint, dtype="float32", axis=axis)
    return torch.pow(torch.as_tensor(base, dtype=torch.float32, device=exponents.device), exponents).to(dtype)


@_op
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` values from ``start`` to ``stop`` spaced evenly on a log scale."""
    dtype = _spaced_dtype(start, stop, dtype)
    start_t, stop_t = (t.to(torch.float32) for t in to_tensors(start, stop))
    sign_ = torch.sign(start_t)
    exponents = linspace(torch.log10(torch.abs(start_t)), torch.log10(torch.abs(stop_t)), num, endpoint,
                         dtype="float32", axis=0)
    values = sign_ * torch.pow(10.0, exponents)
    if num > 0:
        values[0] = start_t
        if endpoint and num > 1:
            values[-1] = stop_t
    return _along(values, axis).to(dtype)


def _window(kernel, x):
    n = int(x) if not isinstance(x, torch.Tensor) else int(x.reshape(()).item())
    return kernel(n, periodic=False, dtype=torch.float32, device=backend.device())


@_op
def bartlett(x):
    """The Bartlett (triangular) window of ``x`` points."""
    return _window(torch.bartlett_window, x)


@_op
def blackman(x):
    """The Blackman window of ``x`` points."""
    return _window(torch.blackman_window, x)


@_op
def hamming(x):
    """The Hamming window of ``x`` points."""
    return _window(torch.hamming_window, x)


@_op
def hanning(x):
    """The Hann window of ``x`` points."""
    return _window(torch.hann_window, x)


@_op
def kaiser(x, beta):
    """The Kaiser window of ``x`` points with shape parameter ``beta``."""
    n = int(x)
    return torch.kaiser_window(n, periodic=False, beta=float(beta), dtype=torch.float32, device=backend.device())


__all__ = sorted(name for name, value in list(globals().items())
                 if hasattr(value, "operation_class") or value in (vectorize, ndim))


# ---- Python's operators on KerasTensors ---------------------------------------------------------------------------

# KerasTensor's operators (``x + y``) record these ops, under Keras's class names; keras_tensor sits below this
# module, so it is handed the dispatch function rather than importing it.
OPERATORS = {"Add": add, "Subtract": subtract, "Multiply": multiply, "Divide": divide, "TrueDivide": true_divide,
             "FloorDivide": floor_divide, "Mod": mod, "Power": power, "Negative": negative, "Absolute": absolute,
             "Less": less, "LessEqual": less_equal, "Greater": greater, "GreaterEqual": greater_equal,
             "NotEqual": not_equal, "LogicalAnd": logical_and, "LogicalOr": logical_or, "LogicalXor": logical_xor,
             "LogicalNot": logical_not, "Matmul": matmul, "GetItem": get_item}


def symbolic_call(class_name, *args):
    """Record ``class_name``'s operation on ``args`` (some of them KerasTensors); returns its KerasTensor."""
    return OPERATORS[class_name](*args)


keras_tensor.set_operator_dispatch(symbolic_call)

__getattr__ = missing_attribute(__name__)
