"""Graph utilities on symbolic tensors (Keras 2's ``keras.utils.layer_utils``): ``get_source_inputs``."""
from kerastorch.keras_tensor import KerasTensor


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
