"""EfficientNetV2B0 ... B3, S, M and L (Tan & Le, "EfficientNetV2: Smaller Models and Faster Training", 2021), as
Keras builds them, with their layer names and weights.

The networks include their preprocessing unless ``include_preprocessing=False``: the B variants scale pixels to
[0, 1] and normalize them with ImageNet's mean and variance, S/M/L scale them to [-1, 1]. This module's
``preprocess_input`` returns its input unchanged: feed RGB pixels in [0, 255].

>>> model = EfficientNetV2B0(weights=None, include_top=False, input_shape=(64, 64, 3), pooling="avg")
>>> features = model.predict(images)
"""
import copy

from kerastorch import backend, initializers, layers
from kerastorch.applications import _blocks, _network, imagenet_utils
from kerastorch.applications.efficientnet import CONV_KERNEL_INITIALIZER, DENSE_KERNEL_INITIALIZER

# Per stage: kernel size, repeats, filters in and out, expansion, squeeze-excite ratio, strides, block type
# (1: fused MBConv, 0: MBConv).
_STAGE_FIELDS = ("kernel_size", "num_repeat", "input_filters", "output_filters", "expand_ratio", "se_ratio",
                 "strides", "conv_type")
_B_STAGES = ((3, 1, 32, 16, 1, 0, 1, 1), (3, 2, 16, 32, 4, 0, 2, 1), (3, 2, 32, 48, 4, 0, 2, 1),
             (3, 3, 48, 96, 4, 0.25, 2, 0), (3, 5, 96, 112, 6, 0.25, 1, 0), (3, 8, 112, 192, 6, 0.25, 2, 0))
_STAGES = {
    "b": _B_STAGES,
    "s": ((3, 2, 24, 24, 1, 0, 1, 1), (3, 4, 24, 48, 4, 0, 2, 1), (3, 4, 48, 64, 4, 0, 2, 1),
          (3, 6, 64, 128, 4, 0.25, 2, 0), (3, 9, 128, 160, 6, 0.25, 1, 0), (3, 15, 160, 256, 6, 0.25, 2, 0)),
    "m": ((3, 3, 24, 24, 1, 0, 1, 1), (3, 5, 24, 48, 4, 0, 2, 1), (3, 5, 48, 80, 4, 0, 2, 1),
          (3, 7, 80, 160, 4, 0.25, 2, 0), (3, 14, 160, 176, 6, 0.25, 1, 0), (3, 18, 176, 304, 6, 0.25, 2, 0),
          (3, 5, 304, 512, 6, 0.25, 1, 0)),
    "l": ((3, 4, 32, 32, 1, 0, 1, 1), (3, 7, 32, 64, 4, 0, 2, 1), (3, 7, 64, 96, 4, 0, 2, 1),
          (3, 10, 96, 192, 4, 0.25, 2, 0), (3, 19, 192, 224, 6, 0.25, 1, 0), (3, 25, 224, 384, 6, 0.25, 2, 0),
          (3, 7, 384, 640, 6, 0.25, 1, 0)),
}
DEFAULT_BLOCKS_ARGS = {f"efficientnetv2-{key}": [dict(zip(_STAGE_FIELDS, stage)) for stage in
                                                 _STAGES["b" if key.startswith("b") else key]]
                       for key in ("b0", "b1", "b2", "b3", "s", "m", "l")}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """``filters * width_coefficient`` rounded to the nearest multiple of ``depth_divisor`` (at least
    ``min_depth``), never rounded up again as EfficientNet (V1) does."""
    return _blocks.make_divisible(filters * width_coefficient, depth_divisor, min_value=min_depth or depth_divisor,
                                  round_down_limit=None)


def _batch_norm(momentum, name):
    return layers.BatchNormalization(axis=_blocks.channel_axis(), momentum=momentum, name=name)


def _conv(filters, kernel_size, strides, name, **kwargs):
    return layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                         kernel_initializer=CONV_KERNEL_INITIALIZER, name=name, **kwargs)


def _block(x, input_filters, output_filters, expand_ratio, kernel_size, strides, se_ratio, bn_momentum, activation,
           survival_probability, name, fused):
    """An MBConv block (``fused=False``: 1x1 expansion, depthwise convolution) or a fused one (one full
    convolution expands), then squeeze-and-excitation, the projection and the residual. Keras's layer names; its
    ``survival_probability`` is the stochastic depth's drop rate."""
    inputs = x
    filters = input_filters * expand_ratio
    if expand_ratio != 1:
        x = _conv(filters, 1 if not fused else kernel_size, 1 if not fused else strides, f"{name}expand_conv")(x)
        x = _batch_norm(bn_momentum, f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    if not fused:
        x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same", use_bias=False,
                                   depthwise_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}dwconv2")(x)
        x = _batch_norm(bn_momentum, f"{name}bn")(x)
        x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = _blocks.squeeze_excite(x, filters, max(1, int(input_filters * se_ratio)), activation, name,
                                   kernel_initializer=CONV_KERNEL_INITIALIZER)
    # A fused block without expansion does its one spatial convolution here.
    spatial = fused and expand_ratio == 1
    x = _conv(output_filters, kernel_size if spatial else 1, strides if spatial else 1, f"{name}project_conv")(x)
    x = _batch_norm(bn_momentum, f"{name}project_bn")(x)
    if spatial:
        x = layers.Activation(activation, name=f"{name}project_activation")(x)
    if strides == 1 and input_filters == output_filters:
        x = _blocks.dropped_residual(x, inputs, survival_probability, name)
    return x


def EfficientNetV2(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2, drop_connect_rate=0.2,
                   depth_divisor=8, min_depth=8, bn_momentum=0.9, activation="swish", blocks_args="default",
                   name="efficientnetv2", include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax", include_preprocessing=True,
                   weights_name=None):
    """An EfficientNetV2 scaled by ``width_coefficient`` and ``depth_coefficient``; the B0 ... L functions call it
    with their coefficients. ``blocks_args="default"`` takes the stages of ``weights_name``'s variant (Keras looks
    them up by ``name``, so that its networks cannot be renamed; here they can)."""
    variant = (weights_name or name.split("-")[-1]).lstrip("-")
    if blocks_args == "default":
        blocks_args = DEFAULT_BLOCKS_ARGS[f"efficientnetv2-{variant}"]
    _network.check_arguments(weights, include_top, classes, pooling, classifier_activation)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    image = _network.image_input(input_tensor, input_shape, default_size=None, min_size=32,
                                 include_top=include_top, weights=weights)
    axis = _blocks.channel_axis()

    def filters_of(filters):
        return round_filters(filters, width_coefficient, min_depth, depth_divisor)

    x = image
    if include_preprocessing:
        if variant.startswith("b") and input_shape[axis - 1] == 3:
            x = _blocks.imagenet_normalization(x, statistics_given=True)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)
    x = _conv(filters_of(blocks_args[0]["input_filters"]), 3, 2, "stem_conv")(x)
    x = _batch_norm(bn_momentum, "stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    stages = copy.deepcopy(blocks_args)
    total = float(sum(stage["num_repeat"] for stage in stages))
    index = 0
    for i, stage in enumerate(stages):
        if stage["num_repeat"] <= 0:
            raise ValueError(f"The number of repeats in `EfficientNetV2` must be > 0. Received: "
                             f"num_repeat={stage['num_repeat']}")
        input_filters, output_filters = filters_of(stage["input_filters"]), filters_of(stage["output_filters"])
        strides = stage["strides"]
        for j in range(_blocks.round_repeats(stage["num_repeat"], depth_coefficient)):
            if j > 0:
                strides, input_filters = 1, output_filters
            x = _block(x, input_filters, output_filters, stage["expand_ratio"], stage["kernel_size"], strides,
                       stage["se_ratio"], bn_momentum, activation, drop_connect_rate * index / total,
                       f"block{i + 1}{chr(j + 97)}_", fused=stage["conv_type"] == 1)
            index += 1

    x = _conv(filters_of(1280), 1, 1, "top_conv")(x)
    x = _batch_norm(bn_momentum, "top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        x = layers.Dense(classes, activation=classifier_activation, kernel_initializer=DENSE_KERNEL_INITIALIZER,
                         bias_initializer=initializers.Constant(0.0), name="predictions")(x)
    else:
        x = _network.top(x, False, pooling, classes, None, avg_name="avg_pool", max_name="max_pool")
    return _network.finish(image, input_tensor, x, name, weights, f"efficientnetv2-{variant}", include_top)


_ARGUMENTS_DOC = """
    Args:
        include_top: whether to end with the classifier (``avg_pool``, ``top_dropout``, ``predictions``).
        weights: None (random initialization), ``"imagenet"`` (Keras's published weights, from
            ``$KERAS_HOME/models``) or the path of a weights file (Keras 3 ``.weights.h5``/``.keras``, Keras 2
            ``.h5``).
        input_tensor: a Keras tensor (from ``keras.Input``) to use as the image input.
        input_shape: ``(height, width, 3)`` (channels_last), at least 32x32; with the top and ImageNet weights it
            must be the default size. Default: the default size with the top, ``(None, None, 3)`` without.
        pooling: without the top: None (4D output), ``"avg"`` (``avg_pool``) or ``"max"`` (``max_pool``).
        classes: the number of classes of the top; 1000 with ImageNet weights.
        classifier_activation: the top's activation (``"softmax"``; None gives logits).
        include_preprocessing: whether the network starts with its rescaling (and, for the B variants, the
            ImageNet normalization); without it, inputs must come preprocessed.
        name: the model's name.

    Returns:
        A functional ``Model`` taking RGB pixels in [0, 255] (with the preprocessing).
"""

# variant: (width, depth, default size)
_VARIANTS = {"b0": (1.0, 1.0, 224), "b1": (1.0, 1.1, 240), "b2": (1.1, 1.2, 260), "b3": (1.2, 1.4, 300),
             "s": (1.0, 1.0, 384), "m": (1.0, 1.0, 480), "l": (1.0, 1.0, 480)}


def _variant(key):
    width, depth, size = _VARIANTS[key]

    def application(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                    classes=1000, classifier_activation="softmax", include_preprocessing=True,
                    name=f"efficientnetv2-{key}"):
        return EfficientNetV2(width, depth, size, name=name, include_top=include_top, weights=weights,
                              input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing, weights_name=key)

    application.__name__ = application.__qualname__ = f"EfficientNetV2{key.upper()}"
    application.__doc__ = (f"The EfficientNetV2{key.upper()} network (width x{width}, depth x{depth}, "
                           f"{size}x{size} ImageNet inputs).{_ARGUMENTS_DOC}")
    return application


EfficientNetV2B0 = _variant("b0")
EfficientNetV2B1 = _variant("b1")
EfficientNetV2B2 = _variant("b2")
EfficientNetV2B3 = _variant("b3")
EfficientNetV2S = _variant("s")
EfficientNetV2M = _variant("m")
EfficientNetV2L = _variant("l")


preprocess_input = imagenet_utils.preprocessing("EfficientNetV2", None)


decode_predictions = imagenet_utils.decode_predictions
