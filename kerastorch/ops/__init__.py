"""keras.ops on torch. Today: the `Operation` base class and the graph operations of Python's operators on
KerasTensors (``kerastorch.ops.numpy``)."""
from kerastorch.ops import numpy
from kerastorch.ops.operation import Operation
