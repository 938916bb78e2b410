"""ResNet50, ResNet101 and ResNet152 (He et al., "Deep Residual Learning for Image Recognition", 2015) as Keras
builds them, with their layer names and weights; the residual stacks of both ResNet versions (``resnet_v2``
builds on them).

Keras's ResNet (v1) has biases on every convolution and puts a block's stride on its first 1x1 convolution
(torchvision's ResNet50 has no convolution biases and strides the 3x3 convolution), so torchvision's weights do not
fit it.

>>> model = ResNet50(weights=None, include_top=False, input_shape=(64, 64, 3), pooling="avg")
>>> features = model.predict(preprocess_input(images))
"""
from kerastorch import layers
from kerastorch.applications import imagenet_utils
from kerastorch.applications._blocks import bn_act, conv_bn
from kerastorch.applications._network import check_arguments, finish, image_input, top

_EPSILON = 1.001e-5


def residual_block_v1(x, filters, stride=1, conv_shortcut=True, name=None):
    """The bottleneck block of ResNet v1: 1x1 (strided), 3x3 and 1x1 (``4 * filters``) convolutions, each
    batch-normalized, added to the shortcut (a strided 1x1 projection when ``conv_shortcut``), then ReLU."""
    if conv_shortcut:
        shortcut = conv_bn(x, 4 * filters, 1, strides=stride, epsilon=_EPSILON, activation=None,
                           conv_name=f"{name}_0_conv", bn_name=f"{name}_0_bn")
    else:
        shortcut = x
    x = conv_bn(x, filters, 1, strides=stride, epsilon=_EPSILON, conv_name=f"{name}_1_conv",
                bn_name=f"{name}_1_bn", act_name=f"{name}_1_relu")
    x = conv_bn(x, filters, 3, padding="same", epsilon=_EPSILON, conv_name=f"{name}_2_conv",
                bn_name=f"{name}_2_bn", act_name=f"{name}_2_relu")
    x = conv_bn(x, 4 * filters, 1, epsilon=_EPSILON, activation=None, conv_name=f"{name}_3_conv",
                bn_name=f"{name}_3_bn")
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    """``blocks`` v1 blocks named ``{name}_block1`` ...; the first projects and strides by ``stride1``."""
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(x, filters, stride=1, conv_shortcut=False, name=None):
    """The pre-activation bottleneck block of ResNet v2: batch norm and ReLU first, then 1x1, 3x3 (strided) and
    1x1 convolutions added to the shortcut (a 1x1 projection of the pre-activation, a strided 1x1 max pooling, or
    the input)."""
    preact = bn_act(x, epsilon=_EPSILON, bn_name=f"{name}_preact_bn", act_name=f"{name}_preact_relu")
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = conv_bn(preact, filters, 1, use_bias=False, epsilon=_EPSILON, conv_name=f"{name}_1_conv",
                bn_name=f"{name}_1_bn", act_name=f"{name}_1_relu")
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = conv_bn(x, filters, 3, strides=stride, use_bias=False, epsilon=_EPSILON, conv_name=f"{name}_2_conv",
                bn_name=f"{name}_2_bn", act_name=f"{name}_2_relu")
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    """``blocks`` v2 blocks; the first projects, the last strides by ``stride1``."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def build_resnet(blocks_per_stack, preact, weights_key, include_top, weights, input_tensor, input_shape, pooling,
                 classes, classifier_activation, name):
    """A ResNet: the 7x7 stem, four residual stacks of ``blocks_per_stack`` blocks (v2 blocks when ``preact``),
    then the top or the pooling."""
    check_arguments(weights, include_top, classes, pooling, classifier_activation)
    image = image_input(input_tensor, input_shape, default_size=224, min_size=32, include_top=include_top,
                        weights=weights)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(image)
    if preact:
        x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    else:
        x = conv_bn(x, 64, 7, strides=2, epsilon=_EPSILON, conv_name="conv1_conv", bn_name="conv1_bn",
                    act_name="conv1_relu")
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stack, (filters, blocks) in enumerate(zip((64, 128, 256, 512), blocks_per_stack), start=2):
        if preact:
            x = stack_residual_blocks_v2(x, filters, blocks, stride1=1 if stack == 5 else 2, name=f"conv{stack}")
        else:
            x = stack_residual_blocks_v1(x, filters, blocks, stride1=1 if stack == 2 else 2, name=f"conv{stack}")
    if preact:
        x = bn_act(x, epsilon=_EPSILON, bn_name="post_bn", act_name="post_relu")
    x = top(x, include_top, pooling, classes, classifier_activation, avg_name="avg_pool", max_name="max_pool")
    return finish(image, input_tensor, x, name, weights, weights_key, include_top)


_ARGS_DOC = """
    Args:
        include_top: whether to end with the global average pooling and the 1000-way ``predictions`` layer.
        weights: None (random initialization), ``"imagenet"`` (Keras's published weights, from
            ``$KERAS_HOME/models``, downloaded there when possible) or the path of a weights file (Keras 3
            ``.weights.h5``/``.keras``, Keras 2 ``.h5``).
        input_tensor: a Keras tensor (from ``keras.Input``, possibly through other layers) to use as the input.
        input_shape: ``(height, width, 3)``, at least 32x32; ``(224, 224, 3)`` with the top and ImageNet weights.
        pooling: without the top: None (the 4D output of the last block), ``"avg"`` or ``"max"``.
        classes: the number of classes of the top (1000 with ImageNet weights).
        classifier_activation: the top's activation; None gives the logits.
        name: the model's name.

    Returns:
        A functional ``Model``; prepare its inputs with ``preprocess_input``.
"""


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
             classes=1000, classifier_activation="softmax", name="resnet50"):
    return build_resnet((3, 4, 6, 3), False, "resnet50", include_top, weights, input_tensor, input_shape,
                        pooling, classes, classifier_activation, name)


def ResNet101(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
              classes=1000, classifier_activation="softmax", name="resnet101"):
    return build_resnet((3, 4, 23, 3), False, "resnet101", include_top, weights, input_tensor, input_shape,
                        pooling, classes, classifier_activation, name)


def ResNet152(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
              classes=1000, classifier_activation="softmax", name="resnet152"):
    return build_resnet((3, 8, 36, 3), False, "resnet152", include_top, weights, input_tensor, input_shape,
                        pooling, classes, classifier_activation, name)


ResNet50.__doc__ = "The ResNet50 network (v1): 25,636,712 weights, 23,587,712 without the top.\n" + _ARGS_DOC
ResNet101.__doc__ = "The ResNet101 network (v1): 44,707,176 weights.\n" + _ARGS_DOC
ResNet152.__doc__ = "The ResNet152 network (v1): 60,419,944 weights.\n" + _ARGS_DOC


preprocess_input = imagenet_utils.preprocessing("ResNet", "caffe")


decode_predictions = imagenet_utils.decode_predictions


__all__ = ["ResNet50", "ResNet101", "ResNet152", "preprocess_input", "decode_predictions"]
