"""What every application network does around its own layers, in one place: check the arguments, make the image
input, end with the classifier or a global pooling, make the functional model and load its weights.

A network's builder reads::

    check_arguments(weights, include_top, classes, pooling, classifier_activation)
    image, x = image_input(input_tensor, input_shape, default_size=224, min_size=32, include_top=include_top,
                           weights=weights)
    x = ...the network's layers...
    x = top(x, include_top, pooling, classes, classifier_activation)
    return finish(image, input_tensor, x, name, weights, "resnet50", include_top)
"""
import os

from kerastorch import backend, layers
from kerastorch.applications import imagenet_utils
from kerastorch.applications import weights as weight_files
from kerastorch.keras_tensor import KerasTensor
from kerastorch.utils.layer_utils import get_source_inputs

_POOLINGS = (None, "avg", "max")


def check_arguments(weights, include_top, classes, pooling, classifier_activation, channels_last_only=None):
    """Refuse bad arguments before anything is built or looked for, with Keras's messages.

    Args:
        channels_last_only: the network's name when it has no channels_first form (DenseNet, ConvNeXt).
    """
    if channels_last_only and backend.image_data_format() == "channels_first":
        raise ValueError(f"{channels_last_only} does not support the `channels_first` image data format. Switch to "
                         f"`channels_last` by editing your local config file at ~/.keras/keras.json")
    if not (weights in ("imagenet", None) or (isinstance(weights, (str, os.PathLike))
                                              and os.path.isfile(weights))):
        raise ValueError(f"The `weights` argument should be either `None` (random initialization), 'imagenet' "
                         f"(pre-training on ImageNet), or the path to the weights file to be loaded.  Received: "
                         f"weights={weights} (no file exists at that path)")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(f"If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000.  "
                         f"Received classes={classes}")
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
    if pooling not in _POOLINGS:
        raise ValueError(f"`pooling` should be None, 'avg' or 'max'. Received: pooling={pooling!r}")


def image_input(input_tensor, input_shape, *, default_size, min_size, include_top, weights):
    """The network's image input: a new ``Input`` of the checked ``input_shape``, or ``input_tensor`` (a Keras
    tensor, possibly the output of other layers). ``default_size=None`` takes ``input_shape`` as it is (the
    MobileNetV3s, which Keras does not check with ``obtain_input_shape``)."""
    if default_size is not None:
        input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=min_size,
                                                        data_format=backend.image_data_format(),
                                                        require_flatten=include_top, weights=weights)
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if isinstance(input_tensor, KerasTensor):
        return input_tensor
    raise ValueError(f"`input_tensor` must be a Keras tensor (from `keras.Input`). Received: {input_tensor!r} of "
                     f"type {type(input_tensor).__name__}")


def top(x, include_top, pooling, classes, classifier_activation, *, top_pool_name="avg_pool",
        avg_name=None, max_name=None):
    """The usual end of a network: with the top, a global average pooling and the ``predictions`` dense layer;
    without it, the ``pooling`` asked for (named ``avg_name``/``max_name``, None for Keras's automatic names)."""
    if include_top:
        x = layers.GlobalAveragePooling2D(name=top_pool_name)(x)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def finish(image, input_tensor, outputs, name, weights, weights_key, include_top):
    """The functional model from the network's inputs (``input_tensor``'s sources when it was given) to
    ``outputs``, with its weights loaded: ``"imagenet"`` (``weights_key`` names the published files, see
    ``weights.imagenet_weights_path``), a file path, or None."""
    from kerastorch.models.functional import Functional
    inputs = image if input_tensor is None else get_source_inputs(input_tensor)
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    model = Functional(inputs, outputs, name=name)
    if weights == "imagenet":
        path, _ = weight_files.imagenet_weights_path(weights_key, include_top)
        weight_files.load_weights(model, path)
    elif weights is not None:
        weight_files.load_weights(model, os.fspath(weights))
    return model
