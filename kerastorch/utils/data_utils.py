"""Keras 2's ``keras.utils.data_utils``: ``get_file`` and ``Sequence``."""
from kerastorch.utils.file_utils import get_file, hash_file, validate_file  # noqa: F401
from kerastorch.utils.py_dataset import PyDataset, Sequence  # noqa: F401
