"""The VGG family as Keras builds it: blocks of 3x3 'same' ReLU convolutions, each block closed by a 2x2 max pool,
then either a Flatten and three dense layers (the top) or an optional global pooling. VGG16 and VGG19 differ
only in how many convolutions each block has."""
from kerastorch import layers
from kerastorch.applications._network import check_arguments, finish, image_input

_BLOCK_FILTERS = (64, 128, 256, 512, 512)


def build_vgg(model_name, convs_per_block, include_top, weights, input_tensor, input_shape, pooling, classes,
              classifier_activation, name):
    """A VGG network: ``convs_per_block`` convolutions in each of the 5 blocks; see ``VGG16`` for the rest."""
    check_arguments(weights, include_top, classes, pooling, classifier_activation)
    image = image_input(input_tensor, input_shape, default_size=224, min_size=32, include_top=include_top,
                        weights=weights)
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
    return finish(image, input_tensor, x, name, weights, model_name, include_top)
