"""MobileNetV2 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", 2018), as Keras builds it,
with its layer names and weights.

>>> model = MobileNetV2(weights=None, include_top=False, input_shape=(96, 96, 3), pooling="avg")
>>> features = model.predict(preprocess_input(images))
"""
import warnings

from kerastorch import backend, layers
from kerastorch.applications import _blocks, _network, imagenet_utils

# (filters, stride, expansion) of the 17 inverted residual blocks, block_0 ... block_16.
_BLOCKS = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6),
           (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6),
           (320, 1, 6))
_IMAGENET_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
_IMAGENET_SIZES = (96, 128, 160, 192, 224)


def _batch_norm(name):
    return layers.BatchNormalization(axis=_blocks.signed_channel_axis(), epsilon=1e-3, momentum=0.999, name=name)


def _inverted_residual(x, filters, alpha, stride, expansion, block_id):
    """Expand (1x1, ReLU6; not in block 0), depthwise 3x3 (ReLU6), project linearly (1x1), and add the input when
    the shapes allow."""
    in_channels = x.shape[_blocks.signed_channel_axis()]
    out_channels = _blocks.make_divisible(int(filters * alpha), 8)
    inputs = x
    if block_id:
        prefix = f"block_{block_id}_"
        x = layers.Conv2D(expansion * in_channels, 1, padding="same", use_bias=False, name=f"{prefix}expand")(x)
        x = _batch_norm(f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    x = _blocks.padded_depthwise(x, 3, stride, name=f"{prefix}depthwise", pad_name=f"{prefix}pad")
    x = _batch_norm(f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(out_channels, 1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _batch_norm(f"{prefix}project_BN")(x)
    if stride == 1 and in_channels == out_channels:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _default_size(input_shape, input_tensor):
    """The input size whose ImageNet weights are used: the given square size when Keras publishes one for it."""
    if input_shape is not None:
        rows, cols = _blocks.spatial_size(input_shape)
    elif input_tensor is not None and hasattr(input_tensor, "shape"):
        rows, cols = _blocks.spatial_size(tuple(input_tensor.shape)[1:])
    else:
        return 224
    return rows if rows == cols and rows in _IMAGENET_SIZES else 224


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                classes=1000, classifier_activation="softmax", name=None):
    """The MobileNetV2 network: a strided 3x3 convolution (``Conv1``), 17 inverted residual blocks
    (``expanded_conv_*``, ``block_1_*`` ... ``block_16_*``), a 1x1 convolution to 1280 channels (``Conv_1``,
    ``out_relu``), then the top (``predictions``). 3,538,984 weights at ``alpha=1``, 2,257,984 without the top.

    Args:
        input_shape: ``(height, width, 3)`` (channels_last), at least 32x32; default (224, 224, 3) with the top,
            ``(None, None, 3)`` without. With ImageNet weights, a square 96, 128, 160, 192 or 224 input selects the
            weights trained at that size (others get the 224 ones, with a warning).
        alpha: the width multiplier: every layer has ``alpha`` times the paper's filters (rounded to multiples
            of 8). ImageNet weights exist for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4.
        include_top: whether to end with the global average pooling and the dense classifier.
        weights: None (random initialization), ``"imagenet"`` (Keras's published weights, from
            ``$KERAS_HOME/models``) or the path of a weights file (Keras 3 ``.weights.h5``/``.keras``, Keras 2
            ``.h5``).
        input_tensor: a Keras tensor (from ``keras.Input``) to use as the image input.
        pooling: without the top: None (4D output), ``"avg"`` or ``"max"`` (global pooling to 2D).
        classes: the number of classes of the top; 1000 with ImageNet weights.
        classifier_activation: the top's activation (``"softmax"``; None gives logits).
        name: the model's name; default ``"mobilenetv2_{alpha:.2f}_{rows}"``.

    Returns:
        A functional ``Model``. Its inputs should be prepared with ``preprocess_input`` (pixels to [-1, 1]).
    """
    _network.check_arguments(weights, include_top, classes, pooling, classifier_activation)
    if input_shape is not None and input_tensor is not None and hasattr(input_tensor, "shape"):
        if _blocks.spatial_size(tuple(input_tensor.shape)[1:])[1] != _blocks.spatial_size(tuple(input_shape))[1]:
            raise ValueError(f"`input_shape` and `input_tensor` disagree: input_shape={input_shape}, "
                             f"input_tensor.shape={tuple(input_tensor.shape)}")
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=_default_size(input_shape, input_tensor), min_size=32,
        data_format=backend.image_data_format(), require_flatten=include_top, weights=weights)
    rows, cols = _blocks.spatial_size(input_shape)
    if weights == "imagenet":
        if alpha not in _IMAGENET_ALPHAS:
            raise ValueError(f"If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, `0.75`, "
                             f"`1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`")
        if rows != cols or rows not in _IMAGENET_SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in [96, 128, 160, 192, "
                          "224]. Weights for input shape (224, 224) will be loaded as the default.", stacklevel=2)
    image = _network.image_input(input_tensor, input_shape, default_size=None, min_size=32,
                                 include_top=include_top, weights=weights)

    x = layers.Conv2D(_blocks.make_divisible(32 * alpha, 8), 3, strides=(2, 2), padding="same", use_bias=False,
                      name="Conv1")(image)
    x = _batch_norm("bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_residual(x, filters, alpha, stride, expansion, block_id)
    last_filters = _blocks.make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_filters, 1, use_bias=False, name="Conv_1")(x)
    x = _batch_norm("Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    x = _network.top(x, include_top, pooling, classes, classifier_activation, top_pool_name=None)

    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    return _network.finish(image, input_tensor, x, name, weights, f"mobilenet_v2_{float(alpha)}_{rows}",
                           include_top)


preprocess_input = imagenet_utils.preprocessing("MobileNetV2", "tf")


decode_predictions = imagenet_utils.decode_predictions
