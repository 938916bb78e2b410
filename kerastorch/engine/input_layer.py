"""Keras 2's ``keras.engine.input_layer``: ``Input`` and ``InputLayer`` (warned about by ``keras.engine``)."""
from kerastorch._porting import missing_attribute
from kerastorch.layers import Input, InputLayer  # noqa: F401

__getattr__ = missing_attribute(__name__)
