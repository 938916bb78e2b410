"""``keras.ops.core`` on torch.

Add an op as in kerastorch/ops/numpy.py: decorate its eager torch function with
``@keras_op("core")`` (from kerastorch.ops._dispatch; ``spec=elementwise`` or your own spec rule where tracing on
meta tensors does not give Keras's shape) and list its name in ``__all__``.
"""
from kerastorch._porting import missing_attribute

__all__ = []

__getattr__ = missing_attribute(__name__)
