"""Keras 2's ``keras.utils.generic_utils``: the progress bar, the custom-object registry, (de)serialization, and
the small list helpers Keras 2 programs import from it."""
from kerastorch import _legacy
from kerastorch._porting import missing_attribute
from kerastorch.registry import (CustomObjectScope, custom_object_scope, get_custom_objects,  # noqa: F401
                                 get_registered_name, get_registered_object, register_keras_serializable)
from kerastorch.saving.serialization import deserialize_keras_object, serialize_keras_object  # noqa: F401
from kerastorch.training.progbar import Progbar  # noqa: F401

_legacy.alias_module(__name__, "`keras.utils` (`from keras.utils import Progbar, CustomObjectScope`)")
__getattr__ = missing_attribute(__name__)


def to_list(x, allow_tuple=False):
    """``x`` as a list: a list as it is, a tuple as a list when ``allow_tuple``, anything else as ``[x]``.

    Args:
        x: any object.
        allow_tuple: whether a tuple becomes the list of its items (else it is one item).
    """
    if isinstance(x, list):
        return x
    if allow_tuple and isinstance(x, tuple):
        return list(x)
    return [x]


def unpack_singleton(x):
    """The only item of a one-item list or tuple; anything else as it is."""
    if isinstance(x, (list, tuple)) and len(x) == 1:
        return x[0]
    return x
