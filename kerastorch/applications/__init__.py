"""Pretrained networks (``keras.applications``), their preprocessing and ImageNet decoding.

Each family has its module, as in Keras (``keras.applications.resnet50.ResNet50`` is
``keras.applications.ResNet50``); shared pieces live in ``_network`` (arguments, input, top, weights loading),
``_blocks`` (conv-BN-activation units, stochastic depth, layer scale) and ``weights`` (files, hashes, conversions).
"""
from kerastorch._porting import missing_attribute
from kerastorch.applications import imagenet_utils, resnet, resnet50, resnet_v2, vgg16, vgg19
from kerastorch.applications.resnet import ResNet50, ResNet101, ResNet152
from kerastorch.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from kerastorch.applications.vgg16 import VGG16
from kerastorch.applications.vgg19 import VGG19

__getattr__ = missing_attribute(__name__)
