"""DenseNet121, DenseNet169 and DenseNet201 (Huang et al., "Densely Connected Convolutional Networks", 2017) as
Keras builds them, with their layer names and weights.

The architecture is torchvision's DenseNet (the same layers in the same order; torchvision pads its max pooling
with -inf where Keras pads with zeros, which is the same after the ReLU), so torchvision's ``densenet121`` ...
state dicts load too (``weights=<path to the .pth file>``), and their preprocessing is Keras's ("torch" mode).
"""
from kerastorch import layers
from kerastorch.applications import imagenet_utils
from kerastorch.applications._blocks import bn_act, channel_axis, conv_bn
from kerastorch.applications._network import check_arguments, finish, image_input, top

_EPSILON = 1.001e-5
_GROWTH_RATE = 32


def conv_block(x, growth_rate, name):
    """One layer of a dense block: BN-ReLU-1x1 conv (``4 * growth_rate``), BN-ReLU-3x3 conv (``growth_rate``),
    its output concatenated to its input."""
    branch = bn_act(x, epsilon=_EPSILON, bn_name=f"{name}_0_bn", act_name=f"{name}_0_relu")
    branch = conv_bn(branch, 4 * growth_rate, 1, use_bias=False, epsilon=_EPSILON, conv_name=f"{name}_1_conv",
                     bn_name=f"{name}_1_bn", act_name=f"{name}_1_relu")
    branch = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(branch)
    return layers.Concatenate(axis=channel_axis(), name=f"{name}_concat")([x, branch])


def dense_block(x, blocks, name):
    """``blocks`` conv blocks named ``{name}_block1`` ..."""
    for i in range(blocks):
        x = conv_block(x, _GROWTH_RATE, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """Between dense blocks: BN-ReLU, a 1x1 convolution to ``reduction`` of the channels, 2x2 average pooling."""
    x = bn_act(x, epsilon=_EPSILON, bn_name=f"{name}_bn", act_name=f"{name}_relu")
    x = layers.Conv2D(int(x.shape[channel_axis()] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def build_densenet(blocks, weights_key, include_top, weights, input_tensor, input_shape, pooling, classes,
                   classifier_activation, name):
    """A DenseNet of four dense blocks of ``blocks`` layers."""
    check_arguments(weights, include_top, classes, pooling, classifier_activation, channels_last_only="DenseNet")
    image = image_input(input_tensor, input_shape, default_size=224, min_size=32, include_top=include_top,
                        weights=weights)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(image)
    x = conv_bn(x, 64, 7, strides=2, use_bias=False, epsilon=_EPSILON, conv_name="conv1_conv",
                bn_name="conv1_bn", act_name="conv1_relu")
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, start=2):
        x = dense_block(x, count, name=f"conv{stage}")
        if stage < 5:
            x = transition_block(x, 0.5, name=f"pool{stage}")
    x = bn_act(x, epsilon=_EPSILON, bn_name="bn", act_name="relu")
    x = top(x, include_top, pooling, classes, classifier_activation, avg_name="avg_pool", max_name="max_pool")
    return finish(image, input_tensor, x, name, weights, weights_key, include_top)


_ARGS_DOC = """
    Args:
        include_top: whether to end with the global average pooling and the ``predictions`` layer.
        weights: None, ``"imagenet"`` (Keras's published weights, from ``$KERAS_HOME/models``, downloaded there
            when possible, else torchvision's from ``$TORCH_HOME/hub/checkpoints``) or the path of a weights file
            (Keras 3 ``.weights.h5``/``.keras``, Keras 2 ``.h5``, or a torchvision DenseNet state dict ``.pth``).
        input_tensor: a Keras tensor to use as the input.
        input_shape: ``(height, width, 3)``, at least 32x32; ``(224, 224, 3)`` with the top and ImageNet weights.
        pooling: without the top: None, ``"avg"`` or ``"max"``.
        classes: the number of classes of the top.
        classifier_activation: the top's activation; None gives the logits.
        name: the model's name.

    Returns:
        A functional ``Model`` (channels_last only); prepare its inputs with ``preprocess_input``.
"""


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet121"):
    return build_densenet((6, 12, 24, 16), "densenet121", include_top, weights, input_tensor, input_shape,
                          pooling, classes, classifier_activation, name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet169"):
    return build_densenet((6, 12, 32, 32), "densenet169", include_top, weights, input_tensor, input_shape,
                          pooling, classes, classifier_activation, name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet201"):
    return build_densenet((6, 12, 48, 32), "densenet201", include_top, weights, input_tensor, input_shape,
                          pooling, classes, classifier_activation, name)


DenseNet121.__doc__ = "The DenseNet121 network: dense blocks of 6, 12, 24 and 16 layers.\n" + _ARGS_DOC
DenseNet169.__doc__ = "The DenseNet169 network: dense blocks of 6, 12, 32 and 32 layers.\n" + _ARGS_DOC
DenseNet201.__doc__ = "The DenseNet201 network: dense blocks of 6, 12, 48 and 32 layers.\n" + _ARGS_DOC


preprocess_input = imagenet_utils.preprocessing("DenseNet", "torch")


decode_predictions = imagenet_utils.decode_predictions


__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "preprocess_input", "decode_predictions"]
