"""Building blocks that several application networks share, made of the project's layers, so that each network's
module only says how its blocks are arranged and named.

- ``conv_bn``: a convolution, then (optionally) batch normalization, then (optionally) an activation: the unit
  of ResNet, Inception, Xception and DenseNet; each network names the three layers its own way;
- ``bn_act``: batch normalization then an activation: the pre-activation of ResNetV2 and DenseNet;
- ``StochasticDepth``: drops a whole residual branch per batch in training (ConvNeXt);
- ``LayerScale``: multiplies a branch by one learned factor per channel (ConvNeXt).
"""
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
