"""Keras's layers, each a torch.nn.Module."""
from kerastorch._porting import missing_attribute
from kerastorch.layers.core import Activation, Dense, Input, InputLayer, Lambda
from kerastorch.layers.layer import InputSpec, Layer
from kerastorch.layers.regularization import Dropout
from kerastorch.layers.reshaping import Flatten, Reshape
from kerastorch.layers.core import TorchModuleWrapper
from kerastorch.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                      average, concatenate, dot, maximum, minimum, multiply, subtract)

__getattr__ = missing_attribute(__name__)
