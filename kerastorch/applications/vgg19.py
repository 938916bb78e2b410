"""VGG19: VGG16 with a fourth convolution in blocks 3, 4 and 5 (``block3_conv4``, ``block4_conv4``,
``block5_conv4``); 143,667,240 weights, 20,024,384 without the top."""
from kerastorch.applications._vgg import build_vgg
from kerastorch.applications.vgg16 import decode_predictions, preprocess_input


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg19"):
    """The VGG19 network; the arguments are ``VGG16``'s (``weights="imagenet"`` uses the VGG19 files)."""
    return build_vgg("vgg19", (2, 2, 4, 4, 4), include_top, weights, input_tensor, input_shape, pooling, classes,
                     classifier_activation, name)


__all__ = ["VGG19", "preprocess_input", "decode_predictions"]
