"""Keras 2's ``keras.engine``: the graph classes under their Keras 2 module paths (``keras.engine.topology``,
``.training``, ``.sequential``, ``.input_layer``, ``.base_layer``). Importing it, or any of them, warns once."""
from kerastorch import _legacy
from kerastorch._porting import missing_attribute
from kerastorch.layers import Input, InputLayer, InputSpec, Layer  # noqa: F401
from kerastorch.models import Model, Sequential  # noqa: F401
from kerastorch.utils.layer_utils import get_source_inputs  # noqa: F401

_legacy.alias_module(__name__, "`keras.Model`, `keras.Sequential`, `keras.Input`, `keras.layers.Layer`, "
                               "`keras.layers.InputSpec` and `keras.utils.get_source_inputs`")
__getattr__ = missing_attribute(__name__)
