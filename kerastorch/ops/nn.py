"""``keras.ops.nn`` on torch: activations, convolutions, pooling, normalization, crossentropies, CTC, attention.

Each op is the torch kernel Keras 3 uses on its torch backend (``torch.nn.functional``), with Keras's layouts:
images are channels_last by default (``keras.config.image_data_format()``) and reach torch's NCHW kernels as
permuted views; kernels are Keras's ``(*kernel_size, in, out)``; attention tensors are ``(batch, length, heads,
head_dim)``. On KerasTensors each op records a graph node (kerastorch.ops._dispatch).
"""
import builtins
import math

import torch
import torch.nn.functional as F

from kerastorch import backend, dtypes
from kerastorch._porting import missing_attribute
from kerastorch.keras_tensor import KerasTensor
from kerastorch.ops._dispatch import arguments, elementwise, keras_op, to_tensor, to_tensors

_op = keras_op("nn")
_elementwise = keras_op("nn", spec=elementwise)


def _like_first(function, args, kwargs):
    """The spec of an op whose result has the shape and dtype of its first argument."""
    x = args[0]
    return KerasTensor(x.shape, x.dtype)


def _same_as_input(class_name, call):
    return keras_op("nn", spec=_like_first, class_name=class_name, call=call)


def _float(x):
    """``x`` as a tensor; bool and integer tensors become floatx (the activations are defined on floats)."""
    x = to_tensor(x)
    return x if x.is_floating_point() or x.is_complex() else x.to(dtypes.torch_dtype(backend.floatx()))


# ---- activations ---------------------------------------------------------------------------------------------

def _activation(name, kernel, doc):
    def function(x):
        return kernel(_float(x))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return _elementwise(function)


relu = _activation("relu", F.relu, "max(x, 0).")
relu6 = _activation("relu6", F.relu6, "min(max(x, 0), 6).")
sigmoid = _activation("sigmoid", torch.sigmoid, "1 / (1 + exp(-x)).")
tanh_shrink = _activation("tanh_shrink", F.tanhshrink, "x - tanh(x).")
softplus = _activation("softplus", F.softplus, "log(1 + exp(x)).")
softsign = _activation("softsign", F.softsign, "x / (1 + |x|).")
silu = _activation("silu", F.silu, "x * sigmoid(x).")
swish = silu   # Keras's alias: the same op
log_sigmoid = _activation("log_sigmoid", F.logsigmoid, "log(sigmoid(x)).")
hard_sigmoid = _activation("hard_sigmoid", F.hardsigmoid, "relu6(x + 3) / 6.")
hard_silu = _activation("hard_silu", F.hardswish, "x * relu6(x + 3) / 6.")
hard_swish = hard_silu   # Keras's alias: the same op
selu = _activation("selu", F.selu, "Scaled exponential linear unit.")
hard_tanh = _activation("hard_tanh", lambda x: F.hardtanh(x, -1.0, 1.0), "clip(x, -1, 1).")
sparse_sigmoid = _activation(
    "sparse_sigmoid", lambda x: torch.clamp(0.5 * (x + 1), 0.0, 1.0), "0 below -1, 1 above 1, (x + 1) / 2 between.")
sparse_plus = _activation(
    "sparse_plus", lambda x: torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, 0.25 * (x + 1) ** 2, x)),
    "0 below -1, x above 1, (x + 1)**2 / 4 between.")


@_elementwise
def leaky_relu(x, negative_slope=0.2):
    """x where positive, ``negative_slope * x`` elsewhere."""
    return F.leaky_relu(_float(x), negative_slope)


@_elementwise
def elu(x, alpha=1.0):
    """x where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    return F.elu(_float(x), alpha)


@_elementwise
def celu(x, alpha=1.0):
    """max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))."""
    return F.celu(_float(x), alpha)


@_elementwise
def gelu(x, approximate=True):
    """The Gaussian error linear unit (by default its tanh approximation, as Keras)."""
    return F.gelu(_float(x), approximate="tanh" if approximate else "none")


@_elementwise
def squareplus(x, b=4):
    """(x + sqrt(x**2 + b)) / 2."""
    x = _float(x)
    return (x + torch.sqrt(x * x + b)) / 2


@_elementwise
def soft_shrink(x, threshold=0.5):
    """x - threshold above threshold, x + threshold below -threshold, 0 between."""
    return F.softshrink(_float(x), threshold)


@_elementwise
def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    return F.hardshrink(_float(x), threshold)


@keras_op("nn", spec=elementwise, call=("x",))
def threshold(x, threshold, default_value):
    """x where x > threshold, else ``default_value``."""
    return F.threshold(_float(x), threshold, default_value)


def _over_axis(kernel, x, axis):
    """``kernel(x, dim)`` along ``axis``, or over all of ``x`` for None; float16 computed in float32 on CPU."""
    x = _float(x)
    dtype = x.dtype
    if dtype == torch.float16 and x.device.type == "cpu":
        x = x.float()
    if axis is None:
        result = kernel(x.reshape(-1), -1).reshape(x.shape)
    else:
        result = kernel(x, axis)
    return result.to(dtype)


@_op
def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis`` (None: over all entries)."""
    return _over_axis(lambda t, dim: F.softmax(t, dim=dim), x, axis)


@_op
def log_softmax(x, axis=-1):
    """log(softmax(x)) along ``axis``, computed stably."""
    return _over_axis(lambda t, dim: F.log_softmax(t, dim=dim), x, axis)


@_op
def sparsemax(x, axis=-1):
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis`` (sparse probabilities)."""
    x = _float(x)
    ordered, _ = torch.sort(x, dim=axis, descending=True)
    ranks = torch.arange(1, x.shape[axis] + 1, dtype=x.dtype, device=x.device)
    shape = [1] * x.dim()
    shape[axis] = -1
    ranks = ranks.view(shape)
    cumulative = torch.cumsum(ordered, dim=axis)
    support = (1 + ranks * ordered) > cumulative
    k = support.sum(dim=axis, keepdim=True).to(x.dtype)
    tau = (torch.sum(ordered * support, dim=axis, keepdim=True) - 1) / k
    return torch.clamp(x - tau, min=0)


def _glu_spec(function, args, kwargs):
    bound = arguments(function, args, kwargs)
    x, axis = bound["x"], bound["axis"]
    shape = list(x.shape)
    shape[axis] = None if shape[axis] is None else shape[axis] // 2
    return KerasTensor(shape, x.dtype)


@keras_op("nn", spec=_glu_spec)
def glu(x, axis=-1):
    """The gated linear unit: the first half of ``x`` along ``axis`` times the sigmoid of the second half."""
    x = _float(x)
    if x.shape[axis] % 2:
        raise ValueError(f"glu: axis {axis} of x must have an even size. Received: x.shape={tuple(x.shape)}")
    return F.glu(x, dim=axis)


@_op
def polar(abs_, angle):
    """The complex numbers ``abs_ * exp(i * angle)``."""
    abs_, angle = to_tensors(abs_, angle)
    return torch.polar(_float(abs_), _float(angle).to(_float(abs_).dtype))


# ---- one-hot encodings -------------------------------------------------------------------------------------------

def _move_last_axis(output, axis):
    if axis == -1 or axis == output.dim() - 1:
        return output
    return torch.movedim(output, -1, axis)


@keras_op("nn", call=("x",))
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Rows of ``num_classes`` with a 1 at each index of ``x`` (a negative index gives a row of zeros), placed
    at ``axis`` of the result; ``dtype`` defaults to floatx."""
    if sparse:
        raise ValueError("one_hot: `sparse=True` is not supported on torch.")
    x = to_tensor(x).long()
    output = F.one_hot(torch.clamp(x, min=0), num_classes) * (x >= 0).unsqueeze(-1)
    output = output.to(dtypes.torch_dtype(dtype or backend.floatx()))
    return _move_last_axis(output, axis)


@_op
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """For each sample (row of ``inputs``), ``num_classes`` entries with a 1 at every index it contains."""
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if num_classes is None:
        raise ValueError("multi_hot needs `num_classes`.")
    inputs = to_tensor(inputs)
    reduction_axis = 1 if inputs.dim() > 1 else 0
    return torch.amax(one_hot(inputs.to(torch.int32), num_classes, axis=axis, dtype=dtype, sparse=sparse),
                      dim=reduction_axis)


# ---- crossentropies ----------------------------------------------------------------------------------------------

def _probabilities_log(output, axis):
    output = output / torch.sum(output, dim=axis, keepdim=True)
    epsilon = backend.epsilon()
    return torch.log(torch.clamp(output, epsilon, 1.0 - epsilon))


@_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """-sum(target * log(p)) along ``axis``; ``p`` is softmax(output) for logits, else ``output`` rescaled to sum
    to 1 and clipped to [epsilon, 1 - epsilon]."""
    target, output = to_tensors(target, output)
    if target.shape != output.shape:
        raise ValueError(f"categorical_crossentropy: `target` and `output` must have the same shape. Received: "
                         f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")
    if output.dim() < 1:
        raise ValueError(f"categorical_crossentropy: the tensors need at least one dimension. Received: "
                         f"output.shape={tuple(output.shape)}")
    output = _float(output)
    log_prob = F.log_softmax(output, dim=axis) if from_logits else _probabilities_log(output, axis)
    return -torch.sum(target.to(output.dtype) * log_prob, dim=axis)


@_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """The categorical crossentropy of integer labels ``target`` (one per row of ``output``)."""
    target, output = to_tensors(target, output)
    if target.dim() == output.dim() and target.shape[-1] == 1:
        target = target.squeeze(-1)
    if output.dim() < 1:
        raise ValueError(f"sparse_categorical_crossentropy: `output` needs at least one dimension. Received: "
                         f"output.shape={tuple(output.shape)}")
    if target.shape != output.shape[:-1]:
        raise ValueError(f"sparse_categorical_crossentropy: `target` must have the shape of `output` without its "
                         f"last axis. Received: target.shape={tuple(target.shape)}, "
                         f"output.shape={tuple(output.shape)}")
    output = _float(output)
    log_prob = F.log_softmax(output, dim=axis) if from_logits else _probabilities_log(output, axis)
    labels = one_hot(target.long(), output.shape[axis], axis=axis, dtype=output.dtype)
    return -torch.sum(labels * log_prob, dim=axis)


@_op
def binary_crossentropy(target, output, from_logits=False):
    """The element-wise binary crossentropy; probabilities are clipped to [epsilon, 1 - epsilon]."""
    target, output = to_tensors(target, output)
    if target.shape != output.shape:
        raise ValueError(f"binary_crossentropy: `target` and `output` must have the same shape. Received: "
                         f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")
    output = _float(output)
    target = target.to(output.dtype)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    epsilon = backend.epsilon()
    return F.binary_cross_entropy(torch.clamp(output, epsilon, 1.0 - epsilon), target, reduction="none")


# ---- normalization ----------------------------------------------------------------------------------------------

def _axes(axes, rank):
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    return tuple(a % builtins.max(rank, 1) for a in axes)


@keras_op("nn", call=("x",))
def moments(x, axes, keepdims=False, synchronized=False):
    """``(mean, variance)`` of ``x`` over ``axes`` (float16 computed in float32)."""
    if synchronized:
        raise ValueError("moments: `synchronized=True` is not supported on torch.")
    x = _float(x)
    dtype = x.dtype
    if dtype == torch.float16:
        x = x.float()
    axes = _axes(axes, x.dim())
    mean = torch.mean(x, dim=axes, keepdim=True)
    variance = torch.mean(torch.square(x), dim=axes, keepdim=True) - torch.square(mean)
    if not keepdims:
        mean, variance = mean.squeeze(axes), variance.squeeze(axes)
    if dtype == torch.float16:
        limit = torch.finfo(torch.float16).max
        mean, variance = mean.clamp(-limit, limit).to(dtype), variance.clamp(-limit, limit).to(dtype)
    return mean, variance


@_same_as_input("BatchNorm", call=("x", "mean", "variance", "offset", "scale"))
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, the statistics (vectors) along ``axis``."""
    x = _float(x)
    shape = [1] * x.dim()
    shape[axis] = -1

    def along_axis(value, default):
        return default if value is None else to_tensor(value, device=x.device).reshape(shape)

    mean, variance = along_axis(mean, None), along_axis(variance, None)
    scale = along_axis(scale, torch.ones_like(variance))
    offset = along_axis(offset, torch.zeros_like(mean))
    return (x - mean) * (torch.rsqrt(variance + epsilon) * scale) + offset


def _continuous(axes):
    return builtins.all(b - a == 1 for a, b in zip(axes, axes[1:]))


def _in_float32(x):
    """``x`` in at least float32 (Keras normalizes half precision in float32), and its original dtype."""
    x = _float(x)
    return (x.float() if x.dtype in (torch.float16, torch.bfloat16) else x), x.dtype


@_same_as_input("LayerNorm", call=("x", "gamma", "beta"))
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, rms_scaling=False):
    """(x - mean) / sqrt(variance + epsilon) * gamma + beta, the statistics over ``axis``."""
    epsilon = backend.epsilon() if epsilon is None else epsilon
    x, dtype = _in_float32(x)
    gamma = None if gamma is None else to_tensor(gamma, x.dtype, x.device)
    beta = None if beta is None else to_tensor(beta, x.dtype, x.device)
    axes = sorted(_axes(axis, x.dim()))
    shape = [x.shape[d] if d in axes else 1 for d in range(x.dim())]
    if rms_scaling:
        outputs = x * torch.rsqrt(torch.var(x, dim=axes, keepdim=True, correction=0) + epsilon)
        if gamma is not None:
            outputs = outputs * gamma.reshape(shape)
    elif _continuous(axes) and axes[-1] == x.dim() - 1:
        normalized = tuple(x.shape[d] for d in axes)
        outputs = F.layer_norm(x, normalized, None if gamma is None else gamma.reshape(normalized),
                               None if beta is None else beta.reshape(normalized), epsilon)
    else:
        mean, variance = moments(x, axes, keepdims=True)
        inv = torch.rsqrt(variance + epsilon)
        if gamma is not None:
            inv = inv * gamma.reshape(shape)
        outputs = x * inv + (-mean * inv + (0 if beta is None else beta.reshape(shape)))
    return outputs.to(dtype)


@_same_as_input("RMSNorm", call=("x", "scale"))
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """x / sqrt(mean(x**2) + epsilon) * scale, the mean over ``axis``."""
    epsilon = backend.epsilon() if epsilon is None else epsilon
    x, dtype = _in_float32(x)
    scale = None if scale is None else to_tensor(scale, x.dtype, x.device)
    axes = sorted(_axes(axis, x.dim()))
    if _continuous(axes) and axes[-1] == x.dim() - 1:
        outputs = F.rms_norm(x, tuple(x.shape[d] for d in axes), scale, epsilon)
    else:
        outputs = x * torch.rsqrt(torch.mean(torch.square(x), dim=axes, keepdim=True) + epsilon)
        if scale is not None:
            outputs = outputs * scale
    return outputs.to(dtype)


@_op
def normalize(x, axis=-1, order=2, epsilon=None):
    """x / max(norm(x), epsilon), the ``order``-norm over ``axis``."""
    epsilon = backend.epsilon() if epsilon is None else epsilon
    x = _float(x)
    if order == 2:
        inv_norm = torch.rsqrt(torch.sum(torch.square(x), dim=axis, keepdim=True))
        return x * torch.minimum(inv_norm, torch.tensor(1.0 / epsilon, dtype=x.dtype, device=x.device))
    norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
    return x / torch.clamp(norm, min=epsilon)


@keras_op("nn", class_name="PSNR", call=("x1", "x2"))
def psnr(x1, x2, max_val):
    """The peak signal-to-noise ratio, 20 log10(max_val) - 10 log10(mean((x1 - x2)**2)), in dB."""
    x1, x2 = to_tensors(x1, x2)
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: input shapes {tuple(x1.shape)} and {tuple(x2.shape)} must match.")
    max_val = to_tensor(max_val, x1.dtype, x1.device)
    return 20 * torch.log10(max_val) - 10 * torch.log10(torch.mean((x1 - x2) ** 2))


# ---- convolutions -----------------------------------------------------------------------------------------------

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _tuple(value, n, name, op):
    values = (value,) * n if isinstance(value, int) else tuple(value)
    if len(values) != n or not builtins.all(isinstance(v, int) and v >= 0 for v in values):
        raise ValueError(f"{op}: `{name}` must be an int or a tuple of {n} ints. Received: {name}={value!r}")
    return tuple(int(v) for v in values)


def _channels_first(x, data_format):
    return x if data_format == "channels_first" else x.permute(0, x.dim() - 1, *range(1, x.dim() - 1))


def _channels_last(y, data_format):
    return y if data_format == "channels_first" else y.permute(0, *range(2, y.dim()), 1)


def _same_padding(size, kernel, stride, dilation):
    """``(before, after)`` of Keras's 'same' padding on torch for one dimension (the odd element at the end)."""
    effective = (kernel - 1) * dilation + 1
    total = effective - 1 if stride == 1 else builtins.max(0, (-(-size // stride) - 1) * stride + effective - size)
    return total // 2, total - total // 2


def _padded(x, padding, kernel, strides, dilation, mode):
    """``(x, torch_padding)``: 'same' padding as torch's symmetric argument when it is symmetric, else applied
    to ``x`` (``mode`` "constant" for convolutions, "replicate" for pooling, as Keras on torch does)."""
    if padding == "valid":
        return x, 0
    pads = [_same_padding(*args) for args in zip(x.shape[2:], kernel, strides, dilation)]
    if builtins.all(before == after for before, after in pads):
        return x, [before for before, _ in pads]
    flat = [p for pair in reversed(pads) for p in pair]
    return F.pad(x, flat, mode=mode), 0


def _check_padding(padding, op):
    padding = padding.lower() if isinstance(padding, str) else padding
    if padding not in ("valid", "same"):
        raise ValueError(f"{op}: `padding` must be 'valid' or 'same'. Received: padding={padding!r}")
    return padding


def _conv_setup(inputs, kernel, strides, padding, data_format, dilation_rate, op):
    inputs, kernel = to_tensors(inputs, kernel)
    rank = inputs.dim() - 2
    if rank not in (1, 2, 3) or kernel.dim() != rank + 2:
        raise ValueError(f"{op}: `inputs` must be of rank 3, 4 or 5 and `kernel` of rank inputs.ndim. Received: "
                         f"inputs.shape={tuple(inputs.shape)}, kernel.shape={tuple(kernel.shape)}")
    data_format = backend.standardize_data_format(data_format)
    strides = _tuple(strides, rank, "strides", op)
    dilation = _tuple(dilation_rate, rank, "dilation_rate", op)
    x = _channels_first(inputs, data_format)
    if kernel.dtype != x.dtype:
        dtype = dtypes.torch_dtype(dtypes.result_type(dtypes.standardize_dtype(x.dtype),
                                                      dtypes.standardize_dtype(kernel.dtype)))
        x, kernel = x.to(dtype), kernel.to(dtype)
    return x, kernel, rank, strides, _check_padding(padding, op), dilation, data_format


def _conv_output_length(size, kernel, stride, padding, dilation):
    if size is None:
        return None
    if padding == "same":
        return -(-size // stride)
    if kernel is None:
        return None
    return (size - (kernel - 1) * dilation - 1) // stride + 1


def _conv_spec(function, args, kwargs):
    """Keras's output shape of the convolutions (``conv``, ``depthwise_conv``, ``separable_conv``)."""
    bound = arguments(function, args, kwargs)
    inputs = bound["inputs"]
    kernel = bound.get("kernel", bound.get("depthwise_kernel"))
    rank = len(inputs.shape) - 2
    data_format = backend.standardize_data_format(bound["data_format"])
    strides = _tuple(bound["strides"], rank, "strides", function.__name__)
    dilation = _tuple(bound["dilation_rate"], rank, "dilation_rate", function.__name__)
    padding = _check_padding(bound["padding"], function.__name__)
    spatial = inputs.shape[1:-1] if data_format == "channels_last" else inputs.shape[2:]
    lengths = [_conv_output_length(size, k, stride, padding, d)
               for size, k, stride, d in zip(spatial, kernel.shape[:rank], strides, dilation)]
    if function.__name__ == "conv":
        channels = kernel.shape[-1]
    elif function.__name__ == "depthwise_conv":
        channels = None if None in kernel.shape[-2:] else kernel.shape[-2] * kernel.shape[-1]
    else:
        channels = bound["pointwise_kernel"].shape[-1]
    shape = [inputs.shape[0]] + lengths + [channels] if data_format == "channels_last" else \
        [inputs.shape[0], channels] + lengths
    return KerasTensor(shape, inputs.dtype)


_conv_op = keras_op("nn", spec=_conv_spec)


@_conv_op
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """The N-D convolution (1 to 3 spatial dimensions) of ``inputs`` with ``kernel`` of shape
    ``(*kernel_size, in_channels / groups, out_channels)``; grouped when the input has more channels."""
    x, kernel, rank, strides, padding, dilation, data_format = _conv_setup(
        inputs, kernel, strides, padding, data_format, dilation_rate, "conv")
    channels, kernel_in = x.shape[1], kernel.shape[-2]
    if channels % kernel_in:
        raise ValueError(f"conv: the input's channels ({channels}) must be a multiple of the kernel's input "
                         f"channels ({kernel_in}). Received: inputs.shape={tuple(inputs.shape)}, "
                         f"kernel.shape={tuple(kernel.shape)}")
    x, torch_padding = _padded(x, padding, kernel.shape[:rank], strides, dilation, "constant")
    weight = kernel.permute(rank + 1, rank, *range(rank))
    outputs = _CONV[rank](x, weight, None, strides, torch_padding, dilation, channels // kernel_in)
    return _channels_last(outputs, data_format)


@_conv_op
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Each input channel convolved with its own ``multiplier`` filters: ``kernel`` of shape
    ``(*kernel_size, in_channels, multiplier)``; output channel ``c * multiplier + m``."""
    x, kernel, rank, strides, padding, dilation, data_format = _conv_setup(
        inputs, kernel, strides, padding, data_format, dilation_rate, "depthwise_conv")
    channels = x.shape[1]
    if kernel.shape[-2] != channels:
        raise ValueError(f"depthwise_conv: the kernel's input channels ({kernel.shape[-2]}) must equal the input's "
                         f"({channels}). Received: inputs.shape={tuple(inputs.shape)}, "
                         f"kernel.shape={tuple(kernel.shape)}")
    x, torch_padding = _padded(x, padding, kernel.shape[:rank], strides, dilation, "constant")
    merged = kernel.reshape(*kernel.shape[:rank], 1, -1)
    weight = merged.permute(rank + 1, rank, *range(rank))
    outputs = _CONV[rank](x, weight, None, strides, torch_padding, dilation, channels)
    return _channels_last(outputs, data_format)


@_conv_op
def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution."""
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(depthwise, pointwise_kernel, 1, "valid", data_format, 1)


def _transpose_crop(size, kernel, stride, padding, output_padding, dilation):
    """``(before, after)`` to drop from the full transposed convolution ``(size - 1) * stride + k_eff`` long, as
    Keras places its window; a negative ``after`` means zeros appended."""
    effective = (kernel - 1) * dilation + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = builtins.max(effective, stride) - effective
        left, right = effective - 1, effective - 1 + output_padding
    else:
        pad_len = stride + effective - 2 if output_padding is None else effective + effective % 2 - 2 + output_padding
        left = builtins.min(pad_len // 2 + pad_len % 2, effective - 1)
        right = pad_len - left
    return (effective - 1) - left, (effective - 1) - right


@_op
def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """The transposed convolution (the gradient of ``conv``) with ``kernel`` of shape
    ``(*kernel_size, out_channels, in_channels)``."""
    x, kernel, rank, strides, padding, dilation, data_format = _conv_setup(
        inputs, kernel, strides, padding, data_format, dilation_rate, "conv_transpose")
    if kernel.shape[-1] != x.shape[1]:
        raise ValueError(f"conv_transpose: the kernel's last axis ({kernel.shape[-1]}) must equal the input's "
                         f"channels ({x.shape[1]}). Received: inputs.shape={tuple(inputs.shape)}, "
                         f"kernel.shape={tuple(kernel.shape)}")
    output_padding = (None,) * rank if output_padding is None else _tuple(output_padding, rank, "output_padding",
                                                                           "conv_transpose")
    weight = kernel.permute(rank + 1, rank, *range(rank))
    full = _CONV_TRANSPOSE[rank](x, weight, None, strides, 0, 0, 1, dilation)
    crops = [_transpose_crop(*args) for args in zip(x.shape[2:], kernel.shape[:rank], strides,
                                                    (padding,) * rank, output_padding, dilation)]
    window = [builtins.slice(None), builtins.slice(None)]
    for (before, after), length in zip(crops, full.shape[2:]):
        window.append(builtins.slice(builtins.max(before, 0), length - builtins.max(after, 0)))
    outputs = full[tuple(window)]
    extend = [(builtins.max(-before, 0), builtins.max(-after, 0)) for before, after in crops]
    if builtins.any(a or b for a, b in extend):
        outputs = F.pad(outputs, [p for pair in reversed(extend) for p in pair])
    return _channels_last(outputs, data_format)


# ---- pooling ------------------------------------------------------------------------------------------------------

_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def _pool(kernel, inputs, pool_size, strides, padding, data_format, op, **options):
    inputs = to_tensor(inputs)
    rank = inputs.dim() - 2
    if rank not in (1, 2, 3):
        raise ValueError(f"{op}: `inputs` must be of rank 3, 4 or 5. Received: inputs.shape={tuple(inputs.shape)}")
    pool_size = _tuple(pool_size, rank, "pool_size", op)
    strides = pool_size if strides is None else _tuple(strides, rank, "strides", op)
    data_format = backend.standardize_data_format(data_format)
    x = _channels_first(inputs, data_format)
    x, torch_padding = _padded(x, _check_padding(padding, op), pool_size, strides, (1,) * rank, "replicate")
    return _channels_last(kernel[rank](x, pool_size, strides, torch_padding, **options), data_format)


@keras_op("nn", call=("inputs",))
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The maximum over windows of ``pool_size`` moved by ``strides`` (default: ``pool_size``)."""
    return _pool(_MAX_POOL, inputs, pool_size, strides, padding, data_format, "max_pool")


@keras_op("nn", call=("inputs",))
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The mean over windows of ``pool_size`` moved by ``strides`` (default: ``pool_size``)."""
    return _pool(_AVG_POOL, inputs, pool_size, strides, padding, data_format, "average_pool",
                 count_include_pad=False)


def _adaptive(kernels, inputs, output_size, data_format, op):
    inputs = to_tensor(inputs)
    rank = inputs.dim() - 2
    if rank not in (1, 2, 3):
        raise ValueError(f"{op}: `inputs` must be of rank 3, 4 or 5. Received: inputs.shape={tuple(inputs.shape)}")
    data_format = backend.standardize_data_format(data_format)
    size = _tuple(output_size, rank, "output_size", op)
    return _channels_last(kernels[rank](_channels_first(inputs, data_format), size), data_format)


@keras_op("nn", call=("inputs",))
def adaptive_average_pool(inputs, output_size, data_format=None):
    """The mean over the windows that divide the spatial dimensions into ``output_size`` parts."""
    return _adaptive({1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}, inputs,
                     output_size, data_format, "adaptive_average_pool")


@keras_op("nn", call=("inputs",))
def adaptive_max_pool(inputs, output_size, data_format=None):
    """The maximum over the windows that divide the spatial dimensions into ``output_size`` parts."""
    return _adaptive({1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}, inputs,
                     output_size, data_format, "adaptive_max_pool")


# ---- rearrangements -----------------------------------------------------------------------------------------------

@keras_op("nn", call=("x",))
def depth_to_space(x, block_size, data_format="channels_last"):
    """Blocks of ``block_size**2`` channels moved to ``block_size x block_size`` spatial blocks (TensorFlow's
    channel order)."""
    x = to_tensor(x)
    if x.dim() != 4:
        raise ValueError(f"depth_to_space needs a 4D tensor. Received: x.shape={tuple(x.shape)}")
    if data_format == "channels_last":
        n, h, w, c = x.shape
        x = x.reshape(n, h, w, block_size, block_size, c // block_size ** 2).permute(0, 1, 3, 2, 4, 5)
        return x.reshape(n, h * block_size, w * block_size, c // block_size ** 2)
    n, c, h, w = x.shape
    x = x.reshape(n, c // block_size ** 2, block_size, block_size, h, w).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(n, c // block_size ** 2, h * block_size, w * block_size)


@keras_op("nn", call=("x",))
def space_to_depth(x, block_size, data_format="channels_last"):
    """The inverse of ``depth_to_space``: ``block_size x block_size`` spatial blocks moved into channels."""
    x = to_tensor(x)
    if x.dim() != 4:
        raise ValueError(f"space_to_depth needs a 4D tensor. Received: x.shape={tuple(x.shape)}")
    if data_format == "channels_last":
        n, h, w, c = x.shape
        x = x.reshape(n, h // block_size, block_size, w // block_size, block_size, c).permute(0, 1, 3, 2, 4, 5)
        return x.reshape(n, h // block_size, w // block_size, c * block_size ** 2)
    n, c, h, w = x.shape
    x = x.reshape(n, c, h // block_size, block_size, w // block_size, block_size).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(n, c * block_size ** 2, h // block_size, w // block_size)


@keras_op("nn", call=("x",))
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding blocks of ``x`` (N, C, H, W) as columns: (N, C * prod(kernel_size), blocks) (``F.unfold``)."""
    return F.unfold(to_tensor(x), kernel_size, dilation, padding, stride)


@keras_op("nn", call=("x",))
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The inverse of ``unfold``, overlapping values summed (``F.fold``)."""
    return F.fold(to_tensor(x), output_size, kernel_size, dilation, padding, stride)


# ---- CTC ------------------------------------------------------------------------------------------------------------

@keras_op("nn", class_name="CTCLoss")
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """The connectionist temporal classification loss of each sample: ``output`` (batch, time, classes) are logits;
    ``mask_index`` is the blank class."""
    target, output = to_tensors(target, output)
    target_length, output_length = to_tensors(target_length, output_length)
    output = output.float() if output.dtype in (torch.float16, torch.bfloat16) or not output.is_floating_point() \
        else output
    log_probs = F.log_softmax(output.transpose(0, 1), dim=-1)
    return F.ctc_loss(log_probs, target.long(), output_length.long(), target_length.long(), blank=mask_index,
                      reduction="none")


def _ctc_decode_spec(function, args, kwargs):
    bound = arguments(function, args, kwargs)
    inputs, top_paths = bound["inputs"], bound["top_paths"]
    batch, time = inputs.shape[0], inputs.shape[1]
    return (KerasTensor((top_paths, batch, time), "int32"), KerasTensor((batch, top_paths), inputs.dtype))


@keras_op("nn", spec=_ctc_decode_spec, class_name="CTCDecode")
def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1, merge_repeated=True,
               mask_index=0):
    """Decode ``inputs`` (batch, time, classes) of each sample's ``sequence_lengths`` steps: the best class per
    step, repeats merged, blanks (``mask_index``) dropped. Returns ``(decoded, log_probabilities)``: decoded
    (1, batch, time) int32 padded with -1, and minus the sum of each step's best input (batch, 1)."""
    if strategy != "greedy":
        raise ValueError(f"ctc_decode: strategy={strategy!r} is not provided by kerastorch (yet); use 'greedy'.")
    if top_paths != 1:
        raise ValueError(f"ctc_decode: greedy decoding gives one path. Received: top_paths={top_paths}")
    inputs, sequence_lengths = to_tensors(inputs, sequence_lengths)
    best, indices = torch.max(_float(inputs), dim=-1)
    time = inputs.shape[1]
    valid = torch.arange(time, device=inputs.device)[None, :] < sequence_lengths.long()[:, None]
    keep = valid & (indices != mask_index)
    if merge_repeated:
        repeated = torch.zeros_like(keep)
        repeated[:, 1:] = indices[:, 1:] == indices[:, :-1]
        keep = keep & ~repeated
    # Kept steps first, in order (a stable sort of "dropped" flags), the rest -1.
    order = torch.sort((~keep).to(torch.int8), dim=1, stable=True).indices
    decoded = torch.where(torch.gather(keep, 1, order), torch.gather(indices, 1, order), -1).to(torch.int32)
    scores = -torch.sum(torch.where(valid, best, torch.zeros_like(best)), dim=1, keepdim=True)
    return decoded[None], scores


# ---- attention ----------------------------------------------------------------------------------------------------

def _attention_spec(function, args, kwargs):
    bound = arguments(function, args, kwargs)
    query, value = bound["query"], bound["value"]
    return KerasTensor(tuple(query.shape[:-1]) + (value.shape[-1],), query.dtype)


@keras_op("nn", spec=_attention_spec, call=("query", "key", "value", "bias", "mask", "scale"))
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """softmax(query . key / sqrt(head_dim) + bias, masked) . value, on ``(batch, length, heads, head_dim)``
    tensors; ``mask`` (True: attend) broadcasts to ``(batch, heads, query_length, key_length)``."""
    query, key, value = to_tensors(query, key, value)
    if query.dim() != 4 or key.dim() != 4 or value.dim() != 4:
        raise ValueError(f"`dot_product_attention` only supports 4D inputs. Received: query.shape="
                         f"{tuple(query.shape)}, key.shape={tuple(key.shape)}, value.shape={tuple(value.shape)}.")
    if attn_logits_soft_cap is not None:
        raise ValueError("attn_logits_soft_cap is only supported for JAX on TPU (as in Keras). Set "
                         "attn_logits_soft_cap=None.")
    q, k, v = (t.transpose(1, 2) for t in (query, key, value))      # (batch, heads, length, dim)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    logits = torch.matmul(q, k.transpose(-1, -2)) * scale
    if bias is not None:
        logits = logits + to_tensor(bias, logits.dtype, logits.device)
    allowed = None
    if mask is not None:
        allowed = to_tensor(mask, device=logits.device).to(torch.bool)
    if is_causal:
        causal = torch.ones(q.shape[2], k.shape[2], dtype=torch.bool, device=logits.device).tril()
        allowed = causal if allowed is None else allowed & causal
    if allowed is not None:
        logits = logits.masked_fill(~allowed, torch.finfo(logits.dtype).min)
    weights = torch.softmax(logits.float(), dim=-1).to(logits.dtype)
    return torch.matmul(weights, v).transpose(1, 2)


__all__ = sorted(name for name, value in list(globals().items())
                 if hasattr(value, "operation_class") and getattr(value, "__module__", None) == __name__)

__getattr__ = missing_attribute(__name__)
