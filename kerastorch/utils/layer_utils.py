"""Keras 2's ``keras.utils.layer_utils``: ``get_source_inputs`` (graph walking on symbolic tensors),
``count_params`` and ``print_summary``."""
import math

from kerastorch.keras_tensor import KerasTensor
from kerastorch._porting import missing_attribute


def count_params(weights):
    """The number of scalars in ``weights`` (variables, tensors or arrays), each distinct weight counted once.

    Args:
        weights: an iterable of objects with a ``shape``, e.g. ``model.trainable_weights``.
    """
    distinct = {id(weight): weight for weight in weights}.values()
    return int(sum(math.prod(tuple(weight.shape)) for weight in distinct))


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Print ``model.summary()``: Keras 2's function spelling of the method.

    Args:
        model: a kerastorch model.
        line_length, positions, print_fn: as for ``Model.summary``.
    """
    model.summary(line_length=line_length, positions=positions, print_fn=print_fn)


def get_source_inputs(tensor, layer=None, node_index=None):
    """The ``keras.Input`` tensors that ``tensor`` was computed from (``[tensor]`` when it is one), each once,
    in the order a depth-first walk meets them.

    Args:
        tensor: a KerasTensor of a functional graph.
        layer, node_index: Keras 2's arguments, accepted for compatibility and unused.
    """
    from kerastorch.layers.core import InputLayer
    if not isinstance(tensor, KerasTensor) or tensor._keras_history is None:
        raise ValueError(f"get_source_inputs needs a tensor from `keras.Input` or from layers called on one. "
                         f"Received: {tensor!r}")
    history = tensor._keras_history
    node = history.operation._inbound_nodes[history.node_index]
    if isinstance(node.layer, InputLayer) or not node.input_tensors:
        return [tensor]
    found = []
    for parent in node.input_tensors:
        found += [t for t in get_source_inputs(parent) if all(t is not f for f in found)]
    return found


__getattr__ = missing_attribute(__name__)
