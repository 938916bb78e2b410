"""EfficientNetB0 ... EfficientNetB7 (Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
Networks", 2019), as Keras builds them, with their layer names and weights.

The networks include their preprocessing (``Rescaling`` to [0, 1], then a ``Normalization`` whose statistics the
weights carry), so this module's ``preprocess_input`` returns its input unchanged: feed RGB pixels in [0, 255].

>>> model = EfficientNetB0(weights=None, include_top=False, input_shape=(64, 64, 3), pooling="avg")
>>> features = model.predict(images)
"""
import copy

from kerastorch import layers
from kerastorch.applications import _blocks, _network, imagenet_utils

# Keras's initializers for these networks (given as configs, so that each layer gets its own).
CONV_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                           "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"}}
DENSE_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                            "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"}}

# The B0 stages: kernel size, repeats, filters in and out, expansion, strides, squeeze-excite ratio (every stage
# adds the input to the output when the shapes allow).
_STAGE_FIELDS = ("kernel_size", "repeats", "filters_in", "filters_out", "expand_ratio", "strides", "se_ratio")
DEFAULT_BLOCKS_ARGS = [dict(zip(_STAGE_FIELDS, stage), id_skip=True) for stage in (
    (3, 1, 32, 16, 1, 1, 0.25), (3, 2, 16, 24, 6, 2, 0.25), (5, 2, 24, 40, 6, 2, 0.25), (3, 3, 40, 80, 6, 2, 0.25),
    (5, 3, 80, 112, 6, 1, 0.25), (5, 4, 112, 192, 6, 2, 0.25), (3, 1, 192, 320, 6, 1, 0.25))]


def _batch_norm(name):
    return layers.BatchNormalization(axis=_blocks.channel_axis(), name=name)


def block(inputs, activation="swish", drop_rate=0.0, name="", filters_in=32, filters_out=16, kernel_size=3,
          strides=1, expand_ratio=1, se_ratio=0.0, id_skip=True):
    """One mobile inverted bottleneck (MBConv) block, its layers named ``{name}...``: a 1x1 expansion by
    ``expand_ratio``, a depthwise convolution, squeeze-and-excitation, a linear 1x1 projection, and the input added
    back (with stochastic depth at ``drop_rate``) when ``id_skip`` and the shapes allow."""
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = layers.Conv2D(filters, 1, padding="same", use_bias=False, kernel_initializer=CONV_KERNEL_INITIALIZER,
                          name=f"{name}expand_conv")(x)
        x = _batch_norm(f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    x = _blocks.padded_depthwise(x, kernel_size, strides, name=f"{name}dwconv", pad_name=f"{name}dwconv_pad",
                                 depthwise_initializer=CONV_KERNEL_INITIALIZER)
    x = _batch_norm(f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = _blocks.squeeze_excite(x, filters, max(1, int(filters_in * se_ratio)), activation, name,
                                   kernel_initializer=CONV_KERNEL_INITIALIZER)
    x = layers.Conv2D(filters_out, 1, padding="same", use_bias=False, kernel_initializer=CONV_KERNEL_INITIALIZER,
                      name=f"{name}project_conv")(x)
    x = _batch_norm(f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        x = _blocks.dropped_residual(x, inputs, drop_rate, name)
    return x


def EfficientNet(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2, drop_connect_rate=0.2,
                 depth_divisor=8, activation="swish", blocks_args="default", name="efficientnet", include_top=True,
                 weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
                 classifier_activation="softmax", weights_name=None):
    """An EfficientNet scaled by ``width_coefficient`` (filters) and ``depth_coefficient`` (block repeats); the
    B0 ... B7 functions call it with the paper's coefficients.

    Args:
        width_coefficient: the filters' multiplier (rounded to multiples of ``depth_divisor``).
        depth_coefficient: the repeats' multiplier (rounded up).
        default_size: the input size of the ImageNet weights (224 for B0 ... 600 for B7).
        dropout_rate: the dropout rate before the classifier.
        drop_connect_rate: the stochastic depth rate of the last block; earlier blocks get proportionally less.
        depth_divisor: the unit the filter counts are rounded to.
        activation: the activation of every block (swish).
        blocks_args: the stages (``DEFAULT_BLOCKS_ARGS``' dicts), or "default".
        name, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation: see
            ``EfficientNetB0``.
        weights_name: ``"b0"`` ... ``"b7"``: which ImageNet files ``weights="imagenet"`` loads.
    """
    blocks_args = DEFAULT_BLOCKS_ARGS if blocks_args == "default" else blocks_args
    _network.check_arguments(weights, include_top, classes, pooling, classifier_activation)
    image = _network.image_input(input_tensor, input_shape, default_size=default_size, min_size=32,
                                 include_top=include_top, weights=weights)

    def round_filters(filters):
        return _blocks.make_divisible(filters * width_coefficient, depth_divisor)

    # The weights files store the standard deviation where the Normalization reads a variance: with them, a
    # further Rescaling corrects it.
    x = _blocks.imagenet_normalization(image, statistics_given=False, rescale_variance=weights == "imagenet")
    x = layers.ZeroPadding2D(padding=_blocks.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(round_filters(32), 3, strides=2, padding="valid", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, name="stem_conv")(x)
    x = _batch_norm("stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    stages = copy.deepcopy(blocks_args)
    total = float(sum(_blocks.round_repeats(stage["repeats"], depth_coefficient) for stage in stages))
    index = 0
    for i, stage in enumerate(stages):
        if stage["repeats"] <= 0:
            raise ValueError(f"The number of repeats in `EfficientNet` must be > 0. Received: "
                             f"repeats={stage['repeats']}")
        stage["filters_in"] = round_filters(stage["filters_in"])
        stage["filters_out"] = round_filters(stage["filters_out"])
        for j in range(_blocks.round_repeats(stage.pop("repeats"), depth_coefficient)):
            if j > 0:
                stage["strides"] = 1
                stage["filters_in"] = stage["filters_out"]
            x = block(x, activation, drop_connect_rate * index / total, name=f"block{i + 1}{chr(j + 97)}_", **stage)
            index += 1

    x = layers.Conv2D(round_filters(1280), 1, padding="same", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, name="top_conv")(x)
    x = _batch_norm("top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        x = layers.Dense(classes, activation=classifier_activation, kernel_initializer=DENSE_KERNEL_INITIALIZER,
                         name="predictions")(x)
    else:
        x = _network.top(x, False, pooling, classes, None, avg_name="avg_pool", max_name="max_pool")
    return _network.finish(image, input_tensor, x, name, weights, f"efficientnet{weights_name}", include_top)


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
        name: the model's name.

    Returns:
        A functional ``Model`` taking RGB pixels in [0, 255].
"""

# name: (width, depth, default size, dropout)
_VARIANTS = {"b0": (1.0, 1.0, 224, 0.2), "b1": (1.0, 1.1, 240, 0.2), "b2": (1.1, 1.2, 260, 0.3),
             "b3": (1.2, 1.4, 300, 0.3), "b4": (1.4, 1.8, 380, 0.4), "b5": (1.6, 2.2, 456, 0.4),
             "b6": (1.8, 2.6, 528, 0.5), "b7": (2.0, 3.1, 600, 0.5)}


def _variant(key):
    width, depth, size, dropout = _VARIANTS[key]

    def application(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                    classes=1000, classifier_activation="softmax", name=f"efficientnet{key}"):
        return EfficientNet(width, depth, size, dropout, name=name, include_top=include_top, weights=weights,
                            input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                            classifier_activation=classifier_activation, weights_name=key)

    application.__name__ = application.__qualname__ = f"EfficientNet{key.upper()}"
    application.__doc__ = (f"The EfficientNet{key.upper()} network (width x{width}, depth x{depth}, "
                           f"{size}x{size} ImageNet inputs, dropout {dropout}).{_ARGUMENTS_DOC}")
    return application


EfficientNetB0 = _variant("b0")
EfficientNetB1 = _variant("b1")
EfficientNetB2 = _variant("b2")
EfficientNetB3 = _variant("b3")
EfficientNetB4 = _variant("b4")
EfficientNetB5 = _variant("b5")
EfficientNetB6 = _variant("b6")
EfficientNetB7 = _variant("b7")


preprocess_input = imagenet_utils.preprocessing("EfficientNet", None)


decode_predictions = imagenet_utils.decode_predictions
