"""What the PyTorch source rules share: the two layouts of a tensor, where Keras's axes are in each, the error of
a layer that cannot be written, and Keras's activations as torch expressions.

Tensors of rank 3 and more are in one of two layouts: KERAS (the order Keras holds them in) or TORCH (the
channels axis moved to position 1, as torch's convolutions, pooling and batch norms take it).
"""
from kerastorch import activations

KERAS, TORCH = "keras", "torch"


def permutation(rank, to):
    """The ``permute`` order from the other layout to ``to`` for a tensor of ``rank``."""
    if to == TORCH:
        return (0, rank - 1, *range(1, rank - 1))
    return (0, *range(2, rank), 1)


def dim_of(axis, rank, layout):
    """Where Keras's ``axis`` of a rank-``rank`` tensor is in a tensor of ``layout``."""
    axis = axis % rank
    if layout == KERAS or rank <= 2:
        return axis
    return permutation(rank, TORCH).index(axis)


def unsupported(layer, why):
    return ValueError(f"Layer '{layer.name}' ({type(layer).__name__}) cannot be written as PyTorch source: {why}.")


def _native(layer):
    """The layout in which torch's kernel reads the layer's Keras tensor as it expects."""
    return TORCH if getattr(layer, "data_format", "channels_last") == "channels_last" else KERAS


def _single_input(w, node):
    inputs = w.inputs(node)
    if len(inputs) != 1 or node.call_kwargs.get("mask") is not None:
        raise unsupported(node.layer, f"it is called with {len(inputs)} inputs where one is supported")
    return inputs[0]


def _weights(**named):
    return {key: value for key, value in named.items() if value is not None}


# ---- activations ---------------------------------------------------------------------------------------------

_ACTIVATIONS = {
    activations.relu: "F.relu({x})", activations.relu6: "F.relu6({x})",
    activations.leaky_relu: "F.leaky_relu({x}, 0.2)", activations.elu: "F.elu({x})",
    activations.selu: "F.selu({x})", activations.celu: "F.celu({x})", activations.gelu: "F.gelu({x})",
    activations.sigmoid: "torch.sigmoid({x})", activations.hard_sigmoid: "F.hardsigmoid({x})",
    activations.log_sigmoid: "F.logsigmoid({x})", activations.silu: "F.silu({x})",
    activations.hard_silu: "F.hardswish({x})", activations.softplus: "F.softplus({x})",
    activations.softsign: "F.softsign({x})", activations.tanh: "torch.tanh({x})",
    activations.tanh_shrink: "F.tanhshrink({x})", activations.hard_tanh: "F.hardtanh({x})",
    activations.exponential: "torch.exp({x})", activations.mish: "F.mish({x})",
    activations.softmax: "torch.softmax({x}, dim={dim})", activations.log_softmax: "torch.log_softmax({x}, dim={dim})",
    activations.linear: "{x}",
}


def activation_source(function, source, rank, layout, layer):
    """``source`` with ``function`` (one of Keras's activations) applied, as torch source."""
    template = _ACTIVATIONS.get(getattr(function, "__wrapped__", function))
    if template is None:
        name = getattr(function, "__name__", repr(function))
        raise unsupported(layer, f"its activation {name!r} has no torch counterpart here (supported: "
                                 f"{sorted(f.__name__ for f in _ACTIVATIONS)})")
    return template.format(x=source, dim=dim_of(-1, rank, layout))
