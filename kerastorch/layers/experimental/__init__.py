"""Keras 2.3-2.5's ``keras.layers.experimental``: the preprocessing layers under their old path."""
from kerastorch._porting import missing_attribute
from kerastorch.layers.experimental import preprocessing  # noqa: F401

__getattr__ = missing_attribute(__name__)
