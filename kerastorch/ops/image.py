"""``keras.ops.image`` on torch: resizing, affine warps and coordinate sampling, crops and pads, color spaces,
patches and filters.

Images are ``(batch, height, width, channels)`` (or one image without the batch axis), channels_first when
``data_format`` says so. Resizing is ``F.interpolate`` as in Keras on torch; sampling (``map_coordinates``,
``affine_transform``) interpolates at the 2**rank corners of every point at once, with scipy's fill modes.
"""
import builtins
import itertools

import torch
import torch.nn.functional as F

from kerastorch import backend, dtypes
from kerastorch._porting import missing_attribute
from kerastorch.keras_tensor import KerasTensor
from kerastorch.ops import nn
from kerastorch.ops._dispatch import arguments, keras_op, to_tensor

_op = keras_op("image")


def _like_images(function, args, kwargs):
    """The spec of an op whose result has the shape and dtype of its images."""
    images = args[0]
    return KerasTensor(images.shape, images.dtype)


def _same_as_images(class_name=None):
    return keras_op("image", spec=_like_images, class_name=class_name)

RESIZE_INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _check_rank(images, op):
    if images.dim() not in (3, 4):
        raise ValueError(f"{op}: invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         f"Received input with shape: images.shape={tuple(images.shape)}")


def _channel_axis(data_format):
    return -1 if backend.standardize_data_format(data_format) == "channels_last" else -3


# ---- color spaces ------------------------------------------------------------------------------------------------

@keras_op("image", class_name="RGBToGrayscale")
def rgb_to_grayscale(images, data_format=None):
    """The luma 0.2989 R + 0.587 G + 0.114 B, as one channel (grayscale images are returned as they are)."""
    images = to_tensor(images)
    _check_rank(images, "rgb_to_grayscale")
    axis = _channel_axis(data_format)
    if images.shape[axis] not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received "
                         f"input with shape: images.shape={tuple(images.shape)}")
    if images.shape[axis] == 1:
        return images.clone()
    r, g, b = images.unbind(dim=axis)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(images.dtype).unsqueeze(axis)


def _float_images(images, op):
    images = to_tensor(images)
    _check_rank(images, op)
    if not images.is_floating_point():
        raise ValueError(f"{op}: invalid images dtype: expected float dtype. Received: "
                         f"images.dtype={dtypes.standardize_dtype(images.dtype)}")
    return images


@_same_as_images("RGBToHSV")
def rgb_to_hsv(images, data_format=None):
    """RGB images (values in [0, 1]) as hue, saturation, value, each in [0, 1]."""
    images = _float_images(images, "rgb_to_hsv")
    axis = _channel_axis(data_format)
    images = torch.where(images.abs() < torch.finfo(images.dtype).eps, 0.0, images)
    r, g, b = images.unbind(dim=axis)
    value = torch.maximum(torch.maximum(r, g), b)
    spread = value - torch.minimum(torch.minimum(r, g), b)
    saturation = torch.where(value > 0, spread / torch.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * torch.where(spread > 0, spread, 1.0))
    hue = torch.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = torch.where(value == r, norm * (g - b), hue)
    hue = torch.where(spread > 0, hue, 0.0) + (hue < 0.0).to(hue.dtype)
    return torch.stack([hue, saturation, value], dim=axis)


@_same_as_images("HSVToRGB")
def hsv_to_rgb(images, data_format=None):
    """HSV images (each channel in [0, 1]) as RGB."""
    images = _float_images(images, "hsv_to_rgb")
    axis = _channel_axis(data_format)
    hue, saturation, value = images.unbind(dim=axis)
    sector = torch.remainder(hue, 1.0) * 6.0
    red = torch.clamp(torch.abs(sector - 3.0) - 1.0, 0.0, 1.0)
    green = torch.clamp(2.0 - torch.abs(sector - 2.0), 0.0, 1.0)
    blue = torch.clamp(2.0 - torch.abs(sector - 4.0), 0.0, 1.0)
    grey = 1.0 - saturation
    return torch.stack([value * (grey + saturation * c) for c in (red, green, blue)], dim=axis)


# ---- resizing ----------------------------------------------------------------------------------------------------

def _resize_spec(function, args, kwargs):
    bound = arguments(function, args, kwargs)
    images, size = bound["images"], tuple(bound["size"])
    shape = list(images.shape)
    if backend.standardize_data_format(bound["data_format"]) == "channels_last":
        shape[-3:-1] = size
    else:
        shape[-2:] = size
    return KerasTensor(shape, images.dtype)


def _aspect_window(height, width, target_height, target_width, grow):
    """The (height, width) of the centered box with the target's aspect ratio: inside the image (crop) or
    around it (pad)."""
    box_height = int(float(width * target_height) / target_width)
    box_width = int(float(height * target_width) / target_height)
    if grow:
        return builtins.max(height, box_height), builtins.max(width, box_width)
    return builtins.max(builtins.min(height, box_height), 1), builtins.max(builtins.min(width, box_width), 1)


@keras_op("image", spec=_resize_spec, call=("images",))
def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """``images`` resized to ``size`` (height, width) by ``F.interpolate``, optionally first cropped or padded
    (with ``fill_value``) to the target's aspect ratio."""
    data_format = backend.standardize_data_format(data_format)
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(f"resize: invalid value for argument `interpolation`. Expected one of "
                         f"{sorted(RESIZE_INTERPOLATIONS)}. Received: interpolation={interpolation!r}")
    if fill_mode != "constant":
        raise ValueError(f"resize: only fill_mode='constant' is supported. Received: fill_mode={fill_mode!r}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("resize: only one of `pad_to_aspect_ratio` and `crop_to_aspect_ratio` can be True.")
    if len(size) != 2:
        raise ValueError(f"resize: `size` must be (height, width). Received: size={size!r}")
    images = to_tensor(images)
    _check_rank(images, "resize")
    single = images.dim() == 3
    x = images[None] if single else images
    dtype = x.dtype
    if dtype not in (torch.float32, torch.float64):
        x = x.float()
    if data_format == "channels_last":
        x = x.permute(0, 3, 1, 2)
    height, width = x.shape[-2:]
    if crop_to_aspect_ratio:
        box_height, box_width = _aspect_window(height, width, size[0], size[1], grow=False)
        top, left = int(float(height - box_height) / 2), int(float(width - box_width) / 2)
        x = x[:, :, top:top + box_height, left:left + box_width]
    elif pad_to_aspect_ratio:
        box_height, box_width = _aspect_window(height, width, size[0], size[1], grow=True)
        top, left = int(float(box_height - height) / 2), int(float(box_width - width) / 2)
        x = F.pad(x, (left, left, top, top), value=float(fill_value))
    resized = F.interpolate(x, size=tuple(size), mode=RESIZE_INTERPOLATIONS[interpolation],
                            align_corners=False if interpolation != "nearest" else None,
                            antialias=bool(antialias) and interpolation != "nearest")
    if data_format == "channels_last":
        resized = resized.permute(0, 2, 3, 1)
    if dtype != resized.dtype:
        if not dtype.is_floating_point:
            info = torch.iinfo(dtype)
            resized = torch.round(resized).clamp(info.min, info.max)
        resized = resized.to(dtype)
    return resized[0] if single else resized


# ---- sampling -------------------------------------------------------------------------------------------------

def _mirror(index, size):
    period = size - 1
    return torch.abs((index + period) % (2 * period) - period) if period > 0 else torch.zeros_like(index)


def _fixed_index(index, size, fill_mode):
    """``index`` brought inside [0, size) as scipy's ``mode`` does (constant mode: clipped, then masked)."""
    if fill_mode in ("constant", "nearest"):
        return index.clamp(0, size - 1)
    if fill_mode == "wrap":
        return index % size
    if fill_mode == "mirror":
        return _mirror(index, size)
    return torch.div(_mirror(2 * index + 1, 2 * size + 1) - 1, 2, rounding_mode="floor")   # reflect


def _corners(coordinate, order):
    """``[(index, weight), ...]`` of the interpolation nodes of one coordinate array."""
    if order == 0:
        rounded = coordinate if not coordinate.is_floating_point() else torch.round(coordinate)
        return [(rounded.long(), None)]
    lower = torch.floor(coordinate)
    upper_weight = coordinate - lower
    return [(lower.long(), 1 - upper_weight), (lower.long() + 1, upper_weight)]


def _sample(inputs, coordinates, order, fill_mode, fill_value):
    """``inputs`` read at ``coordinates`` (one array per axis of ``inputs``) by nearest (order 0) or linear
    (order 1) interpolation; every corner of every point is gathered at once."""
    if fill_mode not in FILL_MODES:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected one of {set(FILL_MODES)}. Received: "
                         f"fill_mode={fill_mode}")
    if order not in (0, 1):
        raise ValueError(f"map_coordinates: `order` must be 0 or 1. Received: order={order}")
    per_axis = []
    for coordinate, size in zip(coordinates, inputs.shape):
        nodes = []
        for index, weight in _corners(coordinate, order):
            valid = (index >= 0) & (index < size) if fill_mode == "constant" else None
            nodes.append((_fixed_index(index, size, fill_mode), valid, weight))
        per_axis.append(nodes)
    integer = not inputs.is_floating_point()
    if integer and isinstance(fill_value, float):
        fill_value = int(fill_value)
    result = 0
    for corner in itertools.product(*per_axis):
        indices, validities, weights = zip(*corner)
        value = inputs[indices]
        masks = [v for v in validities if v is not None]
        if masks:
            value = torch.where(torch.stack(masks).all(dim=0), value, torch.as_tensor(fill_value, dtype=value.dtype,
                                                                                     device=value.device))
        for weight in weights:
            if weight is not None:
                value = value * weight
        result = result + value
    if integer and result.is_floating_point():
        result = torch.round(result)
    return result.to(inputs.dtype)


def _map_coordinates_spec(function, args, kwargs):
    bound = arguments(function, args, kwargs)
    coordinates = bound["coordinates"]
    shape = coordinates.shape[1:] if isinstance(coordinates, KerasTensor) else tuple(coordinates[0].shape)
    return KerasTensor(shape, bound["inputs"].dtype)


@keras_op("image", spec=_map_coordinates_spec, call=("inputs", "coordinates"))
def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """``inputs`` sampled at ``coordinates`` (shape ``(inputs.ndim, *output_shape)``) as scipy's
    ``map_coordinates`` with ``order`` 0 or 1; outside points follow ``fill_mode``."""
    inputs = to_tensor(inputs)
    coordinates = [to_tensor(c, device=inputs.device) for c in coordinates]
    if len(coordinates) != inputs.dim():
        raise ValueError(f"First dim of `coordinates` must be the same as the rank of `inputs`. Received inputs "
                         f"with shape: {tuple(inputs.shape)} and coordinate leading dim of {len(coordinates)}")
    if coordinates[0].dim() < 1:
        raise ValueError(f"Invalid coordinates rank: expected at least rank 2. Received input with shape: "
                         f"{(len(coordinates),) + tuple(coordinates[0].shape)}")
    return _sample(inputs, coordinates, order, fill_mode, fill_value)


@_same_as_images()
def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0,
                     data_format=None):
    """``images`` warped by ``transform`` (8 numbers per image ``[a0, a1, a2, b0, b1, b2, c0, c1]``): the output
    pixel (x, y) reads the input at ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1."""
    orders = {"nearest": 0, "bilinear": 1}
    if interpolation not in orders:
        raise ValueError(f"affine_transform: invalid value for argument `interpolation`. Expected one of "
                         f"{set(orders)}. Received: interpolation={interpolation!r}")
    images = to_tensor(images)
    transform = to_tensor(transform, device=images.device)
    _check_rank(images, "affine_transform")
    if transform.dim() not in (1, 2) or transform.shape[-1] != 8:
        raise ValueError(f"affine_transform: invalid transform shape: expected (8,) or (batch, 8). Received: "
                         f"transform.shape={tuple(transform.shape)}")
    single = images.dim() == 3
    x = images[None] if single else images
    if backend.standardize_data_format(data_format) == "channels_first":
        x = x.permute(0, 2, 3, 1)
    batch, height, width, channels = x.shape
    transform = torch.broadcast_to(transform.reshape(-1, 8), (batch, 8))
    compute = transform.dtype if transform.is_floating_point() else torch.float32
    transform = transform.to(compute)
    rows = torch.arange(height, dtype=compute, device=x.device).view(1, height, 1, 1)
    columns = torch.arange(width, dtype=compute, device=x.device).view(1, 1, width, 1)
    a0, a1, a2, b0, b1, b2, c0, c1 = (t.view(batch, 1, 1, 1) for t in transform.unbind(-1))
    k = c0 * columns + c1 * rows + 1
    x_in = ((a0 * columns + a1 * rows + a2) / k).expand(batch, height, width, channels)
    y_in = ((b0 * columns + b1 * rows + b2) / k).expand(batch, height, width, channels)
    batch_index = torch.arange(batch, device=x.device).view(batch, 1, 1, 1).expand_as(x_in)
    channel_index = torch.arange(channels, device=x.device).view(1, 1, 1, channels).expand_as(x_in)
    warped = _sample(x, [batch_index, y_in, x_in, channel_index], orders[interpolation], fill_mode, fill_value)
    if backend.standardize_data_format(data_format) == "channels_first":
        warped = warped.permute(0, 3, 1, 2)
    return warped[0] if single else warped


# ---- crops, pads, patches ----------------------------------------------------------------------------------------

def _spatial_axes(images, data_format):
    return (-3, -2) if backend.standardize_data_format(data_format) == "channels_last" else (-2, -1)


def _margins(first, second, target, size, names, sign, op):
    """``(first, second)``: the margins of one spatial dimension from exactly two of ``first``, ``second`` and
    ``target`` (``size + sign * (first + second) == target``: sign -1 crops, +1 pads)."""
    given = [first, second, target]
    if given.count(None) != 1:
        raise ValueError(f"{op}: exactly two of `{names[0]}`, `{names[1]}` and `{names[2]}` must be set. "
                         f"Received: {names[0]}={first}, {names[1]}={second}, {names[2]}={target}")
    for name, value in zip(names, given):
        if value is not None and value < 0:
            raise ValueError(f"{op}: `{name}` must be non-negative. Received: {name}={value}")
    if first is None:
        first = sign * (target - size) - second
    elif second is None:
        second = sign * (target - size) - first
    if first < 0 or second < 0 or size + sign * (first + second) < 0:
        raise ValueError(f"{op}: the image ({size}) and `{names[2]}` ({target}) need {names[0]}={first} and "
                         f"{names[1]}={second}, which are not both non-negative.")
    return first, second


_HEIGHT_NAMES = ("top_{}", "bottom_{}", "target_height")
_WIDTH_NAMES = ("left_{}", "right_{}", "target_width")


def _crop_or_pad(images, margins, data_format, op):
    """``(images, [(first, second) per spatial axis], (height axis, width axis))``, after checking."""
    images = to_tensor(images)
    _check_rank(images, op)
    word = "cropping" if op == "crop_images" else "padding"
    sign = -1 if op == "crop_images" else 1
    axes = _spatial_axes(images, data_format)
    pairs = [_margins(*values, images.shape[axis], tuple(n.format(word) for n in names), sign, op)
             for values, axis, names in zip(margins, axes, (_HEIGHT_NAMES, _WIDTH_NAMES))]
    return images, pairs, axes


def _crop_pad_spec(function, args, kwargs):
    bound = arguments(function, args, kwargs)
    images = bound["images"]
    shape = list(images.shape)
    word = "cropping" if function.__name__ == "crop_images" else "padding"
    sign = -1 if function.__name__ == "crop_images" else 1
    for axis, names in zip(_spatial_axes(images, bound["data_format"]), (_HEIGHT_NAMES, _WIDTH_NAMES)):
        first, second, target = (bound[name.format(word)] for name in names)
        if target is not None:
            shape[axis] = target
        elif shape[axis] is not None:
            shape[axis] += sign * (first + second)
    return KerasTensor(shape, images.dtype)


@keras_op("image", spec=_crop_pad_spec)
def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None, right_cropping=None,
                target_height=None, target_width=None, data_format=None):
    """``images`` cropped: per dimension two of the margins and the target size (``top_cropping`` and
    ``target_height``, say)."""
    images, pairs, axes = _crop_or_pad(images, ((top_cropping, bottom_cropping, target_height),
                                                (left_cropping, right_cropping, target_width)), data_format,
                                       "crop_images")
    index = [builtins.slice(None)] * images.dim()
    for (first, second), axis in zip(pairs, axes):
        index[axis] = builtins.slice(first, images.shape[axis] - second)
    return images[tuple(index)]


@keras_op("image", spec=_crop_pad_spec)
def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None,
               target_height=None, target_width=None, data_format=None):
    """``images`` padded with zeros: per dimension two of the margins and the target size."""
    images, pairs, axes = _crop_or_pad(images, ((top_padding, bottom_padding, target_height),
                                                (left_padding, right_padding, target_width)), data_format,
                                       "pad_images")
    pads = [0, 0] * images.dim()
    for (first, second), axis in zip(pairs, axes):
        pads[2 * (-axis - 1):2 * (-axis - 1) + 2] = [first, second]   # F.pad lists the last axis first
    return F.pad(images, pads)


@keras_op("image", call=("images",))
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Every ``size`` patch of ``images``, flattened into the channel axis: ``(batch, rows, columns,
    patch_height * patch_width * channels)``."""
    images = to_tensor(images)
    size = (size, size) if isinstance(size, int) else tuple(size)
    if len(size) != 2:
        raise ValueError(f"extract_patches: `size` must be an int or (height, width) (3D patches: "
                         f"extract_patches_3d). Received: size={size!r}")
    data_format = backend.standardize_data_format(data_format)
    channels = images.shape[-1] if data_format == "channels_last" else images.shape[-3]
    out_dim = size[0] * size[1] * channels
    kernel = torch.eye(out_dim, dtype=images.dtype if images.is_floating_point() else torch.float32,
                       device=images.device).reshape(size[0], size[1], channels, out_dim)
    single = images.dim() == 3
    patches = nn.conv(images[None] if single else images, kernel, strides=strides or size, padding=padding,
                      data_format=data_format, dilation_rate=dilation_rate)
    return patches[0] if single else patches


def _depthwise_filter(images, kernels, data_format, op):
    """Each channel of ``images`` convolved ('same', zeros outside) with each 2D kernel of ``kernels``
    (k, h, w): results of shape ``images.shape + (k,)`` for several kernels, ``images.shape`` for one."""
    images = to_tensor(images)
    _check_rank(images, op)
    single = images.dim() == 3
    x = images[None] if single else images
    last = backend.standardize_data_format(data_format) == "channels_last"
    if last:
        x = x.permute(0, 3, 1, 2)
    channels, count = x.shape[1], kernels.shape[0]
    weight = kernels.to(x.dtype).repeat(channels, 1, 1)[:, None]        # (channels * k, 1, h, w)
    pad_h, pad_w = kernels.shape[1] // 2, kernels.shape[2] // 2
    out = F.conv2d(x, weight, padding=(pad_h, pad_w), groups=channels)
    out = out.reshape(out.shape[0], channels, count, *out.shape[2:]).movedim(2, -1)   # (n, c, h, w, k)
    if last:
        out = out.permute(0, 2, 3, 1, 4)
    out = out[0] if single else out
    return out[..., 0] if count == 1 else out


def _filtered_spec(function, args, kwargs):
    images = args[0]
    extra = (2,) if function.__name__ == "sobel_edges" else ()
    return KerasTensor(tuple(images.shape) + extra, images.dtype)


@keras_op("image", spec=_filtered_spec)
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """``images`` blurred channel by channel with a normalized Gaussian kernel of ``kernel_size`` (height,
    width) and standard deviations ``sigma`` (along width, then height, as Keras)."""
    images = to_tensor(images)
    kernel_size, sigma = tuple(int(k) for k in kernel_size), tuple(float(s) for s in sigma)

    def profile(size, deviation):
        offsets = torch.arange(size, dtype=images.dtype if images.is_floating_point() else torch.float32,
                               device=images.device) - (size - 1) / 2
        weights = torch.exp(-0.5 * (offsets / deviation) ** 2)
        return weights / weights.sum()

    kernel = torch.outer(profile(kernel_size[1], sigma[1]), profile(kernel_size[0], sigma[0]))
    return _depthwise_filter(images, kernel[None], data_format, "gaussian_blur")


_SOBEL = torch.tensor([[[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]],
                       [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]])


@keras_op("image", spec=_filtered_spec)
def sobel_edges(images, data_format=None):
    """The vertical and horizontal Sobel gradients of each channel, stacked last: ``images.shape + (2,)``."""
    images = to_tensor(images)
    return _depthwise_filter(images, _SOBEL.to(images.device), data_format, "sobel_edges")


__all__ = sorted(name for name, value in list(globals().items())
                 if hasattr(value, "operation_class") and getattr(value, "__module__", None) == __name__)

__getattr__ = missing_attribute(__name__)
