"""Keras 2's ``keras.preprocessing``: image helpers under their old path."""
from kerastorch._porting import missing_attribute

__getattr__ = missing_attribute(__name__)
