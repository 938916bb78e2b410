"""Keras 2's import path ``keras.layers.embeddings``: the Embedding layer lives in kerastorch.layers.embedding."""
from kerastorch.layers.embedding import Embedding  # noqa: F401
