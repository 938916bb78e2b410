"""ResNet50V2, ResNet101V2 and ResNet152V2 (He et al., "Identity Mappings in Deep Residual Networks", 2016) as
Keras builds them: pre-activation residual blocks (``resnet.residual_block_v2``), a stem convolution without batch
normalization, and a final ``post_bn``/``post_relu``. Their inputs are scaled to [-1, 1] ("tf" mode)."""
from kerastorch.applications import imagenet_utils
from kerastorch.applications.resnet import _ARGS_DOC, build_resnet


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
               classes=1000, classifier_activation="softmax", name="resnet50v2"):
    return build_resnet((3, 4, 6, 3), True, "resnet50v2", include_top, weights, input_tensor, input_shape,
                        pooling, classes, classifier_activation, name)


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="resnet101v2"):
    return build_resnet((3, 4, 23, 3), True, "resnet101v2", include_top, weights, input_tensor, input_shape,
                        pooling, classes, classifier_activation, name)


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="resnet152v2"):
    return build_resnet((3, 8, 36, 3), True, "resnet152v2", include_top, weights, input_tensor, input_shape,
                        pooling, classes, classifier_activation, name)


ResNet50V2.__doc__ = "The ResNet50V2 network: 25,613,800 weights.\n" + _ARGS_DOC
ResNet101V2.__doc__ = "The ResNet101V2 network: 44,675,560 weights.\n" + _ARGS_DOC
ResNet152V2.__doc__ = "The ResNet152V2 network: 60,380,648 weights.\n" + _ARGS_DOC


preprocess_input = imagenet_utils.preprocessing("ResNetV2", "tf")


decode_predictions = imagenet_utils.decode_predictions


__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input", "decode_predictions"]
