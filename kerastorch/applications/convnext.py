"""ConvNeXtTiny, Small, Base, Large and XLarge (Liu et al., "A ConvNet for the 2020s", 2022) as Keras builds
them, with their layer names and weights.

The images' ImageNet normalization is the model's first layer (``include_preprocessing=True``), so the model
takes pixels in [0, 255] and ``preprocess_input`` returns its input unchanged. The stem and the three
downsampling steps are nested ``Sequential`` models, as in Keras. The architecture is torchvision's ConvNeXt
(Tiny to Large), whose state dicts load too (``weights=<path to the .pth file>``).
"""
import numpy as np

from kerastorch import layers
from kerastorch.applications import imagenet_utils
from kerastorch.applications._blocks import LayerScale, StochasticDepth
from kerastorch.applications._network import check_arguments, finish, image_input

MODEL_CONFIGS = {
    "tiny": {"depths": (3, 3, 9, 3), "projection_dims": (96, 192, 384, 768)},
    "small": {"depths": (3, 3, 27, 3), "projection_dims": (96, 192, 384, 768)},
    "base": {"depths": (3, 3, 27, 3), "projection_dims": (128, 256, 512, 1024)},
    "large": {"depths": (3, 3, 27, 3), "projection_dims": (192, 384, 768, 1536)},
    "xlarge": {"depths": (3, 3, 27, 3), "projection_dims": (256, 512, 1024, 2048)},
}
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def convnext_block(x, projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6, name=None):
    """A ConvNeXt block: 7x7 depthwise convolution, layer norm, an inverted bottleneck of two dense layers
    (4x wider, GELU), a layer scale, and (in training) stochastic depth, added to the input."""
    inputs = x
    x = layers.Conv2D(projection_dim, 7, padding="same", groups=projection_dim, name=f"{name}_depthwise_conv")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
    x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
    if layer_scale_init_value is not None:
        x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
    if drop_path_rate:
        x = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")(x)
    else:
        x = layers.Activation("linear", name=f"{name}_identity")(x)
    return inputs + x


def build_convnext(size, include_preprocessing, include_top, weights, input_tensor, input_shape, pooling, classes,
                   classifier_activation, name, drop_path_rate=0.0, layer_scale_init_value=1e-6):
    """A ConvNeXt of ``MODEL_CONFIGS[size]``."""
    from kerastorch.models.sequential import Sequential
    weights_key = f"convnext_{size}"
    check_arguments(weights, include_top, classes, pooling, classifier_activation, channels_last_only="ConvNeXt")
    if weights == "imagenet" and weights_key not in name:
        raise ValueError(f"Model name \"{name}\" does not match weights variant \"{weights_key}\". When using "
                         f"imagenet weights, model name must contain the weights variant (e.g., \"{weights_key}\").")
    image = image_input(input_tensor, input_shape, default_size=224, min_size=32, include_top=include_top,
                        weights=weights)
    depths, dims = MODEL_CONFIGS[size]["depths"], MODEL_CONFIGS[size]["projection_dims"]
    x = image
    if include_preprocessing and x.shape[-1] == 3:
        x = layers.Normalization(mean=[m * 255 for m in _IMAGENET_MEAN],
                                 variance=[(s * 255) ** 2 for s in _IMAGENET_STD],
                                 name=f"{name}_prestem_normalization")(x)
    downsampling = [Sequential([layers.Conv2D(dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
                                layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm")],
                               name=f"{name}_stem")]
    for i in range(3):
        downsampling.append(Sequential(
            [layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
             layers.Conv2D(dims[i + 1], kernel_size=2, strides=2, name=f"{name}_downsampling_conv_{i}")],
            name=f"{name}_downsampling_block_{i}"))
    rates = [float(rate) for rate in np.linspace(0.0, drop_path_rate, sum(depths))]
    block = 0
    for stage in range(4):
        x = downsampling[stage](x)
        for j in range(depths[stage]):
            x = convnext_block(x, dims[stage], rates[block + j], layer_scale_init_value,
                               name=f"{name}_stage_{stage}_block_{j}")
        block += depths[stage]
    if include_top:
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        x = layers.Dense(classes, activation=classifier_activation, name=f"{name}_head_dense")(x)
    else:
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D()(x)
        elif pooling == "max":
            x = layers.GlobalMaxPooling2D()(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
    return finish(image, input_tensor, x, name, weights, weights_key, include_top)


_ARGS_DOC = """
    Args:
        include_top: whether to end with the head (global average pooling, layer norm, ``{name}_head_dense``).
        weights: None, ``"imagenet"`` (Keras's published weights, from ``$KERAS_HOME/models``, downloaded there
            when possible, else torchvision's from ``$TORCH_HOME/hub/checkpoints`` for Tiny to Large) or the path
            of a weights file (Keras 3 ``.weights.h5``/``.keras``, Keras 2 ``.h5``, a torchvision ConvNeXt
            ``.pth``).
        input_tensor: a Keras tensor to use as the input.
        input_shape: ``(height, width, 3)``, at least 32x32; ``(224, 224, 3)`` with the top and ImageNet weights.
        pooling: without the top: None, ``"avg"`` or ``"max"`` (a layer norm follows in every case, as in Keras).
        classes: the number of classes of the top.
        classifier_activation: the top's activation; None gives the logits.
        include_preprocessing: whether the model starts by normalizing [0, 255] pixels with ImageNet's mean and
            standard deviation (needed by the ImageNet weights).
        name: the model's name (with ImageNet weights it must contain ``convnext_<size>``).

    Returns:
        A functional ``Model`` (channels_last only).
"""


def _convnext(size, doc):
    def application(include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None,
                    input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
                    name=f"convnext_{size}"):
        return build_convnext(size, include_preprocessing, include_top, weights, input_tensor, input_shape,
                              pooling, classes, classifier_activation, name)
    application.__name__ = application.__qualname__ = f"ConvNeXt{size.capitalize().replace('Xl', 'XL')}"
    application.__doc__ = doc + "\n" + _ARGS_DOC
    return application


ConvNeXtTiny = _convnext("tiny", "ConvNeXtTiny: stages of 3, 3, 9 and 3 blocks of 96 to 768 channels.")
ConvNeXtSmall = _convnext("small", "ConvNeXtSmall: stages of 3, 3, 27 and 3 blocks of 96 to 768 channels.")
ConvNeXtBase = _convnext("base", "ConvNeXtBase: stages of 3, 3, 27 and 3 blocks of 128 to 1024 channels.")
ConvNeXtLarge = _convnext("large", "ConvNeXtLarge: stages of 3, 3, 27 and 3 blocks of 192 to 1536 channels.")
ConvNeXtXLarge = _convnext("xlarge", "ConvNeXtXLarge: stages of 3, 3, 27 and 3 blocks of 256 to 2048 channels.")
ConvNeXtXLarge.__name__ = ConvNeXtXLarge.__qualname__ = "ConvNeXtXLarge"


preprocess_input = imagenet_utils.preprocessing("ConvNeXt", None)


decode_predictions = imagenet_utils.decode_predictions


__all__ = ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge", "preprocess_input",
           "decode_predictions"]
