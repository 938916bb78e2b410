"""Keras 3's colour and mixing augmentation layers: AutoContrast, Solarization, RandomInvert, RandomPosterization,
RandomGrayscale, Equalization, RandomHue, RandomSaturation, RandomSharpness, RandomColorJitter, MixUp, CutMix,
and Pipeline.

As in augmentation.py, every layer is batched: ``get_random_transformation`` draws all of a batch's parameters
at once (a dict of tensors, Keras's keys), and ``transform_images`` applies them with broadcasting ops, so a
given transformation gives Keras's output for the same images. Random layers change images only in training;
AutoContrast always applies.

Input shape: ``(batch, height, width, channels)`` (``channels_first``: ``(batch, channels, height, width)``) or
one unbatched image. Output shape: the input's.
"""
import torch
import torch.nn.functional as F

from kerastorch import backend
from kerastorch.layers.augmentation import (RandomBrightness, RandomContrast, RandomRotation, RandomTranslation,
                                            _factor_range, _from_nchw, _RandomLayer, _to_nchw)
from kerastorch.layers.layer import Layer
from kerastorch.saving.serialization import deserialize_keras_object, serialize_keras_object


def _factor_bounds(factor, name, bounds=(0.0, 1.0)):
    """Keras's factor rule for image layers: a pair is sorted, a number f means ``(max(-f, low), f)``; both must
    lie in ``bounds``."""
    message = (f"The `{name}` argument should be a number (or a list of two numbers) in the range "
               f"[{bounds[0]}, {bounds[1]}]. Received: {name}={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        return tuple(sorted(float(f) for f in factor))
    if not isinstance(factor, (int, float)) or factor < bounds[0] or factor > bounds[1]:
        raise ValueError(message)
    factor = abs(float(factor))
    return max(-factor, bounds[0]), factor


def _value_range(value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"The `value_range` argument should be a list of two numbers. Received: "
                         f"value_range={value_range}")
    return tuple(sorted(value_range))


def _rescale(images, source, target):
    """Values mapped linearly from the range ``source`` to ``target``."""
    if tuple(source) == tuple(target):
        return images
    return (images - source[0]) * ((target[1] - target[0]) / (source[1] - source[0])) + target[0]


def _per_image(values, images):
    """A batch of per-image parameters, shaped to broadcast over NCHW images."""
    return torch.as_tensor(values, device=images.device).reshape(-1, 1, 1, 1)


def _grayscale(images):
    """NCHW RGB images as their luma (one channel), torchvision's weights."""
    if images.shape[1] == 1:
        return images.clone()
    r, g, b = images.unbind(1)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(images.dtype).unsqueeze(1)


def _rgb_to_hsv(images):
    eps = torch.finfo(images.dtype).eps
    images = torch.where(images.abs() < eps, 0.0, images)
    r, g, b = images.unbind(1)
    value = torch.maximum(torch.maximum(r, g), b)
    spread = value - torch.minimum(torch.minimum(r, g), b)
    saturation = torch.where(value > 0, spread / torch.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * torch.where(spread > 0, spread, 1.0))
    hue = torch.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = torch.where(value == r, norm * (g - b), hue)
    hue = torch.where(spread > 0, hue, 0.0) + (hue < 0.0).to(hue.dtype)
    return torch.stack([hue, saturation, value], 1)


def _hsv_to_rgb(images):
    hue, saturation, value = images.unbind(1)
    dh = torch.remainder(hue, 1.0) * 6.0
    channels = [torch.clip(torch.abs(dh - 3.0) - 1.0, 0.0, 1.0), torch.clip(2.0 - torch.abs(dh - 2.0), 0.0, 1.0),
                torch.clip(2.0 - torch.abs(dh - 4.0), 0.0, 1.0)]
    return torch.stack([value * (1.0 - saturation + saturation * c) for c in channels], 1)


class _ImageLayer(_RandomLayer):
    """An augmentation in Keras 3's two steps: ``get_random_transformation`` then ``transform_images``."""

    def __init__(self, value_range=None, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = None if value_range is None else _value_range(value_range)

    def _batch_size(self, images):
        if images.dim() not in (3, 4):
            raise ValueError(f"Layer {self.name}: expected the input image to be rank 3 or 4. Received "
                             f"inputs.shape={tuple(images.shape)}")
        return images.shape[0] if images.dim() == 4 else 1

    def get_random_transformation(self, images, training=True, seed=None):
        return None

    def _sample(self, distribution, shape):
        """A draw from a torch distribution (on the CPU), reproducible from the layer's seed when it has one."""
        if self.seed is None:
            return distribution.sample(shape)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(self._uniform((), 0.0, 2.0 ** 31, torch.device("cpu"))))
            return distribution.sample(shape)

    def transform_images(self, images, transformation, training=True):
        """``images`` (NHWC or NCHW, as ``data_format``) under ``transformation``."""
        if not training:
            return images
        nchw, unbatched = _to_nchw(torch.as_tensor(images), self.data_format)
        if not nchw.is_floating_point():
            nchw = nchw.to(self._compute_torch_dtype)
        return _from_nchw(self._transform(nchw, transformation), self.data_format, unbatched)

    def _transform(self, images, transformation):
        raise NotImplementedError

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return self.transform_images(inputs, self.get_random_transformation(inputs), training=True)

    def get_config(self):
        config = super().get_config()
        if self.value_range is not None:
            config["value_range"] = list(self.value_range)
        return config

    def extra_repr(self):
        factor = getattr(self, "factor", None)
        return f"name={self.name!r}" + ("" if factor is None else f", factor={factor}")


class AutoContrast(_ImageLayer):
    """Stretches each image's channels to span the whole ``value_range`` (min to low end, max to high end).
    Deterministic: it applies in training and inference alike.

    Args:
        value_range: the range of the input values, e.g. ``(0, 255)`` or ``(0, 1)``.
    """

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(value_range=value_range, **kwargs)

    def call(self, inputs, training=False):
        return self.transform_images(inputs, None, training=True)

    def _transform(self, images, transformation):
        scaled = _rescale(images, self.value_range, (0, 255))
        low = scaled.amin(dim=(2, 3), keepdim=True)
        high = scaled.amax(dim=(2, 3), keepdim=True)
        scale = 255.0 / (high - low)
        result = _rescale((scaled * scale - low * scale).clamp(0.0, 255.0), (0, 255), self.value_range)
        return torch.where(torch.isnan(result), images, result)   # a constant channel stays as it is


class Solarization(_ImageLayer):
    """Inverts the pixels at or above a random threshold (after adding a random offset), in training.

    Args:
        addition_factor: the range (a fraction of 255) of the offset added before thresholding.
        threshold_factor: the range (a fraction of 255) of the threshold.
        value_range: the range of the input values.
        seed: makes the draws reproducible.
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.addition_factor = _factor_bounds(addition_factor, "addition_factor")
        self.threshold_factor = _factor_bounds(threshold_factor, "threshold_factor")

    def get_random_transformation(self, images, training=True, seed=None):
        if not training:
            return None
        shape = (self._batch_size(images), 1, 1, 1)
        device = images.device
        # As Keras draws them: from the factor's low end (unscaled) to its high end times 255.
        additions = self._uniform(shape, self.addition_factor[0], self.addition_factor[1] * 255, device)
        thresholds = self._uniform(shape, self.threshold_factor[0], self.threshold_factor[1] * 255, device)
        return {"additions": additions, "thresholds": thresholds}

    def _transform(self, images, transformation):
        if transformation is None:
            return images
        shifted = (_rescale(images, self.value_range, (0, 255)) +
                   _per_image(transformation["additions"], images)).clamp(0, 255)
        solarized = torch.where(shifted < _per_image(transformation["thresholds"], images), shifted, 255 - shifted)
        return _rescale(solarized, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor}


class RandomInvert(_ImageLayer):
    """Inverts each image (``high - x``) with probability drawn from ``factor``, in training.

    Args:
        factor: the probability (or a range of it) of inverting an image.
        value_range: the range of the input values.
        seed: makes the draws reproducible.
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_bounds(factor, "factor")

    def get_random_transformation(self, images, training=True, seed=None):
        if not training:
            return None
        batch = self._batch_size(images)
        probability = self._uniform((batch,), *self.factor, images.device)
        return {"apply_inversion": self._uniform((batch,), 0.0, 1.0, images.device) < probability}

    def _transform(self, images, transformation):
        apply = _per_image(transformation["apply_inversion"], images).to(torch.bool)
        return torch.where(apply, self.value_range[1] - images, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomPosterization(_ImageLayer):
    """Keeps only the ``factor`` most significant bits of each 8-bit channel value, in training.

    Args:
        factor: the number of bits kept, 1 to 8 (a pair: drawn per image from ``[low, high)``).
        value_range: the range of the input values.
        seed: makes the draws reproducible.
    """

    _MAX_BITS = 8

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.factor = tuple(int(f) for f in _factor_bounds(factor, "factor", bounds=(1, 8)))

    def get_random_transformation(self, images, training=True, seed=None):
        batch = self._batch_size(images)
        low, high = self.factor
        if low != high:
            bits = (low + self._uniform((batch,), 0.0, 1.0, images.device) * (high - low)).floor().to(torch.uint8)
        else:
            bits = torch.full((batch,), low, dtype=torch.uint8, device=images.device)
        return {"shift_factor": self._MAX_BITS - bits}

    def _transform(self, images, transformation):
        shift = _per_image(transformation["shift_factor"], images).to(torch.uint8)
        values = _rescale(images, self.value_range, (0, 255)).to(torch.uint8)
        posterized = torch.bitwise_left_shift(torch.bitwise_right_shift(values, shift), shift)
        return _rescale(posterized.to(images.dtype), (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomGrayscale(_ImageLayer):
    """Turns each image to grayscale (kept with its channel count) with probability ``factor``, in training.

    Args:
        factor: the probability of converting an image, in [0, 1].
        seed: makes the draws reproducible.
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor

    def get_random_transformation(self, images, training=True, seed=None):
        return self._uniform((self._batch_size(images), 1, 1, 1), 0.0, 1.0, images.device) < self.factor

    def _transform(self, images, transformation):
        return torch.where(_per_image(transformation, images).to(torch.bool), _grayscale(images), images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Equalization(_ImageLayer):
    """Histogram equalization of each channel, over the whole batch as Keras computes it, in training.

    Args:
        value_range: the range of the input values.
        bins: the number of histogram bins.
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(value_range=value_range, data_format=data_format, **kwargs)
        self.bins = bins

    def _transform(self, images, transformation):
        bins = self.bins
        scaled = _rescale(images, self.value_range, (0, 255))
        indices = (scaled.to(torch.float32) * (bins - 1) / 255.0).to(torch.int32).clamp(0, bins - 1).long()
        per_channel = indices.transpose(0, 1).reshape(images.shape[1], -1)          # (C, N*H*W)
        histogram = torch.zeros((images.shape[1], bins), dtype=torch.int64, device=images.device)
        histogram.scatter_add_(1, per_channel, torch.ones_like(per_channel))
        cdf = histogram.cumsum(1)
        cdf_min = torch.where(cdf > 0, cdf, torch.iinfo(torch.int64).max).amin(1, keepdim=True)
        denominator = cdf[:, -1:] - cdf_min
        denominator = torch.where(denominator == 0, 1, denominator)
        table = torch.round((cdf - cdf_min) * 255 / denominator).clamp(0, 255).to(images.dtype)
        lookup = ((scaled / 255.0) * (bins - 1)).clamp(0, bins - 1).to(torch.int32).long()
        equalized = torch.gather(table, 1, lookup.transpose(0, 1).reshape(images.shape[1], -1))
        equalized = equalized.reshape(images.shape[1], images.shape[0], *images.shape[2:]).transpose(0, 1)
        flat = ((histogram > 0).sum(1) <= 1).reshape(1, -1, 1, 1)
        return _rescale(torch.where(flat, scaled, equalized), (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "bins": self.bins}


class RandomHue(_ImageLayer):
    """Rotates each image's hue by a random amount, up to ``factor / 2`` of the colour wheel either way, in
    training.

    Args:
        factor: the range of the hue change, in [0, 1].
        value_range: the range of the input values.
        seed: makes the draws reproducible.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_bounds(factor, "factor")

    def get_random_transformation(self, images, training=True, seed=None):
        batch = self._batch_size(images)
        sign = torch.where(self._uniform((batch,), 0.0, 1.0, images.device) > 0.5, -1.0, 1.0)
        return {"factor": sign * self._uniform((batch,), *self.factor, images.device) * 0.5}

    def _transform(self, images, transformation):
        hsv = _rgb_to_hsv(_rescale(images, self.value_range, (0, 1)))
        hue = hsv[:, 0] + torch.as_tensor(transformation["factor"], device=images.device,
                                          dtype=images.dtype).reshape(-1, 1, 1)
        hue = torch.where(hue > 1.0, hue - 1.0, hue)
        hue = torch.where(hue < 0.0, hue + 1.0, hue)
        rgb = _hsv_to_rgb(torch.stack([hue, hsv[:, 1], hsv[:, 2]], 1)).clamp(0, 1)
        return _rescale(rgb, (0, 1), self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomSaturation(_ImageLayer):
    """Scales each image's saturation by a random factor (``f / (1 - f)`` for f drawn from ``factor``: 0.5
    keeps it, 0 removes it, 1 saturates fully), in training.

    Args:
        factor: the range of f, in [0, 1].
        value_range: the range of the input values.
        seed: makes the draws reproducible.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_bounds(factor, "factor")

    def get_random_transformation(self, images, training=True, seed=None):
        factor = self._uniform((self._batch_size(images),), *self.factor, images.device)
        return {"factor": factor / (1 - factor + backend.epsilon())}

    def _transform(self, images, transformation):
        hsv = _rgb_to_hsv(images)
        factor = torch.as_tensor(transformation["factor"], device=images.device, dtype=images.dtype)
        saturation = (hsv[:, 1] * factor.reshape(-1, 1, 1)).clamp(*self.value_range)
        return _hsv_to_rgb(torch.stack([hsv[:, 0], saturation, hsv[:, 2]], 1))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomSharpness(_ImageLayer):
    """Blends each image with a smoothed copy by a random factor (below 0.5 blurs, above sharpens), in
    training.

    Args:
        factor: the range of the sharpness factor, in [0, 1].
        value_range: the range of the input values (the result is clipped to it).
        seed: makes the draws reproducible.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_bounds(factor, "factor")

    def get_random_transformation(self, images, training=True, seed=None):
        return {"factor": self._uniform((self._batch_size(images),), *self.factor, images.device)}

    def _transform(self, images, transformation):
        channels = images.shape[1]
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = torch.full((3, 3), a, dtype=images.dtype, device=images.device)
        kernel[1, 1] = b
        smoothed = F.conv2d(images, kernel.expand(channels, 1, 3, 3), padding=1, groups=channels)
        sharpness = _per_image(transformation["factor"], images).to(images.dtype) * 2
        return (images + (1.0 - sharpness) * (smoothed - images)).clamp(*self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomColorJitter(_ImageLayer):
    """Random brightness, contrast, saturation and hue changes, applied in that order, in training.

    Args:
        value_range: the range of the input values.
        brightness_factor, contrast_factor, saturation_factor, hue_factor: each sublayer's factor (None leaves
            it out), as RandomBrightness, RandomContrast, RandomSaturation and RandomHue take them.
        seed: makes the draws reproducible.
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None, saturation_factor=None,
                 hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        steps = []
        if brightness_factor is not None:
            steps.append(RandomBrightness(brightness_factor, value_range=value_range, seed=seed,
                                          data_format=data_format))
        if contrast_factor is not None:
            steps.append(RandomContrast(contrast_factor, value_range=value_range, seed=seed, data_format=data_format))
        if saturation_factor is not None:
            steps.append(RandomSaturation(saturation_factor, value_range=value_range, seed=seed,
                                          data_format=data_format))
        if hue_factor is not None:
            steps.append(RandomHue(hue_factor, value_range=value_range, seed=seed, data_format=data_format))
        self.steps = torch.nn.ModuleList(steps)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        if not inputs.is_floating_point():
            inputs = inputs.to(self._compute_torch_dtype)
        for step in self.steps:
            inputs = step(inputs, training=True)
        return inputs

    def get_config(self):
        return {**super().get_config(), "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor, "saturation_factor": self.saturation_factor,
                "hue_factor": self.hue_factor}


def _box_masks(x0, x1, y0, y1, height, width):
    """Per-image boolean masks (N, H, W) of the boxes ``[x0, x1) x [y0, y1)`` (pixel coordinates)."""
    columns = torch.arange(width, device=x0.device, dtype=torch.float32).reshape(1, 1, -1)
    rows = torch.arange(height, device=x0.device, dtype=torch.float32).reshape(1, -1, 1)
    return (columns >= x0.reshape(-1, 1, 1)) & (columns < x1.reshape(-1, 1, 1)) & \
        (rows >= y0.reshape(-1, 1, 1)) & (rows < y1.reshape(-1, 1, 1))


def _image_size(images, data_format):
    if data_format == "channels_last":
        return images.shape[-3], images.shape[-2]
    return images.shape[-2], images.shape[-1]


class RandomErasing(_ImageLayer):
    """Erases a random box of each image (with probability from ``factor``), filling it with ``fill_value`` or
    noise, in training.

    Args:
        factor: the probability (or a range of it) of erasing an image.
        scale: the range of the box's side fractions (their square roots are drawn).
        fill_value: a number or an RGB triple; None fills with Gaussian noise times the high end of the range.
        value_range: the range of the input values (the fill is clipped to it).
        seed: makes the draws reproducible.
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_bounds(factor, "factor")
        self.scale = _factor_bounds(scale, "scale")
        if fill_value is not None and not isinstance(fill_value, (int, float)) and \
                not (isinstance(fill_value, (tuple, list)) and len(fill_value) == 3):
            raise ValueError(f"The `fill_value` argument should be a number (or a list of three numbers). "
                             f"Received: fill_value={fill_value}")
        self.fill_value = fill_value

    def get_random_transformation(self, images, training=True, seed=None):
        if not training:
            return None
        batch = self._batch_size(images)
        height, width = _image_size(images, self.data_format)
        device = images.device
        sides = torch.sqrt(self._uniform((batch, 2), *self.scale, device))
        x0 = self._uniform((batch,), 0.0, 1.0, device) * (width - sides[:, 0] * width)
        y0 = self._uniform((batch,), 0.0, 1.0, device) * (height - sides[:, 1] * height)
        masks = _box_masks(x0, x0 + sides[:, 0] * width, y0, y0 + sides[:, 1] * height, height, width)
        masks = masks.unsqueeze(-1 if self.data_format == "channels_last" else 1)
        probability = self._uniform((batch,), *self.factor, device)
        apply = self._uniform((batch,), 0.0, 1.0, device) < probability
        if self.fill_value is None:
            if self.seed is None:
                fill = torch.randn(images.shape, device=device)
            else:
                fill = torch.randn(images.shape, generator=self._generator, device=device)
            fill = fill * self.value_range[1]
        else:
            fill = torch.ones(images.shape, device=device) * torch.as_tensor(self.fill_value, device=device,
                                                                             dtype=torch.float32)
        return {"apply_erasing": apply, "batch_masks": masks, "fill_value": fill.clamp(*self.value_range)}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        images = torch.as_tensor(images)
        if not images.is_floating_point():
            images = images.to(self._compute_torch_dtype)
        masks = torch.as_tensor(transformation["batch_masks"], device=images.device).to(torch.bool)
        fill = torch.as_tensor(transformation["fill_value"], device=images.device).to(images.dtype)
        apply = torch.as_tensor(transformation["apply_erasing"], device=images.device).to(torch.bool)
        apply = apply.reshape((-1,) + (1,) * (images.dim() - 1)) if images.dim() == 4 else apply.reshape(())
        return torch.where(apply, torch.where(masks, fill, images), images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale, "fill_value": self.fill_value}


def _odd_range(value, name):
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or any(int(v) % 2 == 0 for v in pair):
        raise ValueError(f"{name} must be an odd number (or a pair of them). Received: {name}={value}")
    return int(pair[0]), int(pair[1])


def _gaussian_kernel(size, sigma, dtype, device):
    x = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


class RandomGaussianBlur(_ImageLayer):
    """Blurs each image (with probability from ``factor``) by a Gaussian of a random ``sigma``, in training.

    Args:
        factor: the probability (or a range of it) of blurring an image.
        kernel_size: the odd kernel size (a pair: width and height).
        sigma: the range of the Gaussian's standard deviation, in [0, 1] (one draw per axis and batch).
        value_range: the range of the input values (the result is clipped to it).
        seed: makes the draws reproducible.
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_bounds(factor, "factor")
        self.kernel_size = _odd_range(kernel_size, "kernel_size")
        self.sigma = _factor_bounds(sigma, "sigma")

    def get_random_transformation(self, images, training=True, seed=None):
        if not training:
            return None
        batch = self._batch_size(images)
        probability = self._uniform((batch,), *self.factor, images.device)
        apply = self._uniform((batch,), 0.0, 1.0, images.device) < probability
        return {"should_apply_blur": apply, "blur_factor": self._uniform((2,), *self.sigma, images.device) + 1e-6}

    def _transform(self, images, transformation):
        if transformation is None:
            return images
        sigma = torch.as_tensor(transformation["blur_factor"], device=images.device, dtype=images.dtype)
        width, height = self.kernel_size
        kernel = torch.outer(_gaussian_kernel(height, sigma[1], images.dtype, images.device),
                             _gaussian_kernel(width, sigma[0], images.dtype, images.device))
        channels = images.shape[1]
        blurred = F.conv2d(images, kernel.expand(channels, 1, height, width), padding=width // 2, groups=channels)
        apply = _per_image(transformation["should_apply_blur"], images).to(torch.bool)
        return torch.where(apply, blurred, images).clamp(*self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "kernel_size": self.kernel_size, "sigma": self.sigma}


def _fixed_index(index, size, fill_mode):
    """Keras's (scipy's) out-of-range index rules: ``reflect`` (d c b a | a b c d), ``wrap``, and clipping for
    ``nearest`` and ``constant`` (whose outside taps take the fill value)."""
    if fill_mode == "wrap":
        return torch.remainder(index, size)
    if fill_mode == "reflect":
        # A triangular wave of period 2 (2 size + 1) - 2 over the half-sample positions 2 index + 1.
        half = 2 * size
        mirrored = torch.abs(torch.remainder(2 * index + 1 + half, 2 * half) - half)
        return torch.div(mirrored - 1, 2, rounding_mode="floor")
    return index.clamp(0, size - 1)


def _map_coordinates(images, rows, cols, interpolation, fill_mode, fill_value):
    """NCHW ``images`` sampled at input coordinates ``rows``/``cols`` (N, H', W'), with nearest or bilinear
    interpolation and Keras's fill modes: one gather per tap for the whole batch."""
    batch, channels, height, width = images.shape
    if interpolation == "nearest":
        taps = [(torch.round(rows).long(), torch.round(cols).long(), 1.0)]
    else:
        top, left = torch.floor(rows), torch.floor(cols)
        dy, dx = rows - top, cols - left
        top, left = top.long(), left.long()
        taps = [(top, left, (1 - dy) * (1 - dx)), (top, left + 1, (1 - dy) * dx),
                (top + 1, left, dy * (1 - dx)), (top + 1, left + 1, dy * dx)]
    flat = images.reshape(batch, channels, height * width)
    result = 0.0
    for row, col, weight in taps:
        index = _fixed_index(row, height, fill_mode) * width + _fixed_index(col, width, fill_mode)
        values = torch.gather(flat, 2, index.reshape(batch, 1, -1).expand(batch, channels, -1))
        values = values.reshape(batch, channels, *rows.shape[1:])
        if fill_mode == "constant":
            inside = ((row >= 0) & (row < height) & (col >= 0) & (col < width)).unsqueeze(1)
            values = torch.where(inside, values, torch.as_tensor(fill_value, dtype=values.dtype,
                                                                  device=values.device))
        weight = weight if isinstance(weight, float) else weight.unsqueeze(1).to(values.dtype)
        result = result + weight * values
    return result


def _pixel_grid(images):
    """The (row, column) coordinates of every output pixel, as float grids of shape (1, H, W)."""
    height, width = images.shape[2], images.shape[3]
    rows = torch.arange(height, dtype=images.dtype, device=images.device).reshape(1, -1, 1).expand(1, height, width)
    cols = torch.arange(width, dtype=images.dtype, device=images.device).reshape(1, 1, -1).expand(1, height, width)
    return rows, cols


_GEOMETRY_FILL_MODES = ("reflect", "wrap", "constant", "nearest")


class RandomShear(_ImageLayer):
    """Shears each image by random amounts along x and y (about the top-left corner, as Keras), in training.

    Args:
        x_factor, y_factor: the shear range along each axis (a number f means [-f, f]), in [0, 1].
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        fill_value: the value outside the image for ``"constant"``.
        seed: makes the draws reproducible.
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.x_factor = _symmetric_factor(x_factor, "x_factor")
        self.y_factor = _symmetric_factor(y_factor, "y_factor")
        _check_geometry(fill_mode, interpolation)
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value

    def get_random_transformation(self, images, training=True, seed=None):
        if not training:
            return None
        batch = self._batch_size(images)
        sign = torch.where(self._uniform((batch, 1), 0.0, 1.0, images.device) > 0.5, -1.0, 1.0)
        shear_y = self._uniform((batch, 1), *self.y_factor, images.device)
        shear_x = self._uniform((batch, 1), *self.x_factor, images.device)
        return {"shear_factor": torch.cat([shear_x, shear_y], 1) * sign, "input_shape": tuple(images.shape)}

    def _transform(self, images, transformation):
        if transformation is None:
            return images
        shear = torch.as_tensor(transformation["shear_factor"], device=images.device, dtype=images.dtype)
        rows, cols = _pixel_grid(images)
        in_cols = cols + shear[:, :1, None] * rows
        in_rows = rows + shear[:, 1:, None] * cols
        return _map_coordinates(images, in_rows, in_cols, self.interpolation, self.fill_mode, self.fill_value)

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode, "fill_value": self.fill_value}


def _symmetric_factor(factor, name):
    """RandomShear's factor rule: a number f in [0, 1] means ``(-f, f)``; a pair (each in [0, 1]) is sorted."""
    values = factor if isinstance(factor, (tuple, list)) else [factor]
    if any(not 0.0 <= abs(v) <= 1.0 for v in values) or (isinstance(factor, (tuple, list)) and min(values) < 0):
        raise ValueError(f"The `{name}` argument should be a number (or a list of two numbers) in the range "
                         f"[0, 1]. Received: {name}={factor}")
    pair = tuple(sorted(factor)) if isinstance(factor, (tuple, list)) else factor
    return _factor_range(pair, name)


def _check_geometry(fill_mode, interpolation):
    if fill_mode not in _GEOMETRY_FILL_MODES:
        raise ValueError(f"Unknown `fill_mode` {fill_mode!r}. Expected one of {_GEOMETRY_FILL_MODES}.")
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"Unknown `interpolation` {interpolation!r}. Expected 'bilinear' or 'nearest'.")


def _homographies(start_points, end_points):
    """The 8 parameters of each projective map taking ``end_points`` to ``start_points`` (N, 4, 2 each)."""
    sx, sy = start_points[..., 0], start_points[..., 1]
    ex, ey = end_points[..., 0], end_points[..., 1]
    one, zero = torch.ones_like(ex), torch.zeros_like(ex)
    rows_x = torch.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], -1)
    rows_y = torch.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], -1)
    matrix = torch.stack([rows_x, rows_y], 2).reshape(-1, 8, 8)
    target = torch.stack([sx, sy], 2).reshape(-1, 8, 1)
    return torch.linalg.solve(matrix.to(torch.float32), target.to(torch.float32)).reshape(-1, 8)


class RandomPerspective(_ImageLayer):
    """Moves each image's corners by random fractions and warps it accordingly (a projective transform), with
    probability from ``factor``, in training.

    Args:
        factor: the probability (or a range of it) of warping an image.
        scale: how far corners may move, as a fraction of their coordinates, in [0, 1].
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_value: the value outside the image.
        seed: makes the draws reproducible.
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_bounds(factor, "factor")
        if scale < 0.0 or scale > 1.0:
            raise ValueError(f"The `scale` argument should be a number in the range [0,1]. Received: scale={scale}")
        _check_geometry("constant", interpolation)
        self.scale = scale
        self.interpolation = interpolation
        self.fill_value = fill_value

    def get_random_transformation(self, images, training=True, seed=None):
        if not training:
            return None
        batch = self._batch_size(images)
        height, width = _image_size(images, self.data_format)
        device = images.device
        probability = self._uniform((batch,), *self.factor, device)
        apply = self._uniform((batch,), 0.0, 1.0, device) < probability
        moves = self._uniform((batch, 4, 2), -0.5 * self.scale, 0.5 * self.scale, device)
        start = torch.tensor([[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]],
                             device=device).expand(batch, 4, 2)
        return {"apply_perspective": apply, "start_points": start, "end_points": start + start * moves,
                "input_shape": tuple(images.shape)}

    def _transform(self, images, transformation):
        if transformation is None:
            return images
        h = _homographies(torch.as_tensor(transformation["start_points"], device=images.device),
                          torch.as_tensor(transformation["end_points"], device=images.device)).to(images.dtype)
        rows, cols = _pixel_grid(images)
        a = [h[:, i].reshape(-1, 1, 1) for i in range(8)]
        denominator = a[6] * cols + a[7] * rows + 1.0
        in_cols = (a[0] * cols + a[1] * rows + a[2]) / denominator
        in_rows = (a[3] * cols + a[4] * rows + a[5]) / denominator
        warped = _map_coordinates(images, in_rows, in_cols, self.interpolation, "constant", self.fill_value)
        apply = _per_image(transformation["apply_perspective"], images).to(torch.bool)
        return torch.where(apply, warped, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomColorDegeneration(_ImageLayer):
    """Blends each image toward its grayscale version by a random factor (0 keeps it, 1 is fully gray), in
    training.

    Args:
        factor: the range of the blend factor, in [0, 1].
        value_range: the range of the input values (the result is clipped to it).
        seed: makes the draws reproducible.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_bounds(factor, "factor")

    def get_random_transformation(self, images, training=True, seed=None):
        return {"factor": self._uniform((self._batch_size(images), 1, 1, 1), *self.factor, images.device)}

    def _transform(self, images, transformation):
        factor = _per_image(transformation["factor"], images).to(images.dtype)
        return (images + factor * (_grayscale(images) - images)).clamp(*self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _augmentation_ops(factor, value_range, interpolation, seed, data_format, all_ops=True):
    """RandAugment's and AugMix's operations, by Keras's names, at strength ``factor``."""
    ops = {"random_shear": RandomShear(factor, factor, interpolation=interpolation, seed=seed,
                                       data_format=data_format),
           "random_translation": RandomTranslation(factor, factor, interpolation=interpolation, seed=seed,
                                                   data_format=data_format),
           "random_rotation": RandomRotation(factor, interpolation=interpolation, seed=seed,
                                             data_format=data_format),
           "random_posterization": RandomPosterization(max(1, int(8 * factor[1])), value_range=value_range,
                                                       seed=seed, data_format=data_format),
           "solarization": Solarization(factor, factor, value_range=value_range, seed=seed,
                                        data_format=data_format),
           "auto_contrast": AutoContrast(value_range=value_range, data_format=data_format),
           "equalization": Equalization(value_range=value_range, data_format=data_format)}
    if all_ops:
        ops.update({"random_brightness": RandomBrightness(factor, value_range=value_range, seed=seed,
                                                          data_format=data_format),
                    "random_color_degeneration": RandomColorDegeneration(factor, value_range=value_range,
                                                                         seed=seed, data_format=data_format),
                    "random_contrast": RandomContrast(factor, value_range=value_range, seed=seed,
                                                      data_format=data_format),
                    "random_sharpness": RandomSharpness(factor, value_range=value_range, seed=seed,
                                                        data_format=data_format)})
    return torch.nn.ModuleDict(ops)


class RandAugment(_ImageLayer):
    """Applies ``num_ops`` operations drawn at random (per batch) from shear, translation, rotation,
    brightness, colour degeneration, contrast, sharpness, posterization, solarization, auto-contrast and
    equalization, each at strength ``factor``, in training.

    Args:
        value_range: the range of the input values.
        num_ops: how many operations to apply.
        factor: the strength of every operation, in [0, 1].
        interpolation: for the geometric operations.
        seed: makes the draws reproducible.
    """

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.num_ops = num_ops
        self.factor = _factor_bounds(factor, "factor")
        self.interpolation = interpolation
        self.ops = _augmentation_ops(self.factor, self.value_range, interpolation, seed, data_format)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        images = inputs if inputs.is_floating_point() else inputs.to(self._compute_torch_dtype)
        names = list(self.ops)
        chosen = (self._uniform((self.num_ops,), 0.0, 1.0, torch.device("cpu")) * len(names)).long().tolist()
        for index in chosen:
            images = self.ops[names[index]](images, training=True)
        return images

    def get_config(self):
        return {**super().get_config(), "num_ops": self.num_ops, "factor": self.factor,
                "interpolation": self.interpolation}


class AugMix(_ImageLayer):
    """AugMix: ``num_chains`` chains of up to ``chain_depth`` random operations each, mixed with Dirichlet
    weights, then blended with the original by a Beta-distributed weight, in training.

    Args:
        value_range: the range of the input values.
        num_chains: the number of augmentation chains.
        chain_depth: the most operations per chain (each step may also be skipped).
        factor: the strength of every operation, in [0, 1].
        alpha: the concentration of the Dirichlet and Beta draws.
        all_ops: also use the colour operations (brightness, colour degeneration, contrast, sharpness).
        interpolation: for the geometric operations.
        seed: makes the draws reproducible.
    """

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self.factor = _factor_bounds(factor, "factor")
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self.ops = _augmentation_ops(self.factor, self.value_range, interpolation, seed, data_format, all_ops)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        images = inputs if inputs.is_floating_point() else inputs.to(self._compute_torch_dtype)
        alpha = torch.tensor(float(self.alpha))
        gammas = self._sample(torch.distributions.Gamma(alpha, torch.tensor(1.0)), (self.num_chains,))
        chain_weights = (gammas / gammas.sum()).tolist()
        blend = float(self._sample(torch.distributions.Beta(alpha, alpha), ()))
        names = list(self.ops) + [None]
        mixed = torch.zeros_like(images)
        for weight in chain_weights:
            chained = images
            picks = (self._uniform((self.chain_depth,), 0.0, 1.0, torch.device("cpu")) * len(names)).long()
            for index in picks.tolist():
                if names[index] is not None:
                    chained = self.ops[names[index]](chained, training=True)
            mixed = mixed + chained * weight
        return (blend * images + (1 - blend) * mixed).clamp(*self.value_range)

    def get_config(self):
        return {**super().get_config(), "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "factor": self.factor, "alpha": self.alpha, "all_ops": self.all_ops,
                "interpolation": self.interpolation}


class _MixingLayer(_ImageLayer):
    """A layer that mixes images of a batch, and their labels when called on ``{"images": ..., "labels": ...}``."""

    def _beta(self, shape, alpha, device):
        concentration = torch.as_tensor(float(alpha), dtype=torch.float32)
        return self._sample(torch.distributions.Beta(concentration, concentration), shape).to(device)

    def _permutation(self, batch, device):
        return torch.argsort(self._uniform((batch,), 0.0, 1.0, device))

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        weight = torch.as_tensor(transformation["mix_weight"], device=labels.device).reshape(-1, 1)
        other = labels[torch.as_tensor(transformation["permutation_order"], device=labels.device).long()]
        return weight * labels + (1.0 - weight) * other

    def call(self, inputs, training=False):
        if not training:
            return inputs
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        transformation = self.get_random_transformation(images)
        mixed = self.transform_images(images, transformation, training=True)
        if not isinstance(inputs, dict):
            return mixed
        outputs = dict(inputs, images=mixed)
        if "labels" in inputs:
            outputs["labels"] = self.transform_labels(torch.as_tensor(inputs["labels"]).to(mixed.dtype),
                                                      transformation)
        return outputs


class MixUp(_MixingLayer):
    """Blends each image (and label) with another of the batch: ``w x_i + (1 - w) x_j`` with ``w ~ Beta(alpha,
    alpha)``, in training.

    Args:
        alpha: the Beta distribution's concentration.
        seed: makes the draws reproducible.
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.alpha = alpha

    def get_random_transformation(self, images, training=True, seed=None):
        batch = self._batch_size(images)
        return {"mix_weight": self._beta((batch,), self.alpha, images.device),
                "permutation_order": self._permutation(batch, images.device)}

    def _transform(self, images, transformation):
        weight = _per_image(transformation["mix_weight"], images).to(images.dtype)
        other = images[torch.as_tensor(transformation["permutation_order"], device=images.device).long()]
        return weight * images + (1.0 - weight) * other

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class CutMix(_MixingLayer):
    """Pastes a random box of another image of the batch into each image (labels mixed by the box's area), in
    training.

    Args:
        factor: the range of the Beta concentration the box size is drawn with, in [0, 1].
        seed: makes the draws reproducible.
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_bounds(factor, "factor")

    def get_random_transformation(self, images, training=True, seed=None):
        if not training or images.dim() == 3:
            return None
        batch = images.shape[0]
        height, width = _image_size(images, self.data_format)
        device = images.device
        alpha = float(self._uniform((), *self.factor, torch.device("cpu"))) + 1e-6
        ratio = torch.sqrt(1.0 - self._beta((batch,), alpha, device))
        x0 = self._uniform((batch,), 0.0, 1.0, device) * (width - ratio * width)
        y0 = self._uniform((batch,), 0.0, 1.0, device) * (height - ratio * height)
        x1, y1 = x0 + ratio * width, y0 + ratio * height
        masks = _box_masks(x0, x1, y0, y1, height, width).unsqueeze(-1 if self.data_format == "channels_last" else 1)
        return {"permutation_order": self._permutation(batch, device), "batch_masks": masks,
                "mix_weight": 1.0 - (x1 - x0) * (y1 - y0) / (width * height)}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        images = torch.as_tensor(images)
        if not images.is_floating_point():
            images = images.to(self._compute_torch_dtype)
        order = torch.as_tensor(transformation["permutation_order"], device=images.device).long()
        masks = torch.as_tensor(transformation["batch_masks"], device=images.device).to(torch.bool)
        return torch.where(masks, images[order], images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Pipeline(Layer):
    """Applies ``layers`` in order, passing ``training`` on (Keras's preprocessing Pipeline).

    Args:
        layers: the layers to apply.
    """

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._pipeline_layers = torch.nn.ModuleList(layers)
        self.built = True

    @property
    def layers(self):
        return list(self._pipeline_layers)

    def call(self, inputs, training=True):
        for layer in self._pipeline_layers:
            inputs = layer(inputs, training=training)
        return inputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        return {**super().get_config(), "layers": [serialize_keras_object(layer) for layer in self.layers]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layers"] = [deserialize_keras_object(layer) for layer in config["layers"]]
        return cls(**config)
