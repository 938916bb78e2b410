"""How each Keras layer is written in the generated PyTorch module: its ``torch.nn`` constructor, its weights in
torch's layout, and its ``forward`` expression (see ``pytorch_source.py`` for the writer these rules call); the
recurrent layers' rules are in ``_pytorch_recurrent.py``, what every rule shares in ``_pytorch_common.py``.

A rule reads the layer's own attributes (its configuration and weights) and the static shapes of its node, and
calls the writer: ``w.want(value, layout)`` for an input's variable in a layout, ``w.add_module(layer,
constructor, weights)`` for ``self.<name>``, ``w.assign(node, [(expression, layout), ...])`` for the outputs.
"""
import torch

from kerastorch.export._pytorch_common import (KERAS, TORCH, _native, _single_input, _weights,
                                               activation_source, dim_of, permutation, unsupported)
from kerastorch.export._pytorch_recurrent import _bidirectional, _recurrent
from kerastorch.layers import (activations as activation_layers, convolutional, core, embedding, merging,
                               normalization, pooling, regularization, reshaping)
from kerastorch.layers.attention import multi_head_attention
from kerastorch.layers.augmentation import Rescaling
from kerastorch.layers.preprocessing import normalization as preprocessing_normalization
from kerastorch.layers.recurrent import gru, lstm, simple_rnn
from kerastorch.layers.recurrent.bidirectional import Bidirectional
from kerastorch.layers.wrappers import TimeDistributed
from kerastorch.layers._conv_utils import same_paddings, torch_pad_arg
from kerastorch.layers.layer import Layer


def _activation(w, node, layer):
    x = _single_input(w, node)
    w.assign(node, [(activation_source(layer.activation, x.name, x.rank, x.layout, layer), x.layout)])


def _relu(w, node, layer):
    x = _single_input(w, node)
    slope, cap, threshold = float(layer.negative_slope), layer.max_value, float(layer.threshold)
    if threshold != 0.0:
        raise unsupported(layer, "a threshold other than 0 is not supported")
    if cap is None:
        source = f"F.relu({x.name})" if slope == 0 else f"F.leaky_relu({x.name}, {slope!r})"
    elif slope == 0:
        source = f"F.relu6({x.name})" if float(cap) == 6.0 else f"torch.clamp({x.name}, 0.0, {float(cap)!r})"
    else:
        raise unsupported(layer, "a negative_slope together with a max_value is not supported")
    w.assign(node, [(source, x.layout)])


def _leaky_relu(w, node, layer):
    x = _single_input(w, node)
    w.assign(node, [(f"F.leaky_relu({x.name}, {float(layer.negative_slope)!r})", x.layout)])


def _elu(w, node, layer):
    x = _single_input(w, node)
    w.assign(node, [(f"F.elu({x.name}, {float(layer.alpha)!r})", x.layout)])


def _softmax(w, node, layer):
    x = _single_input(w, node)
    if node.call_kwargs.get("mask") is not None or not isinstance(layer.axis, int):
        raise unsupported(layer, "only a softmax over one axis, without a mask, is supported")
    w.assign(node, [(f"torch.softmax({x.name}, dim={dim_of(layer.axis, x.rank, x.layout)})", x.layout)])


# ---- core ----------------------------------------------------------------------------------------------------

def _dense(w, node, layer):
    x = _single_input(w, node)
    source = w.want(x, KERAS)
    kernel = layer.kernel.detach()
    bias = "" if layer.bias is not None else ", bias=False"
    attribute = w.add_module(layer, f"nn.Linear({kernel.shape[0]}, {kernel.shape[1]}{bias})",
                             _weights(weight=kernel.t(), bias=None if layer.bias is None else layer.bias.detach()))
    w.assign(node, [(activation_source(layer.activation, f"{attribute}({source})", x.rank, KERAS, layer), KERAS)])


def _time_distributed(w, node, layer):
    """A Dense on each step is the Dense itself: nn.Linear acts on the last axis."""
    if type(layer.layer) is not core.Dense:
        raise unsupported(layer, f"only a wrapped Dense is supported (received {type(layer.layer).__name__})")
    _dense(w, node, layer.layer)


def _identity(w, node, layer):
    x = _single_input(w, node)
    w.assign(node, [(x.name, x.layout)])


_DROPOUT_HELPER = '''
class KerasDropout(nn.Module):
    """Keras's Dropout with a noise_shape: one keep-or-drop draw per entry of noise_shape (None there: one per
    entry of the input's axis), shared along the other axes; the identity in eval mode, as nn.Dropout."""

    def __init__(self, rate, noise_shape):
        super().__init__()
        self.rate, self.noise_shape = rate, noise_shape

    def forward(self, x):
        if not self.training or self.rate == 0:
            return x
        shape = [size if wanted is None else wanted for size, wanted in zip(x.shape, self.noise_shape)]
        keep = torch.rand(shape, device=x.device) >= self.rate
        return x * keep / (1.0 - self.rate)
'''


def _dropout(w, node, layer):
    x = _single_input(w, node)
    noise_shape = getattr(layer, "noise_shape", None)
    if noise_shape is None:
        attribute = w.add_module(layer, f"nn.Dropout({float(layer.rate)!r})")
        w.assign(node, [(f"{attribute}({x.name})", x.layout)])
        return
    noise_shape = tuple(noise_shape)   # Keras's axes: reordered as the tensor's are
    if x.layout == TORCH and x.rank > 2:
        noise_shape = tuple(noise_shape[axis] for axis in permutation(x.rank, TORCH))
    w.add_helper("KerasDropout", _DROPOUT_HELPER)
    attribute = w.add_module(layer, f"KerasDropout({float(layer.rate)!r}, {noise_shape!r})")
    w.assign(node, [(f"{attribute}({x.name})", x.layout)])


def _spatial_dropout(w, node, layer):
    x = _single_input(w, node)
    source = w.want(x, _native(layer))
    attribute = w.add_module(layer, f"nn.Dropout{x.rank - 2}d({float(layer.rate)!r})")
    w.assign(node, [(f"{attribute}({source})", _native(layer))])


def _embedding(w, node, layer):
    x = _single_input(w, node)
    table = layer.embeddings.detach()
    attribute = w.add_module(layer, f"nn.Embedding({table.shape[0]}, {table.shape[1]})", {"weight": table})
    masks = ()
    if layer.mask_zero:   # Keras's mask: the steps whose token is not 0
        masks = (w.fresh(f"{layer.name}_mask"),)
        w.line(f"{masks[0]} = {x.name} != 0")
    w.assign(node, [(f"{attribute}({x.name}.long())", KERAS)], masks)


def _masking(w, node, layer):
    x = _single_input(w, node)
    source = w.want(x, KERAS)
    mask = w.fresh(f"{layer.name}_mask")
    w.line(f"{mask} = torch.any({source} != {float(layer.mask_value)!r}, dim=-1)")
    w.assign(node, [(f"torch.where({mask}.unsqueeze(-1), {source}, 0.0)", KERAS)], (mask,))


_masking.reads_masks = True


def _rescaling(w, node, layer):
    x = _single_input(w, node)
    scale, offset = layer.scale, layer.offset
    scalar = all(isinstance(v, (int, float)) for v in (scale, offset))
    source = x.name if scalar else w.want(x, KERAS)
    if not scalar:   # per-channel values, broadcast over Keras's last axis
        scale = f"torch.tensor({torch.as_tensor(scale).tolist()!r}, device={source}.device)"
        offset = f"torch.tensor({torch.as_tensor(offset).tolist()!r}, device={source}.device)"
    w.assign(node, [(f"{source} * {scale} + {offset}", x.layout if scalar else KERAS)])


# ---- convolutions and pooling --------------------------------------------------------------------------------

def _spatial_sizes(layer, node, x):
    shape = node.input_tensors[0].shape
    return tuple(shape[1:-1]) if getattr(layer, "data_format", "channels_last") == "channels_last" else tuple(shape[2:])


def _padding(layer, node, x, kernel_size, strides, dilation=None):
    """Torch's ``padding`` argument and the ``F.pad`` to apply first (or None), for Keras's padding."""
    if layer.padding == "valid":
        return "0", None
    if layer.padding == "causal":
        return "0", (layer.dilation_rate[0] * (kernel_size[0] - 1), 0)
    sizes = _spatial_sizes(layer, node, x)
    if all(s == 1 for s in strides):
        if dilation is not None:
            return '"same"', None   # torch's 'same' puts the odd element at the end, as Keras does
        sizes = tuple(k for k in kernel_size)   # with stride 1 the padding does not depend on the size
    if any(size is None for size in sizes):
        raise unsupported(layer, "padding='same' with strides needs the input's spatial sizes, which are unknown")
    paddings = same_paddings(sizes, kernel_size, strides, dilation)
    if all(before == after for before, after in paddings):
        return repr(tuple(before for before, _ in paddings)), None
    return "0", torch_pad_arg(paddings)


def _conv_arguments(layer, in_channels, out_channels, padding, groups, bias):
    """The source of ``nn.ConvNd``'s arguments for ``layer``'s kernel size, strides and dilation, defaults left
    out."""
    arguments = [str(in_channels), str(out_channels), repr(tuple(layer.kernel_size))]
    if any(s != 1 for s in layer.strides):
        arguments.append(f"stride={tuple(layer.strides)!r}")
    if padding != "0":
        arguments.append(f"padding={padding}")
    if any(d != 1 for d in layer.dilation_rate):
        arguments.append(f"dilation={tuple(layer.dilation_rate)!r}")
    if groups != 1:
        arguments.append(f"groups={groups}")
    if not bias:
        arguments.append("bias=False")
    return ", ".join(arguments)


def _torch_kernel(kernel, rank):
    """A Keras kernel ``(*k, in, out)`` in torch's layout ``(out, in, *k)``."""
    return kernel.permute(rank + 1, rank, *range(rank))


def _emit_conv(w, node, layer, x, source, pad, constructor, weights):
    """Add the convolution module, and assign ``node`` its call on the (explicitly padded) input, activated."""
    attribute = w.add_module(layer, constructor, _weights(**weights))
    if pad is not None:
        source = f"F.pad({source}, {pad!r})"
    expression = activation_source(layer.activation, f"{attribute}({source})", x.rank, _native(layer), layer)
    w.assign(node, [(expression, _native(layer))])


def _bias(layer):
    return None if layer.bias is None else layer.bias.detach()


def _conv(w, node, layer):
    x = _single_input(w, node)
    rank = len(layer.kernel_size)
    source = w.want(x, _native(layer))
    kernel = layer.kernel.detach()
    padding, pad = _padding(layer, node, x, layer.kernel_size, layer.strides, layer.dilation_rate)
    arguments = _conv_arguments(layer, kernel.shape[-2] * layer.groups, layer.filters, padding, layer.groups,
                                layer.bias is not None)
    _emit_conv(w, node, layer, x, source, pad, f"nn.Conv{rank}d({arguments})",
               {"weight": _torch_kernel(kernel, rank), "bias": _bias(layer)})


def _depthwise_as_grouped(kernel, rank):
    """A depthwise kernel ``(*k, channels, multiplier)`` as a grouped convolution's ``(*k, 1, channels * m)``."""
    channels, multiplier = kernel.shape[rank], kernel.shape[rank + 1]
    return channels, channels * multiplier, kernel.reshape(*kernel.shape[:rank], 1, channels * multiplier)


def _depthwise_conv(w, node, layer):
    x = _single_input(w, node)
    rank = len(layer.kernel_size)
    source = w.want(x, _native(layer))
    channels, out_channels, merged = _depthwise_as_grouped(layer.kernel.detach(), rank)
    padding, pad = _padding(layer, node, x, layer.kernel_size, layer.strides, layer.dilation_rate)
    arguments = _conv_arguments(layer, channels, out_channels, padding, channels, layer.bias is not None)
    _emit_conv(w, node, layer, x, source, pad, f"nn.Conv{rank}d({arguments})",
               {"weight": _torch_kernel(merged, rank), "bias": _bias(layer)})


def _separable_conv(w, node, layer):
    x = _single_input(w, node)
    rank = len(layer.kernel_size)
    source = w.want(x, _native(layer))
    channels, middle, merged = _depthwise_as_grouped(layer.depthwise_kernel.detach(), rank)
    padding, pad = _padding(layer, node, x, layer.kernel_size, layer.strides, layer.dilation_rate)
    arguments = _conv_arguments(layer, channels, middle, padding, channels, bias=False)
    bias = "" if layer.bias is not None else ", bias=False"
    constructor = (f"nn.Sequential(nn.Conv{rank}d({arguments}), "
                   f"nn.Conv{rank}d({middle}, {layer.filters}, 1{bias}))")
    _emit_conv(w, node, layer, x, source, pad, constructor, {
        "0.weight": _torch_kernel(merged, rank),
        "1.weight": _torch_kernel(layer.pointwise_kernel.detach(), rank),
        "1.bias": _bias(layer)})


def _conv_transpose(w, node, layer):
    x = _single_input(w, node)
    rank = len(layer.kernel_size)
    sizes = _spatial_sizes(layer, node, x)
    if any(size is None for size in sizes):
        raise unsupported(layer, "the input's spatial sizes are unknown")
    output_padding = layer.output_padding or (None,) * rank
    crops = [convolutional._transpose_crop(*args) for args in zip(sizes, layer.kernel_size, layer.strides,
                                                                  (layer.padding,) * rank, output_padding,
                                                                  layer.dilation_rate)]
    torch_output_padding = [before - after for before, after in crops]
    fits = all(0 <= p < max(s, d) for p, s, d in zip(torch_output_padding, layer.strides, layer.dilation_rate))
    if not fits and any(after < 0 for _, after in crops):
        raise unsupported(layer, f"its cropping {crops} has no torch ConvTranspose padding")
    source = w.want(x, _native(layer))
    kernel = layer.kernel.detach()   # (*k, out, in)
    arguments = [str(kernel.shape[-1]), str(kernel.shape[-2]), repr(tuple(layer.kernel_size))]
    if any(s != 1 for s in layer.strides):
        arguments.append(f"stride={tuple(layer.strides)!r}")
    if fits and any(before for before, _ in crops):
        arguments.append(f"padding={tuple(before for before, _ in crops)!r}")
    if fits and any(torch_output_padding):
        arguments.append(f"output_padding={tuple(torch_output_padding)!r}")
    if any(d != 1 for d in layer.dilation_rate):
        arguments.append(f"dilation={tuple(layer.dilation_rate)!r}")
    if layer.bias is None:
        arguments.append("bias=False")
    attribute = w.add_module(layer, f"nn.ConvTranspose{rank}d({', '.join(arguments)})", _weights(
        weight=kernel.permute(rank + 1, rank, *range(rank)), bias=None if layer.bias is None else layer.bias.detach()))
    result = f"{attribute}({source})"
    if not fits:
        # Keras keeps a window of the full transposed convolution that torch's padding arguments cannot select.
        window = ", ".join(f"{before}:{-after if after else ''}" for before, after in crops)
        result = f"{result}[:, :, {window}]"
    expression = activation_source(layer.activation, result, x.rank, _native(layer), layer)
    w.assign(node, [(expression, _native(layer))])


def _pool(w, node, layer):
    x = _single_input(w, node)
    rank = len(layer.pool_size)
    source = w.want(x, _native(layer))
    padding, pad = _padding(layer, node, x, layer.pool_size, layer.strides)
    kind = "Max" if layer.mode == "max" else "Avg"
    arguments = [repr(tuple(layer.pool_size))]
    if tuple(layer.strides) != tuple(layer.pool_size):
        arguments.append(f"stride={tuple(layer.strides)!r}")
    if padding != "0":
        arguments.append(f"padding={padding}")
        if kind == "Avg":
            arguments.append("count_include_pad=False")
    if pad is not None:
        if kind == "Avg":
            raise unsupported(layer, "average pooling with uneven 'same' padding is not supported")
        source = f"F.pad({source}, {pad!r}, value=float('-inf'))"
    attribute = w.add_module(layer, f"nn.{kind}Pool{rank}d({', '.join(arguments)})")
    w.assign(node, [(f"{attribute}({source})", _native(layer))])


def _global_pool(w, node, layer):
    x = _single_input(w, node)
    if x.mask is not None:
        if type(layer) is not pooling.GlobalAveragePooling1D or layer.keepdims:
            raise unsupported(layer, "only GlobalAveragePooling1D without keepdims averages under a mask")
        source = w.want(x, KERAS)
        keep = f"{x.mask}.unsqueeze(-1)"
        w.assign(node, [(f"torch.where({keep}, {source}, 0.0).sum(1) / {keep}.sum(1)", KERAS)])
        return
    spatial = range(1, x.rank - 1) if layer.data_format == "channels_last" else range(2, x.rank)
    dims = tuple(dim_of(axis, x.rank, x.layout) for axis in spatial)
    function = "torch.amax" if layer.mode == "max" else "torch.mean"
    keep = ", keepdim=True" if layer.keepdims else ""
    w.assign(node, [(f"{function}({x.name}, dim={dims!r}{keep})", x.layout)])


# ---- normalization -------------------------------------------------------------------------------------------

_global_pool.reads_masks = True


def _batch_normalization(w, node, layer):
    x = _single_input(w, node)
    axis = layer.axis % x.rank
    if x.rank == 2 and axis == 1:
        layout, kind = KERAS, "1d"
    elif 3 <= x.rank <= 5 and axis in (1, x.rank - 1):
        layout, kind = (TORCH if axis == x.rank - 1 else KERAS), f"{x.rank - 2}d"
    else:
        raise unsupported(layer, f"normalizing axis {layer.axis} of a rank-{x.rank} input is not supported")
    if getattr(layer, "renorm", False) or getattr(layer, "synchronized", False):
        raise unsupported(layer, "renorm and synchronized batch normalization are not supported")
    source = w.want(x, layout)
    mean = layer.moving_mean.detach()
    ones, zeros = torch.ones_like(mean), torch.zeros_like(mean)
    weights = {"weight": layer.gamma.detach() if layer.gamma is not None else ones,
               "bias": layer.beta.detach() if layer.beta is not None else zeros,
               "running_mean": mean, "running_var": layer.moving_variance.detach(),
               "num_batches_tracked": torch.tensor(0)}
    attribute = w.add_module(layer, f"nn.BatchNorm{kind}({mean.shape[0]}, eps={float(layer.epsilon)!r}, "
                                    f"momentum={round(1.0 - float(layer.momentum), 8)!r})", weights)
    w.assign(node, [(f"{attribute}({source})", layout)])


def _layer_normalization(w, node, layer):
    x = _single_input(w, node)
    axes = sorted(a % x.rank for a in (layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]))
    if axes != list(range(x.rank - len(axes), x.rank)) or getattr(layer, "rms_scaling", False):
        raise unsupported(layer, f"only trailing axes are supported (received axis={layer.axis})")
    source = w.want(x, KERAS)
    shape = tuple(node.input_tensors[0].shape[a] for a in axes)
    affine = layer.gamma is not None or layer.beta is not None
    arguments = [repr(shape), f"eps={float(layer.epsilon)!r}"]
    weights = {}
    if not affine:
        arguments.append("elementwise_affine=False")
    else:
        weights["weight"] = layer.gamma.detach() if layer.gamma is not None else torch.ones(shape)
        if layer.beta is None:
            arguments.append("bias=False")
        else:
            weights["bias"] = layer.beta.detach()
    attribute = w.add_module(layer, f"nn.LayerNorm({', '.join(arguments)})", weights)
    w.assign(node, [(f"{attribute}({source})", KERAS)])


_NORMALIZATION_HELPER = '''
class KerasNormalization(nn.Module):
    """Keras's Normalization layer: (x - mean) / max(sqrt(variance), epsilon), or its inverse, with the statistics
    shaped to broadcast over the input as Keras holds it."""

    def __init__(self, shape, epsilon, invert=False):
        super().__init__()
        self.register_buffer("mean", torch.zeros(shape))
        self.register_buffer("variance", torch.ones(shape))
        self.epsilon, self.invert = epsilon, invert

    def forward(self, x):
        scale = torch.clamp(torch.sqrt(self.variance), min=self.epsilon)
        return self.mean + x * scale if self.invert else (x - self.mean) / scale
'''


def _normalization(w, node, layer):
    from kerastorch import backend
    x = _single_input(w, node)
    if layer._mean is None:
        raise unsupported(layer, "it has no statistics yet (adapt it or pass mean and variance)")
    source = w.want(x, KERAS)
    mean, variance = layer._mean.detach(), layer._variance.detach()
    w.add_helper("KerasNormalization", _NORMALIZATION_HELPER)
    attribute = w.add_module(layer, f"KerasNormalization({tuple(mean.shape)!r}, {float(backend.epsilon())!r}"
                                    f"{', invert=True' if layer.invert else ''})", {"mean": mean, "variance": variance})
    w.assign(node, [(f"{attribute}({source})", KERAS)])


# ---- reshaping -----------------------------------------------------------------------------------------------

def _flatten(w, node, layer):
    x = _single_input(w, node)
    source = w.want(x, KERAS)
    if layer.data_format == "channels_first" and x.rank > 2:
        source = f"{source}.movedim(1, -1)"
    w.assign(node, [(f"torch.flatten({source}, 1)", KERAS)])


def _reshape(w, node, layer):
    x = _single_input(w, node)
    source = w.want(x, KERAS)
    target = ", ".join(str(d) for d in layer.target_shape)
    w.assign(node, [(f"{source}.reshape({source}.shape[0], {target})", KERAS)])


def _permute(w, node, layer):
    x = _single_input(w, node)
    source = w.want(x, KERAS)
    w.assign(node, [(f"{source}.permute(0, {', '.join(str(d) for d in layer.dims)})", KERAS)])


def _repeat_vector(w, node, layer):
    x = _single_input(w, node)
    w.assign(node, [(f"{x.name}.unsqueeze(1).expand(-1, {layer.n}, -1)", KERAS)])


def _zero_padding(w, node, layer):
    x = _single_input(w, node)
    source = w.want(x, _native(layer))
    pad = torch_pad_arg([tuple(pair) for pair in layer.padding])
    attribute = w.add_module(layer, f"nn.ZeroPad{x.rank - 2}d({pad!r})")
    w.assign(node, [(f"{attribute}({source})", _native(layer))])


def _cropping(w, node, layer):
    x = _single_input(w, node)
    source = w.want(x, _native(layer))
    window = ", ".join(f"{before}:{-after if after else ''}" for before, after in layer.cropping)
    w.assign(node, [(f"{source}[:, :, {window}]", _native(layer))])


def _upsampling(w, node, layer):
    x = _single_input(w, node)
    if getattr(layer, "interpolation", "nearest") != "nearest":
        raise unsupported(layer, "only interpolation='nearest' is supported")
    source = w.want(x, _native(layer))
    factors = tuple(float(s) for s in layer.size)
    attribute = w.add_module(layer, f"nn.Upsample(scale_factor={factors!r}, mode='nearest')")
    w.assign(node, [(f"{attribute}({source})", _native(layer))])


# ---- merging -------------------------------------------------------------------------------------------------

def _merge_inputs(w, node):
    inputs = w.inputs(node)
    ranks = {v.rank for v in inputs}
    layout = inputs[0].layout if len(ranks) == 1 else KERAS
    return [w.want(v, layout) for v in inputs], layout, inputs[0].rank


def _elementwise(symbol):
    def rule(w, node, layer):
        names, layout, _ = _merge_inputs(w, node)
        w.assign(node, [(f" {symbol} ".join(names), layout)])
    return rule


def _average(w, node, layer):
    names, layout, _ = _merge_inputs(w, node)
    w.assign(node, [(f"({' + '.join(names)}) / {len(names)}", layout)])


def _extreme(function):
    def rule(w, node, layer):
        names, layout, _ = _merge_inputs(w, node)
        source = names[0]
        for name in names[1:]:
            source = f"{function}({source}, {name})"
        w.assign(node, [(source, layout)])
    return rule


def _concatenate(w, node, layer):
    names, layout, rank = _merge_inputs(w, node)
    w.assign(node, [(f"torch.cat([{', '.join(names)}], dim={dim_of(layer.axis, rank, layout)})", layout)])


# ---- attention -----------------------------------------------------------------------------------------------

_ATTENTION_HELPER = '''
class KerasMultiHeadAttention(nn.Module):
    """Keras's MultiHeadAttention over (batch, steps, features) tensors: projections to num_heads heads of
    key_dim (queries, keys) and value_dim (values), scaled dot-product attention, and the output projection."""

    def __init__(self, query_dim, key_in_dim, value_in_dim, num_heads, key_dim, value_dim, output_dim,
                 bias=True, dropout=0.0):
        super().__init__()
        self.num_heads, self.dropout = num_heads, dropout
        self.query = nn.Linear(query_dim, num_heads * key_dim, bias=bias)
        self.key = nn.Linear(key_in_dim, num_heads * key_dim, bias=bias)
        self.value = nn.Linear(value_in_dim, num_heads * value_dim, bias=bias)
        self.output = nn.Linear(num_heads * value_dim, output_dim, bias=bias)

    def forward(self, query, value, key=None, is_causal=False):
        key = value if key is None else key
        heads = lambda t: t.unflatten(-1, (self.num_heads, -1)).transpose(1, 2)  # noqa: E731
        attended = F.scaled_dot_product_attention(
            heads(self.query(query)), heads(self.key(key)), heads(self.value(value)),
            dropout_p=self.dropout if self.training else 0.0, is_causal=is_causal)
        return self.output(attended.transpose(1, 2).flatten(2))
'''


def _multi_head_attention(w, node, layer):
    kwargs = {k: v for k, v in node.call_kwargs.items() if v is not None and k not in ("training",)}
    causal = bool(kwargs.pop("use_causal_mask", False))
    positional = list(node.call_args)
    names = ["query", "value", "key"]
    given = dict(zip(names, positional))
    given.update({k: kwargs.pop(k) for k in names if k in kwargs})
    if kwargs.pop("return_attention_scores", False) or kwargs or getattr(layer, "use_gate", False) or \
            getattr(layer, "sliding_window", None) is not None:
        raise unsupported(layer, f"only query, value, key and use_causal_mask are supported (received "
                                 f"{sorted(set(node.call_kwargs) - {'training'})})")
    if any(len(given[k].shape) != 3 for k in given) or tuple(layer._attention_axes or (1,)) != (1,):
        raise unsupported(layer, "only (batch, steps, features) inputs attended over the steps are supported")
    values = {k: w.value_of(t) for k, t in given.items()}
    sources = {k: w.want(v, KERAS) for k, v in values.items()}
    query, value = given["query"], given["value"]
    key = given.get("key", value)
    heads, key_dim, value_dim = layer.num_heads, layer.key_dim, layer.value_dim
    output_kernel = layer._output_dense.kernel.detach()
    output_dim = output_kernel.shape[-1]
    if output_kernel.dim() != 3:
        raise unsupported(layer, "a multi-axis output_shape is not supported")
    bias = layer._query_dense.bias is not None

    def projection(dense, fan_in):
        weights = {"weight": dense.kernel.detach().reshape(fan_in, -1).t()}
        if dense.bias is not None:
            weights["bias"] = dense.bias.detach().reshape(-1)
        return weights

    weights = {}
    for prefix, dense, tensor in (("query", layer._query_dense, query), ("key", layer._key_dense, key),
                                  ("value", layer._value_dense, value)):
        weights.update({f"{prefix}.{k}": v for k, v in projection(dense, tensor.shape[-1]).items()})
    weights["output.weight"] = output_kernel.reshape(heads * value_dim, output_dim).t()
    if layer._output_dense.bias is not None:
        weights["output.bias"] = layer._output_dense.bias.detach()
    w.add_helper("KerasMultiHeadAttention", _ATTENTION_HELPER)
    attribute = w.add_module(layer, f"KerasMultiHeadAttention({query.shape[-1]}, {key.shape[-1]}, "
                                    f"{value.shape[-1]}, {heads}, {key_dim}, {value_dim}, {output_dim}, "
                                    f"bias={bias}, dropout={float(layer.dropout)!r})", weights)
    arguments = [sources["query"], sources["value"]]
    if "key" in sources:
        arguments.append(f"key={sources['key']}")
    if causal:
        arguments.append("is_causal=True")
    w.assign(node, [(f"{attribute}({', '.join(arguments)})", KERAS)])


# ---- the applications' own layers (found by their class's path: importing the applications costs time) -------

_LAYER_SCALE_HELPER = '''
class KerasLayerScale(nn.Module):
    """ConvNeXt's LayerScale: the input times a learned per-channel scale (channels last)."""

    def __init__(self, channels):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels))

    def forward(self, x):
        return x * self.gamma
'''


def _layer_scale(w, node, layer):
    x = _single_input(w, node)
    source = w.want(x, KERAS)
    w.add_helper("KerasLayerScale", _LAYER_SCALE_HELPER)
    gamma = layer.gamma.detach()
    attribute = w.add_module(layer, f"KerasLayerScale({gamma.shape[0]})", {"gamma": gamma})
    w.assign(node, [(f"{attribute}({source})", KERAS)])


def _stochastic_depth(w, node, layer):
    """A whole sample's branch dropped in training: a dropout drawn once per sample."""
    x = _single_input(w, node)
    w.add_helper("KerasDropout", _DROPOUT_HELPER)
    noise_shape = (None,) + (1,) * (x.rank - 1)
    attribute = w.add_module(layer, f"KerasDropout({float(layer.drop_path_rate)!r}, {noise_shape!r})")
    w.assign(node, [(f"{attribute}({x.name})", x.layout)])


def _custom_scale(w, node, layer):
    """InceptionResNetV2's residual sum: ``inputs[0] + inputs[1] * scale``."""
    names, layout, _ = _merge_inputs(w, node)
    if len(names) != 2:
        raise unsupported(layer, f"it takes two inputs, not {len(names)}")
    w.assign(node, [(f"{names[0]} + {names[1]} * {float(layer.scale)!r}", layout)])


APPLICATION_RULES = {"kerastorch.applications._blocks.LayerScale": _layer_scale,
                     "kerastorch.applications._blocks.StochasticDepth": _stochastic_depth,
                     "kerastorch.applications.inception_resnet_v2.CustomScaleLayer": _custom_scale}


# ---- keras.ops arithmetic in a functional graph (``x + 3.0``, ``x * y``) ---------------------------------------

_OPERATORS = {"Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/", "TrueDivide": "/", "Power": "**"}


def _arithmetic_operand(w, layer, argument):
    if isinstance(argument, (int, float)) and not isinstance(argument, bool):
        return None, repr(argument)
    if hasattr(argument, "_keras_history"):
        return w.value_of(argument), None
    raise unsupported(layer, f"only tensors and Python numbers are supported as operands (received "
                             f"{type(argument).__name__})")


def _operation_arithmetic(w, node, layer):
    if len(node.call_args) != 2 or node.call_kwargs or getattr(layer, "arguments", None):
        raise unsupported(layer, "only two operands and no arguments are supported")
    operands = [_arithmetic_operand(w, layer, argument) for argument in node.call_args]
    values = [value for value, _ in operands if value is not None]
    layout = values[0].layout if len({v.rank for v in values}) == 1 else KERAS
    sources = [constant if value is None else w.want(value, layout) for value, constant in operands]
    w.assign(node, [(f" {_OPERATORS[type(layer).__name__]} ".join(sources), layout)])


def _operation_negative(w, node, layer):
    (x,) = w.inputs(node)
    w.assign(node, [(f"-{x.name}", x.layout)])


OPERATION_RULES = {**{name: _operation_arithmetic for name in _OPERATORS}, "Negative": _operation_negative}


RULES = {
    core.Dense: _dense, core.Activation: _activation, core.Identity: _identity,
    activation_layers.ReLU: _relu, activation_layers.LeakyReLU: _leaky_relu, activation_layers.ELU: _elu,
    activation_layers.Softmax: _softmax,
    regularization.Dropout: _dropout, regularization.SpatialDropout1D: _spatial_dropout,
    regularization.SpatialDropout2D: _spatial_dropout, regularization.SpatialDropout3D: _spatial_dropout,
    embedding.Embedding: _embedding, Rescaling: _rescaling,
    convolutional.Conv1D: _conv, convolutional.Conv2D: _conv, convolutional.Conv3D: _conv,
    convolutional.DepthwiseConv1D: _depthwise_conv, convolutional.DepthwiseConv2D: _depthwise_conv,
    convolutional.SeparableConv1D: _separable_conv, convolutional.SeparableConv2D: _separable_conv,
    convolutional.Conv1DTranspose: _conv_transpose, convolutional.Conv2DTranspose: _conv_transpose,
    convolutional.Conv3DTranspose: _conv_transpose,
    pooling.MaxPooling1D: _pool, pooling.MaxPooling2D: _pool, pooling.MaxPooling3D: _pool,
    pooling.AveragePooling1D: _pool, pooling.AveragePooling2D: _pool, pooling.AveragePooling3D: _pool,
    pooling.GlobalMaxPooling1D: _global_pool, pooling.GlobalMaxPooling2D: _global_pool,
    pooling.GlobalMaxPooling3D: _global_pool, pooling.GlobalAveragePooling1D: _global_pool,
    pooling.GlobalAveragePooling2D: _global_pool, pooling.GlobalAveragePooling3D: _global_pool,
    normalization.BatchNormalization: _batch_normalization,
    normalization.LayerNormalization: _layer_normalization, preprocessing_normalization.Normalization: _normalization,
    reshaping.Flatten: _flatten, reshaping.Reshape: _reshape, reshaping.Permute: _permute,
    reshaping.RepeatVector: _repeat_vector, reshaping.ZeroPadding1D: _zero_padding,
    reshaping.ZeroPadding2D: _zero_padding, reshaping.ZeroPadding3D: _zero_padding,
    reshaping.Cropping1D: _cropping, reshaping.Cropping2D: _cropping, reshaping.Cropping3D: _cropping,
    reshaping.UpSampling1D: _upsampling, reshaping.UpSampling2D: _upsampling, reshaping.UpSampling3D: _upsampling,
    merging.Add: _elementwise("+"), merging.Subtract: _elementwise("-"), merging.Multiply: _elementwise("*"),
    merging.Average: _average, merging.Maximum: _extreme("torch.maximum"), merging.Minimum: _extreme("torch.minimum"),
    merging.Concatenate: _concatenate,
    lstm.LSTM: _recurrent, gru.GRU: _recurrent, simple_rnn.SimpleRNN: _recurrent, Bidirectional: _bidirectional,
    multi_head_attention.MultiHeadAttention: _multi_head_attention,
}
RULES[core.Masking] = _masking
RULES[TimeDistributed] = _time_distributed
RULES = {cls.__name__: (cls, rule) for cls, rule in RULES.items()}
# Layers that hand their input's mask on unchanged (Keras's supports_masking), and those that read one.
MASK_PASSING = {"Dense", "Activation", "Dropout", "SpatialDropout1D", "LayerNormalization", "BatchNormalization",
                "ReLU", "LeakyReLU", "ELU", "Identity", "TimeDistributed"}
MASK_READERS = sorted(name for name, (_, rule) in RULES.items() if getattr(rule, "reads_masks", False))


def rule_for(layer):
    """The rule that writes ``layer``, or a ValueError naming its class and the supported ones."""
    entry = RULES.get(type(layer).__name__)
    if not isinstance(layer, Layer):
        if type(layer).__module__.startswith("kerastorch.ops") and type(layer).__name__ in OPERATION_RULES:
            return OPERATION_RULES[type(layer).__name__]
        raise ValueError(f"The operation '{layer.name}' (keras.ops {type(layer).__name__}) has no PyTorch source "
                         f"counterpart in kerastorch's export: only layers and the arithmetic operations "
                         f"{sorted(OPERATION_RULES)} convert (supported layers: {', '.join(sorted(RULES))}). Write "
                         f"it as a layer, e.g. Activation or a merging layer.")
    application_rule = APPLICATION_RULES.get(f"{type(layer).__module__}.{type(layer).__qualname__}")
    if application_rule is not None:
        return application_rule
    if entry is None or type(layer) is not entry[0]:
        raise ValueError(f"Layer '{layer.name}' of class {type(layer).__name__} has no PyTorch source "
                         f"counterpart in kerastorch's export. Supported layers: {', '.join(sorted(RULES))}.")
    return entry[1]
