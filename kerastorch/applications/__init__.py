"""Pretrained networks (``keras.applications``), their preprocessing and ImageNet decoding: VGG, ResNet (V1, V2),
DenseNet, ConvNeXt, Xception, Inception (V3, ResNetV2), MobileNet (V1, V2, V3), EfficientNet (V1, V2), NASNet.

Each family has its module, as in Keras (``keras.applications.resnet50.ResNet50`` is
``keras.applications.ResNet50``); shared pieces live in ``_network`` (arguments, input, top, weights loading),
``_blocks`` (conv-BN-activation units, stochastic depth, layer scale, depthwise and squeeze-excite
blocks, the EfficientNet stem) and ``weights`` (files, hashes, conversions).
"""
from kerastorch._porting import missing_attribute
from kerastorch.applications import (convnext, densenet, imagenet_utils, inception_resnet_v2, inception_v3, resnet,
                                     resnet50, resnet_v2, vgg16, vgg19, xception)
from kerastorch.applications import efficientnet, efficientnet_v2, mobilenet, mobilenet_v2, mobilenet_v3, nasnet
from kerastorch.applications.convnext import ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny, ConvNeXtXLarge
from kerastorch.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from kerastorch.applications.efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3,
                                                  EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7)
from kerastorch.applications.efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2,
                                                     EfficientNetV2B3, EfficientNetV2L, EfficientNetV2M,
                                                     EfficientNetV2S)
from kerastorch.applications.inception_resnet_v2 import InceptionResNetV2
from kerastorch.applications.inception_v3 import InceptionV3
from kerastorch.applications.mobilenet import MobileNet
from kerastorch.applications.mobilenet_v2 import MobileNetV2
from kerastorch.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from kerastorch.applications.nasnet import NASNetLarge, NASNetMobile
from kerastorch.applications.resnet import ResNet50, ResNet101, ResNet152
from kerastorch.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from kerastorch.applications.vgg16 import VGG16
from kerastorch.applications.vgg19 import VGG19
from kerastorch.applications.xception import Xception

__getattr__ = missing_attribute(__name__)
