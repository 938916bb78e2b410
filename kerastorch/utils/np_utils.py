"""Keras 2's ``keras.utils.np_utils``."""
from kerastorch.utils.numerical_utils import normalize, to_categorical  # noqa: F401
