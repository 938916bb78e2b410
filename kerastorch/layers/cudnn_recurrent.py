"""Keras 2's import path ``keras.layers.cudnn_recurrent``: `CuDNNLSTM` and `CuDNNGRU`, kerastorch's `LSTM` and
`GRU` under their Keras 2 names (both reach cuDNN on CUDA by themselves)."""
from kerastorch import _legacy
from kerastorch._porting import missing_attribute
from kerastorch.layers.recurrent.gru import CuDNNGRU
from kerastorch.layers.recurrent.lstm import CuDNNLSTM

__all__ = ["CuDNNGRU", "CuDNNLSTM"]

_legacy.alias_module(__name__, "`keras.layers.LSTM` and `keras.layers.GRU` (they use cuDNN when they can)")
__getattr__ = missing_attribute(__name__)
