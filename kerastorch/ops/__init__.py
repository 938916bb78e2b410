"""``keras.ops`` on torch: every op runs torch kernels on tensors, arrays and numbers, and records a graph node on
KerasTensors (``kerastorch.ops._dispatch``).

The namespaces are Keras's: ``numpy``, ``nn``, ``linalg``, ``math``, ``image``, ``core``; each module's
``__all__`` is also available here (``keras.ops.sum`` is ``keras.ops.numpy.sum``). A Keras op that kerastorch
lacks raises "keras.ops.X is not provided by kerastorch (yet)".
"""
from kerastorch._porting import missing_attribute
from kerastorch.ops import core, image, linalg, math, nn, numpy
from kerastorch.ops.core import *  # noqa: F401,F403
from kerastorch.ops.image import *  # noqa: F401,F403
from kerastorch.ops.linalg import *  # noqa: F401,F403
from kerastorch.ops.math import *  # noqa: F401,F403
from kerastorch.ops.nn import *  # noqa: F401,F403
from kerastorch.ops.numpy import *  # noqa: F401,F403
from kerastorch.ops.operation import Operation

__all__ = sorted(set(core.__all__) | set(image.__all__) | set(linalg.__all__) | set(math.__all__)
                 | set(nn.__all__) | set(numpy.__all__))

__getattr__ = missing_attribute(__name__)
