"""MobileNet (Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications",
2017), as Keras builds it, with its layer names and weights.

>>> model = MobileNet(weights=None, alpha=0.5, include_top=False, input_shape=(128, 128, 3), pooling="avg")
>>> features = model.predict(preprocess_input(images))
"""
import warnings

from kerastorch import backend, layers
from kerastorch.applications import _blocks, _network, imagenet_utils

# (pointwise filters, stride) of the 13 depthwise separable blocks, conv_dw_1 ... conv_dw_13.
_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
           (512, 1), (1024, 2), (1024, 1))
_IMAGENET_ALPHAS = (0.25, 0.50, 0.75, 1.0)
_IMAGENET_SIZES = (128, 160, 192, 224)


def _batch_norm(name):
    return layers.BatchNormalization(axis=_blocks.signed_channel_axis(), name=name)


def _depthwise_separable(x, filters, alpha, depth_multiplier, stride, block_id):
    """Depthwise 3x3 (ReLU6), then pointwise 1x1 to ``alpha * filters`` channels (ReLU6), each batch-normalized.
    A stride-2 block pads bottom and right by one first, as Keras's weights were trained with."""
    x = _blocks.padded_depthwise(x, 3, stride, name=f"conv_dw_{block_id}", pad_name=f"conv_pad_{block_id}",
                                 padding=((0, 1), (0, 1)), depth_multiplier=depth_multiplier)
    x = _batch_norm(f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(filters * alpha), 1, padding="same", use_bias=False, name=f"conv_pw_{block_id}")(x)
    x = _batch_norm(f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True, weights="imagenet",
              input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax", name=None):
    """The MobileNet network: a strided 3x3 convolution (``conv1``), 13 depthwise separable blocks (``conv_dw_1``
    ... ``conv_pw_13_relu``), then the top: global average pooling, dropout, a 1x1 convolution (``conv_preds``)
    and the classifier activation (``predictions``). 4,253,864 weights at ``alpha=1``, 3,228,864 without the top.

    Args:
        input_shape: ``(height, width, 3)`` (channels_last), at least 32x32; default (224, 224, 3) with the top,
            ``(None, None, 3)`` without. With ImageNet weights, a square 128, 160, 192 or 224 input selects the
            weights trained at that size (others get the 224 ones, with a warning).
        alpha: the width multiplier (0.25, 0.5, 0.75 or 1.0 with ImageNet weights).
        depth_multiplier: the depthwise convolutions' channel multiplier (1 with ImageNet weights).
        dropout: the dropout rate of the top.
        include_top: whether to end with the classifier.
        weights: None (random initialization), ``"imagenet"`` (Keras's published weights, from
            ``$KERAS_HOME/models``) or the path of a weights file (Keras 3 ``.weights.h5``/``.keras``, Keras 2
            ``.h5``).
        input_tensor: a Keras tensor (from ``keras.Input``) to use as the image input.
        pooling: without the top: None (4D output), ``"avg"`` or ``"max"`` (global pooling to 2D).
        classes: the number of classes of the top; 1000 with ImageNet weights.
        classifier_activation: the top's activation (``"softmax"``; None gives logits).
        name: the model's name; default ``"mobilenet_{alpha:.2f}_{rows}"``.

    Returns:
        A functional ``Model``. Its inputs should be prepared with ``preprocess_input`` (pixels to [-1, 1]).
    """
    _network.check_arguments(weights, include_top, classes, pooling, classifier_activation)
    default_size = 224
    if input_shape is not None:
        rows, cols = _blocks.spatial_size(tuple(input_shape))
        if rows == cols and rows in _IMAGENET_SIZES:
            default_size = rows
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    rows, cols = _blocks.spatial_size(input_shape)
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(f"If imagenet weights are being loaded, depth multiplier must be 1.  Received "
                             f"depth_multiplier={depth_multiplier}")
        if alpha not in _IMAGENET_ALPHAS:
            raise ValueError(f"If imagenet weights are being loaded, alpha can be one of`0.25`, `0.50`, `0.75` or "
                             f"`1.0` only.  Received alpha={alpha}")
        if rows != cols or rows not in _IMAGENET_SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in [128, 160, 192, 224]. "
                          "Weights for input shape (224, 224) will be loaded as the default.", stacklevel=2)
    image = _network.image_input(input_tensor, input_shape, default_size=None, min_size=32,
                                 include_top=include_top, weights=weights)

    x = layers.Conv2D(int(32 * alpha), 3, padding="same", use_bias=False, strides=(2, 2), name="conv1")(image)
    x = _batch_norm("conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_separable(x, filters, alpha, depth_multiplier, (stride, stride), block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, 1, padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = _network.top(x, False, pooling, classes, None)

    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    return _network.finish(image, input_tensor, x, name, weights, f"mobilenet_{float(alpha)}_{rows}", include_top)


preprocess_input = imagenet_utils.preprocessing("MobileNet", "tf")


decode_predictions = imagenet_utils.decode_predictions
