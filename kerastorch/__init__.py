"""kerastorch: Keras's API running natively on PyTorch.

``import kerastorch as keras``: every layer is a torch.nn.Module, and models train with PyTorch's kernels.
Submodules that are heavy or optional (losses, optimizers, callbacks, applications...) load on first access,
so ``import kerastorch`` stays cheap.
"""
from kerastorch import activations, backend, constraints, initializers, layers, models, regularizers
from kerastorch._porting import missing_attribute
from kerastorch.backend import device_scope as device
from kerastorch.layers import Input, InputSpec, Layer
from kerastorch.layers.variables import Variable
from kerastorch.models import Model, Sequential
from kerastorch import saving

__version__ = "0.1.0"

__getattr__ = missing_attribute(__name__)
