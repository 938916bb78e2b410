"""InceptionV3 (Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", 2016) as Keras builds
it, with its layer names and weights: every convolution is followed by a batch normalization without ``gamma``
(``scale=False``) and a ReLU, named automatically; the inception modules' concatenations are ``mixed0`` ...
``mixed10``. Inputs are scaled to [-1, 1].

torchvision's Inception3 is not this parameterization (its batch norms have a scale, and it adds an auxiliary
classifier), so its weights do not load here.
"""
from kerastorch import layers
from kerastorch.applications import imagenet_utils
from kerastorch.applications._blocks import channel_axis, conv_bn
from kerastorch.applications._network import check_arguments, finish, image_input, top


def conv2d_bn(x, filters, rows, cols, padding="same", strides=(1, 1), name=None):
    """Convolution without bias, batch norm without scale, ReLU; named ``{name}_conv``, ``{name}_bn`` and
    ``name`` when a name is given."""
    return conv_bn(x, filters, (rows, cols), strides=strides, padding=padding, use_bias=False, scale=False,
                   conv_name=None if name is None else f"{name}_conv",
                   bn_name=None if name is None else f"{name}_bn", act_name=name)


def _average_branch(x, filters):
    x = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(x, filters, 1, 1)


def _module_a(x, pool_filters, name):
    """35x35 module: 1x1, 5x5, double 3x3 and pooled branches."""
    branch1x1 = conv2d_bn(x, 64, 1, 1)
    branch5x5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
    branch3x3dbl = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    branch_pool = _average_branch(x, pool_filters)
    return layers.concatenate([branch1x1, branch5x5, branch3x3dbl, branch_pool], axis=channel_axis(), name=name)


def _module_c(x, filters, name):
    """17x17 module: 1x1, factorized 7x7 and double factorized 7x7 branches of ``filters`` channels inside."""
    branch1x1 = conv2d_bn(x, 192, 1, 1)
    branch7x7 = conv2d_bn(x, filters, 1, 1)
    branch7x7 = conv2d_bn(branch7x7, filters, 1, 7)
    branch7x7 = conv2d_bn(branch7x7, 192, 7, 1)
    branch7x7dbl = conv2d_bn(x, filters, 1, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, filters, 7, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, filters, 1, 7)
    branch7x7dbl = conv2d_bn(branch7x7dbl, filters, 7, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, 192, 1, 7)
    branch_pool = _average_branch(x, 192)
    return layers.concatenate([branch1x1, branch7x7, branch7x7dbl, branch_pool], axis=channel_axis(), name=name)


def _module_e(x, index):
    """8x8 module with expanded 1x3/3x1 branches."""
    axis = channel_axis()
    branch1x1 = conv2d_bn(x, 320, 1, 1)
    branch3x3 = conv2d_bn(x, 384, 1, 1)
    branch3x3 = layers.concatenate([conv2d_bn(branch3x3, 384, 1, 3), conv2d_bn(branch3x3, 384, 3, 1)], axis=axis,
                                   name=f"mixed9_{index}")
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
    branch3x3dbl = layers.concatenate([conv2d_bn(branch3x3dbl, 384, 1, 3), conv2d_bn(branch3x3dbl, 384, 3, 1)],
                                      axis=axis)
    branch_pool = _average_branch(x, 192)
    return layers.concatenate([branch1x1, branch3x3, branch3x3dbl, branch_pool], axis=axis,
                              name=f"mixed{9 + index}")


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="inception_v3"):
    """The InceptionV3 network (default input 299x299, at least 75x75).

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
    x = conv2d_bn(image, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    x = _module_a(x, 32, "mixed0")
    x = _module_a(x, 64, "mixed1")
    x = _module_a(x, 64, "mixed2")

    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch3x3dbl, branch_pool], axis=axis, name="mixed3")

    x = _module_c(x, 128, "mixed4")
    x = _module_c(x, 160, "mixed5")
    x = _module_c(x, 160, "mixed6")
    x = _module_c(x, 192, "mixed7")

    branch3x3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = conv2d_bn(x, 192, 1, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 1, 7)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch7x7x3, branch_pool], axis=axis, name="mixed8")

    x = _module_e(x, 0)
    x = _module_e(x, 1)
    x = top(x, include_top, pooling, classes, classifier_activation)
    return finish(image, input_tensor, x, name, weights, "inception_v3", include_top)


preprocess_input = imagenet_utils.preprocessing("InceptionV3", "tf")


decode_predictions = imagenet_utils.decode_predictions


__all__ = ["InceptionV3", "preprocess_input", "decode_predictions"]
