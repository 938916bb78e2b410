"""Convolution layers: Conv1D/2D/3D, their transposes, and the separable and depthwise convolutions.

Kernels are stored in Keras's layouts (``get_weights()`` returns what Keras returns, and optimizers, constraints
and regularizers see Keras's shapes). ``call`` hands torch a permuted view of the kernel, which costs no copy;
torch's convolution then lays the (small) kernel out as it needs. Inputs reach torch as channels_first views
(see ``_conv_utils``), so a channels_last model runs on torch's channels_last kernels without copies.

Also the Keras 2 import path ``keras.layers.convolutional``, which held the pooling, padding, cropping and
upsampling layers too.
"""
import torch.nn.functional as F

from kerastorch import activations, constraints, initializers, regularizers
from kerastorch.layers._conv_utils import (channels_of, check_rank, conv_output_spatial, normalize_tuple, pad_same,
                                           positive_int, same_paddings, spatial_shape, standardize_data_format,
                                           standardize_padding, to_channels_first, to_channels_last, torch_pad_arg,
                                           with_spatial)
from kerastorch.layers._weight_arguments import (add_weight_from_arguments, set_weight_arguments,
                                                 weight_arguments_config)
from kerastorch.layers.layer import InputSpec, Layer
from kerastorch._porting import missing_attribute

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _torch_conv_kernel(kernel, rank):
    """Keras's ``(*kernel_size, in, out)`` kernel as torch's ``(out, in, *kernel_size)``: a view."""
    return kernel.permute(rank + 1, rank, *range(rank))


def _depthwise_torch_kernel(kernel, rank):
    """Keras's ``(*k, channels, multiplier)`` depthwise kernel as torch's grouped ``(channels * multiplier, 1, *k)``
    (output channel ``c * multiplier + m`` reads input channel c, in both): views, no copy."""
    merged = kernel.reshape(*kernel.shape[:rank], 1, kernel.shape[rank] * kernel.shape[rank + 1])
    return _torch_conv_kernel(merged, rank)


class _Convolution(Layer):
    """What the convolutions share: the window arguments, the activation and bias, the check of the input, the
    channels_first view with 'same'/'causal' padding applied, and the matching configuration entries."""

    rank = None

    def _set_window(self, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                    bias_initializer, bias_regularizer, bias_constraint, paddings=("valid", "same")):
        rank = self.rank
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", self)
        self.strides = normalize_tuple(strides, rank, "strides", self)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", self)
        self.padding = standardize_padding(padding, self, paddings)
        self.data_format = standardize_data_format(data_format, self)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _refuse_strides_with_dilation(self):
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): `strides > 1` not supported in "
                             f"conjunction with `dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")

    def _input_channels(self, input_shape):
        """The inputs' channel count, after checking their rank; it must be known to create the kernel."""
        check_rank(self, input_shape, self.rank + 2)
        channels = channels_of(input_shape, self.data_format)
        if channels is None:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): the channel dimension of the inputs "
                             f"must be defined (data_format='{self.data_format}'). Received input shape "
                             f"{tuple(input_shape)}.")
        return channels

    def _add_bias_and_input_spec(self, size, channels):
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(size,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        channel_axis = -1 if self.data_format == "channels_last" else 1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={channel_axis: channels})
        self.built = True

    def _padded_channels_first(self, inputs):
        """The inputs as a channels_first view, padded for 'same' or 'causal', and torch's ``padding``."""
        x = to_channels_first(inputs, self.data_format)
        if self.padding == "same":
            return pad_same(x, same_paddings(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate))
        if self.padding == "causal":
            return F.pad(x, (self.dilation_rate[0] * (self.kernel_size[0] - 1), 0)), 0
        return x, 0

    def call(self, inputs):
        return self.activation(self.pre_activation(inputs))

    def pre_activation(self, inputs):
        """The layer's output before its activation: the convolution plus the bias, in the layer's data format.

        ``call`` applies ``activation`` to it. It runs the computation only (no build, input check or hooks, as
        ``__call__`` does): the trainer's execution plan uses it to apply a ReLU after the max pooling that
        follows, on a tensor a quarter the size, once the layer has been built and called on such inputs.

        Args:
            inputs: a tensor the layer accepts (as in ``call``).
        """
        raise NotImplementedError

    def _output_shape(self, input_shape, channels):
        spatial = conv_output_spatial(self, input_shape, self.kernel_size, self.strides, self.padding,
                                      self.dilation_rate, self.data_format)
        return with_spatial(input_shape, spatial, channels, self.data_format)

    def _window_config(self):
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }

    def _kernel_config(self, prefix):
        """The ``<prefix>_initializer``, ``_regularizer`` and ``_constraint`` entries of one kernel."""
        return weight_arguments_config(self, (prefix,))

    def _set_kernel_arguments(self, prefix, initializer, regularizer, constraint):
        set_weight_arguments(self, prefix, initializer, regularizer, constraint)

    def _add_kernel(self, name, prefix, shape):
        return add_weight_from_arguments(self, name, prefix, shape)

    def extra_repr(self):
        filters = f", filters={self.filters}" if hasattr(self, "filters") else ""
        return (f"name={self.name!r}{filters}, kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}, data_format={self.data_format!r}, "
                f"activation={activations.serialize(self.activation)}")


class BaseConv(_Convolution):
    """The N-D convolution ``activation(conv(inputs, kernel) + bias)``; Conv1D, Conv2D and Conv3D set ``rank``.

    Args:
        filters: the number of output channels.
        kernel_size: an int or a tuple of ``rank`` ints, the window's size.
        strides: an int or a tuple of ``rank`` ints (default 1).
        padding: ``"valid"`` (no padding), ``"same"`` (TensorFlow's: ``ceil(size / stride)`` outputs, the odd
            padding element at the end) or, for Conv1D only, ``"causal"`` (left padding, for temporal models).
        data_format: ``"channels_last"`` (default, from ``image_data_format()``) or ``"channels_first"``.
        dilation_rate: an int or a tuple of ``rank`` ints; > 1 cannot be combined with strides > 1.
        groups: split the input channels into ``groups`` groups, each convolved with ``filters / groups``
            filters of its own.
        activation: a name or callable; None means linear.
        use_bias: whether to add ``bias``.
        kernel_initializer, bias_initializer: initializers (default ``glorot_uniform`` and ``zeros``).
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to ``losses``.
        kernel_constraint, bias_constraint: applied after each optimizer step.

    Input shape: ``(batch, *spatial, channels)`` (channels_last) or ``(batch, channels, *spatial)``.
    Output shape: the same layout with ``filters`` channels.
    Weights: ``kernel`` of shape ``(*kernel_size, channels // groups, filters)`` and ``bias`` of shape
    ``(filters,)``, as in Keras.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if lora_rank:
            raise NotImplementedError("Convolutions with `lora_rank` are not supported by kerastorch yet.")
        self._set_window(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint,
                         ("valid", "same", "causal") if self.rank == 1 else ("valid", "same"))
        self._set_kernel_arguments("kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        self.filters = positive_int(filters, "filters", self)
        self.groups = positive_int(groups, "groups", self)
        if self.filters % self.groups:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): the number of filters must be evenly "
                             f"divisible by the number of groups. Received: groups={groups}, filters={filters}")
        self._refuse_strides_with_dilation()

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): the number of input channels must be "
                             f"evenly divisible by the number of groups. Received groups={self.groups}, but the "
                             f"input has {channels} channels (full input shape is {tuple(input_shape)}).")
        self.compute_output_shape(input_shape)  # refuses a kernel larger than the input
        self.kernel = self._add_kernel("kernel", "kernel", self.kernel_size + (channels // self.groups, self.filters))
        self._add_bias_and_input_spec(self.filters, channels)

    def pre_activation(self, inputs):
        x, padding = self._padded_channels_first(inputs)
        outputs = _CONV[self.rank](x, _torch_conv_kernel(self.kernel, self.rank), self.bias, self.strides, padding,
                                   self.dilation_rate, self.groups)
        return to_channels_last(outputs, self.data_format)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape, self.filters)

    def get_config(self):
        return {**self._window_config(), **self._kernel_config("kernel"), "filters": self.filters,
                "groups": self.groups}


class Conv1D(BaseConv):
    """1D convolution (temporal), on ``(batch, steps, channels)``; see ``BaseConv`` for the arguments.
    ``padding="causal"`` pads ``dilation_rate * (kernel_size - 1)`` steps on the left only, so that output t
    sees inputs up to t.

    >>> Conv1D(4, 3, padding="causal")(np.zeros((2, 10, 3), "float32")).shape
    torch.Size([2, 10, 4])
    """

    rank = 1


class Conv2D(BaseConv):
    """2D convolution (spatial, over images), on ``(batch, height, width, channels)``; see ``BaseConv``.

    >>> Conv2D(32, (3, 3), activation="relu")(np.zeros((2, 28, 28, 1), "float32")).shape
    torch.Size([2, 26, 26, 32])
    """

    rank = 2


class Conv3D(BaseConv):
    """3D convolution (over volumes), on ``(batch, depth, height, width, channels)``; see ``BaseConv``."""

    rank = 3


def _transpose_output_length(size, kernel, stride, padding, output_padding, dilation):
    """Keras's output length of a transposed convolution along one dimension (None stays None)."""
    if size is None:
        return None
    effective_kernel = (kernel - 1) * dilation + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = max(effective_kernel, stride) - effective_kernel
        return (size - 1) * stride + effective_kernel + output_padding
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + effective_kernel % 2 + output_padding


def _transpose_crop(size, kernel, stride, padding, output_padding, dilation):
    """``(before, after)``: how much Keras's output drops from each end of the full transposed convolution, of
    length ``(size - 1) * stride + effective_kernel``. A negative ``after`` means zeros appended.

    With padding='same' the transposed convolution is the gradient of a 'same' convolution, whose padding puts
    the odd element at the end; its leading padding is what the full result loses at the start.
    """
    effective_kernel = (kernel - 1) * dilation + 1
    full = (size - 1) * stride + effective_kernel
    length = _transpose_output_length(size, kernel, stride, padding, output_padding, dilation)
    if padding == "valid":
        before = 0
    elif output_padding is None:
        before = max(effective_kernel - stride, 0) // 2
    else:
        before = max(effective_kernel - effective_kernel % 2 - output_padding, 0) // 2
    return before, full - length - before


class BaseConvTranspose(_Convolution):
    """The N-D transposed convolution (the gradient of a convolution, sometimes called deconvolution);
    Conv1DTranspose, Conv2DTranspose and Conv3DTranspose set ``rank``.

    Args:
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: ints or tuples of ``rank`` ints.
        padding: ``"valid"`` or ``"same"`` (with the default ``output_padding``, ``size * stride`` outputs).
        output_padding: None (Keras's default) or ints, each smaller than its stride: the extra length added at
            the end of each spatial dimension.
        data_format, activation, use_bias, initializers, regularizers, constraints: as in ``BaseConv``.

    Weights: ``kernel`` of shape ``(*kernel_size, filters, channels)`` (Keras's layout: output channels before
    input channels) and ``bias`` of shape ``(filters,)``.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._set_window(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint)
        self._set_kernel_arguments("kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        self.filters = positive_int(filters, "filters", self)
        self.output_padding = None if output_padding is None else \
            normalize_tuple(output_padding, self.rank, "output_padding", self, allow_zero=True)
        if self.output_padding is not None and any(p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): `output_padding` must be strictly less "
                             f"than `strides` in every dimension. Received: output_padding={self.output_padding}, "
                             f"strides={self.strides}")
        self._refuse_strides_with_dilation()

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self._add_kernel("kernel", "kernel", self.kernel_size + (self.filters, channels))
        self._add_bias_and_input_spec(self.filters, channels)

    def pre_activation(self, inputs):
        x = to_channels_first(inputs, self.data_format)
        output_padding = self.output_padding or (None,) * self.rank
        crops = [_transpose_crop(*args) for args in zip(x.shape[2:], self.kernel_size, self.strides,
                                                         (self.padding,) * self.rank, output_padding,
                                                         self.dilation_rate)]
        # Keras's kernel (*k, out, in) as torch's (in, out, *k): a view.
        kernel = self.kernel.permute(self.rank + 1, self.rank, *range(self.rank))
        # Torch crops `padding` from both ends and then extends the end by `output_padding` (< stride): one call
        # when Keras's crops fit that pattern, which covers the usual configurations.
        torch_output_padding = [before - after for before, after in crops]
        if all(0 <= p < max(s, d) for p, s, d in zip(torch_output_padding, self.strides, self.dilation_rate)):
            outputs = _CONV_TRANSPOSE[self.rank](x, kernel, self.bias, self.strides, [before for before, _ in crops],
                                                 torch_output_padding, 1, self.dilation_rate)
        else:
            outputs = self._cropped_conv_transpose(x, kernel, crops)
        return to_channels_last(outputs, self.data_format)

    def _cropped_conv_transpose(self, x, kernel, crops):
        """The full transposed convolution, sliced (and zero-extended) to Keras's window, then the bias."""
        symmetric = [max(min(before, after), 0) for before, after in crops]
        outputs = _CONV_TRANSPOSE[self.rank](x, kernel, None, self.strides, symmetric, 0, 1, self.dilation_rate)
        window = [slice(None), slice(None)]
        for (before, after), cut, length in zip(crops, symmetric, outputs.shape[2:]):
            window.append(slice(before - cut, length - max(after - cut, 0)))
        outputs = outputs[tuple(window)]
        if any(after < 0 for _, after in crops):
            outputs = F.pad(outputs, torch_pad_arg([(0, max(-after, 0)) for _, after in crops]))
        if self.bias is not None:
            outputs = outputs + self.bias.view(-1, *(1,) * self.rank)
        return outputs

    def compute_output_shape(self, input_shape):
        output_padding = self.output_padding or (None,) * self.rank
        spatial = tuple(_transpose_output_length(*args) for args in zip(
            spatial_shape(input_shape, self.data_format), self.kernel_size, self.strides,
            (self.padding,) * self.rank, output_padding, self.dilation_rate))
        return with_spatial(input_shape, spatial, self.filters, self.data_format)

    def get_config(self):
        return {**self._window_config(), **self._kernel_config("kernel"), "filters": self.filters,
                "output_padding": self.output_padding}


class Conv1DTranspose(BaseConvTranspose):
    """1D transposed convolution, on ``(batch, steps, channels)``; see ``BaseConvTranspose``."""

    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    """2D transposed convolution, on ``(batch, height, width, channels)``; see ``BaseConvTranspose``.

    >>> Conv2DTranspose(8, 3, strides=2, padding="same")(np.zeros((2, 5, 5, 4), "float32")).shape
    torch.Size([2, 10, 10, 8])
    """

    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    """3D transposed convolution, on ``(batch, depth, height, width, channels)``; see ``BaseConvTranspose``.
    As in Keras, ``data_format`` comes before ``output_padding`` among the positional arguments."""

    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 output_padding=None, dilation_rate=(1, 1, 1), **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, output_padding=output_padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)


class BaseDepthwiseConv(_Convolution):
    """Depthwise convolution: each input channel convolved with ``depth_multiplier`` filters of its own
    (``groups`` equal to the channels); DepthwiseConv1D and DepthwiseConv2D set ``rank``.

    Args:
        kernel_size, strides, dilation_rate: ints or tuples of ``rank`` ints.
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: the number of output channels per input channel.
        data_format, activation, use_bias: as in ``BaseConv``.
        depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer, activity_regularizer,
            depthwise_constraint, bias_constraint: for the kernel and the bias.

    Weights: ``kernel`` of shape ``(*kernel_size, channels, depth_multiplier)`` and ``bias`` of shape
    ``(channels * depth_multiplier,)``.
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._set_window(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint)
        self._set_kernel_arguments("depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier", self)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)  # refuses a kernel larger than the input
        self.kernel = self._add_kernel("kernel", "depthwise", self.kernel_size + (channels, self.depth_multiplier))
        self._add_bias_and_input_spec(channels * self.depth_multiplier, channels)

    def pre_activation(self, inputs):
        x, padding = self._padded_channels_first(inputs)
        outputs = _CONV[self.rank](x, _depthwise_torch_kernel(self.kernel, self.rank), self.bias, self.strides,
                                   padding, self.dilation_rate, x.shape[1])
        return to_channels_last(outputs, self.data_format)

    def compute_output_shape(self, input_shape):
        channels = channels_of(input_shape, self.data_format)
        return self._output_shape(input_shape, None if channels is None else channels * self.depth_multiplier)

    def get_config(self):
        return {**self._window_config(), **self._kernel_config("depthwise"),
                "depth_multiplier": self.depth_multiplier}


class DepthwiseConv1D(BaseDepthwiseConv):
    """1D depthwise convolution, on ``(batch, steps, channels)``; see ``BaseDepthwiseConv``."""

    rank = 1


class DepthwiseConv2D(BaseDepthwiseConv):
    """2D depthwise convolution, on ``(batch, height, width, channels)``; see ``BaseDepthwiseConv``."""

    rank = 2


class BaseSeparableConv(_Convolution):
    """Separable convolution: a depthwise convolution (each channel on its own, ``depth_multiplier`` times) then
    a pointwise (1x1) convolution to ``filters`` channels; SeparableConv1D and SeparableConv2D set ``rank``.

    Args:
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: ints or tuples of ``rank`` ints (of the depthwise step).
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: the depthwise step's output channels per input channel.
        data_format, activation, use_bias: as in ``BaseConv``.
        depthwise_*, pointwise_*, bias_*: initializers, regularizers and constraints of the three weights.

    Weights: ``depthwise_kernel`` ``(*kernel_size, channels, depth_multiplier)``, ``pointwise_kernel``
    ``(1, ..., channels * depth_multiplier, filters)`` and ``bias`` ``(filters,)``, in that order, as in Keras.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._set_window(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint)
        self._set_kernel_arguments("depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint)
        self._set_kernel_arguments("pointwise", pointwise_initializer, pointwise_regularizer, pointwise_constraint)
        self.filters = positive_int(filters, "filters", self)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier", self)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)  # refuses a kernel larger than the input
        self.depthwise_kernel = self._add_kernel("depthwise_kernel", "depthwise",
                                                 self.kernel_size + (channels, self.depth_multiplier))
        self.pointwise_kernel = self._add_kernel("pointwise_kernel", "pointwise",
                                                 (1,) * self.rank + (channels * self.depth_multiplier, self.filters))
        self._add_bias_and_input_spec(self.filters, channels)

    def pre_activation(self, inputs):
        x, padding = self._padded_channels_first(inputs)
        conv = _CONV[self.rank]
        depthwise = conv(x, _depthwise_torch_kernel(self.depthwise_kernel, self.rank), None, self.strides, padding,
                         self.dilation_rate, x.shape[1])
        outputs = conv(depthwise, _torch_conv_kernel(self.pointwise_kernel, self.rank), self.bias)
        return to_channels_last(outputs, self.data_format)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape, self.filters)

    def get_config(self):
        return {**self._window_config(), **self._kernel_config("depthwise"), **self._kernel_config("pointwise"),
                "filters": self.filters, "depth_multiplier": self.depth_multiplier}


class SeparableConv1D(BaseSeparableConv):
    """1D separable convolution, on ``(batch, steps, channels)``; see ``BaseSeparableConv``."""

    rank = 1


class SeparableConv2D(BaseSeparableConv):
    """2D separable convolution, on ``(batch, height, width, channels)``; see ``BaseSeparableConv``."""

    rank = 2


# Keras's other names for the same classes.
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D

# Keras 2's `keras.layers.convolutional` also held the pooling, padding, cropping and upsampling layers, and
# tutorials import them from there with `from keras.layers.convolutional import *`.
from kerastorch.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D,  # noqa: E402
                                       AvgPool1D, AvgPool2D, AvgPool3D, MaxPool1D, MaxPool2D, MaxPool3D,
                                       MaxPooling1D, MaxPooling2D, MaxPooling3D)
from kerastorch.layers.reshaping import (Cropping1D, Cropping2D, Cropping3D, UpSampling1D,  # noqa: E402
                                         UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)

__all__ = [
    "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
    "Convolution1D", "Convolution2D", "Convolution3D", "Convolution1DTranspose", "Convolution2DTranspose",
    "Convolution3DTranspose", "SeparableConvolution1D", "SeparableConvolution2D",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "AvgPool1D", "AvgPool2D", "AvgPool3D", "MaxPool1D", "MaxPool2D", "MaxPool3D",
    "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
]

# Keras 2's names of the transposed convolutions warn once; other missing names get the one missing-name text.
__getattr__ = missing_attribute(__name__, renamed={"Deconvolution2D": "Conv2DTranspose", "Deconv2D": "Conv2DTranspose",
                                                   "Deconvolution3D": "Conv3DTranspose", "Deconv3D": "Conv3DTranspose"})
