"""Keras 2's ``keras.engine.topology`` (warned about by ``keras.engine``)."""
from kerastorch._porting import missing_attribute
from kerastorch.layers import Input, InputLayer, InputSpec, Layer  # noqa: F401
from kerastorch.models import Model  # noqa: F401
from kerastorch.utils.layer_utils import get_source_inputs  # noqa: F401

__getattr__ = missing_attribute(__name__)
