"""VGG16 (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", 2015), as
Keras builds it, with its layer names and weights.

>>> model = VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
>>> features = model.predict(preprocess_input(images))
"""
from kerastorch.applications import imagenet_utils
from kerastorch.applications._vgg import build_vgg


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16"):
    """The VGG16 network: 13 convolutions in 5 blocks (``block1_conv1`` ... ``block5_pool``), then the top
    (``flatten``, ``fc1``, ``fc2``, ``predictions``): 138,357,544 weights, 14,714,688 without the top.

    Args:
        include_top: whether to end with the 3 dense layers of the ImageNet classifier.
        weights: None (random initialization), ``"imagenet"`` (Keras's published weights from
            ``$KERAS_HOME/models``, downloaded when possible, else torchvision's from
            ``$TORCH_HOME/hub/checkpoints``), or the path of a weights file: Keras 3 ``.weights.h5``/``.keras``,
            Keras 2 ``.h5`` (the layout of Keras's published files), or a torchvision state dict ``.pth``.
        input_tensor: a Keras tensor (from ``keras.Input``) to use as the image input.
        input_shape: ``(height, width, 3)`` (channels_last), at least 32x32; with the top and ImageNet weights it
            must be ``(224, 224, 3)``. Default: (224, 224, 3) with the top, ``(None, None, 3)`` without.
        pooling: without the top, None (the last block's 4D output), ``"avg"`` or ``"max"`` (global pooling to
            a 2D output).
        classes: the number of classes of the top; 1000 with ImageNet weights.
        classifier_activation: the top's activation (``"softmax"``; None gives logits).
        name: the model's name.

    Returns:
        A functional ``Model``. Its inputs should be prepared with ``preprocess_input`` (caffe mode for Keras's
        weights, ``mode="torch"`` for torchvision's).
    """
    return build_vgg("vgg16", (2, 2, 3, 3, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
                     classifier_activation, name)


preprocess_input = imagenet_utils.preprocessing("VGG16", "caffe")


decode_predictions = imagenet_utils.decode_predictions
