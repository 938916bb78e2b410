"""Keras 2's ``keras.backend`` functions (``K.mean``, ``K.square``, ``K.gradients``, ``K.function``, ...).

Importable through ``kerastorch.backend`` (``from keras import backend as K``), which finds these names here on
first use. Each function works on torch tensors, arrays and numbers, and on KerasTensors (it is written with
``keras.ops``, which records graph nodes), with Keras 2's semantics (tf_keras is the reference): ``K.sqrt``
clips negatives to 0, ``K.hard_sigmoid`` is ``clip(0.2 x + 0.5, 0, 1)``, the crossentropies clip probabilities
to ``[epsilon, 1 - epsilon]``, ``K.zeros``/``K.ones``/``K.eye``/``K.variable`` make variables, and so on.

The graph functions:

- ``gradients(loss, targets)`` records a ``Gradients`` node in the functional graph: its inputs are the loss and
  the KerasTensors (or variables) to differentiate by; its outputs are KerasTensors shaped like the targets. When
  the graph runs, the node asks torch's autograd for the gradients of the loss computed moments before.
- ``function(inputs, outputs)`` is a functional sub-graph from ``inputs`` (``model.input`` or any intermediate
  tensors) to ``outputs``, called with arrays and returning NumPy arrays. It runs under ``torch.no_grad()``
  unless the graph holds a Gradients node; then its inputs require gradients, so that every tensor the loss
  depends on is reachable by autograd.

The module sits at the models tier because a K.function is a functional model and K.variable a layer Variable.
"""
import builtins

import numpy as np
import torch

from kerastorch import backend, dtypes, global_state, ops
from kerastorch import random as keras_random
from kerastorch.keras_tensor import KerasTensor
from kerastorch.keras_tensor import flatten as flatten_structure
from kerastorch.layers.core import Input
from kerastorch.layers.variables import Variable
from kerastorch.models.functional import Functional
from kerastorch.ops.operation import Operation


class Gradients(Operation):
    """The graph node of ``K.gradients``: the gradients of a loss with respect to tensors of the same graph."""

    def __init__(self, name=None):
        super().__init__(name=name)

    def call(self, loss, targets):
        differentiable = [t for t in targets if isinstance(t, torch.Tensor) and t.requires_grad]
        if not loss.requires_grad or not differentiable:
            return [torch.zeros_like(t) for t in targets]
        found = iter(torch.autograd.grad(loss, differentiable, grad_outputs=torch.ones_like(loss),
                                         allow_unused=True, retain_graph=True))
        grads = []
        for target in targets:
            grad = next(found) if isinstance(target, torch.Tensor) and target.requires_grad else None
            # A target the loss does not depend on gets zeros (TensorFlow's gradients would say None).
            grads.append(torch.zeros_like(target) if grad is None else grad)
        return grads

    def compute_output_spec(self, loss, targets):
        return [KerasTensor(tuple(t.shape), _dtype_name(t)) for t in targets]


def _dtype_name(tensor):
    return dtypes.standardize_dtype(tensor.dtype)


def gradients(loss, variables):
    """The symbolic gradients of ``loss`` (a symbolic tensor; a non-scalar one is summed) with respect to each of
    ``variables`` (KerasTensors of the same graph, such as ``model.input`` or a layer's output, or a model's
    weights), as a list of KerasTensors; evaluate them with ``K.function``.
    """
    if not isinstance(loss, KerasTensor):
        raise ValueError(f"K.gradients needs a symbolic loss (a KerasTensor computed from a model's tensors). "
                         f"Received: loss={loss!r}. For gradients of real tensors, use torch.autograd.grad or a "
                         f"torch.GradientTape-like loop.")
    targets = list(variables) if isinstance(variables, (list, tuple)) else [variables]
    for target in targets:
        if not isinstance(target, (KerasTensor, torch.Tensor)):
            raise ValueError(f"K.gradients differentiates with respect to KerasTensors or variables. Received: "
                             f"{target!r}")
    return Gradients()(loss, targets)


class GraphFunction:
    """What ``K.function`` returns: call it with a list of arrays (one per input) to get a list of NumPy arrays
    (one per output)."""

    def __init__(self, inputs, outputs, name=None):
        self._single_output = not isinstance(outputs, (list, tuple))
        self.inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self.outputs = [outputs] if self._single_output else list(outputs)
        for tensor in self.inputs + self.outputs:
            if not isinstance(tensor, KerasTensor):
                raise ValueError(f"K.function takes the symbolic tensors of a model (KerasTensors) as inputs and "
                                 f"outputs. Received: {tensor!r}")
        self._graph = Functional(self.inputs, self.outputs, name=name or "k_function")
        self._needs_grad = builtins.any(isinstance(node.layer, Gradients) for node in self._graph._nodes)
        self._device = next((w.device for w in self._graph.weights), None)

    def _tensor(self, value, reference):
        dtype = dtypes.torch_dtype(reference.dtype)
        device = self._device or backend.device()
        if isinstance(value, torch.Tensor):
            tensor = value.detach().to(device=device, dtype=dtype)
        else:
            tensor = torch.as_tensor(np.asarray(value), dtype=dtype, device=device)
        if self._needs_grad and tensor.is_floating_point():
            tensor.requires_grad_(True)
        return tensor

    def __call__(self, inputs):
        values = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if isinstance(inputs, dict):
            raise ValueError("A K.function takes a list of arrays, one per input, in the order of its inputs.")
        if len(values) != len(self.inputs):
            raise ValueError(f"This K.function has {len(self.inputs)} input(s) but was called with {len(values)} "
                             f"value(s).")
        tensors = [self._tensor(value, reference) for value, reference in zip(values, self.inputs)]
        with torch.set_grad_enabled(self._needs_grad):
            results = self._graph(tensors if len(tensors) > 1 else tensors[0])
        results = flatten_structure(results) if len(self.outputs) > 1 else [results]
        arrays = [r.detach().cpu().numpy() if isinstance(r, torch.Tensor) else np.asarray(r) for r in results]
        return arrays[0] if self._single_output else arrays


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """Keras 2's ``K.function``: a callable from a list of arrays (one per tensor of ``inputs``) to a list of
    NumPy arrays (one per tensor of ``outputs``), evaluating the functional graph between them.

    Args:
        inputs: the KerasTensors fed: ``model.input``, ``model.inputs`` or any intermediate tensors.
        outputs: the KerasTensors computed (a list, or one tensor for one array).
        updates: Keras 1's variable updates, not supported (train with ``fit`` or an optimizer instead).
        name: a name for the graph.
    """
    if updates:
        raise ValueError("K.function does not support `updates` in kerastorch: apply variable updates with an "
                         "optimizer or `variable.assign` instead.")
    if kwargs:
        raise ValueError(f"Invalid K.function arguments: {sorted(kwargs)}")
    return GraphFunction(inputs, outputs, name=name)


# ---- tensors and variables --------------------------------------------------------------------------------------

def is_tensor(x):
    return isinstance(x, (torch.Tensor, KerasTensor))


def ndim(x):
    return len(x.shape)


def dtype(x):
    """``x``'s dtype name (``'float32'``)."""
    return dtypes.standardize_dtype(x.dtype)


def shape(x):
    """The shape of ``x``: an int32 tensor for a real tensor (index it: ``K.shape(x)[0]``), a tuple for a
    KerasTensor (None where unknown)."""
    if isinstance(x, KerasTensor):
        return x.shape
    x = ops.convert_to_tensor(x)
    return torch.tensor(tuple(x.shape), dtype=torch.int32)


def _shape_tuple(value):
    if isinstance(value, torch.Tensor):
        return tuple(int(d) for d in value.tolist()) if value.dim() else (int(value),)
    if isinstance(value, (int, np.integer)):
        return (int(value),)
    return tuple(int(d) for d in value)


def variable(value, dtype=None, name=None, constraint=None):
    """A Variable holding ``value`` (an array, tensor or number), of ``dtype`` (default: floatx for floats)."""
    if isinstance(value, torch.Tensor):
        value = value.detach()
    elif dtype is None and np.asarray(value).dtype.kind in "fiu":
        dtype = backend.floatx()
    result = Variable(value, dtype=dtype, name=name)
    if constraint is not None:
        result._constraint = constraint
    return result


def constant(value, dtype=None, shape=None, name=None):
    """A tensor of ``value`` (broadcast to ``shape`` when given), of ``dtype`` (default floatx)."""
    tensor = ops.convert_to_tensor(value, dtype=dtype or backend.floatx())
    return tensor.expand(_shape_tuple(shape)).clone() if shape is not None else tensor


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None, ragged=False):
    """A symbolic input of ``shape`` (the batch dimension included: ``(None, 28, 28)``) or of ``ndim`` unknown
    dimensions; feed it through a ``K.function``."""
    if sparse or ragged:
        raise ValueError("K.placeholder: sparse and ragged placeholders are not supported by kerastorch.")
    if shape is None:
        if ndim is None:
            raise ValueError("K.placeholder needs a `shape` or an `ndim`.")
        shape = (None,) * ndim
    return Input(batch_shape=tuple(shape), dtype=dtype or backend.floatx(), name=name)


def _filled_variable(fill, shape, dtype, name):
    return variable(fill(_shape_tuple(shape), dtype=dtypes.torch_dtype(dtype or backend.floatx())), dtype=dtype,
                    name=name)


def zeros(shape, dtype=None, name=None):
    """A Variable of zeros (as in Keras 2)."""
    return _filled_variable(torch.zeros, shape, dtype, name)


def ones(shape, dtype=None, name=None):
    """A Variable of ones (as in Keras 2)."""
    return _filled_variable(torch.ones, shape, dtype, name)


def eye(size, dtype=None, name=None):
    """A Variable holding the identity matrix (``size`` an int or ``(rows, columns)``)."""
    rows, columns = (size, size) if isinstance(size, int) else tuple(size)
    return variable(torch.eye(rows, columns, dtype=dtypes.torch_dtype(dtype or backend.floatx())), dtype=dtype,
                    name=name)


def zeros_like(x, dtype=None, name=None):
    return ops.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None, name=None):
    return ops.ones_like(x, dtype=dtype)


def get_value(x):
    """``x``'s value as a NumPy array."""
    if isinstance(x, KerasTensor):
        raise ValueError(f"K.get_value needs a variable or tensor; a symbolic KerasTensor has no value: {x!r}. "
                         f"Evaluate it with K.function.")
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


eval = get_value


def batch_get_value(tensors):
    return [get_value(x) for x in tensors]


def set_value(x, value):
    """Assign ``value`` (an array) to the variable ``x``, or to an optimizer's learning rate
    (``K.set_value(model.optimizer.lr, 1e-4)``, whose value has an ``assign``)."""
    if not isinstance(x, torch.Tensor) and callable(getattr(x, "assign", None)):
        x.assign(float(np.asarray(value)))
        return
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"K.set_value needs a variable. Received: {x!r}")
    value = torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value)
    if tuple(value.shape) != tuple(x.shape):
        raise ValueError(f"K.set_value: the value's shape {tuple(value.shape)} differs from the variable's "
                         f"{tuple(x.shape)}.")
    with torch.no_grad():
        x.copy_(value)


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def cast(x, dtype):
    return ops.cast(x, dtype)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return keras_random.normal(_shape_tuple(shape), mean=mean, stddev=stddev, dtype=dtype, seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return keras_random.uniform(_shape_tuple(shape), minval=minval, maxval=maxval, dtype=dtype, seed=seed)


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    return variable(random_normal(shape, mean, scale, dtype=dtype, seed=seed), dtype=dtype, name=name)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    return variable(random_uniform(shape, low, high, dtype=dtype, seed=seed), dtype=dtype, name=name)


# Keras 2's functions that are keras.ops functions with the same arguments.
maximum, minimum, equal, not_equal = ops.maximum, ops.minimum, ops.equal, ops.not_equal
greater, greater_equal, less, less_equal = ops.greater, ops.greater_equal, ops.less, ops.less_equal
square, exp, log, sign, tanh = ops.square, ops.exp, ops.log, ops.sign, ops.tanh
sigmoid, softplus, softsign = ops.sigmoid, ops.softplus, ops.softsign


# ---- reductions and element-wise math -------------------------------------------------------------------------------

def _as_float_if_bool(x):
    return ops.cast(x, backend.floatx()) if dtypes.standardize_dtype(ops.dtype(x)) == "bool" else x


def mean(x, axis=None, keepdims=False):
    return ops.mean(_as_float_if_bool(x), axis=axis, keepdims=keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras 2's name
    return ops.sum(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return ops.max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return ops.min(x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return ops.prod(x, axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return ops.std(_as_float_if_bool(x), axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return ops.var(_as_float_if_bool(x), axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return ops.any(x, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return ops.all(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    return ops.argmax(x, axis=axis)


def argmin(x, axis=-1):
    return ops.argmin(x, axis=axis)


def cumsum(x, axis=0):
    return ops.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    return ops.cumprod(x, axis=axis)


def sqrt(x):
    """The square root, of ``x`` clipped below at 0 (as Keras 2)."""
    return ops.sqrt(ops.maximum(x, 0.0))


def abs(x):  # noqa: A001
    return ops.absolute(x)


def pow(x, a):  # noqa: A001
    return ops.power(x, a)


def round(x):  # noqa: A001
    return ops.round(x)


def clip(x, min_value, max_value):
    """``x`` clipped to [min_value, max_value] (None: unbounded; a max below the min is raised to it)."""
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)) and max_value < min_value:
        max_value = min_value
    if min_value is None:
        min_value = -np.inf
    if max_value is None:
        max_value = np.inf
    return ops.clip(x, min_value, max_value)


# ---- shapes -----------------------------------------------------------------------------------------------------

def dot(x, y):
    """NumPy's ``dot`` for any ranks: the last axis of ``x`` with the second-to-last of ``y`` (its only axis for
    a vector), e.g. (2, 3, 4) . (4, 5) -> (2, 3, 5) and (2, 3) . (4, 3, 5) -> (2, 4, 5)."""
    y_axis = 0 if len(y.shape) == 1 else len(y.shape) - 2
    return ops.tensordot(x, y, axes=[[len(x.shape) - 1], [y_axis]])


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def batch_dot(x, y, axes=None):
    """Keras 2's batchwise dot product: for each sample, the contraction of ``x``'s axis ``axes[0]`` with ``y``'s
    ``axes[1]`` (default: ``x``'s last and ``y``'s second-to-last, or last for a matrix); a result of rank 1 gets
    a trailing axis of 1."""
    x_ndim, y_ndim = len(x.shape), len(y.shape)
    if x_ndim < 2 or y_ndim < 2:
        raise ValueError(f"K.batch_dot needs tensors of rank >= 2. Received shapes {tuple(x.shape)} and "
                         f"{tuple(y.shape)}")
    if axes is None:
        axes = [x_ndim - 1, y_ndim - 2 if y_ndim > 2 else y_ndim - 1]
    elif isinstance(axes, int):
        axes = [axes, axes]
    axes = [axes[0] % x_ndim, axes[1] % y_ndim]
    if 0 in axes:
        raise ValueError(f"K.batch_dot cannot contract the batch axis. Received axes={axes}")
    x_dims = _LETTERS[0] + _LETTERS[1:x_ndim]
    y_dims = [_LETTERS[0]] + list(_LETTERS[x_ndim:x_ndim + y_ndim - 1])
    y_dims[axes[1]] = x_dims[axes[0]]
    result = x_dims.replace(x_dims[axes[0]], "") + "".join(d for i, d in enumerate(y_dims)
                                                          if i not in (0, axes[1]))
    out = ops.einsum(f"{x_dims},{''.join(y_dims)}->{result}", x, y)
    return ops.expand_dims(out, -1) if len(result) == 1 else out


def transpose(x):
    """``x`` with its axes reversed."""
    return ops.transpose(x)


def permute_dimensions(x, pattern):
    return ops.transpose(x, axes=tuple(pattern))


def reshape(x, shape):
    return ops.reshape(x, tuple(shape))


def flatten(x):
    return ops.reshape(x, (-1,))


def batch_flatten(x):
    """``x`` as (batch, everything else)."""
    return ops.reshape(x, (-1, int(np.prod(x.shape[1:]))) if None not in x.shape[1:] else (x.shape[0] or -1, -1))


def expand_dims(x, axis=-1):
    return ops.expand_dims(x, axis)


def squeeze(x, axis):
    return ops.squeeze(x, axis)


def concatenate(tensors, axis=-1):
    return ops.concatenate(list(tensors), axis=axis)


def stack(x, axis=0):
    return ops.stack(list(x), axis=axis)


def gather(reference, indices):
    """The slices of ``reference`` along its first axis at ``indices``."""
    return ops.take(reference, indices, axis=0)


def tile(x, n):
    return ops.tile(x, n)


def repeat_elements(x, rep, axis):
    return ops.repeat(x, rep, axis=axis)


def arange(start, stop=None, step=1, dtype="int32"):
    return ops.arange(start, stop, step, dtype=dtype)


def one_hot(indices, num_classes):
    return ops.one_hot(indices, num_classes)


# ---- activations and losses ----------------------------------------------------------------------------------------

def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Keras 2's relu: ``x`` where it exceeds ``threshold`` (else ``alpha * (x - threshold)``), capped at
    ``max_value``."""
    if alpha == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    negative_part = ops.relu(threshold - x) if alpha != 0.0 else None
    x = ops.where(ops.greater(x, threshold), x, ops.zeros_like(x)) if threshold != 0.0 else ops.relu(x)
    if max_value is not None:
        x = ops.clip(x, 0.0, max_value)
    if negative_part is not None:
        x = x - alpha * negative_part
    return x


def elu(x, alpha=1.0):
    return ops.elu(x, alpha=alpha)


def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


def hard_sigmoid(x):
    """Keras 2's piecewise-linear sigmoid: ``clip(0.2 x + 0.5, 0, 1)`` (Keras 3's uses 1/6)."""
    return ops.clip(x * 0.2 + 0.5, 0.0, 1.0)


def l2_normalize(x, axis=None):
    """``x / sqrt(max(sum(x ** 2, axis), 1e-12))``."""
    return x * ops.rsqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), 1e-12))


def _clipped(output):
    epsilon = backend.epsilon()
    return ops.clip(output, epsilon, 1.0 - epsilon)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Keras 2's: ``-sum(target * log(p))`` over ``axis``, with ``p`` the ``output`` rescaled to sum to 1 and
    clipped to [epsilon, 1 - epsilon] (or ``softmax(output)`` from logits)."""
    if from_logits:
        return -ops.sum(target * ops.log_softmax(output, axis=axis), axis=axis)
    output = output / ops.sum(output, axis=axis, keepdims=True)
    return -ops.sum(target * ops.log(_clipped(output)), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Keras 2's: ``-log(p[target])``, with ``p`` the clipped probabilities renormalized (or the softmax of
    logits)."""
    logits = output if from_logits else ops.log(_clipped(output))
    log_probabilities = ops.log_softmax(logits, axis=axis)
    classes = output.shape[axis]
    labels = ops.one_hot(ops.cast(target, "int32"), classes, axis=axis, dtype=ops.dtype(log_probabilities))
    return -ops.sum(labels * log_probabilities, axis=axis)


def binary_crossentropy(target, output, from_logits=False):
    """Keras 2's element-wise binary crossentropy (no mean): from probabilities clipped to
    [epsilon, 1 - epsilon], ``-(t log(p + eps) + (1 - t) log(1 - p + eps))``."""
    if from_logits:
        return ops.relu(output) - output * target + ops.log1p(ops.exp(-ops.absolute(output)))
    epsilon = backend.epsilon()
    output = _clipped(output)
    return -(target * ops.log(output + epsilon) + (1.0 - target) * ops.log(1.0 - output + epsilon))


# ---- control and the learning phase -----------------------------------------------------------------------------

_LEARNING_PHASE = None


def learning_phase():
    """1 inside a training step (or after ``set_learning_phase(1)``), else 0."""
    if _LEARNING_PHASE is not None:
        return _LEARNING_PHASE
    return int(bool(global_state.current_training()))


def set_learning_phase(value):
    """Fix the learning phase to 0 (test) or 1 (train); Keras 2 deprecated this in favour of ``training=``."""
    global _LEARNING_PHASE
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1. Received: {value!r}")
    _LEARNING_PHASE = int(value)


def _evaluated(value):
    return value() if callable(value) else value


def switch(condition, then_expression, else_expression):
    """``then_expression`` where ``condition`` holds, else ``else_expression`` (either may be a callable);
    a Python bool chooses one of them."""
    if isinstance(condition, (bool, int)):
        return _evaluated(then_expression if condition else else_expression)
    return ops.where(condition, _evaluated(then_expression), _evaluated(else_expression))


def in_train_phase(x, alt, training=None):
    """``x`` in the training phase, ``alt`` otherwise (either may be a callable)."""
    if training is None:
        training = learning_phase()
    return _evaluated(x if training else alt)


def in_test_phase(x, alt, training=None):
    return in_train_phase(alt, x, training=training)
