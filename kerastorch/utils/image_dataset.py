"""Keras 2's ``keras.utils.image_dataset``: ``image_dataset_from_directory``."""
from kerastorch.data.images import image_dataset_from_directory  # noqa: F401
