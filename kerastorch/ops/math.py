"""``keras.ops.math`` on torch."""
from kerastorch._porting import missing_attribute

__all__ = []

__getattr__ = missing_attribute(__name__)
