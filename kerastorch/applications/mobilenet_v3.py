"""MobileNetV3Small and MobileNetV3Large (Howard et al., "Searching for MobileNetV3", 2019), as Keras builds them,
with their layer names and weights.

The networks include their preprocessing (a ``Rescaling`` of pixels in [0, 255] to [-1, 1]) unless
``include_preprocessing=False``, so this module's ``preprocess_input`` returns its input unchanged.

>>> model = MobileNetV3Small(weights=None, include_top=False, input_shape=(96, 96, 3), pooling="avg")
>>> features = model.predict(images)   # RGB pixels in [0, 255]
"""
import warnings

from kerastorch import backend, layers
from kerastorch.applications import _blocks, _network, imagenet_utils

# Per block: (expansion, filters, kernel size or None for the network's, stride, squeeze-excite?, activation or
# None for the network's). "relu" is always ReLU; None is hard swish, or ReLU in the minimalistic networks.
_SMALL = ((1, 16, 3, 2, True, "relu"), (72 / 16, 24, 3, 2, False, "relu"), (88 / 24, 24, 3, 1, False, "relu"),
          (4, 40, None, 2, True, None), (6, 40, None, 1, True, None), (6, 40, None, 1, True, None),
          (3, 48, None, 1, True, None), (3, 48, None, 1, True, None), (6, 96, None, 2, True, None),
          (6, 96, None, 1, True, None), (6, 96, None, 1, True, None))
_LARGE = ((1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"), (3, 24, 3, 1, False, "relu"),
          (3, 40, None, 2, True, "relu"), (3, 40, None, 1, True, "relu"), (3, 40, None, 1, True, "relu"),
          (6, 80, 3, 2, False, None), (2.5, 80, 3, 1, False, None), (2.3, 80, 3, 1, False, None),
          (2.3, 80, 3, 1, False, None), (6, 112, 3, 1, True, None), (6, 112, 3, 1, True, None),
          (6, 160, None, 2, True, None), (6, 160, None, 1, True, None), (6, 160, None, 1, True, None))


def _batch_norm(name):
    return layers.BatchNormalization(axis=_blocks.signed_channel_axis(), epsilon=1e-3, momentum=0.999, name=name)


def _relu(x):
    return layers.ReLU()(x)


def _hard_swish(x):
    return layers.Activation("hard_swish")(x)


def _hard_sigmoid(x):
    # Written with tensor arithmetic, as Keras's graph has it: ReLU6(x + 3) / 6.
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _squeeze_excite(x, filters, prefix):
    """MobileNetV3's squeeze-and-excitation: the channel means through a 1x1 convolution to a quarter of the
    channels (ReLU) and one back (hard sigmoid) scale ``x``."""
    se = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(x)
    se = layers.Conv2D(_blocks.make_divisible(filters * 0.25), 1, padding="same",
                       name=f"{prefix}squeeze_excite_conv")(se)
    se = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(se)
    se = layers.Conv2D(filters, 1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(se)
    se = _hard_sigmoid(se)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([x, se])


def _inverted_residual(x, expansion, filters, kernel_size, stride, squeeze_excite, activation, block_id):
    axis = _blocks.signed_channel_axis()
    shortcut = x
    in_filters = x.shape[axis]
    expanded = _blocks.make_divisible(in_filters * expansion)
    prefix = "expanded_conv_"
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(expanded, 1, padding="same", use_bias=False, name=f"{prefix}expand")(x)
        x = _batch_norm(f"{prefix}expand_bn")(x)
        x = activation(x)
    x = _blocks.padded_depthwise(x, kernel_size, stride, name=f"{prefix}depthwise",
                                 pad_name=f"{prefix}depthwise_pad")
    x = _batch_norm(f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if squeeze_excite:
        x = _squeeze_excite(x, expanded, prefix)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _batch_norm(f"{prefix}project_bn")(x)
    if stride == 1 and in_filters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def _mobilenet_v3(blocks, last_point_filters, model_type, input_shape, alpha, minimalistic, include_top, weights,
                  input_tensor, classes, pooling, dropout_rate, classifier_activation, include_preprocessing, name):
    _network.check_arguments(weights, include_top, classes, pooling, classifier_activation)
    if input_shape is not None and input_tensor is not None and hasattr(input_tensor, "shape"):
        if _blocks.spatial_size(tuple(input_tensor.shape)[1:])[1] != _blocks.spatial_size(tuple(input_shape))[1]:
            raise ValueError(f"input_shape[1] must equal input_tensor.shape[2].  Received input_shape="
                             f"{input_shape}, input_tensor.shape={tuple(input_tensor.shape)}")
    if input_shape is None and input_tensor is not None and hasattr(input_tensor, "shape"):
        rows, cols = _blocks.spatial_size(tuple(input_tensor.shape)[1:])
        # Keras swaps the two here; harmless for the square inputs it is used with.
        input_shape = (cols, rows, 3) if backend.image_data_format() == "channels_last" else (3, cols, rows)
    if input_shape is None:
        input_shape = (None, None, 3) if backend.image_data_format() == "channels_last" else (3, None, None)
    input_shape = tuple(input_shape)
    rows, cols = _blocks.spatial_size(input_shape)
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; Received `input_shape={input_shape}`")
    if weights == "imagenet":
        if (not minimalistic and alpha not in (0.75, 1.0)) or (minimalistic and alpha != 1.0):
            raise ValueError("If imagenet weights are being loaded, alpha can be one of `0.75`, `1.0` for non "
                             "minimalistic or `1.0` for minimalistic only.")
        if rows != cols or rows != 224:
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not 224. Weights for input "
                          "shape (224, 224) will be loaded as the default.", stacklevel=3)
    image = _network.image_input(input_tensor, input_shape, default_size=None, min_size=32,
                                 include_top=include_top, weights=weights)
    axis = _blocks.signed_channel_axis()
    if minimalistic:
        network_kernel, network_activation, squeeze_excite = 3, _relu, False
    else:
        network_kernel, network_activation, squeeze_excite = 5, _hard_swish, True

    x = image
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, 3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = _batch_norm("conv_bn")(x)
    x = network_activation(x)
    for block_id, (expansion, filters, kernel, stride, se, activation) in enumerate(blocks):
        x = _inverted_residual(x, expansion, _blocks.make_divisible(filters * alpha), kernel or network_kernel,
                               stride, squeeze_excite and se,
                               _relu if activation == "relu" else network_activation, block_id)
    last_conv_filters = _blocks.make_divisible(x.shape[axis] * 6)
    if alpha > 1.0:
        last_point_filters = _blocks.make_divisible(last_point_filters * alpha)
    x = layers.Conv2D(last_conv_filters, 1, padding="same", use_bias=False, name="conv_1")(x)
    x = _batch_norm("conv_1_bn")(x)
    x = network_activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_filters, 1, padding="same", use_bias=True, name="conv_2")(x)
        x = network_activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, 1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = _network.top(x, False, pooling, classes, None, avg_name="avg_pool", max_name="max_pool")
    weights_key = f"mobilenet_v3_{model_type}{'_minimalistic' if minimalistic else ''}_{float(alpha)}"
    return _network.finish(image, input_tensor, x, name, weights, weights_key, include_top)


_ARGUMENTS_DOC = """
    Args:
        input_shape: ``(height, width, 3)`` (channels_last), at least 32x32; default ``(None, None, 3)`` (any
            size; ImageNet weights were trained at 224x224). With ``input_tensor``, its size is used.
        alpha: the width multiplier; ImageNet weights exist for 0.75 and 1.0 (1.0 only when minimalistic).
        minimalistic: the variant without squeeze-and-excitation, hard swish and 5x5 convolutions (3x3
            convolutions and ReLU throughout).
        include_top: whether to end with the classifier (pooling, two 1x1 convolutions ``conv_2`` and
            ``logits``, ``predictions``).
        weights: None (random initialization), ``"imagenet"`` (Keras's published weights, from
            ``$KERAS_HOME/models``) or the path of a weights file (Keras 3 ``.weights.h5``/``.keras``, Keras 2
            ``.h5``).
        input_tensor: a Keras tensor (from ``keras.Input``) to use as the image input.
        classes: the number of classes of the top; 1000 with ImageNet weights.
        pooling: without the top: None (4D output), ``"avg"`` (``avg_pool``) or ``"max"`` (``max_pool``).
        dropout_rate: the dropout rate before the top's last convolution (0 leaves the Dropout out).
        classifier_activation: the top's activation (``"softmax"``; None gives logits).
        include_preprocessing: whether the network starts with a ``Rescaling`` from [0, 255] to [-1, 1]; without
            it, the inputs must already be in [-1, 1].
        name: the model's name.

    Returns:
        A functional ``Model`` taking RGB pixels in [0, 255] (in [-1, 1] without preprocessing).
"""


def MobileNetV3Small(input_shape=None, alpha=1.0, minimalistic=False, include_top=True, weights="imagenet",
                     input_tensor=None, classes=1000, pooling=None, dropout_rate=0.2,
                     classifier_activation="softmax", include_preprocessing=True, name="MobileNetV3Small"):
    return _mobilenet_v3(_SMALL, 1024, "small", input_shape, alpha, minimalistic, include_top, weights,
                         input_tensor, classes, pooling, dropout_rate, classifier_activation, include_preprocessing,
                         name)


def MobileNetV3Large(input_shape=None, alpha=1.0, minimalistic=False, include_top=True, weights="imagenet",
                     input_tensor=None, classes=1000, pooling=None, dropout_rate=0.2,
                     classifier_activation="softmax", include_preprocessing=True, name="MobileNetV3Large"):
    return _mobilenet_v3(_LARGE, 1280, "large", input_shape, alpha, minimalistic, include_top, weights,
                         input_tensor, classes, pooling, dropout_rate, classifier_activation, include_preprocessing,
                         name)


MobileNetV3Small.__doc__ = ("The MobileNetV3Small network: 11 inverted residual blocks after a strided 3x3 "
                            "convolution; 2,554,968 weights with the top, 939,120 without." + _ARGUMENTS_DOC)
MobileNetV3Large.__doc__ = ("The MobileNetV3Large network: 15 inverted residual blocks after a strided 3x3 "
                            "convolution; 5,507,432 weights with the top, 2,996,352 without." + _ARGUMENTS_DOC)


preprocess_input = imagenet_utils.preprocessing("MobileNetV3", None)


decode_predictions = imagenet_utils.decode_predictions
