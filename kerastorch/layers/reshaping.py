"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D/2D/3D, Cropping1D/2D/3D and
UpSampling1D/2D/3D. Where the result can be a view of the input (Permute, RepeatVector, Cropping), it is one.
"""
import math

import torch.nn.functional as F

from kerastorch import backend
from kerastorch._lookup import lookup
from kerastorch.layers._conv_utils import (check_rank, normalize_tuple, positive_int, standardize_data_format,
                                           to_channels_first, to_channels_last, torch_pad_arg)
from kerastorch.layers.layer import InputSpec, Layer


class Flatten(Layer):
    """Flattens each sample to one axis, in channels_last order (so that Dense weights port from Keras).

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``; channels_first inputs are moved to
            channels_last order before flattening, as Keras does.

    Input shape: ``(batch_size, ...)``. Output shape: ``(batch_size, product of the other dimensions)``.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.dim() > 2:
            inputs = inputs.movedim(1, -1)
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1, inferred from the others).

    Input shape: ``(batch_size, ...)``. Output shape: ``(batch_size, *target_shape)``.
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if sum(1 for d in target_shape if d == -1) > 1 or any(
                not isinstance(d, int) or (d < 0 and d != -1) for d in target_shape):
            raise ValueError(f"Invalid `target_shape` for layer '{self.name}': it must be a tuple of positive "
                             f"integers with at most one -1. Received: target_shape={target_shape}")
        self.target_shape = target_shape
        self.built = True

    def call(self, inputs):
        return inputs.reshape((inputs.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if -1 not in self.target_shape:
            if None not in rest and math.prod(rest) != math.prod(self.target_shape):
                raise ValueError(f"Layer '{self.name}' cannot reshape inputs of shape {tuple(input_shape)} to "
                                 f"target_shape={self.target_shape}: the sizes differ.")
            return (input_shape[0],) + self.target_shape
        if None in rest:
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        total = math.prod(rest)
        if known == 0 or total % known:
            raise ValueError(f"Layer '{self.name}' cannot reshape inputs of shape {tuple(input_shape)} to "
                             f"target_shape={self.target_shape}.")
        return (input_shape[0],) + tuple(total // known if d == -1 else d for d in self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the non-batch axes of its input: ``Permute((2, 1))`` swaps the two axes of ``(batch, a, b)``.
    The result is a view (no copy).

    Args:
        dims: a permutation of ``1, ..., rank - 1`` (the batch axis 0 stays first).

    Input shape: ``(batch, *dims_in)``. Output shape: ``(batch, *(dims_in[d - 1] for d in dims))``.
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for layer '{self.name}' (Permute): it must hold "
                             f"each of 1, ..., {len(self.dims)} once (the batch axis 0 is not permuted). "
                             f"Received: dims={dims}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)
        self.built = True

    def call(self, inputs):
        return inputs.permute(0, *self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats each input vector ``n`` times: ``(batch, features)`` becomes ``(batch, n, features)``, as an
    expanded view of the input (no copy).

    Args:
        n: the number of repetitions, a positive integer.
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = positive_int(n, "n", self)
        self.input_spec = InputSpec(ndim=2)
        self.built = True

    def call(self, inputs):
        return inputs.unsqueeze(1).expand(-1, self.n, -1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


def _pairs(value, rank, name, layer):
    """``padding``/``cropping`` as ``rank`` ``(before, after)`` pairs: an int (the same everywhere), ``rank`` ints
    (symmetric per dimension; for rank 1 the pair itself) or ``rank`` pairs."""
    if rank == 1:
        return (normalize_tuple(value, 2, name, layer, allow_zero=True),)
    if isinstance(value, int) and not isinstance(value, bool):
        return (normalize_tuple(value, 2, name, layer, allow_zero=True),) * rank
    try:
        entries = tuple(value)
    except TypeError:
        entries = ()
    if len(entries) != rank:
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): `{name}` must be an int, a tuple of "
                         f"{rank} ints or a tuple of {rank} tuples of 2 ints. Received: {name}={value!r}")
    return tuple(normalize_tuple(entry, 2, f"entry {index} of {name}", layer, allow_zero=True)
                 for index, entry in enumerate(entries))


class _SpatialLayer(Layer):
    """Shared by the padding, cropping and upsampling layers: ``rank`` spatial axes and a data_format."""

    rank = None

    def _spatial_axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return list(range(first, first + self.rank))


class _ZeroPadding(_SpatialLayer):
    """Adds rows/columns/... of zeros before and after each spatial dimension; ZeroPadding1D/2D/3D set ``rank``.

    Args:
        padding: an int (the same at both ends of every spatial dimension), a tuple of ``rank`` ints (symmetric
            per dimension; for ZeroPadding1D, the ``(before, after)`` pair), or ``rank`` ``(before, after)`` pairs.
        data_format: ``"channels_last"`` (default, from ``image_data_format()``) or ``"channels_first"``.
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, self.rank, "padding", self)
        self.data_format = standardize_data_format(data_format, self)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def call(self, inputs):
        pads = [(0, 0)] * inputs.dim()
        for axis, pair in zip(self._spatial_axes(), self.padding):
            pads[axis] = pair
        return F.pad(inputs, torch_pad_arg(pads[1:]))

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes(), self.padding):
            shape[axis] = None if shape[axis] is None else shape[axis] + before + after
        return tuple(shape)

    def get_config(self):
        padding = self.padding[0] if self.rank == 1 else self.padding
        return {**super().get_config(), "padding": padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Zero padding of the steps of ``(batch, steps, features)``; see ``_ZeroPadding``."""

    rank = 1


class ZeroPadding2D(_ZeroPadding):
    """Zero padding of the rows and columns of images; see ``_ZeroPadding``.

    >>> ZeroPadding2D(((1, 0), (2, 3)))(np.zeros((1, 4, 4, 3), "float32")).shape
    torch.Size([1, 5, 9, 3])
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Zero padding of the three spatial dimensions of volumes; see ``_ZeroPadding``."""

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(_SpatialLayer):
    """Removes rows/columns/... at the start and end of each spatial dimension (a view, no copy); Cropping1D/2D/3D
    set ``rank``.

    Args:
        cropping: an int, a tuple of ``rank`` ints (symmetric per dimension; for Cropping1D, the
            ``(before, after)`` pair), or ``rank`` ``(before, after)`` pairs.
        data_format: ``"channels_last"`` (default) or ``"channels_first"`` (not for Cropping1D).
    """

    def __init__(self, cropping=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping", self)
        self.data_format = standardize_data_format(data_format, self)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        window = [slice(None)] * inputs.dim()
        for axis, (before, after) in zip(self._spatial_axes(), self.cropping):
            window[axis] = slice(before, inputs.shape[axis] - after)
        return inputs[tuple(window)]

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes(), self.cropping):
            if shape[axis] is not None:
                if before + after >= shape[axis]:
                    raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): `cropping` {self.cropping} "
                                     f"leaves nothing of the input's axis {axis}. Received input shape "
                                     f"{tuple(input_shape)}")
                shape[axis] -= before + after
        return tuple(shape)

    def build(self, input_shape):
        check_rank(self, input_shape, self.rank + 2)
        self.compute_output_shape(input_shape)

    def get_config(self):
        cropping = self.cropping[0] if self.rank == 1 else self.cropping
        config = {**super().get_config(), "cropping": cropping}
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class Cropping1D(_Cropping):
    """Cropping of the steps of ``(batch, steps, features)``; see ``_Cropping``."""

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, "channels_last", **kwargs)


class Cropping2D(_Cropping):
    """Cropping of the rows and columns of images; see ``_Cropping``."""

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Cropping of the three spatial dimensions of volumes; see ``_Cropping``."""

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


_UPSAMPLING_INTERPOLATIONS = ("nearest", "bilinear")


class _UpSampling(_SpatialLayer):
    """Repeats each spatial element ``size`` times along its dimension; UpSampling1D/2D/3D set ``rank``.

    Args:
        size: an int or a tuple of ``rank`` ints, the factor of each spatial dimension.
        data_format: ``"channels_last"`` (default) or ``"channels_first"`` (not for UpSampling1D).
        interpolation (UpSampling2D only): ``"nearest"`` (repeat) or ``"bilinear"`` (half-pixel centres, as
            Keras resizes images).
    """

    def __init__(self, size=2, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, self.rank, "size", self)
        self.data_format = standardize_data_format(data_format, self)
        self.interpolation = lookup("interpolation", str(interpolation).lower(),
                                    {name: name for name in _UPSAMPLING_INTERPOLATIONS})
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def call(self, inputs):
        if self.interpolation == "bilinear":
            x = to_channels_first(inputs, self.data_format)
            size = [length * factor for length, factor in zip(x.shape[2:], self.size)]
            outputs = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
            return to_channels_last(outputs, self.data_format)
        # Nearest: a length-1 axis after each spatial axis, expanded to the factor, merged back (one copy).
        axes = self._spatial_axes()
        view, expanded, merged = [], [], []
        for axis, length in enumerate(inputs.shape):
            view.append(length)
            expanded.append(length)
            factor = self.size[axis - axes[0]] if axis in axes else 1
            if axis in axes:
                view.append(1)
                expanded.append(factor)
            merged.append(length * factor)
        return inputs.reshape(view).expand(expanded).reshape(merged)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, factor in zip(self._spatial_axes(), self.size):
            shape[axis] = None if shape[axis] is None else shape[axis] * factor
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times, on ``(batch, steps, features)``; see ``_UpSampling``."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, "channels_last", **kwargs)

    def get_config(self):
        return {**Layer.get_config(self), "size": self.size[0]}


class UpSampling2D(_UpSampling):
    """Repeats (or bilinearly interpolates) rows and columns, on images; see ``_UpSampling``.

    >>> UpSampling2D((2, 3))(np.zeros((1, 4, 4, 3), "float32")).shape
    torch.Size([1, 8, 12, 3])
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, interpolation, **kwargs)

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    """Repeats the elements of volumes along their three spatial dimensions; see ``_UpSampling``."""

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)
