"""Keras 2's ``keras.engine.sequential``: ``Sequential`` (warned about by ``keras.engine``)."""
from kerastorch._porting import missing_attribute
from kerastorch.models import Sequential  # noqa: F401

__getattr__ = missing_attribute(__name__)
