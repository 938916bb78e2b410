"""Keras 2's ``keras.utils.text_dataset``: ``text_dataset_from_directory``."""
from kerastorch.data.text import text_dataset_from_directory  # noqa: F401
