"""Pretrained networks (``keras.applications``): VGG16/VGG19, the MobileNets, the EfficientNets and NASNet, their
preprocessing and ImageNet decoding.

``keras.applications.VGG16`` is also ``keras.applications.vgg16.VGG16``, as in Keras.
"""
from kerastorch._porting import missing_attribute
from kerastorch.applications import imagenet_utils, vgg16, vgg19
from kerastorch.applications import efficientnet, efficientnet_v2, mobilenet, mobilenet_v2, mobilenet_v3, nasnet
from kerastorch.applications.efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3,
                                                  EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7)
from kerastorch.applications.efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2,
                                                     EfficientNetV2B3, EfficientNetV2L, EfficientNetV2M,
                                                     EfficientNetV2S)
from kerastorch.applications.mobilenet import MobileNet
from kerastorch.applications.mobilenet_v2 import MobileNetV2
from kerastorch.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from kerastorch.applications.nasnet import NASNetLarge, NASNetMobile
from kerastorch.applications.vgg16 import VGG16
from kerastorch.applications.vgg19 import VGG19

__getattr__ = missing_attribute(__name__)
