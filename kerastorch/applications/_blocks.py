"""Building blocks shared by several application networks, each written once and called by every network that has
it. They only assemble the project's layers (``DepthwiseConv2D``, ``Rescaling``, ``Normalization``, ``Dropout``
...) into a functional graph; none computes anything itself.
"""
# ---- section: apps-b (MobileNet, MobileNetV2/V3, EfficientNet, EfficientNetV2, NASNet) ------------------------
import math
import os

from kerastorch import backend, layers
from kerastorch.keras_tensor import KerasTensor

IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)
_POOLINGS = (None, "avg", "max")


def channel_axis():
    """The channel axis of an image batch under the current ``image_data_format``: -1 or 1."""
    return -1 if backend.image_data_format() == "channels_last" else 1


def make_divisible(value, divisor=8, min_value=None, round_down_limit=0.9):
    """``value`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``, default ``divisor``), as
    the MobileNets and EfficientNets size their layers: when the rounding lost more than ``1 - round_down_limit``
    of ``value``, one more ``divisor`` is added. ``round_down_limit=None`` never adds it (EfficientNetV2)."""
    minimum = divisor if min_value is None else min_value
    rounded = max(minimum, int(value + divisor / 2) // divisor * divisor)
    if round_down_limit is not None and rounded < round_down_limit * value:
        rounded += divisor
    return int(rounded)


def round_repeats(repeats, depth_coefficient):
    """How many times an EfficientNet stage repeats its block once scaled by ``depth_coefficient``."""
    return int(math.ceil(depth_coefficient * repeats))


def correct_pad(inputs, kernel_size):
    """The ``ZeroPadding2D`` padding that makes a 'valid' stride-2 convolution of ``kernel_size`` see the window
    TensorFlow's 'same' padding gives it: half the kernel on each side, one less before an even-sized axis (and
    before an axis of unknown size).

    Args:
        inputs: the Keras tensor about to be padded (4D).
        kernel_size: an int or a pair of ints.

    Returns:
        ``((top, bottom), (left, right))``.
    """
    first = 2 if backend.image_data_format() == "channels_first" else 1
    sizes = tuple(inputs.shape[first:first + 2])
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    padding = []
    for size, k in zip(sizes, kernel):
        even = 1 if size is None else 1 - size % 2
        padding.append((k // 2 - even, k // 2))
    return tuple(padding)


# ---- the application arguments ---------------------------------------------------------------------------------

def check_arguments(weights, include_top, classes, pooling=None, classifier_activation=None):
    """Keras's checks of an application's common arguments, before anything is built.

    Raises:
        ValueError: for ``weights`` that are neither None, "imagenet" nor an existing file; for ImageNet weights
            with a top of other than 1000 classes; for an unknown ``pooling``; for a classifier activation
            other than softmax/None with pretrained weights.
    """
    if not (weights in ("imagenet", None) or (isinstance(weights, (str, os.PathLike)) and os.path.isfile(weights))):
        raise ValueError(f"The `weights` argument should be either `None` (random initialization), 'imagenet' "
                         f"(pre-training on ImageNet), or the path to the weights file to be loaded.  Received: "
                         f"weights={weights} (no file exists at that path)")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(f"If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000.  "
                         f"Received classes={classes}")
    if pooling not in _POOLINGS:
        raise ValueError(f"`pooling` should be None, 'avg' or 'max'. Received: pooling={pooling!r}")
    if include_top:
        from kerastorch.applications import imagenet_utils
        imagenet_utils.validate_activation(classifier_activation, weights)


def image_input(input_tensor, input_shape):
    """The network's image input: ``input_tensor`` when given (a Keras tensor), else a new ``Input``."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if isinstance(input_tensor, KerasTensor):
        return input_tensor
    raise ValueError(f"`input_tensor` must be a Keras tensor (from `keras.Input`). Received: {input_tensor!r} of "
                     f"type {type(input_tensor).__name__}")


def spatial_size(input_shape):
    """``(rows, cols)`` of an input shape without the batch axis, whatever the data format."""
    if backend.image_data_format() == "channels_last":
        return input_shape[0], input_shape[1]
    return input_shape[1], input_shape[2]


def pooled(x, pooling, avg_name=None, max_name=None):
    """``x`` globally pooled as ``pooling`` asks (None leaves it 4D)."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def finish_model(image, input_tensor, outputs, name, weights, imagenet_loader=None):
    """The functional model from the network's input (or ``input_tensor``'s source inputs) to ``outputs``, with its
    weights loaded: ``imagenet_loader()`` gives the path of the ImageNet file for ``weights="imagenet"``; a path is
    loaded as it is."""
    from kerastorch.applications import weights as weight_files
    from kerastorch.models.functional import Functional
    from kerastorch.utils.layer_utils import get_source_inputs
    inputs = image if input_tensor is None else get_source_inputs(input_tensor)
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    model = Functional(inputs, outputs, name=name)
    if weights == "imagenet":
        weight_files.load_weights(model, imagenet_loader())
    elif weights is not None:
        weight_files.load_weights(model, os.fspath(weights))
    return model


def imagenet_file(family, include_top, **variant):
    """The path of Keras's ImageNet weights file for ``family`` (``"mobilenet_v2"``, ``"efficientnet"`` ...) and
    the variant (``alpha``, ``rows``, ``minimalistic`` ...), from the cache or downloaded: see
    ``kerastorch.applications.weights``."""
    from kerastorch.applications import weights as weight_files
    return weight_files.application_weights_path(family, include_top, **variant)


# ---- blocks ------------------------------------------------------------------------------------------------------

def padded_depthwise(x, kernel_size, strides, name, pad_name, padding=None, **depthwise_arguments):
    """A bias-free ``DepthwiseConv2D``: 'same' at stride 1; at stride 2 a ``ZeroPadding2D`` (``padding``, default
    ``correct_pad``) named ``pad_name`` and a 'valid' convolution, as Keras's MobileNets and EfficientNets do."""
    if strides in (2, (2, 2)):
        x = layers.ZeroPadding2D(padding=padding or correct_pad(x, kernel_size), name=pad_name)(x)
        conv_padding = "valid"
    else:
        conv_padding = "same"
    return layers.DepthwiseConv2D(kernel_size, strides=strides, padding=conv_padding, use_bias=False, name=name,
                                  **depthwise_arguments)(x)


def squeeze_excite(x, filters, reduced_filters, activation, name, kernel_initializer="glorot_uniform"):
    """EfficientNet's squeeze-and-excitation (V1 and V2): the channel means (``{name}se_squeeze``, reshaped to
    1x1 by ``{name}se_reshape``) through a ``reduced_filters`` 1x1 convolution with ``activation``
    (``{name}se_reduce``) and a sigmoid ``filters`` one (``{name}se_expand``) scale ``x`` (``{name}se_excite``)."""
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    shape = (1, 1, filters) if channel_axis() == -1 else (filters, 1, 1)
    se = layers.Reshape(shape, name=f"{name}se_reshape")(se)
    se = layers.Conv2D(reduced_filters, 1, padding="same", activation=activation, kernel_initializer=kernel_initializer,
                       name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid", kernel_initializer=kernel_initializer,
                       name=f"{name}se_expand")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def dropped_residual(x, shortcut, drop_rate, name):
    """``x + shortcut``, with whole samples of ``x`` dropped at rate ``drop_rate`` in training (stochastic depth, as
    Keras's EfficientNets write it: a ``Dropout`` whose noise is shared over the spatial and channel axes, named
    ``{name}drop``); the sum is ``{name}add``."""
    if drop_rate > 0:
        x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.add([x, shortcut], name=f"{name}add")


def imagenet_normalization(x, statistics_given, rescale_variance=False):
    """The EfficientNets' preprocessing stem: pixels in [0, 255] scaled to [0, 1] (``Rescaling``), then normalized
    per channel (``Normalization``).

    Args:
        x: the image tensor.
        statistics_given: whether the ``Normalization`` is built with ImageNet's RGB mean and variance
            (EfficientNetV2) or holds them as weights (EfficientNet, whose files carry them).
        rescale_variance: EfficientNet with ImageNet weights: its files store the variance as the standard
            deviation, so a further ``Rescaling`` by 1/sqrt(std) per channel gives the intended normalization.
    """
    x = layers.Rescaling(1.0 / 255.0)(x)
    axis = 3 if channel_axis() == -1 else 1   # Keras's configs say 3, not -1
    if statistics_given:
        x = layers.Normalization(axis=axis, mean=list(IMAGENET_MEAN_RGB),
                                 variance=[std ** 2 for std in IMAGENET_STDDEV_RGB])(x)
    else:
        x = layers.Normalization(axis=axis)(x)
    if rescale_variance:
        x = layers.Rescaling([1.0 / math.sqrt(std) for std in IMAGENET_STDDEV_RGB])(x)
    return x
# ---- end of section: apps-b ---------------------------------------------------------------------------------------
