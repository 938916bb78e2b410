"""Recurrent layers (Keras 2's import path ``keras.layers.recurrent`` too): `RNN` around any cell, the built-in
cells and layers, `StackedRNNCells` and `Bidirectional`."""
from kerastorch.layers.recurrent.rnn import RNN, DropoutRNNCell
from kerastorch.layers.recurrent.stacked_rnn_cells import StackedRNNCells
from kerastorch.layers.recurrent.simple_rnn import SimpleRNN, SimpleRNNCell
from kerastorch.layers.recurrent.lstm import LSTM, CuDNNLSTM, LSTMCell
from kerastorch.layers.recurrent.gru import GRU, CuDNNGRU, GRUCell
from kerastorch.layers.recurrent.bidirectional import Bidirectional
from kerastorch._porting import missing_attribute

__all__ = ["RNN", "DropoutRNNCell", "StackedRNNCells", "SimpleRNN", "SimpleRNNCell", "LSTM", "LSTMCell",
           "CuDNNLSTM", "GRU", "GRUCell", "CuDNNGRU", "Bidirectional"]


__getattr__ = missing_attribute(__name__)
