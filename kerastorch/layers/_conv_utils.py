"""Rules shared by the convolution, pooling and reshaping layers: argument checks, 'same' padding arithmetic
and the channels_last <-> channels_first views.

Keras keeps images channels_last (NHWC); torch's kernels take NCHW. ``to_channels_first`` permutes an NHWC tensor
to NCHW without copying: the view has channels_last strides, which torch's conv, pooling and batch-norm kernels
run on natively, and their outputs keep that memory format, so ``to_channels_last`` gives back a contiguous
NHWC tensor, again without a copy.
"""
import numbers

import torch.nn.functional as F

from kerastorch import backend


def normalize_tuple(value, n, name, layer, allow_zero=False):
    """``value`` (an int or ``n`` ints) as a tuple of ``n`` ints, each positive (or >= 0 with ``allow_zero``).

    Args:
        value: the argument as given.
        n: the tuple length (the number of spatial dimensions).
        name: the argument's name, for the error.
        layer: the layer that received it, named in the error.
        allow_zero: accept 0 entries.
    """
    lowest = 0 if allow_zero else 1
    expected = "non-negative" if allow_zero else "positive"
    try:
        values = (value,) * n if _is_int(value) else tuple(value)
    except TypeError:
        values = None
    if values is None or len(values) != n or not all(_is_int(v) and v >= lowest for v in values):
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): the `{name}` argument must be a "
                         f"{expected} integer or a tuple of {n} {expected} integers. Received: {name}={value!r}")
    return tuple(int(v) for v in values)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(value, name, layer):
    """``value`` if it is a positive integer, else a ValueError naming ``layer`` and the value."""
    if not _is_int(value) or value <= 0:
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): invalid value for argument `{name}`, "
                         f"expected a positive integer. Received: {name}={value!r}")
    return int(value)


def standardize_padding(value, layer, allowed=("valid", "same")):
    """The padding mode, lower-cased, or a ValueError naming the layer and the valid modes."""
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): invalid `padding` argument. Expected one "
                         f"of {list(allowed)}. Received: padding={value!r}")
    return padding


def standardize_data_format(value, layer):
    """``channels_last`` or ``channels_first`` (None means ``backend.image_data_format()``)."""
    try:
        return backend.standardize_data_format(value)
    except ValueError:
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): invalid `data_format` argument. Expected "
                         f"'channels_last' or 'channels_first'. Received: data_format={value!r}") from None


def check_rank(layer, input_shape, ndim):
    """Refuse an input whose rank is not ``ndim``, before ``build`` uses its shape."""
    input_shape = tuple(input_shape)
    if len(input_shape) != ndim:
        raise ValueError(f"Input 0 of layer '{layer.name}' is incompatible with the layer: expected ndim={ndim}, "
                         f"found ndim={len(input_shape)}. Full shape received: {input_shape}")


def spatial_shape(input_shape, data_format):
    return tuple(input_shape[1:-1]) if data_format == "channels_last" else tuple(input_shape[2:])


def channels_of(input_shape, data_format):
    return input_shape[-1] if data_format == "channels_last" else input_shape[1]


def with_spatial(input_shape, spatial, channels, data_format):
    """The shape ``(batch, *spatial, channels)`` or ``(batch, channels, *spatial)``."""
    if data_format == "channels_last":
        return (input_shape[0],) + tuple(spatial) + (channels,)
    return (input_shape[0], channels) + tuple(spatial)


def to_channels_first(x, data_format):
    """An NCHW-ordered view of ``x`` (no copy): NHWC inputs are permuted, channels_first ones returned as is."""
    if data_format == "channels_first":
        return x
    return x.permute(0, x.dim() - 1, *range(1, x.dim() - 1))


def to_channels_last(y, data_format):
    """Undo ``to_channels_first`` on an NCHW-ordered result."""
    if data_format == "channels_first":
        return y
    return y.permute(0, *range(2, y.dim()), 1)


def same_padding(size, kernel, stride, dilation=1):
    """TensorFlow's 'same' padding of one dimension, ``(before, after)``: enough for ``ceil(size / stride)``
    outputs, split evenly with the odd element at the end."""
    effective_kernel = (kernel - 1) * dilation + 1
    outputs = -(-size // stride)
    total = max((outputs - 1) * stride + effective_kernel - size, 0)
    return total // 2, total - total // 2


def same_paddings(sizes, kernels, strides, dilations=None):
    """``same_padding`` for each spatial dimension."""
    dilations = dilations or (1,) * len(sizes)
    return [same_padding(*args) for args in zip(sizes, kernels, strides, dilations)]


def torch_pad_arg(paddings):
    """``[(before, after), ...]`` for dims 2, 3, ... as ``F.pad``'s argument (last dimension first)."""
    flat = []
    for before, after in reversed(paddings):
        flat.extend((before, after))
    return tuple(flat)


def pad_same(x, paddings, value=0.0):
    """Torch's symmetric ``padding`` argument when ``paddings`` allow it, else ``x`` padded with ``F.pad`` (the
    asymmetric case: even kernels, or sizes the stride does not divide) and padding 0.

    Returns:
        ``(x, padding)`` ready for a torch conv or pooling function.
    """
    if all(before == after for before, after in paddings):
        return x, tuple(before for before, _ in paddings)
    return F.pad(x, torch_pad_arg(paddings), value=value), 0


def conv_output_length(size, kernel, stride, padding, dilation=1):
    """The output length of a convolution or pooling along one dimension (None stays None)."""
    if size is None:
        return None
    if padding in ("same", "causal"):
        return -(-size // stride)
    effective_kernel = (kernel - 1) * dilation + 1
    return (size - effective_kernel) // stride + 1


def conv_output_spatial(layer, input_shape, kernel_size, strides, padding, dilation_rate, data_format):
    """The output's spatial shape, or a ValueError naming ``layer`` when a 'valid' window does not fit."""
    sizes = spatial_shape(input_shape, data_format)
    lengths = tuple(conv_output_length(*args, padding, d) for args, d in
                    zip(zip(sizes, kernel_size, strides), dilation_rate))
    if any(length is not None and length <= 0 for length in lengths):
        window = tuple((k - 1) * d + 1 for k, d in zip(kernel_size, dilation_rate))
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): the window {window} (kernel/pool size "
                         f"{tuple(kernel_size)}, dilation_rate {tuple(dilation_rate)}) is larger than the unpadded "
                         f"input's spatial shape {sizes} with padding='{padding}'. Received input shape "
                         f"{tuple(input_shape)}; use a smaller kernel or padding='same'.")
    return lengths
