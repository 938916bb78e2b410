"""Building blocks that several application networks share, made of the project's layers, so that each network's
module only says how its blocks are arranged and named.

- ``conv_bn``: a convolution, then (optionally) batch normalization, then (optionally) an activation: the unit
  of ResNet, Inception, Xception and DenseNet; each network names the three layers its own way;
- ``bn_act``: batch normalization then an activation: the pre-activation of ResNetV2 and DenseNet;
- ``StochasticDepth``: drops a whole residual branch per batch in training (ConvNeXt);
- ``LayerScale``: multiplies a branch by one learned factor per channel (ConvNeXt);
- the MobileNets', EfficientNets' and NASNet's pieces (section "apps-b" below): ``make_divisible`` (their filter
  rounding), ``correct_pad`` (TensorFlow's 'same' padding before a 'valid' strided convolution),
  ``padded_depthwise``, ``squeeze_excite``, ``dropped_residual`` (stochastic depth as Keras's EfficientNets write
  it) and ``imagenet_normalization`` (the EfficientNet Rescaling/Normalization stem).
"""
import math

import torch

from kerastorch import backend, layers
from kerastorch.layers.layer import Layer


def channel_axis():
    """The channel axis of a 4D image batch in the current ``image_data_format`` (3 or 1), as Keras writes it."""
    return 3 if backend.image_data_format() == "channels_last" else 1


def conv_bn(x, filters, kernel_size, *, strides=1, padding="valid", use_bias=True, groups=1, batch_norm=True,
            epsilon=1e-3, scale=True, activation="relu", conv_name=None, bn_name=None, act_name=None, bn_axis=None):
    """``Conv2D``, then ``BatchNormalization`` (when ``batch_norm``), then ``Activation`` (when ``activation``).

    Args:
        x: the input tensor (a Keras tensor).
        filters, kernel_size, strides, padding, use_bias, groups: the convolution's.
        batch_norm: whether a batch normalization follows the convolution.
        epsilon, scale: the batch normalization's (``scale=False``: no ``gamma``, as in the Inception networks).
        activation: the activation's name, or None for none.
        conv_name, bn_name, act_name: the three layers' names (None: Keras's automatic names).
        bn_axis: the batch normalization's axis (default: ``channel_axis()``).
    """
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, groups=groups,
                      name=conv_name)(x)
    if batch_norm:
        x = layers.BatchNormalization(axis=channel_axis() if bn_axis is None else bn_axis, epsilon=epsilon,
                                      scale=scale, name=bn_name)(x)
    if activation is not None:
        x = layers.Activation(activation, name=act_name)(x)
    return x


def bn_act(x, *, epsilon=1e-3, activation="relu", bn_name=None, act_name=None):
    """``BatchNormalization`` then ``Activation``: a pre-activation."""
    x = layers.BatchNormalization(axis=channel_axis(), epsilon=epsilon, name=bn_name)(x)
    return layers.Activation(activation, name=act_name)(x)


class StochasticDepth(Layer):
    """Drops its whole input for a random subset of the samples of a batch in training, with probability
    ``drop_path_rate``, scaling the kept ones by ``1 / (1 - drop_path_rate)``; the identity otherwise. Applied to a
    residual branch, it skips the block for those samples (Huang et al., 2016).

    Args:
        drop_path_rate: the probability of dropping a sample's branch, in [0, 1).
    """

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= drop_path_rate < 1:
            raise ValueError(f"`drop_path_rate` must be in [0, 1). Received: drop_path_rate={drop_path_rate}")
        self.drop_path_rate = float(drop_path_rate)
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.drop_path_rate == 0:
            return inputs
        keep_prob = 1.0 - self.drop_path_rate
        shape = (inputs.shape[0],) + (1,) * (inputs.dim() - 1)
        keep = torch.floor(keep_prob + torch.rand(shape, device=inputs.device, dtype=inputs.dtype))
        return inputs / keep_prob * keep

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


class LayerScale(Layer):
    """Multiplies its input by a learned per-channel factor ``gamma`` (last axis), initialized to ``init_values``
    (Touvron et al., 2021).

    Args:
        init_values: the initial value of every factor (small, e.g. 1e-6).
        projection_dim: the number of channels.
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        from kerastorch import global_state, initializers
        # Keras creates this weight without a name, which its variables then take from the session's name
        # counters ("variable", "variable_1", ...): the same names here.
        self.gamma = self.add_weight(shape=(self.projection_dim,), name=global_state.unique_name("variable"),
                                     initializer=initializers.Constant(self.init_values), trainable=True)
        self.built = True

    def call(self, inputs):
        return inputs * self.gamma

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values, "projection_dim": self.projection_dim}


# ---- section: apps-b (MobileNet, MobileNetV2/V3, EfficientNet, EfficientNetV2, NASNet) ------------------------

def signed_channel_axis():
    """The channel axis as the MobileNets' batch normalizations write it: -1 (channels_last) or 1."""
    return -1 if backend.image_data_format() == "channels_last" else 1


IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)


def make_divisible(value, divisor=8, min_value=None, round_down_limit=0.9):
    """``value`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``, default ``divisor``), as
    the MobileNets and EfficientNets size their layers: when the rounding lost more than ``1 - round_down_limit``
    of ``value``, one more ``divisor`` is added. ``round_down_limit=None`` never adds it (EfficientNetV2)."""
    minimum = divisor if min_value is None else min_value
    rounded = max(minimum, int(value + divisor / 2) // divisor * divisor)
    if round_down_limit is not None and rounded < round_down_limit * value:
        rounded += divisor
    return int(rounded)


def round_repeats(repeats, depth_coefficient):
    """How many times an EfficientNet stage repeats its block once scaled by ``depth_coefficient``."""
    return int(math.ceil(depth_coefficient * repeats))


def correct_pad(inputs, kernel_size):
    """The ``ZeroPadding2D`` padding that makes a 'valid' stride-2 convolution of ``kernel_size`` see the window
    TensorFlow's 'same' padding gives it: half the kernel on each side, one less before an even-sized axis (and
    before an axis of unknown size).

    Args:
        inputs: the Keras tensor about to be padded (4D).
        kernel_size: an int or a pair of ints.

    Returns:
        ``((top, bottom), (left, right))``.
    """
    first = 2 if backend.image_data_format() == "channels_first" else 1
    sizes = tuple(inputs.shape[first:first + 2])
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    padding = []
    for size, k in zip(sizes, kernel):
        even = 1 if size is None else 1 - size % 2
        padding.append((k // 2 - even, k // 2))
    return tuple(padding)


def spatial_size(input_shape):
    """``(rows, cols)`` of an image shape without the batch axis, in the current data format."""
    if backend.image_data_format() == "channels_last":
        return input_shape[0], input_shape[1]
    return input_shape[1], input_shape[2]


def padded_depthwise(x, kernel_size, strides, name, pad_name, padding=None, **depthwise_arguments):
    """A bias-free ``DepthwiseConv2D``: 'same' at stride 1; at stride 2 a ``ZeroPadding2D`` (``padding``, default
    ``correct_pad``) named ``pad_name`` and a 'valid' convolution, as Keras's MobileNets and EfficientNets do."""
    if strides in (2, (2, 2)):
        x = layers.ZeroPadding2D(padding=padding or correct_pad(x, kernel_size), name=pad_name)(x)
        conv_padding = "valid"
    else:
        conv_padding = "same"
    return layers.DepthwiseConv2D(kernel_size, strides=strides, padding=conv_padding, use_bias=False, name=name,
                                  **depthwise_arguments)(x)


def squeeze_excite(x, filters, reduced_filters, activation, name, kernel_initializer="glorot_uniform"):
    """EfficientNet's squeeze-and-excitation (V1 and V2): the channel means (``{name}se_squeeze``, reshaped to
    1x1 by ``{name}se_reshape``) through a ``reduced_filters`` 1x1 convolution with ``activation``
    (``{name}se_reduce``) and a sigmoid ``filters`` one (``{name}se_expand``) scale ``x`` (``{name}se_excite``)."""
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    shape = (1, 1, filters) if backend.image_data_format() == "channels_last" else (filters, 1, 1)
    se = layers.Reshape(shape, name=f"{name}se_reshape")(se)
    se = layers.Conv2D(reduced_filters, 1, padding="same", activation=activation, kernel_initializer=kernel_initializer,
                       name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid", kernel_initializer=kernel_initializer,
                       name=f"{name}se_expand")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def dropped_residual(x, shortcut, drop_rate, name):
    """``x + shortcut``, with whole samples of ``x`` dropped at rate ``drop_rate`` in training (stochastic depth, as
    Keras's EfficientNets write it: a ``Dropout`` whose noise is shared over the spatial and channel axes, named
    ``{name}drop``); the sum is ``{name}add``."""
    if drop_rate > 0:
        x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.add([x, shortcut], name=f"{name}add")


def imagenet_normalization(x, statistics_given, rescale_variance=False):
    """The EfficientNets' preprocessing stem: pixels in [0, 255] scaled to [0, 1] (``Rescaling``), then normalized
    per channel (``Normalization``).

    Args:
        x: the image tensor.
        statistics_given: whether the ``Normalization`` is built with ImageNet's RGB mean and variance
            (EfficientNetV2) or holds them as weights (EfficientNet, whose files carry them).
        rescale_variance: EfficientNet with ImageNet weights: its files store the variance as the standard
            deviation, so a further ``Rescaling`` by 1/sqrt(std) per channel gives the intended normalization.
    """
    x = layers.Rescaling(1.0 / 255.0)(x)
    axis = channel_axis()
    if statistics_given:
        x = layers.Normalization(axis=axis, mean=list(IMAGENET_MEAN_RGB),
                                 variance=[std ** 2 for std in IMAGENET_STDDEV_RGB])(x)
    else:
        x = layers.Normalization(axis=axis)(x)
    if rescale_variance:
        x = layers.Rescaling([1.0 / math.sqrt(std) for std in IMAGENET_STDDEV_RGB])(x)
    return x
# ---- end of section: apps-b ---------------------------------------------------------------------------------------
