"""Keras 2's ``keras.engine.training``: ``Model`` (warned about by ``keras.engine``)."""
from kerastorch._porting import missing_attribute
from kerastorch.models import Model  # noqa: F401

__getattr__ = missing_attribute(__name__)
