"""Keras 2's import path ``keras.layers.noise``: the noise layers (kerastorch.layers.regularization)."""
from kerastorch import _legacy
from kerastorch._porting import missing_attribute
from kerastorch.layers.regularization import AlphaDropout, GaussianDropout, GaussianNoise  # noqa: F401

_legacy.alias_module(__name__, "`keras.layers` (`from keras.layers import GaussianNoise`)")
__getattr__ = missing_attribute(__name__)
