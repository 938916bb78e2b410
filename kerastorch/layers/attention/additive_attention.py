"""Keras's import path ``keras.layers.attention.additive_attention`` (the class lives in attention.py)."""
from kerastorch.layers.attention.attention import AdditiveAttention  # noqa: F401
