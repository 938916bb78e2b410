"""Image preprocessing and augmentation layers: Rescaling, Resizing, CenterCrop, and the random augmentations
RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomCrop, RandomContrast, RandomBrightness.

Random layers change images only in training (``training=True`` or inside ``fit``) and pass them through, or
resize them deterministically, in inference, as Keras's do. Each draws one set of parameters per image, all at
once, and applies them as one batched op (an affine grid for geometry, broadcasting for colour).
"""
import math

import torch
import torch.nn.functional as F

from kerastorch import backend
from kerastorch.layers.layer import Layer

_FILL_MODES = {"reflect": "reflection", "constant": "zeros", "nearest": "border", "wrap": "reflection"}
_INTERPOLATIONS = ("bilinear", "nearest")


def _to_nchw(images, data_format):
    """A batch of images as NCHW (a view for NHWC input), and whether a batch axis was added."""
    unbatched = images.dim() == 3
    if unbatched:
        images = images.unsqueeze(0)
    if images.dim() != 4:
        raise ValueError(f"Expected images of rank 3 or 4. Received shape {tuple(images.shape)}")
    if data_format == "channels_last":
        images = images.permute(0, 3, 1, 2)
    return images, unbatched


def _from_nchw(images, data_format, unbatched):
    if data_format == "channels_last":
        # Contiguous NHWC: a permuted view of NCHW memory made the convolutions after it 2.6x slower.
        images = images.permute(0, 2, 3, 1).contiguous()
    return images[0] if unbatched else images


def _factor_range(factor, name, symmetric_default=True):
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"`{name}` must be a float or a pair of floats. Received: {name}={factor}")
        low, high = float(factor[0]), float(factor[1])
    else:
        low, high = (-abs(float(factor)), abs(float(factor))) if symmetric_default else (0.0, float(factor))
    if low > high:
        raise ValueError(f"`{name}` must have lower bound <= upper bound. Received: {name}={factor}")
    return low, high


class _RandomLayer(Layer):
    """Shared seeding for random layers: a seeded generator when ``seed`` is given, else torch's global one."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.data_format = backend.standardize_data_format(data_format)
        self._generator = None
        self.built = True

    def _uniform(self, shape, low, high, device):
        if self.seed is not None and (self._generator is None or self._generator.device != device):
            self._generator = torch.Generator(device=device)
            self._generator.manual_seed(int(self.seed))
        values = torch.rand(shape, generator=self._generator if self.seed is not None else None, device=device)
        return low + (high - low) * values

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}


class RandomFlip(_RandomLayer):
    """Flips each image left-right and/or up-down with probability 1/2, in training.

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``.
        seed: makes the flips reproducible.
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode argument {mode!r}; expected "
                             f"'horizontal', 'vertical' or 'horizontal_and_vertical'.")
        self.mode = mode

    def call(self, inputs, training=False):
        if not training:
            return inputs
        images, unbatched = _to_nchw(inputs, self.data_format)
        batch = images.shape[0]
        if "horizontal" in self.mode:
            flip = (self._uniform((batch, 1, 1, 1), 0, 1, images.device) < 0.5)
            images = torch.where(flip, images.flip(3), images)
        if "vertical" in self.mode:
            flip = (self._uniform((batch, 1, 1, 1), 0, 1, images.device) < 0.5)
            images = torch.where(flip, images.flip(2), images)
        return _from_nchw(images, self.data_format, unbatched)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class _AffineLayer(_RandomLayer):
    """Geometry through one batched affine_grid + grid_sample."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if fill_mode not in _FILL_MODES:
            raise ValueError(f"Unknown `fill_mode` {fill_mode!r}. Expected one of {sorted(_FILL_MODES)}.")
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"Unknown `interpolation` {interpolation!r}. Expected one of {_INTERPOLATIONS}.")
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value

    def _transform(self, inputs, theta):
        images, unbatched = _to_nchw(inputs, self.data_format)
        grid = F.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False)
        out = F.grid_sample(images, grid, mode=self.interpolation, padding_mode=_FILL_MODES[self.fill_mode],
                            align_corners=False)
        if self.fill_mode == "constant" and self.fill_value:
            inside = F.grid_sample(torch.ones_like(images[:, :1]), grid, mode="nearest", align_corners=False)
            out = out + (1 - inside) * self.fill_value
        return _from_nchw(out, self.data_format, unbatched)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}


class RandomRotation(_AffineLayer):
    """Rotates each image by a random angle of ``factor * 2π`` (a float f means [-f, f]), in training."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 value_range=(0, 255), data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = factor
        self._range = _factor_range(factor, "factor")
        self.value_range = value_range

    def call(self, inputs, training=False):
        if not training:
            return inputs
        batch = inputs.shape[0] if inputs.dim() == 4 else 1
        angle = self._uniform((batch,), *self._range, inputs.device) * 2 * math.pi
        cos, sin = torch.cos(angle), torch.sin(angle)
        zero = torch.zeros_like(cos)
        theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
        return self._transform(inputs, theta)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomZoom(_AffineLayer):
    """Zooms each image by a random factor, in training: a positive factor zooms out, a negative one in (a float f
    means [-f, f]); ``width_factor=None`` keeps the aspect ratio."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = _factor_range(height_factor, "height_factor")
        self._width_range = None if width_factor is None else _factor_range(width_factor, "width_factor")

    def call(self, inputs, training=False):
        if not training:
            return inputs
        batch = inputs.shape[0] if inputs.dim() == 4 else 1
        zoom_h = 1 + self._uniform((batch,), *self._height_range, inputs.device)
        zoom_w = zoom_h if self._width_range is None else 1 + self._uniform((batch,), *self._width_range,
                                                                             inputs.device)
        zero = torch.zeros_like(zoom_h)
        theta = torch.stack([torch.stack([zoom_w, zero, zero], 1), torch.stack([zero, zoom_h, zero], 1)], 1)
        return self._transform(inputs, theta)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random fraction of its height and width, in training."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = _factor_range(height_factor, "height_factor")
        self._width_range = _factor_range(width_factor, "width_factor")

    def call(self, inputs, training=False):
        if not training:
            return inputs
        batch = inputs.shape[0] if inputs.dim() == 4 else 1
        # affine_grid works in [-1, 1], so a shift of a fraction f of the size is 2f.
        dy = -2 * self._uniform((batch,), *self._height_range, inputs.device)
        dx = -2 * self._uniform((batch,), *self._width_range, inputs.device)
        one, zero = torch.ones_like(dx), torch.zeros_like(dx)
        theta = torch.stack([torch.stack([one, zero, dx], 1), torch.stack([zero, one, dy], 1)], 1)
        return self._transform(inputs, theta)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


def _crop_offsets_shape(shape, data_format):
    return (shape[-3], shape[-2]) if data_format == "channels_last" else (shape[-2], shape[-1])


def _resize(inputs, height, width, interpolation, crop_to_aspect_ratio, data_format):
    images, unbatched = _to_nchw(inputs, data_format)
    if not images.is_floating_point():
        images = images.to(backend.torch_dtype())
    if crop_to_aspect_ratio:
        source_h, source_w = images.shape[2], images.shape[3]
        target = width / height
        crop_h = min(source_h, int(round(source_w / target)))
        crop_w = min(source_w, int(round(source_h * target)))
        top, left = (source_h - crop_h) // 2, (source_w - crop_w) // 2
        images = images[:, :, top:top + crop_h, left:left + crop_w]
    kwargs = {"align_corners": False, "antialias": False} if interpolation in ("bilinear", "bicubic") else {}
    images = F.interpolate(images, size=(height, width), mode=interpolation, **kwargs)
    return _from_nchw(images, data_format, unbatched)


def _center_crop(inputs, height, width, data_format):
    """The center ``(height, width)`` window; an image smaller than that is resized to it instead."""
    source_h, source_w = _crop_offsets_shape(inputs.shape, data_format)
    if source_h < height or source_w < width:
        return _resize(inputs, height, width, "bilinear", True, data_format)
    top, left = (source_h - height) // 2, (source_w - width) // 2
    if data_format == "channels_last":
        return inputs[..., top:top + height, left:left + width, :]
    return inputs[..., top:top + height, left:left + width]


class Resizing(Layer):
    """Resizes images to ``(height, width)``; ``crop_to_aspect_ratio`` first center-crops to the target's ratio."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = int(height), int(width)
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.data_format = backend.standardize_data_format(data_format)
        self.built = True

    def call(self, inputs):
        return _resize(inputs, self.height, self.width, self.interpolation, self.crop_to_aspect_ratio,
                       self.data_format)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if self.data_format == "channels_last":
            shape[-3], shape[-2] = self.height, self.width
        else:
            shape[-2], shape[-1] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "data_format": self.data_format}


class CenterCrop(Resizing):
    """Crops the center ``(height, width)`` of each image (resizing first when the image is smaller)."""

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(height, width, crop_to_aspect_ratio=True, data_format=data_format, **kwargs)

    def call(self, inputs):
        return _center_crop(inputs, self.height, self.width, self.data_format)

    def get_config(self):
        config = super().get_config()
        for key in ("interpolation", "crop_to_aspect_ratio"):
            config.pop(key)
        return config


class RandomCrop(_RandomLayer):
    """Crops a random ``(height, width)`` window of each image in training; in inference, a center crop (resizing
    first when the image is smaller), as Keras does."""

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)

    def call(self, inputs, training=False):
        height, width = _crop_offsets_shape(inputs.shape, self.data_format)
        if not training or height < self.height or width < self.width:
            return _center_crop(inputs, self.height, self.width, self.data_format)
        images, unbatched = _to_nchw(inputs, self.data_format)
        batch = images.shape[0]
        top = (self._uniform((batch,), 0, 1, images.device) * (height - self.height + 1)).long()
        left = (self._uniform((batch,), 0, 1, images.device) * (width - self.width + 1)).long()
        rows = (top[:, None] + torch.arange(self.height, device=images.device))[:, None, :, None]
        cols = (left[:, None] + torch.arange(self.width, device=images.device))[:, None, None, :]
        batch_index = torch.arange(batch, device=images.device)[:, None, None, None]
        channel_index = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
        cropped = images[batch_index, channel_index, rows, cols]
        return _from_nchw(cropped, self.data_format, unbatched)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        axes = (-3, -2) if self.data_format == "channels_last" else (-2, -1)
        shape[axes[0]], shape[axes[1]] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomContrast(_RandomLayer):
    """Scales each image's contrast around its per-channel mean by a random factor in [1 - lower, 1 + upper],
    in training, and clips to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor
        low, high = _factor_range(factor, "factor")
        self._range = (1 + low, 1 + high)
        if self._range[0] < 0:
            raise ValueError(f"`factor` must keep the contrast factor non-negative. Received: factor={factor}")
        self.value_range = tuple(value_range)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        images, unbatched = _to_nchw(inputs, self.data_format)
        factor = self._uniform((images.shape[0], 1, 1, 1), *self._range, images.device).to(images.dtype)
        mean = images.mean(dim=(2, 3), keepdim=True)
        out = ((images - mean) * factor + mean).clamp(*self.value_range)
        return _from_nchw(out, self.data_format, unbatched)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomBrightness(_RandomLayer):
    """Adds a random offset of ``factor * (value range)`` to each image, in training, and clips."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor
        self._range = _factor_range(factor, "factor")
        self.value_range = tuple(value_range)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        span = self.value_range[1] - self.value_range[0]
        batch = inputs.shape[0] if inputs.dim() == 4 else 1
        shape = (batch,) + (1,) * (inputs.dim() - 1) if inputs.dim() == 4 else (1,) * inputs.dim()
        offset = self._uniform(shape, *self._range, inputs.device).to(inputs.dtype) * span
        return (inputs + offset).clamp(*self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class Rescaling(Layer):
    """``inputs * scale + offset``, e.g. ``Rescaling(1 / 255)`` to bring pixels to [0, 1]. ``scale`` and ``offset``
    may also be lists, broadcast against the last axis (one factor per channel of a channels_last image)."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        if not inputs.is_floating_point():
            inputs = inputs.to(self._torch_dtype)
        return inputs * self._constant(self.scale, inputs) + self._constant(self.offset, inputs)

    @staticmethod
    def _constant(value, inputs):
        if isinstance(value, (list, tuple)):
            return torch.tensor(value, dtype=inputs.dtype, device=inputs.device)
        return value

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
