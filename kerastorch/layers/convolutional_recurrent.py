"""Keras 2's import path ``keras.layers.convolutional_recurrent``: the ConvLSTM layers live in
kerastorch.layers.recurrent.conv_lstm."""
from kerastorch import _legacy
from kerastorch._porting import missing_attribute
from kerastorch.layers.recurrent.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D, ConvLSTMCell  # noqa: F401

_legacy.alias_module(__name__, "`keras.layers` (`from keras.layers import ConvLSTM2D`)")
__getattr__ = missing_attribute(__name__)
