"""Keras 2's import path ``keras.layers.advanced_activations``: the activation layers
(kerastorch.layers.activations). ``ThresholdedReLU`` left Keras in version 3 and is not provided."""
from kerastorch import _legacy
from kerastorch._porting import missing_attribute
from kerastorch.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax  # noqa: F401

_legacy.alias_module(__name__, "`keras.layers` (`from keras.layers import LeakyReLU`)")
__getattr__ = missing_attribute(__name__)
