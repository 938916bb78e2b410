"""``keras.ops`` core on torch: conversion (cast, convert_to_tensor, ...), indexing updates (slice_update,
scatter, ...), control flow (cond, while_loop, scan, ...) and gradients (stop_gradient, custom_gradient).

As Keras on torch: the control-flow ops run their Python functions eagerly (a loop of ``fori_loop`` or ``scan``
is a Python loop over iterations, never over elements); ``vectorized_map`` is ``torch.vmap``; ``associative_scan``
takes log2(n) vectorized steps. Ops on tensors record graph nodes on KerasTensors (kerastorch.ops._dispatch).
"""
import builtins

import numpy as np
import torch

from kerastorch import dtypes, tree
from kerastorch._porting import missing_attribute
from kerastorch.keras_tensor import KerasTensor
from kerastorch.ops._dispatch import arguments, keras_op, to_tensor

__all__ = ["associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor", "custom_gradient", "dtype",
           "fori_loop", "is_tensor", "map", "saturate_cast", "scan", "scatter", "scatter_update", "shape", "slice",
           "slice_update", "stop_gradient", "switch", "unstack", "vectorized_map", "while_loop"]

_op = keras_op("core")


# ---- conversion ------------------------------------------------------------------------------------------------

@keras_op("core", call=("x",))
def cast(x, dtype):
    """``x`` as a tensor of ``dtype``."""
    return to_tensor(x).to(dtypes.torch_dtype(dtype))


def _range(dtype):
    if dtype == "bool":
        return 0, 1
    torch_dtype = dtypes.torch_dtype(dtype)
    info = torch.finfo(torch_dtype) if torch_dtype.is_floating_point else torch.iinfo(torch_dtype)
    return info.min, info.max


@keras_op("core", call=("x",))
def saturate_cast(x, dtype):
    """``x`` cast to ``dtype`` with out-of-range values clipped to the range of ``dtype`` (instead of wrapping
    around): ``saturate_cast([-1., 256.], "uint8")`` is ``[0, 255]``."""
    x = to_tensor(x)
    in_dtype, out_dtype = dtypes.standardize_dtype(x.dtype), dtypes.standardize_dtype(dtype)
    (in_min, in_max), (out_min, out_max) = _range(in_dtype), _range(out_dtype)
    # The limits must be representable in the input's dtype, inside the output's range (a float32 cannot hold
    # int32's maximum: the next float toward zero stands in).
    limits = torch.tensor([builtins.max(in_min, out_min), builtins.min(in_max, out_max)], dtype=torch.float64)
    low, high = limits.to(x.dtype) if in_dtype != "bool" else limits
    if float(low) < out_min:
        low = torch.nextafter(low, torch.zeros((), dtype=low.dtype))
    if float(high) > out_max:
        high = torch.nextafter(high, torch.zeros((), dtype=high.dtype))
    if in_dtype != "bool":
        x = torch.clamp(x, low.item(), high.item())
    return x.to(dtypes.torch_dtype(out_dtype))


@_op
def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` (a tensor, array, number or nested list) as a torch tensor on the current device; tensors stay on
    theirs. Python ints become int32, floats floatx, as in Keras."""
    if sparse or ragged:
        raise ValueError(f"convert_to_tensor: sparse and ragged tensors are not supported on torch. Received: "
                         f"sparse={sparse}, ragged={ragged}")
    return to_tensor(x, dtype)


def convert_to_numpy(x):
    """``x`` as a NumPy array (a tensor is detached and copied to the host)."""
    if isinstance(x, KerasTensor):
        raise ValueError(f"A symbolic KerasTensor cannot be converted to NumPy: {x}. It has no value until a model "
                         f"runs.")
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.cpu().numpy()
    return np.asarray(x)


def is_tensor(x):
    """Whether ``x`` is a torch tensor (the native tensor of this backend)."""
    return isinstance(x, torch.Tensor)


def dtype(x):
    """The Keras name of ``x``'s dtype (``"float32"``)."""
    return dtypes.standardize_dtype(getattr(x, "dtype", None) or to_tensor(x).dtype)


def shape(x):
    """``x``'s shape as a tuple of ints (None for the unknown dimensions of a KerasTensor)."""
    if isinstance(x, KerasTensor):
        return x.shape
    if isinstance(x, torch.Tensor):
        return tuple(x.shape)
    return tuple(to_tensor(x).shape)


# ---- slicing and scattering ----------------------------------------------------------------------------------------

def _ints(values, what):
    if isinstance(values, torch.Tensor):
        values = values.tolist()
    try:
        return [int(v) for v in values]
    except TypeError:
        raise ValueError(f"`{what}` must be a sequence of ints. Received: {what}={values!r}") from None


def _region(start_indices, sizes):
    return tuple(builtins.slice(start, start + size) for start, size in zip(start_indices, sizes))


def _slice_spec(function, args, kwargs):
    bound = arguments(function, args, kwargs)
    return KerasTensor(tuple(_ints(bound["shape"], "shape")), bound["inputs"].dtype)


@keras_op("core", spec=_slice_spec, call=("inputs", "start_indices"))
def slice(inputs, start_indices, shape):  # noqa: A001 - Keras's name
    """The block of ``inputs`` of ``shape`` that starts at ``start_indices``."""
    inputs = to_tensor(inputs)
    starts, sizes = _ints(start_indices, "start_indices"), _ints(shape, "shape")
    if len(starts) != inputs.dim() or len(sizes) != inputs.dim():
        raise ValueError(f"slice: `start_indices` and `shape` need one entry per axis of `inputs` (rank "
                         f"{inputs.dim()}). Received: start_indices={starts}, shape={sizes}")
    return inputs[_region(starts, sizes)]


def _like_inputs(function, args, kwargs):
    inputs = args[0]
    return KerasTensor(inputs.shape, inputs.dtype)


@keras_op("core", spec=_like_inputs)
def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    inputs, updates = to_tensor(inputs), to_tensor(updates)
    starts = _ints(start_indices, "start_indices")
    if len(starts) != inputs.dim() or updates.dim() != inputs.dim():
        raise ValueError(f"slice_update: `start_indices` and `updates` need the rank of `inputs` ({inputs.dim()}). "
                         f"Received: start_indices={starts}, updates of shape {tuple(updates.shape)}")
    result = inputs.clone()
    result[_region(starts, updates.shape)] = updates.to(inputs.dtype)
    return result


def _index_tuple(indices):
    """A (N, k) index tensor as the k index vectors ``index_put`` takes."""
    indices = to_tensor(indices).long()
    if indices.dim() == 1:
        indices = indices[:, None]
    return tuple(indices.unbind(dim=-1))


def _scatter_spec(function, args, kwargs):
    bound = arguments(function, args, kwargs)
    return KerasTensor(tuple(_ints(bound["shape"], "shape")), bound["values"].dtype)


@keras_op("core", spec=_scatter_spec, call=("indices", "values"))
def scatter(indices, values, shape):
    """A tensor of ``shape``, zero except at ``indices`` (an (N, k) array: N positions of the first k axes),
    where it holds ``values``; values at the same position are summed."""
    values = to_tensor(values)
    result = torch.zeros(tuple(_ints(shape, "shape")), dtype=values.dtype, device=values.device)
    return result.index_put_(_index_tuple(indices), values, accumulate=True)


@keras_op("core", spec=_like_inputs)
def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with the entries (or slices) at ``indices`` (an (N, k) array) replaced by ``updates``, or with
    ``updates`` added (``reduction="add"``)."""
    if reduction not in (None, "add"):
        raise ValueError(f"scatter_update: `reduction` must be None or 'add' in kerastorch. Received: "
                         f"reduction={reduction!r}")
    inputs = to_tensor(inputs)
    updates = to_tensor(updates, inputs.dtype, inputs.device)
    return inputs.index_put(_index_tuple(indices), updates, accumulate=reduction == "add")


@_op
def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis``, as a list."""
    x = to_tensor(x)
    if num is not None and x.shape[axis] != num:
        raise ValueError(f"unstack: `num` ({num}) differs from the size of axis {axis} ({x.shape[axis]}).")
    return list(torch.unbind(x, dim=axis))


def _unstack_spec(function, args, kwargs):
    bound = arguments(function, args, kwargs)
    x, axis = bound["x"], bound["axis"]
    num = x.shape[axis]
    if num is None:
        num = bound["num"]
        if num is None:
            raise ValueError(f"unstack: cannot unstack an axis of unknown size of {x}; pass `num`.")
    rest = x.shape[:axis % len(x.shape)] + x.shape[axis % len(x.shape) + 1:]
    return [KerasTensor(rest, x.dtype) for _ in range(num)]


unstack.operation_class.spec = staticmethod(_unstack_spec)


# ---- gradients ---------------------------------------------------------------------------------------------------

@_op
def stop_gradient(variable):
    """``variable``'s value, through which no gradient flows."""
    return to_tensor(variable).detach()


class _CustomGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, forward_fn, *args):
        output, ctx.grad_fn = forward_fn(*args)
        ctx.save_for_backward(*args)
        return output

    @staticmethod
    def backward(ctx, upstream):
        grads = ctx.grad_fn(*ctx.saved_tensors, upstream=upstream)
        return (None,) + (grads if isinstance(grads, tuple) else (grads,))


def custom_gradient(f):
    """Decorate ``f(*args) -> (output, grad_fn)`` so that autograd uses ``grad_fn(*args, upstream=...)`` (the
    gradients of ``f``'s arguments, given the gradient of its output) instead of differentiating ``f``."""
    def wrapper(*args):
        return _CustomGradient.apply(f, *args)

    wrapper.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapper.__doc__ = f.__doc__
    return wrapper


# ---- control flow ------------------------------------------------------------------------------------------------

def _truth(value):
    return bool(value.item()) if isinstance(value, torch.Tensor) else bool(value)


def _cond_spec(function, args, kwargs):
    bound = arguments(function, args, kwargs)
    true_spec, false_spec = bound["true_fn"](), bound["false_fn"]()
    tree.assert_same_structure(true_spec, false_spec)
    for a, b in zip(tree.flatten(true_spec), tree.flatten(false_spec)):
        if getattr(a, "shape", None) != getattr(b, "shape", None) or getattr(a, "dtype", None) != \
                getattr(b, "dtype", None):
            raise ValueError(f"cond: `true_fn` and `false_fn` must return tensors of the same shape and dtype. "
                             f"Received: {a} and {b}")
    return true_spec


@keras_op("core", spec=_cond_spec)
def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` holds, else ``false_fn()`` (a tensor ``pred`` is read on the host)."""
    return true_fn() if _truth(pred) else false_fn()


def switch(index, branches, *operands):
    """``branches[index](*operands)``, ``index`` clamped to the valid range as in Keras."""
    position = builtins.min(builtins.max(int(_truth_int(index)), 0), len(branches) - 1)
    return branches[position](*operands)


def _truth_int(value):
    return value.item() if isinstance(value, torch.Tensor) else value


def fori_loop(lower, upper, body_fun, init_val):
    """``init_val`` passed through ``body_fun(i, value)`` for i in [lower, upper)."""
    value = init_val
    for i in range(int(_truth_int(lower)), int(_truth_int(upper))):
        value = body_fun(i, value)
    return value


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """``loop_vars`` passed through ``body`` while ``cond`` holds (at most ``maximum_iterations`` times). A
    tuple or list of loop variables is unpacked into the calls; the result has the structure of ``loop_vars``."""
    packed = isinstance(loop_vars, (tuple, list))
    values = tuple(loop_vars) if packed else (loop_vars,)
    iterations = 0
    while _truth(cond(*values)) and (maximum_iterations is None or iterations < maximum_iterations):
        result = body(*values)
        values = tuple(result) if packed else (result,)
        iterations += 1
    if not packed:
        return values[0]
    return type(loop_vars)(values) if isinstance(loop_vars, list) else values


def _stack(structures):
    return tree.map_structure(lambda *leaves: torch.stack([to_tensor(leaf) for leaf in leaves]), *structures)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``carry, y = f(carry, x)`` over the leading axis of ``xs`` (or ``length`` times with x None); returns
    the last carry and the stacked ys."""
    if xs is None and length is None:
        raise ValueError("scan needs `xs` or `length`.")
    if xs is not None:
        n = len(tree.flatten(xs)[0]) if length is None else length
    else:
        n = length
    steps = range(n - 1, -1, -1) if reverse else range(n)
    carry, ys = init, []
    for i in steps:
        x = None if xs is None else tree.map_structure(lambda leaf: leaf[i], xs)
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys:
        return carry, None
    if tree.flatten(ys[0]) == [None]:
        return carry, None
    return carry, _stack(ys)


def associative_scan(f, elems, reverse=False, axis=0):
    """The inclusive prefix "sums" of ``elems`` along ``axis`` under the associative ``f``, in log2(n) vectorized
    steps (each element combined with the one 2**k before it)."""
    leaves = [to_tensor(leaf) for leaf in tree.flatten(elems)]
    n = leaves[0].shape[axis]
    if reverse:
        leaves = [leaf.flip(axis) for leaf in leaves]
    offset = 1
    while offset < n:
        earlier = [leaf.narrow(axis, 0, n - offset) for leaf in leaves]
        later = [leaf.narrow(axis, offset, n - offset) for leaf in leaves]
        combined = tree.flatten(f(tree.pack_sequence_as(elems, earlier), tree.pack_sequence_as(elems, later)))
        leaves = [torch.cat([leaf.narrow(axis, 0, offset), new], dim=axis) for leaf, new in zip(leaves, combined)]
        offset *= 2
    if reverse:
        leaves = [leaf.flip(axis) for leaf in leaves]
    return tree.pack_sequence_as(elems, leaves)


def map(f, xs):  # noqa: A001 - Keras's name
    """``f`` applied to each slice of ``xs`` along its leading axis, the results stacked."""
    n = len(tree.flatten(xs)[0])
    return _stack([f(tree.map_structure(lambda leaf: leaf[i], xs)) for i in range(n)])


def vectorized_map(function, elements):
    """``function`` mapped over the leading axis of ``elements`` by ``torch.vmap`` (one batched call)."""
    return torch.vmap(function)(elements)


__getattr__ = missing_attribute(__name__)
