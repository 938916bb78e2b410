"""Keras 3's activation functions, computed on torch tensors with torch kernels.

Each function takes a tensor ``x`` (numpy arrays and Python numbers are converted) and returns a tensor of the
same shape, with the formula and keyword arguments Keras 3 uses. Layers take them by name or as callables:

    Dense(3, activation="relu")
    Dense(3, activation=kerastorch.activations.gelu)
    kerastorch.activations.get("swish")   # -> silu
"""
import numpy as np
import torch
import torch.nn.functional as F

from kerastorch import backend, registry
from kerastorch._porting import missing_attribute


def _as_tensor(x):
    # Layers always pass tensors; tutorials sometimes call an activation on a numpy array (which keeps its
    # dtype) or on Python numbers (which become floatx, as in Keras).
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, np.ndarray):
        return torch.as_tensor(x)
    return torch.as_tensor(x, dtype=backend.torch_dtype())


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: ``max(x, 0)`` with Keras's optional leak, cap and threshold.

    Args:
        x: Input tensor.
        negative_slope: Slope for values below ``threshold``.
        max_value: The largest value returned (no cap when None).
        threshold: Values at or below it are damped (``negative_slope``) or set to zero.
    """
    x = _as_tensor(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return F.leaky_relu(x, negative_slope)
    # Keras subtracts the leak after capping, so the leak is measured from the threshold, uncapped.
    negative_part = F.relu(threshold - x) if negative_slope != 0.0 else None
    clip_max = max_value is not None
    if threshold != 0:
        x = torch.where(x > threshold, x, torch.zeros_like(x))
    elif max_value == 6:
        x = F.relu6(x)
        clip_max = False
    else:
        x = F.relu(x)
    if clip_max:
        x = torch.clamp(x, 0.0, max_value)
    if negative_part is not None:
        x = x - negative_slope * negative_part
    return x


def relu6(x):
    """ReLU capped at 6: ``min(max(x, 0), 6)``."""
    return F.relu6(_as_tensor(x))


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: ``x`` for ``x >= 0``, ``negative_slope * x`` below.

    Args:
        x: Input tensor.
        negative_slope: Slope for negative inputs.
    """
    return F.leaky_relu(_as_tensor(x), negative_slope)


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below.

    Args:
        x: Input tensor.
        alpha: Scale of the negative part.
    """
    return F.elu(_as_tensor(x), alpha)


def selu(x):
    """Scaled ELU with the fixed constants of Klambauer et al. (2017) (alpha~1.6733, scale~1.0507)."""
    return F.selu(_as_tensor(x))


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``x`` for ``x >= 0``, ``alpha * (exp(x / alpha) - 1)`` below.

    Args:
        x: Input tensor.
        alpha: Scale of the negative part.
    """
    return F.celu(_as_tensor(x), alpha=alpha)


def gelu(x, approximate=False):
    """Gaussian error linear unit: ``x * P(X <= x)`` for a standard normal X.

    Args:
        x: Input tensor.
        approximate: Use the tanh approximation instead of the exact erf form (Keras's default is exact).
    """
    return F.gelu(_as_tensor(x), approximate="tanh" if approximate else "none")


def sigmoid(x):
    """Logistic sigmoid: ``1 / (1 + exp(-x))``."""
    return torch.sigmoid(_as_tensor(x))


def hard_sigmoid(x):
    """Piecewise linear sigmoid: 0 below -3, 1 above 3, ``x / 6 + 0.5`` between."""
    return F.hardsigmoid(_as_tensor(x))


def sparse_sigmoid(x):
    """0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` between."""
    return torch.clamp(0.5 * (_as_tensor(x) + 1.0), 0.0, 1.0)


def log_sigmoid(x):
    """``log(sigmoid(x))``, computed stably."""
    return F.logsigmoid(_as_tensor(x))


def silu(x):
    """Swish / SiLU: ``x * sigmoid(x)``."""
    return F.silu(_as_tensor(x))


def hard_silu(x):
    """Hard swish: 0 below -3, ``x`` above 3, ``x * (x + 3) / 6`` between."""
    return F.hardswish(_as_tensor(x))


def softplus(x):
    """``log(exp(x) + 1)`` (linear above 20, as torch and Keras compute it)."""
    return F.softplus(_as_tensor(x))


def softsign(x):
    """``x / (abs(x) + 1)``."""
    return F.softsign(_as_tensor(x))


def sparse_plus(x):
    """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)**2 / 4`` between."""
    x = _as_tensor(x)
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, 0.25 * (x + 1) ** 2, x))


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``.

    Args:
        x: Input tensor.
        b: Smoothness; larger is smoother around 0.
    """
    x = _as_tensor(x)
    return (x + torch.sqrt(x * x + b)) / 2


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, 0 between.

    Args:
        x: Input tensor.
        threshold: Half-width of the zero band.
    """
    return F.softshrink(_as_tensor(x), lambd=threshold)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``abs(x) > threshold``, else 0.

    Args:
        x: Input tensor.
        threshold: Half-width of the zero band.
    """
    return F.hardshrink(_as_tensor(x), lambd=threshold)


def tanh(x):
    """Hyperbolic tangent."""
    return torch.tanh(_as_tensor(x))


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return F.tanhshrink(_as_tensor(x))


def hard_tanh(x):
    """``x`` clipped to [-1, 1]."""
    return F.hardtanh(_as_tensor(x), -1.0, 1.0)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``.

    Args:
        x: Input tensor.
        threshold: Values at or below it are replaced.
        default_value: What replaces them.
    """
    return F.threshold(_as_tensor(x), threshold, default_value)


def exponential(x):
    """``exp(x)``."""
    return torch.exp(_as_tensor(x))


def linear(x):
    """The identity: returns ``x`` unchanged."""
    return x


def mish(x):
    """``x * tanh(softplus(x))`` (Misra, 2019)."""
    return F.mish(_as_tensor(x))


def _over_axes(function, x, axis):
    """Apply ``function(t, dim=-1)`` over one axis, or jointly over a tuple of axes (as Keras allows)."""
    if isinstance(axis, int):
        return function(x, dim=axis)
    axes = [a % x.dim() for a in axis]
    moved = torch.movedim(x, axes, list(range(x.dim() - len(axes), x.dim())))
    result = function(moved.flatten(x.dim() - len(axes)), dim=-1).reshape(moved.shape)
    return torch.movedim(result, list(range(x.dim() - len(axes), x.dim())), axes)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``: each slice becomes a probability distribution.

    Args:
        x: Input tensor.
        axis: The axis (or tuple of axes) normalized over.
    """
    x = _as_tensor(x)
    output = _over_axes(F.softmax, x, axis)
    if isinstance(axis, int):
        # As Keras's softmax keeps its logits on the output: crossentropy on these probabilities can then
        # run on the logits (kerastorch.losses.softmax_log_probabilities), one fused kernel instead of a chain.
        output._softmax_logits = (x, axis % x.dim() if x.dim() else 0)
    return output


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` along ``axis``, computed stably.

    Args:
        x: Input tensor.
        axis: The axis (or tuple of axes) normalized over.
    """
    return _over_axes(F.log_softmax, _as_tensor(x), axis)


def sparsemax(x, axis=-1):
    """Euclidean projection onto the probability simplex (Martins & Astudillo, 2016): like softmax, but
    small logits get exactly zero.

    Args:
        x: Input tensor.
        axis: The axis normalized over.
    """
    x = _as_tensor(x)
    sorted_x = torch.sort(x, dim=axis, descending=True).values
    cumulative = torch.cumsum(sorted_x, dim=axis)
    shape = [1] * x.dim()
    shape[axis] = x.shape[axis]
    ranks = torch.arange(1, x.shape[axis] + 1, dtype=x.dtype, device=x.device).reshape(shape)
    # The support is the prefix of sorted logits still above the running threshold.
    in_support = (1 + ranks * sorted_x) > cumulative
    support_size = in_support.sum(dim=axis, keepdim=True)
    tau = (torch.gather(cumulative, axis, support_size - 1) - 1) / support_size.to(x.dtype)
    return torch.clamp(x - tau, min=0)


def glu(x, axis=-1):
    """Gated linear unit: split ``x`` in two halves ``a, b`` along ``axis`` and return ``a * sigmoid(b)``.

    Args:
        x: Input tensor; its size along ``axis`` must be even.
        axis: The axis split in two.
    """
    return F.glu(_as_tensor(x), dim=axis)


# Every activation Keras 3 resolves by name, plus its two aliases.
ACTIVATIONS = {fn.__name__: fn for fn in (
    relu, relu6, leaky_relu, elu, selu, celu, gelu, sigmoid, hard_sigmoid, sparse_sigmoid, log_sigmoid, silu,
    hard_silu, softplus, softsign, sparse_plus, squareplus, soft_shrink, hard_shrink, tanh, tanh_shrink,
    hard_tanh, threshold, exponential, linear, mish, softmax, log_softmax, sparsemax, glu)}
ACTIVATIONS["swish"] = silu
ACTIVATIONS["hard_swish"] = hard_silu
swish = silu
hard_swish = hard_silu


for _name, _function in ACTIVATIONS.items():
    registry.register_builtin(_function, "activations", names=(_name,))


def keras2_hard_sigmoid(x):
    """Keras 2's piecewise linear sigmoid: 0 below -2.5, 1 above 2.5, ``0.2 * x + 0.5`` between.

    Keras 3's ``hard_sigmoid`` has slope 1/6 instead; a Keras 2 ``.h5`` file whose config names ``hard_sigmoid``
    (the default ``recurrent_activation`` of Keras 2's LSTM and GRU before 2.3) loads with this function, so
    the model computes what it computed in Keras 2. It is saved under this name (Keras 3 does not know it).
    """
    return torch.clamp(_as_tensor(x) * 0.2 + 0.5, 0.0, 1.0)


registry.register_builtin(keras2_hard_sigmoid, "activations", names=("keras2_hard_sigmoid",))


def serialize(activation):
    """The name Keras saves for an activation: ``'relu'`` for built-ins (``swish`` saves as ``'silu'``, the
    function's own name); Keras's config dict for custom functions and callable objects.

    Args:
        activation: A function from this module, a custom function, or a callable object.
    """
    if ACTIVATIONS.get(getattr(activation, "__name__", None)) is activation or activation is keras2_hard_sigmoid:
        return activation.__name__
    from kerastorch.saving import serialization
    return serialization.serialize_keras_object(activation)


def deserialize(config, custom_objects=None):
    """The activation a name or a Keras config dict stands for.

    Args:
        config: A name (``'relu'``) or a dict as :func:`serialize` writes it.
        custom_objects: Optional ``{name: function_or_class}`` consulted before the built-ins.
    """
    from kerastorch.saving import serialization
    return serialization.deserialize_keras_object(config, custom_objects, package="activations")


def get(identifier):
    """Resolve ``identifier`` to an activation function.

    Args:
        identifier: None (linear), a name such as ``'relu'``, a config dict, or a callable (returned as is).
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}. Expected a name "
                     "such as 'relu', a config dict, a callable, or None.")


__getattr__ = missing_attribute(__name__)
