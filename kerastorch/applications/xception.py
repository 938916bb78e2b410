"""Xception (Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions", 2017) as Keras builds it,
with its layer names and weights: an entry flow of strided separable-convolution blocks with 1x1 projection
shortcuts, eight middle blocks of three separable convolutions, and an exit flow. Inputs are scaled to [-1, 1].
"""
from kerastorch import layers
from kerastorch.applications import imagenet_utils
from kerastorch.applications._blocks import conv_bn
from kerastorch.applications._network import check_arguments, finish, image_input, top

_BN_AXIS = -1   # Keras's Xception writes the channel axis this way (channels_last)


def _sepconv_bn(x, filters, name, relu_first=True):
    """(ReLU,) 3x3 'same' separable convolution without bias, batch norm: the unit of Xception's blocks."""
    if relu_first:
        x = layers.Activation("relu", name=f"{name}_act")(x)
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=_BN_AXIS, name=f"{name}_bn")(x)


def _projection(x, filters):
    """The strided 1x1 projection shortcut of a downsampling block (unnamed layers, as in Keras)."""
    return conv_bn(x, filters, (1, 1), strides=(2, 2), padding="same", use_bias=False, activation=None,
                   bn_axis=_BN_AXIS)


def _downsampling_block(x, block, filters):
    """Two separable convolutions and a strided 3x3 max pooling, added to a projection of the input."""
    residual = _projection(x, filters[-1])
    x = _sepconv_bn(x, filters[0], f"block{block}_sepconv1")
    x = _sepconv_bn(x, filters[1], f"block{block}_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
             classes=1000, classifier_activation="softmax", name="xception"):
    """The Xception network (default input 299x299, at least 71x71).

    Args:
        include_top: whether to end with the global average pooling and the ``predictions`` layer.
        weights: None, ``"imagenet"`` (Keras's published weights, from ``$KERAS_HOME/models``, downloaded there
            when possible) or the path of a weights file (Keras 3 ``.weights.h5``/``.keras``, Keras 2 ``.h5``).
        input_tensor: a Keras tensor to use as the input.
        input_shape: ``(height, width, 3)``, at least 71x71; ``(299, 299, 3)`` with the top and ImageNet weights.
        pooling: without the top: None, ``"avg"`` or ``"max"``.
        classes: the number of classes of the top.
        classifier_activation: the top's activation; None gives the logits.
        name: the model's name.

    Returns:
        A functional ``Model``; prepare its inputs with ``preprocess_input``.
    """
    check_arguments(weights, include_top, classes, pooling, classifier_activation)
    image = image_input(input_tensor, input_shape, default_size=299, min_size=71, include_top=include_top,
                        weights=weights)
    x = conv_bn(image, 32, (3, 3), strides=(2, 2), use_bias=False, conv_name="block1_conv1",
                bn_name="block1_conv1_bn", act_name="block1_conv1_act", bn_axis=_BN_AXIS)
    x = conv_bn(x, 64, (3, 3), use_bias=False, conv_name="block1_conv2", bn_name="block1_conv2_bn",
                act_name="block1_conv2_act", bn_axis=_BN_AXIS)
    # Block 2 starts right after the stem's ReLU: no activation before its first separable convolution.
    residual = _projection(x, 128)
    x = layers.SeparableConv2D(128, (3, 3), padding="same", use_bias=False, name="block2_sepconv1")(x)
    x = layers.BatchNormalization(axis=_BN_AXIS, name="block2_sepconv1_bn")(x)
    x = _sepconv_bn(x, 128, "block2_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name="block2_pool")(x)
    x = layers.add([x, residual])
    x = _downsampling_block(x, 3, (256, 256))
    x = _downsampling_block(x, 4, (728, 728))
    for block in range(5, 13):
        residual = x
        for conv in (1, 2, 3):
            x = _sepconv_bn(x, 728, f"block{block}_sepconv{conv}")
        x = layers.add([x, residual])
    x = _downsampling_block(x, 13, (728, 1024))
    x = layers.SeparableConv2D(1536, (3, 3), padding="same", use_bias=False, name="block14_sepconv1")(x)
    x = layers.BatchNormalization(axis=_BN_AXIS, name="block14_sepconv1_bn")(x)
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = layers.SeparableConv2D(2048, (3, 3), padding="same", use_bias=False, name="block14_sepconv2")(x)
    x = layers.BatchNormalization(axis=_BN_AXIS, name="block14_sepconv2_bn")(x)
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)
    x = top(x, include_top, pooling, classes, classifier_activation)
    return finish(image, input_tensor, x, name, weights, "xception", include_top)


preprocess_input = imagenet_utils.preprocessing("Xception", "tf")


decode_predictions = imagenet_utils.decode_predictions


__all__ = ["Xception", "preprocess_input", "decode_predictions"]
