"""InceptionResNetV2 (Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of Residual Connections on
Learning", 2017) as Keras builds it, with its layer names and weights: inception modules whose branches,
concatenated and projected by a 1x1 convolution, are added to the block's input scaled by ``scale``
(``CustomScaleLayer``). Inputs are scaled to [-1, 1].
"""
from kerastorch import layers
from kerastorch.applications import imagenet_utils
from kerastorch.applications._blocks import channel_axis, conv_bn
from kerastorch.applications._network import check_arguments, finish, image_input, top
from kerastorch.layers.layer import Layer


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu", use_bias=False, name=None):
    """Convolution, batch norm without scale (only without bias) and the activation; named ``name``,
    ``{name}_bn`` and ``{name}_ac`` when a name is given."""
    return conv_bn(x, filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias,
                   batch_norm=not use_bias, scale=False, activation=activation, conv_name=name,
                   bn_name=None if name is None else f"{name}_bn", act_name=None if name is None else f"{name}_ac")


class CustomScaleLayer(Layer):
    """``inputs[0] + scale * inputs[1]``: a residual connection whose branch is scaled by a constant.

    Args:
        scale: the branch's factor.
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.built = True

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


_BRANCHES = {
    # block type: branches, each a list of (filters, kernel size)
    "block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
    "block17": [[(192, 1)], [(128, 1), (160, (1, 7)), (192, (7, 1))]],
    "block8": [[(192, 1)], [(192, 1), (224, (1, 3)), (256, (3, 1))]],
}


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """An Inception-ResNet block (``block35``, ``block17`` or ``block8``) named ``{block_type}_{block_idx}``."""
    if block_type not in _BRANCHES:
        raise ValueError(f"Unknown Inception-ResNet block type. Expects \"block35\", \"block17\" or \"block8\", "
                         f"but got: {block_type}")
    branches = []
    for branch in _BRANCHES[block_type]:
        y = x
        for filters, kernel_size in branch:
            y = conv2d_bn(y, filters, kernel_size)
        branches.append(y)
    block_name = f"{block_type}_{block_idx}"
    axis = channel_axis()
    mixed = layers.Concatenate(axis=axis, name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[axis], 1, activation=None, use_bias=True, name=f"{block_name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                      classes=1000, classifier_activation="softmax", name="inception_resnet_v2"):
    """The InceptionResNetV2 network (default input 299x299, at least 75x75).

    Args:
        include_top: whether to end with the global average pooling and the ``predictions`` layer.
        weights: None, ``"imagenet"`` (Keras's published weights, from ``$KERAS_HOME/models``, downloaded there
            when possible) or the path of a weights file (Keras 3 ``.weights.h5``/``.keras``, Keras 2 ``.h5``).
        input_tensor: a Keras tensor to use as the input.
        input_shape: ``(height, width, 3)``, at least 75x75; ``(299, 299, 3)`` with the top and ImageNet weights.
        pooling: without the top: None, ``"avg"`` or ``"max"``.
        classes: the number of classes of the top.
        classifier_activation: the top's activation; None gives the logits.
        name: the model's name.

    Returns:
        A functional ``Model``; prepare its inputs with ``preprocess_input``.
    """
    check_arguments(weights, include_top, classes, pooling, classifier_activation)
    image = image_input(input_tensor, input_shape, default_size=299, min_size=75, include_top=include_top,
                        weights=weights)
    axis = channel_axis()
    x = conv2d_bn(image, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)

    # Mixed 5b (Inception-A block)
    branch_0 = conv2d_bn(x, 96, 1)
    branch_1 = conv2d_bn(conv2d_bn(x, 48, 1), 64, 5)
    branch_2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1), 96, 3), 96, 3)
    branch_pool = conv2d_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1)
    x = layers.Concatenate(axis=axis, name="mixed_5b")([branch_0, branch_1, branch_2, branch_pool])
    for block_idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=block_idx)

    # Mixed 6a (Reduction-A block)
    branch_0 = conv2d_bn(x, 384, 3, strides=2, padding="valid")
    branch_1 = conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1), 256, 3), 384, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=axis, name="mixed_6a")([branch_0, branch_1, branch_pool])
    for block_idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=block_idx)

    # Mixed 7a (Reduction-B block)
    branch_0 = conv2d_bn(conv2d_bn(x, 256, 1), 384, 3, strides=2, padding="valid")
    branch_1 = conv2d_bn(conv2d_bn(x, 256, 1), 288, 3, strides=2, padding="valid")
    branch_2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1), 288, 3), 320, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=axis, name="mixed_7a")([branch_0, branch_1, branch_2, branch_pool])
    for block_idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=block_idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)

    x = conv2d_bn(x, 1536, 1, name="conv_7b")
    x = top(x, include_top, pooling, classes, classifier_activation)
    return finish(image, input_tensor, x, name, weights, "inception_resnet_v2", include_top)


preprocess_input = imagenet_utils.preprocessing("InceptionResNetV2", "tf")


decode_predictions = imagenet_utils.decode_predictions


__all__ = ["InceptionResNetV2", "preprocess_input", "decode_predictions"]
