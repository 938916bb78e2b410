"""Keras 3's losses on torch tensors, with Keras's formulas, clipping, arguments and names.

Each loss comes as a function, ``fn(y_true, y_pred, **options)``, that returns the loss per sample (reduced
over the last axis, or over ``axis``, as Keras reduces it), and as a ``Loss`` class whose ``__call__`` applies
sample weights and a reduction. ``get`` resolves every name Keras 2 or Keras 3 gives a loss.

Probabilities are clipped to ``[epsilon, 1 - epsilon]`` exactly where Keras clips them, so values match
Keras's; the logits paths go through ``log_softmax`` / ``cross_entropy`` / ``binary_cross_entropy_with_logits``.
Nothing here reads a tensor back to the host, so every loss can run each training step on the device.
"""
import functools
import inspect
import math
import re
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from kerastorch import backend, global_state, registry
from kerastorch._porting import missing_attribute
from kerastorch.keras_tensor import KerasTensor
from kerastorch.ops._dispatch import traced
from kerastorch.ops.operation import Operation

REDUCTIONS = ("sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight")


# ---- loss functions on KerasTensors -------------------------------------------------------------------------

class LossFunctionCall(Operation):
    """A loss function called on KerasTensors, as Keras 2 programs call them to build a loss for ``add_loss``
    (``vae.add_loss(K.mean(binary_crossentropy(inputs, outputs)))``): a node of the functional graph that runs the
    function on the real tensors."""

    def __init__(self, function, options):
        super().__init__()
        self.function, self.options = function, options

    def call(self, y_true, y_pred):
        return self.function(y_true, y_pred, **self.options)

    def compute_output_spec(self, y_true, y_pred):
        return traced(self.function, (y_true, y_pred), self.options)


def _graph_aware(function):
    """``function`` (a loss function of ``y_true, y_pred``) that records a ``LossFunctionCall`` node when either
    is a KerasTensor, and computes otherwise."""
    option_names = list(inspect.signature(function).parameters)[2:]

    @functools.wraps(function)
    def loss_function(y_true, y_pred, *args, **options):
        if isinstance(y_true, KerasTensor) or isinstance(y_pred, KerasTensor):
            options.update(zip(option_names, args))
            return LossFunctionCall(function, options)(y_true, y_pred)
        return function(y_true, y_pred, *args, **options)
    return loss_function


# ---- tensors in, shapes matched ---------------------------------------------------------------------------------

def _as_tensor(x, dtype=None, device=None):
    """``x`` as a torch tensor, cast and moved only when it is not already of that dtype and device."""
    if isinstance(x, (list, tuple)):
        x = torch.as_tensor(np.asarray(x))
        if x.dtype == torch.float64:  # Python floats mean floatx, as in Keras
            x = x.to(backend.torch_dtype())
    elif not isinstance(x, torch.Tensor):
        x = torch.as_tensor(x)
    if dtype is not None and x.dtype != dtype:
        x = x.to(dtype)
    if device is not None and x.device != device:
        x = x.to(device)
    return x


@functools.lru_cache(maxsize=64)
def _constant(values, dtype, device):
    """A tensor of per-class constants, copied to the device once rather than on every step."""
    return torch.tensor(values, dtype=dtype, device=device)


def _prediction(y_pred):
    """y_pred as a float tensor (integer predictions become floatx, as Keras computes in floats)."""
    y_pred = _as_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.to(backend.torch_dtype())
    return y_pred


def _targets(y_true, y_pred):
    """y_true cast to y_pred's dtype and device, as every Keras loss casts it."""
    return _as_tensor(y_true, y_pred.dtype, y_pred.device)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make two tensors whose ranks differ by one, through a trailing axis of size 1, the same rank.

    A rank-1 tensor is expanded to ``(n, 1)`` (when ``expand_rank_1``); otherwise the trailing 1 is squeezed
    from the higher-rank one. Tensors of any other shapes are returned unchanged.

    Args:
        x1, x2: torch tensors.
        expand_rank_1: expand a rank-1 tensor rather than squeezing its partner.
    """
    rank1, rank2 = x1.dim(), x2.dim()
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    elif rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def _check_broadcastable(a, b, what):
    """A ValueError naming both shapes, instead of torch's RuntimeError, when a and b cannot broadcast."""
    try:
        torch.broadcast_shapes(a.shape, b.shape)
    except RuntimeError:
        raise ValueError(f"{what}: shapes {tuple(a.shape)} and {tuple(b.shape)} are not compatible "
                         f"(expected equal shapes, or shapes that broadcast).") from None


def _check_same_shape(y_true, y_pred, loss_name):
    if y_true.shape != y_pred.shape:
        raise ValueError(f"In {loss_name}, `y_true` and `y_pred` must have the same shape. Received: "
                         f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}")


def _matched_pair(y_true, y_pred, loss_name):
    """The regression losses' preamble: tensors, y_true in y_pred's dtype, ranks matched, shapes checked."""
    y_pred = _prediction(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_targets(y_true, y_pred), y_pred)
    _check_broadcastable(y_true, y_pred, loss_name)
    return y_true, y_pred


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis!r} of type {type(axis).__name__}")


def _clip_probabilities(p):
    eps = backend.epsilon()
    return torch.clamp(p, eps, 1.0 - eps)


def _log_clip_bounds():
    """log(eps) and log(1 - eps) as Keras's float32 clipping of probabilities produces them."""
    return _log_bounds_for(backend.epsilon())


@functools.lru_cache(maxsize=8)
def _log_bounds_for(epsilon):
    eps = np.float32(epsilon)
    return float(np.log(eps)), float(np.log(np.float32(1.0) - eps))


def softmax_log_probabilities(y_pred, axis):
    """For probabilities made by kerastorch's softmax along ``axis``: ``log(clip(p, eps, 1 - eps))`` computed
    from the logits the softmax kept (None otherwise).

    The clipped log of a softmax equals the clamped log-softmax, in value and in gradient (zero where the clip is
    active), so crossentropy on these probabilities gives Keras's numbers through PyTorch's fused log-softmax
    kernels, without backpropagating through softmax, division, clip and log one by one.
    """
    cached = getattr(y_pred, "_softmax_logits", None)
    if cached is None or cached[1] != axis % y_pred.dim():
        return None
    low, high = _log_clip_bounds()
    return F.log_softmax(cached[0], dim=axis).clamp(low, high)


def _warn_single_class(loss_name, y_pred):
    if y_pred.dim() and y_pred.shape[-1] == 1:
        warnings.warn(f"In loss {loss_name}, expected y_pred.shape to be (batch_size, num_classes) with "
                      f"num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Consider using "
                      "'binary_crossentropy' if you only have 2 classes.", SyntaxWarning, stacklevel=3)


def _smooth_categorical(y_true, label_smoothing):
    # Keras counts classes on the last axis, whatever `axis` is.
    return y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]


def _smooth_binary(y_true, label_smoothing):
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing


def _binary_labels_to_signed(y_true):
    """Labels that are all 0 or 1 become -1 or 1; any other labels are left as they are.

    The choice is a device-side ``where`` on a 0-dim flag, so it costs no host sync.
    """
    is_binary = ((y_true == 0) | (y_true == 1)).all()
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


# ---- regression losses ------------------------------------------------------------------------------------------

@_graph_aware
def mean_squared_error(y_true, y_pred):
    """Mean of squared errors over the last axis: ``mean(square(y_true - y_pred), axis=-1)``.

    Args:
        y_true: targets, shape ``(batch, d0, .. dN)``.
        y_pred: predictions, same shape.

    Returns:
        The loss per sample, shape ``(batch, d0, .. dN-1)``.
    """
    y_true, y_pred = _matched_pair(y_true, y_pred, "mean_squared_error")
    return torch.mean(torch.square(y_true - y_pred), dim=-1)


@_graph_aware
def mean_absolute_error(y_true, y_pred):
    """Mean of absolute errors over the last axis: ``mean(abs(y_true - y_pred), axis=-1)``.

    Args:
        y_true: targets, shape ``(batch, d0, .. dN)``.
        y_pred: predictions, same shape.
    """
    y_true, y_pred = _matched_pair(y_true, y_pred, "mean_absolute_error")
    return torch.mean(torch.abs(y_true - y_pred), dim=-1)


@_graph_aware
def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``.

    Args:
        y_true: targets; a zero target divides by epsilon.
        y_pred: predictions, same shape.
    """
    y_true, y_pred = _matched_pair(y_true, y_pred, "mean_absolute_percentage_error")
    ratio = (y_true - y_pred) / torch.clamp(torch.abs(y_true), min=backend.epsilon())
    return 100.0 * torch.mean(torch.abs(ratio), dim=-1)


@_graph_aware
def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``.

    Args:
        y_true: targets; values below epsilon count as epsilon.
        y_pred: predictions, same shape.
    """
    y_true, y_pred = _matched_pair(y_true, y_pred, "mean_squared_logarithmic_error")
    eps = backend.epsilon()
    # log(x + 1), not log1p: Keras's expression, so the values match to the last bit.
    log_pred = torch.log(torch.clamp(y_pred, min=eps) + 1.0)
    log_true = torch.log(torch.clamp(y_true, min=eps) + 1.0)
    return torch.mean(torch.square(log_pred - log_true), dim=-1)


def _l2_normalize(x, axis):
    # x / norm with the inverse norm capped at 1/epsilon: a zero vector stays zero.
    inverse_norm = torch.rsqrt(torch.sum(torch.square(x), dim=axis, keepdim=True))
    return x * torch.clamp(inverse_norm, max=1.0 / backend.epsilon())


@_graph_aware
def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along ``axis``: ``-sum(l2_normalize(y_true) * l2_normalize(y_pred))``.

    Values lie in [-1, 1]; -1 means the vectors point the same way, so minimizing it maximizes similarity.
    A zero vector gives 0.

    Args:
        y_true: targets.
        y_pred: predictions, same shape.
        axis: the axis the similarity is computed along. Defaults to -1.
    """
    _check_axis(axis)
    y_true, y_pred = _matched_pair(y_true, y_pred, "cosine_similarity")
    return -torch.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), dim=axis)


@_graph_aware
def huber(y_true, y_pred, delta=1.0):
    """Huber loss: ``0.5 * x**2`` where ``|x| <= delta``, else ``delta * |x| - 0.5 * delta**2``; mean over -1.

    Args:
        y_true: targets.
        y_pred: predictions, same shape.
        delta: where the loss turns from quadratic to linear. Defaults to 1.0.
    """
    y_true, y_pred = _matched_pair(y_true, y_pred, "huber")
    error = y_pred - y_true
    abs_error = torch.abs(error)
    quadratic = 0.5 * torch.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return torch.mean(torch.where(abs_error <= delta, quadratic, linear), dim=-1)


@_graph_aware
def log_cosh(y_true, y_pred):
    """Mean over the last axis of ``log(cosh(y_pred - y_true))``, computed as ``x + softplus(-2x) - log(2)``
    so that large errors do not overflow.

    Args:
        y_true: targets.
        y_pred: predictions, same shape.
    """
    y_true, y_pred = _matched_pair(y_true, y_pred, "log_cosh")
    error = y_pred - y_true
    return torch.mean(error + F.softplus(-2.0 * error) - math.log(2.0), dim=-1)


@_graph_aware
def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``.

    Args:
        y_true: targets (counts).
        y_pred: predicted rates, same shape.
    """
    y_pred = _prediction(y_pred)
    y_true = _targets(y_true, y_pred)
    _check_broadcastable(y_true, y_pred, "poisson")
    return torch.mean(y_pred - y_true * torch.log(y_pred + backend.epsilon()), dim=-1)


@_graph_aware
def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence over the last axis: ``sum(y_true * log(y_true / y_pred))``, both clipped
    to ``[epsilon, 1]``.

    Args:
        y_true: target distributions.
        y_pred: predicted distributions, same shape.
    """
    y_pred = _prediction(y_pred)
    y_true = _targets(y_true, y_pred)
    _check_broadcastable(y_true, y_pred, "kl_divergence")
    eps = backend.epsilon()
    y_true = torch.clamp(y_true, eps, 1.0)
    y_pred = torch.clamp(y_pred, eps, 1.0)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


# ---- hinge losses -------------------------------------------------------------------------------------------------

@_graph_aware
def hinge(y_true, y_pred):
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``.

    Args:
        y_true: labels, -1 or 1; labels that are all 0 or 1 are converted to -1 or 1.
        y_pred: predictions, same shape.
    """
    y_pred = _prediction(y_pred)
    y_true = _binary_labels_to_signed(_targets(y_true, y_pred))
    _check_broadcastable(y_true, y_pred, "hinge")
    return torch.mean(torch.clamp(1.0 - y_true * y_pred, min=0.0), dim=-1)


@_graph_aware
def squared_hinge(y_true, y_pred):
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``.

    Args:
        y_true: labels, -1 or 1; labels that are all 0 or 1 are converted to -1 or 1.
        y_pred: predictions, same shape.
    """
    y_pred = _prediction(y_pred)
    y_true = _binary_labels_to_signed(_targets(y_true, y_pred))
    _check_broadcastable(y_true, y_pred, "squared_hinge")
    return torch.mean(torch.square(torch.clamp(1.0 - y_true * y_pred, min=0.0)), dim=-1)


@_graph_aware
def categorical_hinge(y_true, y_pred):
    """``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last axis.

    Args:
        y_true: one-hot labels.
        y_pred: predictions, same shape.
    """
    y_pred = _prediction(y_pred)
    y_true = _targets(y_true, y_pred)
    _check_broadcastable(y_true, y_pred, "categorical_hinge")
    positive = torch.sum(y_true * y_pred, dim=-1)
    negative = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return torch.clamp(negative - positive + 1.0, min=0.0)


# ---- crossentropies -----------------------------------------------------------------------------------------------

@_graph_aware
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy between one-hot (or soft) labels and predicted class probabilities.

    Probabilities are first divided by their sum along ``axis`` and clipped to ``[eps, 1 - eps]``;
    logits go through ``log_softmax``.

    Args:
        y_true: one-hot labels, same shape as y_pred.
        y_pred: probabilities, or logits when ``from_logits``.
        from_logits: whether y_pred holds logits.
        label_smoothing: in [0, 1]; labels become ``y * (1 - s) + s / num_classes``.
        axis: the class axis. Defaults to -1.
    """
    _check_axis(axis)
    y_pred = _prediction(y_pred)
    y_true = _targets(y_true, y_pred)
    _warn_single_class("categorical_crossentropy", y_pred)
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing)
    _check_same_shape(y_true, y_pred, "categorical_crossentropy")
    if y_pred.dim() < 1:
        raise ValueError(f"In categorical_crossentropy, `y_true` and `y_pred` must be at least rank 1. "
                         f"Received: y_pred.shape={tuple(y_pred.shape)}")
    if from_logits:
        log_probabilities = F.log_softmax(y_pred, dim=axis)
    else:
        log_probabilities = softmax_log_probabilities(y_pred, axis)
        if log_probabilities is None:
            probabilities = y_pred / torch.sum(y_pred, dim=axis, keepdim=True)
            log_probabilities = torch.log(_clip_probabilities(probabilities))
    return -torch.sum(y_true * log_probabilities, dim=axis)


@_graph_aware
def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Focal crossentropy: ``sum(alpha * (1 - p)**gamma * -y_true * log(p))`` along ``axis``, where ``p`` is
    the normalized, clipped probability.

    Args:
        y_true: one-hot labels, same shape as y_pred.
        y_pred: probabilities, or logits when ``from_logits``.
        alpha: balancing weight, a float or one float per class. Defaults to 0.25.
        gamma: focusing exponent; 0 gives alpha times the crossentropy. Defaults to 2.0.
        from_logits: whether y_pred holds logits.
        label_smoothing: in [0, 1], as in categorical_crossentropy.
        axis: the class axis. Defaults to -1.
    """
    _check_axis(axis)
    y_pred = _prediction(y_pred)
    y_true = _targets(y_true, y_pred)
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing)
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    probabilities = _clip_probabilities(y_pred / torch.sum(y_pred, dim=axis, keepdim=True))
    crossentropy = -y_true * torch.log(probabilities)
    if isinstance(alpha, (list, tuple)):
        alpha = _constant(tuple(alpha), probabilities.dtype, probabilities.device)
    elif isinstance(alpha, torch.Tensor):
        alpha = alpha.to(probabilities.device, probabilities.dtype)
    focal = torch.pow(1.0 - probabilities, gamma) * alpha * crossentropy
    return torch.sum(focal, dim=axis)


@_graph_aware
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Crossentropy between integer labels and predicted class probabilities.

    The probability path takes the true class's probability with a gather, divides it by the row's sum and
    clips it to ``[eps, 1 - eps]`` (the value Keras gets from normalizing and clipping the whole row), so it
    never builds a log of every class. The logits path is ``F.cross_entropy``. Labels outside
    ``[0, num_classes)`` are not checked here (that would cost a host sync each step).

    Args:
        y_true: integer labels (a float tensor of whole numbers is accepted), shaped as y_pred without the
            class axis, or with a class axis of size 1.
        y_pred: probabilities, or logits when ``from_logits``.
        from_logits: whether y_pred holds logits.
        ignore_class: a label whose entries get loss 0 and are masked out of the reduction (the result
            carries the mask as ``_keras_mask``, which ``Loss.__call__`` honours). None ignores nothing.
        axis: the class axis. Defaults to -1.
    """
    _check_axis(axis)
    y_pred = _prediction(y_pred)
    y_true = _as_tensor(y_true, device=y_pred.device)
    if y_pred.dim() < 1:
        raise ValueError(f"In sparse_categorical_crossentropy, `y_pred` must be at least rank 1. "
                         f"Received: y_pred.shape={tuple(y_pred.shape)}")
    if y_true.dim() == y_pred.dim() and y_true.shape[axis] == 1:
        y_true = y_true.squeeze(axis)
    class_axis = axis % y_pred.dim()
    label_shape = y_pred.shape[:class_axis] + y_pred.shape[class_axis + 1:]
    if y_true.shape != label_shape:
        raise ValueError(
            "In sparse_categorical_crossentropy, `y_true` must have `y_pred`'s shape without the class axis "
            f"(axis={axis}): expected {tuple(label_shape)}. Received: y_true.shape={tuple(y_true.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}")
    if ignore_class is not None:
        valid = y_true != ignore_class
        y_true = torch.where(valid, y_true, torch.zeros_like(y_true))  # any in-range index; masked below
    labels = y_true.long()
    if from_logits:
        if y_pred.dim() == 1:
            result = F.cross_entropy(y_pred.unsqueeze(0), labels.unsqueeze(0), reduction="none").squeeze(0)
        else:
            result = F.cross_entropy(y_pred.movedim(class_axis, 1), labels, reduction="none")
    else:
        cached = getattr(y_pred, "_softmax_logits", None)
        if cached is not None and cached[1] == class_axis and y_pred.dim() > 1:
            # -log(clip(softmax(z)[y])) is the crossentropy of the logits clamped to the clip's bounds.
            low, high = _log_clip_bounds()
            result = F.cross_entropy(cached[0].movedim(class_axis, 1), labels, reduction="none").clamp(-high, -low)
        else:
            true_class = torch.gather(y_pred, class_axis, labels.unsqueeze(class_axis)).squeeze(class_axis)
            row_sum = torch.sum(y_pred, dim=class_axis)
            result = -torch.log(_clip_probabilities(true_class / row_sum))
    if ignore_class is not None:
        result = torch.where(valid, result, torch.zeros_like(result))
        result._keras_mask = valid
    return result


@_graph_aware
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy per element, averaged over ``axis``.

    Probabilities are clipped to ``[eps, 1 - eps]``; logits go through ``binary_cross_entropy_with_logits``.

    Args:
        y_true: labels in [0, 1], same shape as y_pred.
        y_pred: probabilities, or logits when ``from_logits``.
        from_logits: whether y_pred holds logits.
        label_smoothing: in [0, 1]; labels become ``y * (1 - s) + 0.5 * s``.
        axis: the axis the mean is taken over. Defaults to -1.
    """
    y_pred = _prediction(y_pred)
    y_true = _targets(y_true, y_pred)
    if label_smoothing:
        y_true = _smooth_binary(y_true, label_smoothing)
    _check_same_shape(y_true, y_pred, "binary_crossentropy")
    if from_logits:
        elementwise = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:
        elementwise = F.binary_cross_entropy(_clip_probabilities(y_pred), y_true, reduction="none")
    return torch.mean(elementwise, dim=axis)


@_graph_aware
def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary focal crossentropy: ``(1 - p_t)**gamma * bce``, optionally weighted by ``alpha`` for
    positives and ``1 - alpha`` for negatives, averaged over ``axis``.

    Args:
        y_true: labels in [0, 1], same shape as y_pred.
        y_pred: probabilities, or logits when ``from_logits`` (passed through a sigmoid first).
        apply_class_balancing: weight positives by alpha and negatives by 1 - alpha.
        alpha: the positive-class weight when balancing. Defaults to 0.25.
        gamma: focusing exponent. Defaults to 2.0.
        from_logits: whether y_pred holds logits.
        label_smoothing: in [0, 1], as in binary_crossentropy.
        axis: the axis the mean is taken over. Defaults to -1.
    """
    y_pred = _prediction(y_pred)
    y_true = _targets(y_true, y_pred)
    if label_smoothing:
        y_true = _smooth_binary(y_true, label_smoothing)
    _check_same_shape(y_true, y_pred, "binary_focal_crossentropy")
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    crossentropy = F.binary_cross_entropy(_clip_probabilities(y_pred), y_true, reduction="none")
    p_true = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = torch.pow(1.0 - p_true, gamma) * crossentropy
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return torch.mean(focal, dim=axis)


# Keras 2's and Keras 3's other names for the same functions.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy
cosine_proximity = cosine = cosine_similarity


# Which targets each built-in loss function accepts (see Loss.target_shapes): the crossentropies and the
# divergences need the output's shape exactly, the regression losses anything that broadcasts to it.
_TARGET_SHAPES = {
    sparse_categorical_crossentropy: "sparse",
    categorical_crossentropy: "same", binary_crossentropy: "same", categorical_focal_crossentropy: "same",
    binary_focal_crossentropy: "same", kl_divergence: "same", categorical_hinge: "same",
    mean_squared_error: "broadcast", mean_absolute_error: "broadcast", mean_absolute_percentage_error: "broadcast",
    mean_squared_logarithmic_error: "broadcast", cosine_similarity: "broadcast", huber: "broadcast",
    log_cosh: "broadcast", poisson: "broadcast", hinge: "broadcast", squared_hinge: "broadcast",
}


# Losses whose targets are probabilities: labels outside [0, 1] give a wrong (unbounded) loss with logits, and
# fail deep in torch's kernel without them.
_PROBABILITY_TARGETS = (binary_crossentropy, binary_focal_crossentropy)


# ---- reduction ----------------------------------------------------------------------------------------------------

class Reduction:
    """Keras 2's reduction names (``tf.keras.losses.Reduction``); ``AUTO`` means ``'sum_over_batch_size'``."""
    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"


def standardize_reduction(reduction):
    """A valid reduction, with Keras 2's ``'auto'`` read as ``'sum_over_batch_size'``.

    Raises:
        ValueError: for anything but ``'sum_over_batch_size'``, ``'sum'``, ``'mean'``,
            ``'mean_with_sample_weight'``, ``'none'`` or None.
    """
    if reduction == Reduction.AUTO:
        return "sum_over_batch_size"
    if reduction is not None and not (isinstance(reduction, str) and reduction in REDUCTIONS):
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of {list(REDUCTIONS)}. "
                         f"Received: reduction={reduction!r}")
    return reduction


def _divide_no_nan(numerator, denominator):
    """numerator / denominator, and 0 where the denominator is 0 (an empty batch, all weights zero)."""
    if not isinstance(denominator, torch.Tensor):
        return numerator / denominator if denominator else torch.zeros_like(numerator)
    safe = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
    return torch.where(denominator == 0, torch.zeros_like(numerator), numerator / safe)


def _mask_to_weights(mask, sample_weight, dtype, reduction):
    """Fold a boolean mask into the sample weights.

    For the mean reductions a valid entry weighs ``total / valid``, so the mean over all entries equals the
    mean over the valid ones; for the others a mask is plain 0/1 weights.
    """
    if reduction in ("mean", "sum_over_batch_size"):
        mask = mask.bool()
        valid = torch.sum(mask.to(dtype))
        mask_weight = _divide_no_nan(torch.full_like(valid, mask.numel()), valid)
        float_mask = torch.where(mask, mask_weight, torch.zeros_like(mask_weight))
    else:
        float_mask = mask.to(dtype)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight.to(dtype))
    _check_broadcastable(float_mask, sample_weight, "sample_weight and the mask")
    return sample_weight * float_mask


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None):
    """Weight per-sample losses and reduce them as Keras 3 does.

    ``'sum'`` sums the weighted values; ``'sum_over_batch_size'`` and ``'mean'`` divide that sum by the number
    of values (0 when there are none); ``'mean_with_sample_weight'`` divides by the sum of the sample weights;
    ``'none'`` and None return the weighted values. A 0-dim or empty ``values`` is returned as it is.

    Args:
        values: per-sample losses, a tensor.
        sample_weight: None, a scalar, or weights of values' shape (a trailing axis of size 1 is matched to
            rank-1 values by expanding them, as Keras does), broadcast against values.
        mask: None or a boolean tensor of values' shape; masked-out entries weigh 0.
        reduction: one of REDUCTIONS.
        dtype: the dtype to compute in; None keeps values' dtype.
    """
    reduction = standardize_reduction(reduction)
    values = _as_tensor(values, backend.torch_dtype(dtype) if dtype is not None else None)
    if sample_weight is None and mask is None and values.numel() and values.dim():
        # The training hot path: one reduction kernel.
        if reduction == "sum":
            return torch.sum(values)
        if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
            return torch.mean(values)
    if sample_weight is not None:
        sample_weight = _as_tensor(sample_weight, values.dtype, values.device)
    if mask is not None:
        sample_weight = _mask_to_weights(_as_tensor(mask, device=values.device), sample_weight, values.dtype,
                                         reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        _check_broadcastable(values, sample_weight, "The per-sample losses and sample_weight")
        values = values * sample_weight
    if reduction in (None, "none") or values.dim() == 0 or tuple(values.shape) == (0,):
        return values
    total = torch.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return _divide_no_nan(total, torch.sum(sample_weight).to(total.dtype))
    return _divide_no_nan(total, values.numel())


# ---- Loss classes -------------------------------------------------------------------------------------------------





def _dtype_name(dtype):
    """A dtype argument as Keras's string: None -> floatx, ``'mixed_float16'`` -> its compute dtype."""
    if dtype is None:
        return backend.floatx()
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        dtype = dtype[len("mixed_"):]
    return str(backend.torch_dtype(dtype)).replace("torch.", "")


def _map_structure(fn, x):
    """fn over the tensors of a dict, list or tuple of tensors; over x itself otherwise."""
    if isinstance(x, torch.Tensor):
        return fn(x)
    if isinstance(x, dict):
        return {key: fn(value) for key, value in x.items()}
    if isinstance(x, (list, tuple)) and x and all(isinstance(item, torch.Tensor) for item in x):
        return type(x)(fn(item) for item in x)
    return fn(x)


class Loss:
    """Base class of losses: subclass it and implement ``call(y_true, y_pred)``.

    Args:
        name: the loss's name; defaults to the class name in snake_case.
        reduction: how ``__call__`` reduces the weighted per-sample losses: ``'sum_over_batch_size'``
            (default) and ``'mean'`` divide the sum by the number of values, ``'sum'`` sums,
            ``'mean_with_sample_weight'`` divides the sum by the sum of the sample weights, ``'none'`` or None
            returns them unreduced.
        dtype: the dtype the loss computes in; defaults to floatx ('float32').

    Example:
        >>> class MeanCubedError(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return torch.mean(torch.abs(y_true - y_pred) ** 3, dim=-1)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass(cls, "losses")

    # Whether integer y_true is passed to call() as it is (sparse labels) rather than cast to dtype.
    _keeps_integer_targets = False

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or global_state.auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = _dtype_name(dtype)
        self._torch_dtype = backend.torch_dtype(self._dtype)

    @property
    def dtype(self):
        """The dtype the loss computes in, as a string."""
        return self._dtype

    def _convert(self, y_true, y_pred):
        dtype = self._torch_dtype
        y_pred = _map_structure(lambda t: _as_tensor(t, dtype), y_pred)
        device = y_pred.device if isinstance(y_pred, torch.Tensor) else None

        def convert_target(t):
            t = _as_tensor(t, device=device)
            if self._keeps_integer_targets and not t.is_floating_point():
                return t
            return t.to(dtype)

        return _map_structure(convert_target, y_true), y_pred

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss: a 0-dim tensor, or the weighted per-sample losses when reduction is 'none'.

        Args:
            y_true: targets.
            y_pred: predictions; a boolean ``_keras_mask`` attribute on it masks entries out.
            sample_weight: None, a scalar, or per-sample (or per-timestep) weights.
        """
        in_mask = backend.get_keras_mask(y_pred)
        y_true, y_pred = self._convert(y_true, y_pred)
        losses = self.call(y_true, y_pred)
        out_mask = backend.get_keras_mask(losses)
        if in_mask is not None and out_mask is not None:
            mask = _as_tensor(in_mask, device=out_mask.device).bool() & out_mask.bool()
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(losses, sample_weight=sample_weight, mask=mask, reduction=self.reduction,
                                      dtype=self._torch_dtype)

    def call(self, y_true, y_pred):
        """The loss per sample (not reduced over the batch). Subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    # ---- what targets the loss takes, asked once by the trainer before the first step ------------------------

    @property
    def target_shapes(self):
        """Which target shapes the loss accepts for an output: ``'sparse'`` (class indices: the output's shape
        without its last axis, or with a last axis of 1), ``'same'`` (the output's shape, up to a trailing axis
        of 1), ``'broadcast'`` (a shape that broadcasts to the output's), or None: the loss checks its own
        inputs, as a user's Loss subclass does (Keras trains those without a shape check)."""
        return None

    def check_target_shape(self, target_shape, output_shape):
        """Raise a ValueError naming both shapes when targets of ``target_shape`` do not go with outputs of
        ``output_shape`` under ``target_shapes``; accept anything when that is None.

        Args:
            target_shape: the targets' shape, a tuple.
            output_shape: the model output's shape, a tuple.
        """
        rule = self.target_shapes
        target_shape, output_shape = tuple(target_shape), tuple(output_shape)
        if rule is None:
            return
        if rule == "sparse":
            if target_shape not in (output_shape[:-1], output_shape[:-1] + (1,)):
                raise ValueError(
                    f"Arguments `target` and `output` of loss '{self.name}' have incompatible shapes: "
                    f"target.shape={target_shape}, output.shape={output_shape}. Sparse labels hold one class "
                    f"index per sample, so the target needs the output's shape without its last axis.")
            return
        adjusted = target_shape
        if len(adjusted) == len(output_shape) - 1 and output_shape and output_shape[-1] == 1:
            adjusted = adjusted + (1,)
        elif len(adjusted) == len(output_shape) + 1 and adjusted[-1] == 1:
            adjusted = adjusted[:-1]
        compatible = adjusted == output_shape
        if not compatible and rule == "broadcast":
            try:
                compatible = torch.broadcast_shapes(adjusted, output_shape) == output_shape
            except RuntimeError:
                compatible = False
        if not compatible:
            raise ValueError(f"Arguments `target` and `output` must have the same shape. Received: "
                             f"target.shape={target_shape}, output.shape={output_shape} (loss '{self.name}').")

    def check_labels(self, y_true, y_pred):
        """Raise a ValueError when sparse labels fall outside ``[0, classes)`` (they would fail deep in a kernel
        otherwise). Reads two numbers back from the device: call it once per fit, not per step. Only losses
        whose ``target_shapes`` is ``'sparse'`` check anything.

        Args:
            y_true: the labels, a tensor.
            y_pred: predictions (a batch is enough: only the class axis's size is read).
        """
        if self.target_shapes != "sparse" or not isinstance(y_true, torch.Tensor) or y_true.numel() == 0:
            return
        num_classes = y_pred.shape[-1]
        ignore = getattr(self, "_fn_kwargs", {}).get("ignore_class", getattr(self, "ignore_class", None))
        labels = y_true if ignore is None else y_true[y_true != ignore]
        if labels.numel() == 0:
            return
        low, high = (float(v) for v in torch.stack([labels.min(), labels.max()]).double().cpu())
        if low < 0 or high >= num_classes:
            bad = high if high >= num_classes else low
            raise ValueError(f"Received a label value of {bad:g} which is outside the valid range of "
                             f"[0, {num_classes}) for loss '{self.name}': the model has {num_classes} "
                             f"outputs, so sparse labels must be integers from 0 to {num_classes - 1}.")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A Loss made from a function ``fn(y_true, y_pred, **kwargs)`` that returns per-sample losses.

    y_true and y_pred are brought to the same rank first (a ``(batch,)`` target against ``(batch, 1)``
    predictions is expanded), as Keras does.

    Args:
        fn: the loss function.
        reduction: as in Loss.
        name: as in Loss.
        dtype: as in Loss.
        **kwargs: keyword arguments passed to fn on every call.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise ValueError(f"LossFunctionWrapper expects a callable `fn`. Received: fn={fn!r}")
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs
        self._keeps_integer_targets = fn is sparse_categorical_crossentropy

    def call(self, y_true, y_pred):
        if isinstance(y_true, torch.Tensor) and isinstance(y_pred, torch.Tensor):
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    @property
    def target_shapes(self):
        # A built-in function says what it takes; a user's function is trained unchecked, as Keras trains it.
        return _TARGET_SHAPES.get(self.fn)

    def check_labels(self, y_true, y_pred):
        """As ``Loss.check_labels``; a binary crossentropy also refuses labels outside [0, 1]. Reads two numbers
        back from the device: the trainer calls it once per fit (over all in-memory targets, or a generator's
        first batch), not per step."""
        super().check_labels(y_true, y_pred)
        if self.fn not in _PROBABILITY_TARGETS or not isinstance(y_true, torch.Tensor) or y_true.numel() == 0 \
                or y_true.dtype == torch.bool:
            return
        low, high = (float(v) for v in torch.stack([y_true.min(), y_true.max()]).double().cpu())
        if low < 0 or high > 1:
            bad = low if low < 0 else high
            raise ValueError(f"Received a label value of {bad:g} which is outside the valid range of [0, 1] for "
                             f"loss '{self.name}': binary crossentropy takes labels that are probabilities (0 or "
                             f"1, or soft labels in between).")

    def get_config(self):
        config = super().get_config()
        config["fn"] = serialize(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            fn = config.pop("fn")
            return cls(deserialize(fn) if isinstance(fn, (dict, str)) else fn, **config)
        return cls(**config)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A built-in loss class: its config is its constructor's arguments, not a serialized function."""

    def get_config(self):
        config = Loss.get_config(self)
        config.update(self._fn_kwargs)
        return config

    def __repr__(self):
        options = "".join(f", {key}={value!r}" for key, value in self._fn_kwargs.items())
        return f"{type(self).__name__}(name={self.name!r}, reduction={self.reduction!r}{options})"


class MeanSquaredError(_BuiltinLoss):
    """``mean(square(y_true - y_pred))`` per sample. Args: reduction, name, dtype (as in Loss)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(_BuiltinLoss):
    """``mean(abs(y_true - y_pred))`` per sample. Args: reduction, name, dtype (as in Loss)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_BuiltinLoss):
    """``100 * mean(abs((y_true - y_pred) / y_true))`` per sample. Args: reduction, name, dtype."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_BuiltinLoss):
    """``mean(square(log(y_pred + 1) - log(y_true + 1)))`` per sample. Args: reduction, name, dtype."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(_BuiltinLoss):
    """Negative cosine similarity along ``axis``.

    Args:
        axis: the feature axis. Defaults to -1.
        reduction, name, dtype: as in Loss.
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)


class Huber(_BuiltinLoss):
    """Huber loss, quadratic up to ``delta`` and linear beyond.

    Args:
        delta: where the loss turns linear. Defaults to 1.0.
        reduction, name, dtype: as in Loss.
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


class LogCosh(_BuiltinLoss):
    """``mean(log(cosh(y_pred - y_true)))`` per sample. Args: reduction, name, dtype (as in Loss)."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


class Hinge(_BuiltinLoss):
    """``mean(maximum(1 - y_true * y_pred, 0))``; 0/1 labels become -1/1. Args: reduction, name, dtype."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(_BuiltinLoss):
    """``mean(square(maximum(1 - y_true * y_pred, 0)))``; 0/1 labels become -1/1. Args: reduction, name,
    dtype."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(_BuiltinLoss):
    """``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``. Args: reduction, name, dtype."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)


class KLDivergence(_BuiltinLoss):
    """``sum(y_true * log(y_true / y_pred))`` per sample. Args: reduction, name, dtype (as in Loss)."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Poisson(_BuiltinLoss):
    """``mean(y_pred - y_true * log(y_pred + epsilon))`` per sample. Args: reduction, name, dtype."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)


class BinaryCrossentropy(_BuiltinLoss):
    """Binary crossentropy, averaged over ``axis``.

    Args:
        from_logits: whether y_pred holds logits. Defaults to False (probabilities).
        label_smoothing: in [0, 1]; labels become ``y * (1 - s) + 0.5 * s``.
        axis: the axis the mean is taken over. Defaults to -1.
        reduction, name, dtype: as in Loss.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class BinaryFocalCrossentropy(_BuiltinLoss):
    """Binary focal crossentropy, averaged over ``axis``.

    Args:
        apply_class_balancing: weight positives by alpha and negatives by 1 - alpha. Defaults to False.
        alpha: the positive-class weight when balancing. Defaults to 0.25.
        gamma: focusing exponent. Defaults to 2.0.
        from_logits: whether y_pred holds logits. Defaults to False.
        label_smoothing: in [0, 1].
        axis: the axis the mean is taken over. Defaults to -1.
        reduction, name, dtype: as in Loss.
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                 axis=-1, reduction="sum_over_batch_size", name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis
        self.apply_class_balancing, self.alpha, self.gamma = apply_class_balancing, alpha, gamma


class CategoricalCrossentropy(_BuiltinLoss):
    """Crossentropy between one-hot labels and class probabilities (or logits).

    Args:
        from_logits: whether y_pred holds logits. Defaults to False.
        label_smoothing: in [0, 1]; labels become ``y * (1 - s) + s / num_classes``.
        axis: the class axis. Defaults to -1.
        reduction, name, dtype: as in Loss.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class CategoricalFocalCrossentropy(_BuiltinLoss):
    """Focal crossentropy between one-hot labels and class probabilities (or logits).

    Args:
        alpha: balancing weight, a float or one per class. Defaults to 0.25.
        gamma: focusing exponent. Defaults to 2.0.
        from_logits: whether y_pred holds logits. Defaults to False.
        label_smoothing: in [0, 1].
        axis: the class axis. Defaults to -1.
        reduction, name, dtype: as in Loss.
    """

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy", dtype=None):
        super().__init__(categorical_focal_crossentropy, reduction=reduction, name=name, dtype=dtype, alpha=alpha,
                         gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis
        self.alpha, self.gamma = alpha, gamma


class SparseCategoricalCrossentropy(_BuiltinLoss):
    """Crossentropy between integer labels and class probabilities (or logits).

    Args:
        from_logits: whether y_pred holds logits. Defaults to False.
        ignore_class: a label to leave out of the loss and of the mean's count. Defaults to None.
        reduction: as in Loss.
        axis: the class axis. Defaults to -1.
        name, dtype: as in Loss.
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis


# ---- names, get, serialize ----------------------------------------------------------------------------------------

_FUNCTIONS = (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error,
    cosine_similarity, huber, log_cosh, hinge, squared_hinge, categorical_hinge, kl_divergence, poisson,
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy, categorical_focal_crossentropy,
    sparse_categorical_crossentropy,
)
_CLASSES = (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    CosineSimilarity, Huber, LogCosh, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson,
    BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy, CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy,
)
ALIASES = {
    # Keras 3 (keras.losses.get)
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "kld": kl_divergence, "KLD": kl_divergence,
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    # Keras 2 only
    "kullback_leibler_divergence": kl_divergence,
    "logcosh": log_cosh,
    "cosine_proximity": cosine_similarity,
    "cosine": cosine_similarity,
}
# The names `get` resolves: every function and class by its own name, and the aliases.
ALL_LOSSES = {**{obj.__name__: obj for obj in _FUNCTIONS + _CLASSES}, **ALIASES}
for _name, _obj in {**ALL_LOSSES, "Loss": Loss}.items():
    registry.register_builtin(_obj, "losses", names=(_name,))


def serialize(loss):
    """A loss function or Loss instance as a Keras 3 config dict.

    Args:
        loss: a function or a Loss instance.
    """
    if not isinstance(loss, Loss) and not (callable(loss) and hasattr(loss, "__name__")):
        raise ValueError(f"Cannot serialize {loss!r}: expected a loss function or a Loss instance.")
    from kerastorch.saving import serialization
    return serialization.serialize_keras_object(loss)


def deserialize(config, custom_objects=None):
    """The loss function or Loss instance a config (or a name) describes.

    Args:
        config: a name (``'mse'``, ``'MeanSquaredError'``), or a dict ``{'class_name': ..., 'config': ...}``
            as serialize writes it (Keras 2's configs, without 'module', are read too).
        custom_objects: a dict of user classes and functions, looked up before the built-ins.
    """
    if not isinstance(config, (str, dict)) or (isinstance(config, dict) and "class_name" not in config):
        raise ValueError(f"Could not deserialize loss config {config!r}: expected a loss name or a dict with "
                         "'class_name' and 'config'.")
    from kerastorch.saving import serialization
    return serialization.deserialize_keras_object(config, custom_objects, package="losses")


def get(identifier):
    """Resolve a loss identifier as Keras does.

    Args:
        identifier: None; a name (any Keras 2 or Keras 3 spelling, case-sensitive as in Keras: a function
            name gives the function, a class name gives an instance); a config dict; a Loss instance or any
            callable (returned as is); or a Loss class (instantiated).

    Raises:
        ValueError: for an unknown name (listing the valid ones, closest first) or an identifier of another
            kind.
    """
    if isinstance(identifier, type) and not issubclass(identifier, Loss):
        return identifier
    if identifier is not None and not isinstance(identifier, (str, dict, type)) and not callable(identifier):
        raise ValueError(f"Could not interpret loss identifier: {identifier!r}. Expected a loss name, a config "
                         "dict, a Loss instance or a callable.")
    from kerastorch.saving import serialization
    return serialization.get_object("losses", identifier, "mean_squared_error")


__getattr__ = missing_attribute(__name__)
