"""Keras 2's ``keras.engine.base_layer``: ``Layer`` and ``InputSpec`` (warned about by ``keras.engine``)."""
from kerastorch._porting import missing_attribute
from kerastorch.layers import InputSpec, Layer  # noqa: F401

__getattr__ = missing_attribute(__name__)
