"""Keras 2's import path ``keras.layers.local``. Its layers (``LocallyConnected1D``, ``LocallyConnected2D``) left
Keras in version 3 and are not provided: reaching one raises the error every missing Keras name raises."""
from kerastorch import _legacy
from kerastorch._porting import missing_attribute

_legacy.alias_module(__name__, "`keras.layers`")
__getattr__ = missing_attribute(__name__)
