"""An exact reordering that the model executors apply: a ReLU moved past the max pooling that follows it.

Max pooling and ReLU commute, ``relu(max(window)) == max(relu(window))``, value for value (both only compare
and select), and so do their gradients: where a window's maximum is positive both orders route the gradient to
the same element (ties included, since ReLU leaves positive values alone); where it is not positive ReLU's
gradient is zero in both. NaNs propagate the same way in both. So ``Conv2D(32, 3, activation="relu")``
followed by ``MaxPooling2D(2)`` can run as convolution, pooling, then ReLU on a tensor a quarter the size:
the forward and backward ReLU passes over the convolution's largest output disappear, about a sixth of a small
CNN's training step on the CPU. Nothing observable changes: the reordering applies only where nobody can see
the intermediate tensor (no forward hooks, no activity regularizer). torch.compile traces the reordered
steps too: its fused ReLU-then-pooling kernels were slower than pooling, then ReLU (jit_compile=True on the cnn
benchmark: 6.4 s/epoch before, 4.4-5.0 after).

Where the convolution is a model's first (its input is the data) and the pooling 2x2, both executors go one step
further: convolution and pooling run as one fused CPU kernel (layers/_conv_pool_kernel.py).
"""
import collections

import torch
from torch.nn.modules import module as torch_module

from kerastorch import activations
from kerastorch.layers.activations import ReLU
from kerastorch.layers import _conv_pool_kernel
from kerastorch.layers.convolutional import Conv2D, _Convolution
from kerastorch.layers.core import Activation
from kerastorch.layers.pooling import BaseGlobalPooling, BasePooling, MaxPooling2D


def _ends_in_relu(layer):
    """How ``layer``'s output is a plain ReLU of something: "activation" for a convolution whose activation is
    ``relu`` and whose ``call`` is kerastorch's own (it takes ``_skip_activation``), "layer" for a layer that is
    only a plain ReLU."""
    if isinstance(layer, _Convolution) and layer.activation is activations.relu \
            and type(layer).call.__module__ == _Convolution.__module__:
        return "activation"
    if type(layer) is Activation and layer.activation is activations.relu:
        return "layer"
    if type(layer) is ReLU and layer.max_value is None and layer.negative_slope == 0 and layer.threshold == 0:
        return "layer"
    return None


def _is_max_pooling(layer):
    return isinstance(layer, (BasePooling, BaseGlobalPooling)) and layer.mode == "max"


def _unobserved(layer):
    """Whether nothing but the next layer sees ``layer``'s output: no hooks, no activity regularizer."""
    return (layer.activity_regularizer is None and not layer._forward_hooks and not layer._forward_pre_hooks
            and not torch_module._global_forward_hooks and not torch_module._global_forward_pre_hooks)


def can_reorder(source, pooling):
    """Whether ``source`` (ReLU-ending) and the max ``pooling`` after it may run as pooling, then ReLU now."""
    return _ends_in_relu(source) is not None and _unobserved(source) and _unobserved(pooling)


def call_without_relu(source, args, kwargs):
    """Call ``source`` without its final ReLU; returns its output and the ReLU still to apply (after pooling)."""
    if _ends_in_relu(source) == "layer":
        return args[0], source   # the ReLU layer itself runs after the pooling
    # A call argument, not a flag on the layer: another thread's call of the same layer is not affected.
    return source(*args, _skip_activation=True, **kwargs), torch.relu


def _fused_kernel_applies(source, pooling, inputs):
    """Whether ``source`` (a Conv2D with ReLU) and ``pooling`` can run as one fused CPU kernel on ``inputs``: a
    model's input image batch (no gradient wanted for it), a few channels, a multiple of 16 filters, stride 1
    'valid' convolution and 2x2 'valid' pooling, float32, channels_last, and the convolution has already checked
    this input shape once through its own call (so its build and input checks have run). Never while
    torch.compile traces: a ctypes call is not traceable, and inductor generates its own kernels."""
    return (type(source) is Conv2D and isinstance(pooling, MaxPooling2D)
            and isinstance(inputs, torch.Tensor) and inputs.device.type == "cpu" and inputs.dtype == torch.float32
            and not inputs.requires_grad and inputs.dim() == 4 and inputs.is_contiguous()
            and tuple(inputs.shape) == source._checked_input_shape and inputs.shape[-1] <= 4
            and source.filters % _conv_pool_kernel.CHANNEL_BLOCK == 0 and source.data_format == "channels_last"
            and source.strides == (1, 1) and source.dilation_rate == (1, 1) and source.groups == 1
            and source.padding == "valid" and not source._mixed and source.kernel.dtype == torch.float32
            and pooling.pool_size == (2, 2) and pooling.strides == (2, 2) and pooling.padding == "valid"
            and pooling.data_format == "channels_last" and pooling.built
            and not torch.is_autocast_enabled("cpu") and not torch.compiler.is_compiling()
            and _conv_pool_kernel.library() is not None)


def run_before_pooling(source, pooling, args, kwargs):
    """Call ``source`` (ReLU-ending, ``can_reorder`` with ``pooling``) on its arguments, ahead of ``pooling``.

    Returns ``(output, after_pooling)``: either ``source``'s output without its ReLU and the ReLU to apply to the
    pooling's output, or ``(None, result)`` where the fused kernel computed the pooling's output (ReLU included)
    and the pooling is not to be called."""
    if not kwargs and len(args) == 1 and _fused_kernel_applies(source, pooling, args[0]):
        return None, torch.relu(_conv_pool_kernel.conv_pool(args[0], source.kernel, source.bias))
    return call_without_relu(source, args, kwargs)


class ReluAfterPooling:
    """A Sequential step: ``source`` (a convolution with ``activation="relu"``, or a plain ReLU layer) and the
    max ``pooling`` after it, run as pooling first, then the ReLU."""

    def __init__(self, source, pooling):
        self.source = source
        self.pooling = pooling

    def __call__(self, inputs):
        if not can_reorder(self.source, self.pooling):
            return self.pooling(self.source(inputs))
        pre_activation, after_pooling = run_before_pooling(self.source, self.pooling, (inputs,), {})
        if isinstance(after_pooling, torch.Tensor):
            return after_pooling
        return after_pooling(self.pooling(pre_activation))


def sequential_plan(layers):
    """The steps that compute ``layers`` applied in turn: each layer, or a ``ReluAfterPooling`` in place of a
    ReLU-ending layer and the max pooling after it."""
    steps, index = [], 0
    while index < len(layers):
        layer = layers[index]
        following = layers[index + 1] if index + 1 < len(layers) else None
        if following is not None and _ends_in_relu(layer) and _is_max_pooling(following):
            steps.append(ReluAfterPooling(layer, following))
            index += 2
        else:
            steps.append(layer)
            index += 1
    return steps


def functional_plan(nodes, output_tensors):
    """``{id(node): pooling node}`` for each node of a ReLU-ending layer whose one output goes only to one max
    pooling node (as its only input) and is not an output of the model."""
    consumers = collections.defaultdict(list)
    for node in nodes:
        for tensor in node.input_tensors:
            consumers[id(tensor)].append(node)
    model_outputs = {id(t) for t in output_tensors}
    plan = {}
    for node in nodes:
        if len(node.output_tensors) != 1 or len(node.input_tensors) != 1 or not _ends_in_relu(node.layer):
            continue
        output = node.output_tensors[0]
        users = consumers.get(id(output), [])
        if id(output) in model_outputs or len(users) != 1:
            continue
        pooling = users[0]
        if _is_max_pooling(pooling.layer) and len(pooling.input_tensors) == 1:
            plan[id(node)] = pooling
    return plan
