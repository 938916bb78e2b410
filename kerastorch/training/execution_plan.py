"""The trainer's fast paths, as steps of an execution plan: a ReLU moved past the max pooling that follows it,
a model's first convolution and 2x2 max pooling run as one fused CPU kernel, and, at inference, a convolution
with the batch normalization (and ReLU) after it run as one convolution with folded weights.

Only the trainer's own fit / evaluate / predict loops run a model through its plan (``with plan.active():``);
``model(x)``, ``forward``, hooks, ``torch.jit.trace``, ``torch.export``, ``torch.onnx.export`` and
``torch.compile(model)`` always run the plain layers. The model executors (models/sequential.py,
models/functional.py) ask ``global_state.active_execution_plan()`` for the plan's steps; nothing in models/
imports this module.

The reordering is exact. Max pooling and ReLU commute, ``relu(max(window)) == max(relu(window))``, value for
value (both only compare and select), and so do their gradients: where a window's maximum is positive both
orders route the gradient to the same element (ties included, since ReLU leaves positive values alone); where it
is not positive ReLU's gradient is zero in both. NaNs propagate the same way in both. So
``Conv2D(32, 3, activation="relu")`` followed by ``MaxPooling2D(2)`` can run as convolution, pooling, then ReLU
on a tensor a quarter the size: the forward and backward ReLU passes over the convolution's largest output
disappear, about a sixth of a small CNN's training step on the CPU. torch.compile traces the reordered steps too
(the trainer's jit_compile): its fused ReLU-then-pooling kernels were slower than pooling, then ReLU
(jit_compile=True on the cnn benchmark: 6.4 s/epoch before, 4.4-5.0 after).

Where the convolution is a model's first (its input is the data) and the pooling 2x2, the step goes one step
further: convolution and pooling run as one fused CPU kernel (layers/_conv_pool_kernel.py).

At inference (evaluate, predict: ``training`` false, no gradient recorded) a ``Conv2D`` whose output only feeds a
``BatchNormalization`` (in inference mode) runs as one convolution whose kernel and bias absorb the batch norm,
``kernel * gamma / sqrt(moving_variance + epsilon)`` per filter, kept in torch's channels_last layout and cached
until a weight changes; a ReLU activation layer after it runs in place on the result. On the CPU this makes
ResNet50's predict at batch 8 faster than torchvision's (benchmarks/applications.py). Likewise an ``Add`` whose sum
only feeds a ReLU layer (a residual block's end) runs as one sum and an in-place ReLU. The folding changes the
result by float rounding only (about 1e-6 relative); in training the layers run as they are.

A step applies only where nobody can see the intermediate tensor or tell the difference: no hook anywhere in
the model (module forward, pre-forward and backward hooks, and torch's global module hooks: with any, ``active``
runs the model plainly), no activity regularizer, the intermediate is no model output and has one consumer, the
layers' ``call`` is kerastorch's own, and no mask can reach the step (no layer of the step computes masks, and
the step's input carries none; a layer that only passes a mask on cannot make one where there is none).
"""
import collections
import contextlib
import weakref

import torch
from torch.nn.modules import module as torch_module

from kerastorch import activations, backend, global_state
from kerastorch.keras_tensor import flatten
from kerastorch.layers import _conv_pool_kernel
from kerastorch.layers.activations import ReLU
from kerastorch.layers.convolutional import Conv2D, _Convolution
from kerastorch.layers.core import Activation
from kerastorch.layers.layer import Layer
from kerastorch.layers.pooling import BaseGlobalPooling, BasePooling, MaxPooling2D
from kerastorch.models.functional import Functional
from kerastorch.models.sequential import Sequential


# ---- which layers can be reordered ---------------------------------------------------------------------------

def _computes_masks(layer):
    """Whether ``layer`` has a ``compute_mask`` of its own (it may make a mask where none came in)."""
    return getattr(type(layer), "compute_mask", None) is not getattr(Layer, "compute_mask", None)


def _ends_in_relu(layer):
    """How ``layer``'s output is a plain ReLU of something: "activation" for a convolution whose activation is
    ``relu`` and whose ``call`` is kerastorch's (``activation(pre_activation(x))``), "layer" for a layer that is
    only a plain ReLU; else None."""
    if _computes_masks(layer):
        return None
    if isinstance(layer, _Convolution) and layer.activation is activations.relu and type(layer).call is _Convolution.call:
        return "activation"
    if type(layer) is Activation and layer.activation is activations.relu:
        return "layer"
    if type(layer) is ReLU and layer.max_value is None and layer.negative_slope == 0 and layer.threshold == 0:
        return "layer"
    return None


def _is_max_pooling(layer):
    return (isinstance(layer, (BasePooling, BaseGlobalPooling)) and layer.mode == "max"
            and type(layer).call.__module__ == BasePooling.__module__ and not _computes_masks(layer))


def _hooked(model):
    """Whether any hook could observe a layer's call in ``model``: then the plan stands aside."""
    if (torch_module._global_forward_hooks or torch_module._global_forward_pre_hooks
            or torch_module._global_backward_hooks or torch_module._global_backward_pre_hooks):
        return True
    for module in model.modules():
        if module._forward_hooks or module._forward_pre_hooks or module._backward_hooks \
                or module._backward_pre_hooks:
            return True
    return False


# ---- the step --------------------------------------------------------------------------------------------------

def _compute_dtype_of(layer):
    return getattr(torch, layer.compute_dtype, None)


def _fused_kernel_applies(source, pooling, inputs):
    """Whether ``source`` (a Conv2D with ReLU) and ``pooling`` can run as one fused CPU kernel on ``inputs``: a
    model's input image batch (no gradient wanted for it), a few channels, a multiple of 16 filters, stride 1
    'valid' convolution and 2x2 'valid' pooling, float32, channels_last. Never while torch.compile traces: a
    ctypes call is not traceable, and inductor generates its own kernels."""
    return (type(source) is Conv2D and isinstance(pooling, MaxPooling2D) and inputs.device.type == "cpu"
            and inputs.dtype == torch.float32 and not inputs.requires_grad and inputs.dim() == 4
            and inputs.is_contiguous() and inputs.shape[-1] <= 4
            and source.filters % _conv_pool_kernel.CHANNEL_BLOCK == 0 and source.data_format == "channels_last"
            and source.strides == (1, 1) and source.dilation_rate == (1, 1) and source.groups == 1
            and source.padding == "valid" and source.kernel.dtype == torch.float32
            and pooling.pool_size == (2, 2) and pooling.strides == (2, 2) and pooling.padding == "valid"
            and pooling.data_format == "channels_last" and pooling.built
            and not torch.compiler.is_compiling() and _conv_pool_kernel.library() is not None)


class ReluAfterPooling:
    """A plan step: ``source`` (a convolution with ``activation="relu"``, or a plain ReLU layer) and the max
    ``pooling`` after it, run as pooling first, then the ReLU (or as the fused kernel); the two layers in turn
    wherever that does not apply to this call.

    Args:
        source: the ReLU-ending layer (``_ends_in_relu``).
        pooling: the max pooling layer that alone reads ``source``'s output.
    """

    def __init__(self, source, pooling):
        self.source = source
        self.pooling = pooling
        self.kind = _ends_in_relu(source)

    def _applies(self, inputs):
        source, pooling = self.source, self.pooling
        if not isinstance(inputs, torch.Tensor) or backend.get_keras_mask(inputs) is not None \
                or source.activity_regularizer is not None or pooling.activity_regularizer is not None:
            return False
        if self.kind == "layer":
            return True   # both layers still run through their own calls
        # The convolution's computation runs without its __call__: only once that call has built the layer and
        # checked inputs of this shape (its input spec), where it would not cast them, and outside autocast.
        # (While torch.compile traces, __call__ checks nothing either.)
        return (source.built and inputs.dtype == _compute_dtype_of(source)
                and source.compute_dtype == source.variable_dtype
                and not torch.is_autocast_enabled(inputs.device.type)
                and (torch.compiler.is_compiling()
                     or tuple(inputs.shape) == getattr(source, "_checked_input_shape", None)))

    def __call__(self, inputs):
        if not self._applies(inputs):
            return self.pooling(self.source(inputs))
        if self.kind == "layer":
            return self.source(self.pooling(inputs))
        if _fused_kernel_applies(self.source, self.pooling, inputs):
            return torch.relu(_conv_pool_kernel.conv_pool(inputs, self.source.kernel, self.source.bias))
        return torch.relu(self.pooling(self.source.pre_activation(inputs)))

    def __repr__(self):
        return f"ReluAfterPooling({self.source.name!r}, {self.pooling.name!r})"


def _is_plain_conv2d(layer):
    return (type(layer) is Conv2D and layer.activation is activations.linear and layer.activity_regularizer is None
            and not _computes_masks(layer))


def _is_plain_batch_norm(layer):
    from kerastorch.layers.normalization import BatchNormalization
    return type(layer) is BatchNormalization and layer.activity_regularizer is None


def _is_plain_relu(layer):
    return _ends_in_relu(layer) == "layer" and layer.activity_regularizer is None


# conv layer -> (weights' versions, device, dtype, batch norm), (kernel, bias): the folded weights outlive the plan
# (the trainer makes a plan per evaluate/predict call) and are made again once any weight changes.
_FOLDED = weakref.WeakKeyDictionary()


class FoldedConvBatchNorm:
    """A plan step: ``conv`` (a Conv2D without activation), the ``batch_norm`` that alone reads its output and
    optionally a ReLU layer after that, run at inference as one convolution with the batch norm folded into its
    kernel and bias (then an in-place ReLU); the layers in turn in training, with gradients, or wherever the step
    does not apply to this call.

    Args:
        conv: the convolution.
        batch_norm: the batch normalization of the convolution's channels.
        relu: the ReLU layer after the batch norm, or None.
    """

    def __init__(self, conv, batch_norm, relu=None):
        self.conv = conv
        self.batch_norm = batch_norm
        self.relu = relu

    def _applies(self, inputs):
        conv, batch_norm = self.conv, self.batch_norm
        channel_axis = 3 if conv.data_format == "channels_last" else 1
        return (isinstance(inputs, torch.Tensor) and backend.get_keras_mask(inputs) is None
                and not torch.is_grad_enabled() and not global_state.current_training()
                and conv.built and batch_norm.built and batch_norm._axis == channel_axis
                and inputs.dtype == _compute_dtype_of(conv) == _compute_dtype_of(batch_norm)
                and conv.compute_dtype == conv.variable_dtype and inputs.dim() == 4
                and not torch.is_autocast_enabled(inputs.device.type)
                # Not while torch.compile traces: the cache reads weights' versions, and inductor fuses anyway.
                and not torch.compiler.is_compiling()
                and tuple(inputs.shape) == getattr(conv, "_checked_input_shape", None))

    def _weights(self, device, dtype):
        conv, bn = self.conv, self.batch_norm
        tensors = [conv.kernel, conv.bias, bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance]
        key = (tuple(t._version if t is not None else -1 for t in tensors), device, dtype, id(bn))
        cached = _FOLDED.get(conv)
        if cached is None or cached[0] != key:
            with torch.inference_mode(False), torch.no_grad():
                variance = bn.moving_variance.detach().to(torch.float64)
                scale = torch.rsqrt(variance + bn.epsilon)
                if bn.gamma is not None:
                    scale = scale * bn.gamma.detach().to(torch.float64)
                shift = -bn.moving_mean.detach().to(torch.float64) * scale
                if bn.beta is not None:
                    shift = shift + bn.beta.detach().to(torch.float64)
                if conv.bias is not None:
                    shift = shift + conv.bias.detach().to(torch.float64) * scale
                kernel = conv.kernel.detach().to(torch.float64).permute(3, 2, 0, 1) * scale.reshape(-1, 1, 1, 1)
                if self._pointwise():   # a matrix (in, out) for torch.addmm on the NHWC rows
                    kernel = kernel.reshape(kernel.shape[0], -1).t().to(device=device, dtype=dtype).contiguous()
                else:
                    kernel = kernel.to(device=device, dtype=dtype).contiguous(memory_format=torch.channels_last)
                cached = (key, (kernel, shift.to(device=device, dtype=dtype)))
                _FOLDED[conv] = cached
        return cached[1]

    def _pointwise(self):
        """Whether the convolution is a 1x1, stride 1, channels_last one: a matrix product of the NHWC rows,
        which torch's CPU convolutions run slower on channels_last tensors than ``addmm`` does."""
        conv = self.conv
        return (conv.kernel_size == (1, 1) and conv.strides == (1, 1) and conv.dilation_rate == (1, 1)
                and conv.groups == 1 and conv.data_format == "channels_last")

    def __call__(self, inputs):
        if not self._applies(inputs):
            outputs = self.batch_norm(self.conv(inputs))
            return self.relu(outputs) if self.relu is not None else outputs
        conv = self.conv
        kernel, bias = self._weights(inputs.device, inputs.dtype)
        if kernel.dim() == 2:
            outputs = torch.addmm(bias, inputs.reshape(-1, inputs.shape[-1]), kernel)
            if self.relu is not None:
                outputs = torch.relu_(outputs)
            return outputs.reshape(*inputs.shape[:-1], kernel.shape[1])
        x, padding = conv._padded_channels_first(inputs)
        outputs = torch.nn.functional.conv2d(x, kernel, bias, conv.strides, padding, conv.dilation_rate,
                                             conv.groups)
        if self.relu is not None:
            outputs = torch.relu_(outputs)
        return outputs.permute(0, 2, 3, 1) if conv.data_format == "channels_last" else outputs

    def __repr__(self):
        relu = f", {self.relu.name!r}" if self.relu is not None else ""
        return f"FoldedConvBatchNorm({self.conv.name!r}, {self.batch_norm.name!r}{relu})"


class AddThenRelu:
    """A plan step: an ``Add`` layer and the ReLU layer that alone reads its output (a residual block's end), run
    at inference as one sum with the ReLU applied in place; the two layers in turn otherwise.

    Args:
        add: the Add layer.
        relu: the ReLU layer.
    """

    def __init__(self, add, relu):
        self.add = add
        self.relu = relu

    def __call__(self, inputs):
        if (torch.is_grad_enabled() or global_state.current_training() or not isinstance(inputs, (list, tuple))
                or len(inputs) < 2 or not all(isinstance(x, torch.Tensor) and backend.get_keras_mask(x) is None
                                              and x.shape == inputs[0].shape and x.dtype == inputs[0].dtype
                                              for x in inputs)):
            return self.relu(self.add(inputs))
        total = torch.add(inputs[0], inputs[1])
        for x in inputs[2:]:
            total.add_(x)
        return torch.relu_(total)

    def __repr__(self):
        return f"AddThenRelu({self.add.name!r}, {self.relu.name!r})"


# ---- plans of the two model kinds -------------------------------------------------------------------------------

def sequential_plan(layers):
    """The steps that compute ``layers`` applied in turn: each layer, or a ``ReluAfterPooling`` in place of a
    ReLU-ending layer and the max pooling after it; None where no layer pair can be sped up."""
    steps, index, any_fused = [], 0, False
    while index < len(layers):
        layer = layers[index]
        following = layers[index + 1] if index + 1 < len(layers) else None
        if following is not None and _ends_in_relu(layer) and _is_max_pooling(following):
            steps.append(ReluAfterPooling(layer, following))
            any_fused = True
            index += 2
        else:
            steps.append(layer)
            index += 1
    return steps if any_fused else None


def _single_positional(node):
    return len(node.call_args) == 1 and not node.call_kwargs and len(node.input_tensors) == 1


def functional_plan(nodes, output_tensors):
    """``{id(node): override}`` for the executor (see ``ExecutionPlan.functional_overrides``): for each node of a
    ReLU-ending layer whose one output goes only to one max pooling node (as its only input) and is not an
    output of the model, that node is skipped and the pooling node computes both; None where there is none."""
    consumers = collections.defaultdict(list)
    for node in nodes:
        for tensor in node.input_tensors:
            consumers[id(tensor)].append(node)
    model_outputs = {id(t) for t in output_tensors}
    overrides = {}
    for node in nodes:
        if len(node.output_tensors) != 1 or not _single_positional(node) or not _ends_in_relu(node.layer):
            continue
        output = node.output_tensors[0]
        users = consumers.get(id(output), [])
        if id(output) in model_outputs or len(users) != 1:
            continue
        pooling = users[0]
        if _is_max_pooling(pooling.layer) and _single_positional(pooling) and pooling.call_args[0] is output:
            overrides[id(node)] = None
            overrides[id(pooling)] = (node, ReluAfterPooling(node.layer, pooling.layer))

    def only_user(node, accepts):
        """The one node that reads ``node``'s one output (not a model output) as its only input, if ``accepts``
        its layer and no step claims it yet."""
        if len(node.output_tensors) != 1:
            return None
        output = node.output_tensors[0]
        users = consumers.get(id(output), [])
        if id(output) in model_outputs or len(users) != 1:
            return None
        user = users[0]
        if id(user) in overrides or not _single_positional(user) or user.call_args[0] is not output \
                or not accepts(user.layer):
            return None
        return user

    for node in nodes:
        if id(node) in overrides or not _single_positional(node) or not _is_plain_conv2d(node.layer):
            continue
        batch_norm = only_user(node, _is_plain_batch_norm)
        if batch_norm is None:
            continue
        relu = only_user(batch_norm, _is_plain_relu)
        last = relu if relu is not None else batch_norm
        overrides[id(node)] = None
        if relu is not None:
            overrides[id(batch_norm)] = None
        overrides[id(last)] = (node, FoldedConvBatchNorm(node.layer, batch_norm.layer,
                                                         relu.layer if relu is not None else None))

    from kerastorch.layers.merging import Add
    for node in nodes:
        if (id(node) in overrides or type(node.layer) is not Add or node.layer.activity_regularizer is not None
                or len(node.call_args) != 1 or node.call_kwargs or len(node.output_tensors) != 1):
            continue
        relu = only_user(node, _is_plain_relu)
        if relu is not None:
            overrides[id(node)] = None
            overrides[id(relu)] = (node, AddThenRelu(node.layer, relu.layer))
    return overrides or None


# ---- the plan --------------------------------------------------------------------------------------------------

class ExecutionPlan:
    """The fast paths of one model (and of the Sequential and functional models nested in it), for the trainer's
    loops. Build it with ``plan_for(model)``; run the model under ``with plan.active():``.

    Args:
        model: the model whose calls the plan speeds up.
    """

    def __init__(self, model):
        self.model = model
        self._sequential = {}   # id(model) -> (model, its layers, steps or None)
        self._functional = {}   # id(model) -> (model, overrides or None)

    @contextlib.contextmanager
    def active(self):
        """Within the block, the model's executors run the plan's steps; a plain run where any hook is
        registered (checked each time: enter it once per step)."""
        if _hooked(self.model):
            yield None
            return
        with global_state.execution_plan_scope(self):
            yield self

    def sequential_steps(self, model):
        """The callables (``x -> x``) that replace ``model.layers`` applied in turn, for a Sequential ``model``
        (this plan's model or one nested in it), or None: run it plainly."""
        layers = tuple(model.layers)
        cached = self._sequential.get(id(model))
        if cached is None or cached[0] is not model or cached[1] != layers:
            cached = (model, layers, sequential_plan(layers))
            self._sequential[id(model)] = cached
        return cached[2]

    def functional_overrides(self, model):
        """For a functional ``model``: ``{id(node): override}``, or None (run it plainly). An override None
        skips the node (its output is read only by a step that computes it); ``(source_node, fn)`` sets the
        node's outputs to ``fn(*filled(source_node.call_args), **filled(source_node.call_kwargs))``."""
        cached = self._functional.get(id(model))
        if cached is None or cached[0] is not model:
            cached = (model, functional_plan(model._nodes, flatten(model._outputs_struct)))
            self._functional[id(model)] = cached
        return cached[1]

    def __repr__(self):
        return f"ExecutionPlan({self.model.name!r})"


def plan_for(model):
    """The execution plan of ``model``, or None when nothing in it can be sped up.

    Args:
        model: a kerastorch model (Sequential, functional or subclassed; nested models are searched too).
    """
    plan = ExecutionPlan(model)
    for module in model.modules():
        if isinstance(module, Sequential) and plan.sequential_steps(module) is not None:
            return plan
        if isinstance(module, Functional) and plan.functional_overrides(module) is not None:
            return plan
    return None
