"""Keras 2's ``keras.utils.data_utils``: ``get_file`` and ``Sequence`` (kerastorch.utils.file_utils, .py_dataset)."""
from kerastorch import _legacy
from kerastorch._porting import missing_attribute
from kerastorch.utils.file_utils import get_file, hash_file, validate_file  # noqa: F401
from kerastorch.utils.py_dataset import PyDataset, Sequence  # noqa: F401

_legacy.alias_module(__name__, "`keras.utils` (`from keras.utils import get_file, PyDataset`)")
__getattr__ = missing_attribute(__name__)
