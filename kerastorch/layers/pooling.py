"""Pooling layers: Max/AveragePooling1D/2D/3D and GlobalMax/GlobalAveragePooling1D/2D/3D, with Keras 2's
shorter names (MaxPool2D, AvgPool2D, GlobalAvgPool2D, ...). Also the Keras 2 import path ``keras.layers.pooling``.

The windows run on torch's pooling kernels, on channels_first views of channels_last inputs (no copies).
"""
import torch
import torch.nn.functional as F

from kerastorch.layers._conv_utils import (check_rank, conv_output_spatial, normalize_tuple, pad_same,
                                           same_paddings, standardize_data_format, standardize_padding,
                                           to_channels_first, to_channels_last, torch_pad_arg, with_spatial)
from kerastorch.layers.layer import InputSpec, Layer
from kerastorch._porting import missing_attribute

_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


class BasePooling(Layer):
    """Max or average over windows of ``pool_size``; the subclasses set ``rank`` and ``mode``.

    Args:
        pool_size: an int or a tuple of ``rank`` ints, the window's size.
        strides: an int or a tuple of ``rank`` ints; None (default) means ``pool_size``.
        padding: ``"valid"`` (windows inside the input) or ``"same"`` (``ceil(size / strides)`` windows, padded
            as TensorFlow pads, the odd element at the end). Padded elements never count: max ignores them and
            average divides by the number of real elements in each window.
        data_format: ``"channels_last"`` (default, from ``image_data_format()``) or ``"channels_first"``.

    Input shape: ``(batch, *spatial, channels)`` (channels_last) or ``(batch, channels, *spatial)``.
    Output shape: the same layout with pooled spatial dimensions.
    """

    rank = None
    mode = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", self)
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, self.rank, "strides", self)
        self.padding = standardize_padding(padding, self)
        self.data_format = standardize_data_format(data_format, self)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape):
        check_rank(self, input_shape, self.rank + 2)
        self.compute_output_shape(input_shape)  # refuses a window larger than the input

    def call(self, inputs):
        x = to_channels_first(inputs, self.data_format)
        paddings = same_paddings(x.shape[2:], self.pool_size, self.strides) if self.padding == "same" else None
        if self.mode == "max":
            padding = 0
            if paddings is not None:
                x, padding = pad_same(x, paddings, value=float("-inf"))
            outputs = _MAX_POOL[self.rank](x, self.pool_size, self.strides, padding)
        else:
            outputs = self._average(x, paddings)
        return to_channels_last(outputs, self.data_format)

    def _average(self, x, paddings):
        average = _AVG_POOL[self.rank]
        if paddings is None:
            return average(x, self.pool_size, self.strides)
        if all(before == after for before, after in paddings):
            padding = tuple(before for before, _ in paddings)
            return average(x, self.pool_size, self.strides, padding, count_include_pad=False)
        # Torch's own padding is symmetric. With zeros padded asymmetrically, each window's mean over
        # prod(pool_size) elements is rescaled by the fraction of them that are real: the mean of a padded
        # ones-tensor (one sample, one channel) of the input's spatial size.
        pad = torch_pad_arg(paddings)
        means = average(F.pad(x, pad), self.pool_size, self.strides)
        ones = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
        real_fraction = average(F.pad(ones, pad), self.pool_size, self.strides)
        return means / real_fraction

    def compute_output_shape(self, input_shape):
        spatial = conv_output_spatial(self, input_shape, self.pool_size, self.strides, self.padding,
                                      (1,) * self.rank, self.data_format)
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        return with_spatial(input_shape, spatial, channels, self.data_format)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}

    def extra_repr(self):
        return (f"name={self.name!r}, pool_size={self.pool_size}, strides={self.strides}, "
                f"padding={self.padding!r}, data_format={self.data_format!r}")


class MaxPooling1D(BasePooling):
    """Max over windows of ``pool_size`` steps, on ``(batch, steps, channels)``; see ``BasePooling``."""

    rank, mode = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(BasePooling):
    """Max over windows of ``pool_size``, on ``(batch, height, width, channels)``; see ``BasePooling``.

    >>> MaxPooling2D(2)(np.zeros((2, 7, 7, 3), "float32")).shape
    torch.Size([2, 3, 3, 3])
    """

    rank, mode = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(BasePooling):
    """Max over windows of ``pool_size``, on ``(batch, depth, height, width, channels)``; see ``BasePooling``."""

    rank, mode = 3, "max"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(BasePooling):
    """Mean over windows of ``pool_size`` steps, on ``(batch, steps, channels)``; see ``BasePooling``."""

    rank, mode = 1, "average"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(BasePooling):
    """Mean over windows of ``pool_size``, on ``(batch, height, width, channels)``; see ``BasePooling``."""

    rank, mode = 2, "average"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(BasePooling):
    """Mean over windows of ``pool_size``, on ``(batch, depth, height, width, channels)``; see ``BasePooling``."""

    rank, mode = 3, "average"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class BaseGlobalPooling(Layer):
    """Max or mean over all spatial dimensions; the subclasses set ``rank`` and ``mode``.

    Args:
        data_format: ``"channels_last"`` (default, from ``image_data_format()``) or ``"channels_first"``.
        keepdims: keep the spatial dimensions, with length 1.

    Input shape: ``(batch, *spatial, channels)`` (channels_last) or ``(batch, channels, *spatial)``.
    Output shape: ``(batch, channels)``, or with ``keepdims`` the input's layout with spatial dimensions of 1.
    """

    rank = None
    mode = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, self)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def _spatial_axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def call(self, inputs):
        if self.mode == "max":
            return torch.amax(inputs, dim=self._spatial_axes(), keepdim=self.keepdims)
        return torch.mean(inputs, dim=self._spatial_axes(), keepdim=self.keepdims)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if self.keepdims:
            return with_spatial(input_shape, (1,) * self.rank, channels, self.data_format)
        return (input_shape[0], channels)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}

    def extra_repr(self):
        return f"name={self.name!r}, data_format={self.data_format!r}, keepdims={self.keepdims}"


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Max over the steps of ``(batch, steps, channels)``; see ``BaseGlobalPooling``."""

    rank, mode = 1, "max"


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Max over height and width of ``(batch, height, width, channels)``; see ``BaseGlobalPooling``."""

    rank, mode = 2, "max"


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Max over the three spatial dimensions of a volume; see ``BaseGlobalPooling``."""

    rank, mode = 3, "max"


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over the steps of ``(batch, steps, channels)``; see ``BaseGlobalPooling``. With a ``mask``
    (batch, steps), the mean is over the unmasked steps only."""

    rank, mode = 1, "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = self._spatial_axes()[0]
        keep = mask.unsqueeze(2 if steps_axis == 1 else 1).to(torch.bool)
        # torch.where, not a product: a masked step holding inf or NaN must not reach the mean.
        total = torch.sum(torch.where(keep, inputs, 0), dim=steps_axis, keepdim=self.keepdims)
        return total / torch.sum(keep.to(inputs.dtype), dim=steps_axis, keepdim=self.keepdims)

    def compute_mask(self, inputs, previous_mask):
        return None   # the steps are gone


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over height and width of ``(batch, height, width, channels)``; see ``BaseGlobalPooling``."""

    rank, mode = 2, "average"


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over the three spatial dimensions of a volume; see ``BaseGlobalPooling``."""

    rank, mode = 3, "average"


# Keras's other names for the same classes.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = \
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
]


__getattr__ = missing_attribute(__name__)
