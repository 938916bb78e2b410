"""Keras 2's import path ``keras.layers.convolutional_recurrent``: the ConvLSTM layers live in
kerastorch.layers.recurrent.conv_lstm."""
from kerastorch.layers.recurrent.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D, ConvLSTMCell  # noqa: F401
