"""Keras 2's ``keras.utils.np_utils``: ``to_categorical`` and ``normalize`` (kerastorch.utils.numerical_utils)."""
from kerastorch import _legacy
from kerastorch._porting import missing_attribute
from kerastorch.utils.numerical_utils import normalize, to_categorical  # noqa: F401

_legacy.alias_module(__name__, "`keras.utils` (`from keras.utils import to_categorical`)")
__getattr__ = missing_attribute(__name__)
