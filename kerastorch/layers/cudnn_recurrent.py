"""Keras 2's import path ``keras.layers.cudnn_recurrent``: `CuDNNLSTM` and `CuDNNGRU`, kerastorch's `LSTM` and
`GRU` under their Keras 2 names (both reach cuDNN on CUDA by themselves)."""
from kerastorch.layers.recurrent.gru import CuDNNGRU
from kerastorch.layers.recurrent.lstm import CuDNNLSTM

__all__ = ["CuDNNGRU", "CuDNNLSTM"]
