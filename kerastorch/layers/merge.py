"""Keras 2's import path ``keras.layers.merge``: the merging layers and their functions (kerastorch.layers.merging)."""
from kerastorch import _legacy
from kerastorch._porting import missing_attribute
from kerastorch.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,  # noqa: F401
                                       Subtract, add, average, concatenate, dot, maximum, minimum, multiply,
                                       subtract)

_legacy.alias_module(__name__, "`keras.layers` (`from keras.layers import add, concatenate`)")
__getattr__ = missing_attribute(__name__)
