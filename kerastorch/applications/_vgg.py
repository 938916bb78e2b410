"""The VGG family as Keras builds it: blocks of 3x3 'same' ReLU convolutions, each block closed by a 2x2 max pool,
then either a Flatten and three dense layers (the top) or an optional global pooling. VGG16 and VGG19 differ
only in how many convolutions each block has."""
import os

from kerastorch import backend, layers
from kerastorch.applications import imagenet_utils
from kerastorch.applications import weights as weight_files
from kerastorch.utils.layer_utils import get_source_inputs
from kerastorch.keras_tensor import KerasTensor

_BLOCK_FILTERS = (64, 128, 256, 512, 512)
_POOLINGS = (None, "avg", "max")


def build_vgg(model_name, convs_per_block, include_top, weights, input_tensor, input_shape, pooling, classes,
              classifier_activation, name):
    """A VGG network: ``convs_per_block`` convolutions in each of the 5 blocks; see ``VGG16`` for the rest."""
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
    data_format = backend.image_data_format()
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=data_format, require_flatten=include_top,
                                                    weights=weights)
    if input_tensor is None:
        image = layers.Input(shape=input_shape)
    elif isinstance(input_tensor, KerasTensor):
        image = input_tensor
    else:
        raise ValueError(f"`input_tensor` must be a Keras tensor (from `keras.Input`). Received: {input_tensor!r} "
                         f"of type {type(input_tensor).__name__}")

    x = image
    for block, (filters, convs) in enumerate(zip(_BLOCK_FILTERS, convs_per_block), start=1):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{conv}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)

    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    from kerastorch.models.functional import Functional
    inputs = image if input_tensor is None else get_source_inputs(input_tensor)
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    model = Functional(inputs, x, name=name)

    if weights == "imagenet":
        path, _ = weight_files.imagenet_weights_path(model_name, include_top)
        weight_files.load_weights(model, path)
    elif weights is not None:
        weight_files.load_weights(model, os.fspath(weights))
    return model
