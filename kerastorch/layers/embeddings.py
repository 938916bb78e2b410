"""Keras 2's import path ``keras.layers.embeddings``: the Embedding layer lives in kerastorch.layers.embedding."""
from kerastorch import _legacy
from kerastorch._porting import missing_attribute
from kerastorch.layers.embedding import Embedding  # noqa: F401

_legacy.alias_module(__name__, "`keras.layers` (`from keras.layers import Embedding`)")
__getattr__ = missing_attribute(__name__)
