"""`MultiHeadAttention`, with Keras's weights (four EinsumDense projections) on ``scaled_dot_product_attention``."""
import math
import numbers

import torch

from kerastorch import constraints, initializers, regularizers
from kerastorch.keras_tensor import KerasTensor
from kerastorch.layers.activations import Softmax
from kerastorch.layers.attention import _attention_ops as ops
from kerastorch.layers.einsum_dense import EinsumDense
from kerastorch.layers.layer import Layer, shape_of
from kerastorch.layers.regularization import Dropout


def positive_int(layer_class, value, argument, optional=False):
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{layer_class}: received an invalid value for argument `{argument}`, expected a positive "
                         f"integer{' or None' if optional else ''}. Received: {argument}={value!r}")
    return int(value)


def projection_equation(free_axes, contracted_axes, output_axes):
    """``(equation, bias_axes)`` of a projection that keeps ``free_axes`` leading axes, contracts the next
    ``contracted_axes`` with the kernel's first axes and appends the kernel's ``output_axes`` other axes."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    free = letters[:free_axes]
    contracted = letters[free_axes:free_axes + contracted_axes]
    produced = letters[free_axes + contracted_axes:free_axes + contracted_axes + output_axes]
    return f"{free}{contracted},{contracted}{produced}->{free}{produced}", produced


def drop_input_masks(*tensors):
    """Keras's attention layers take their inputs' masks off the input tensors (they are used here, and a
    residual connection after the layer sees no mask)."""
    for tensor in tensors:
        if isinstance(tensor, torch.Tensor) and getattr(tensor, "_keras_mask", None) is not None:
            tensor._keras_mask = None


def common_sublayer_kwargs(layer):
    """The arguments every projection of an attention layer shares: each gets its own copy of the initializers."""
    return dict(kernel_initializer=initializers.get(initializers.serialize(layer._kernel_initializer)),
                bias_initializer=initializers.get(initializers.serialize(layer._bias_initializer)),
                kernel_regularizer=layer._kernel_regularizer, bias_regularizer=layer._bias_regularizer,
                activity_regularizer=layer._activity_regularizer, kernel_constraint=layer._kernel_constraint,
                bias_constraint=layer._bias_constraint, dtype=layer.dtype_policy)


def call_with_shapes(layer, args, kwargs, names):
    """``(args, kwargs)`` with ``query``/``value``/``key`` given by keyword moved to their positions, after
    building ``layer`` from the shapes of all three (Layer's own build sees only the first input)."""
    args = list(args)
    for position, name in enumerate(names):
        if name in kwargs:
            if len(args) > position:
                raise TypeError(f"{type(layer).__name__}() got multiple values for argument '{name}'")
            while len(args) < position:
                args.append(None)
            args.append(kwargs.pop(name))
    if len(args) < 2 or args[0] is None or args[1] is None:
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}) must be called with `query` and `value` "
                         f"(and optionally `key`). Received: {len([a for a in args if a is not None])} of them.")
    while len(args) > 2 and args[-1] is None:
        args.pop()
    if not layer.built:
        shapes = [None if a is None else tuple(shape_of(a)) for a in args[:3]]
        layer._build_shapes = dict(zip(("query_shape", "value_shape", "key_shape"), shapes))
        layer.build(*shapes)
        layer.built = True
    return tuple(args), kwargs


def shapes_build_config(layer):
    """Keras's build config of a layer built from several inputs: ``{"shapes_dict": {"query_shape": ...}}``."""
    if not layer.built or not isinstance(layer._build_shapes, dict):
        return None
    return {"shapes_dict": {k: v for k, v in layer._build_shapes.items() if v is not None}}


def build_from_shapes_config(layer, config):
    shapes = (config or {}).get("shapes_dict") or {}
    if not layer.built and shapes.get("query_shape") is not None:
        layer._build_shapes = {k: tuple(v) for k, v in shapes.items()}
        layer.build(*(shapes.get(k) for k in ("query_shape", "value_shape", "key_shape")))
        layer.built = True


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017): ``query`` attends to ``key`` and reads ``value``.

    The inputs are projected to ``num_heads`` heads (EinsumDense layers ``query``, ``key``, ``value``), each head
    computes ``softmax(q k^T / sqrt(key_dim)) v``, and the heads are projected back (``attention_output``). The
    attention runs on ``torch.nn.functional.scaled_dot_product_attention`` unless the scores are asked for or the
    attention spans more than one axis (then explicit einsums and a softmax).

    Args:
        num_heads: the number of heads.
        key_dim: the size of each head for query and key.
        value_dim: the size of each head for value (default ``key_dim``).
        dropout: the dropout rate of the attention probabilities (in training).
        use_bias: whether the projections have biases.
        output_shape: the output's last axes (an int or tuple); default the query's last axis.
        attention_axes: the axes attention runs over (default every axis but batch, heads and features).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, bias_constraint: for the projections.
        seed: seeds the dropout.

    Call arguments:
        query ``(B, T, dim)``, value ``(B, S, dim_v)``, key ``(B, S, dim_k)`` (default ``value``);
        attention_mask: booleans ``(B, T, S)``, True where a query step may attend to a key step;
        return_attention_scores: also return the scores ``(B, num_heads, T, S)``;
        training: whether dropout applies; use_causal_mask: step ``t`` attends only to steps ``<= t``.
        The inputs' masks (``_keras_mask``) hide query and key steps too.

    Output shape: ``(B, T, dim)``, or ``(B, T) + output_shape``.
    Weights: ``query/kernel`` ``(dim, num_heads, key_dim)``, ``key/kernel`` ``(dim_k, num_heads, key_dim)``,
    ``value/kernel`` ``(dim_v, num_heads, value_dim)``, ``attention_output/kernel``
    ``(num_heads, value_dim, dim)``, each with a bias.

    >>> layer = MultiHeadAttention(num_heads=2, key_dim=8)
    >>> x = torch.zeros(4, 10, 16)
    >>> layer(x, x).shape
    torch.Size([4, 10, 16])
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        name = type(self).__name__
        self._num_heads = positive_int(name, num_heads, "num_heads")
        self._key_dim = positive_int(name, key_dim, "key_dim")
        value_dim = positive_int(name, value_dim, "value_dim", optional=True)
        if sliding_window is not None or use_gate:
            raise NotImplementedError(f"{name}(sliding_window=..., use_gate=True) is not supported by kerastorch yet.")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
            raise ValueError(f"{name}: `dropout` must be a number in [0, 1). Received: dropout={dropout!r}")
        super().__init__(**kwargs)
        self.supports_masking = True
        self._value_dim = value_dim or self._key_dim
        self._dropout = float(dropout)
        self._use_bias = use_bias
        if output_shape:
            if isinstance(output_shape, numbers.Integral):
                output_shape = (int(output_shape),)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(f"Layer '{self.name}' (MultiHeadAttention): invalid `output_shape`: "
                                 f"{output_shape!r}. When specified, it should be a tuple, a list or an int.") from None
        self._output_shape = output_shape or None
        if isinstance(attention_axes, numbers.Integral):
            attention_axes = (int(attention_axes),)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"Layer '{self.name}' (MultiHeadAttention): `attention_axes` must be an int, list, or "
                             f"tuple. Received: attention_axes={attention_axes!r}")
        self._attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._scale = 1.0 / math.sqrt(float(self._key_dim))

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    # Keras's private names of the projections (its saved files use the public ones).
    _query_dense = property(lambda self: self.query_dense)
    _key_dense = property(lambda self: self.key_dense)
    _value_dense = property(lambda self: self.value_dense)
    _output_dense = property(lambda self: self.output_dense)

    # ---- building --------------------------------------------------------------------------------------------

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None:
            raise ValueError(f"Layer '{self.name}' (MultiHeadAttention) is built from the shapes of `query` and "
                             f"`value`. Received: query_shape={query_shape} and no value_shape.")
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        rank = len(query_shape)
        common = common_sublayer_kwargs(self)
        heads = lambda size: dict(output_shape=[None] * (rank - 2) + [self._num_heads, size])  # noqa: E731
        equation, bias_axes = projection_equation(rank - 1, 1, 2)
        bias_axes = bias_axes if self._use_bias else None
        self.query_dense = EinsumDense(equation, bias_axes=bias_axes, name="query", **heads(self._key_dim), **common)
        self.key_dense = EinsumDense(equation, bias_axes=bias_axes, name="key", **heads(self._key_dim), **common)
        self.value_dense = EinsumDense(equation, bias_axes=bias_axes, name="value", **heads(self._value_dim),
                                       **common)
        output_shape = self._output_shape or (query_shape[-1],)
        equation, bias_axes = projection_equation(rank - 1, 2, len(output_shape))
        self.output_dense = EinsumDense(equation, output_shape=[None] * (rank - 2) + list(output_shape),
                                        bias_axes=bias_axes if self._use_bias else None, name="attention_output",
                                        **common_sublayer_kwargs(self))
        self.query_dense.build(query_shape)
        self.key_dense.build(key_shape)
        self.value_dense.build(value_shape)
        self.output_dense.build(self.query_dense.compute_output_shape(query_shape)[:-1] + (self._value_dim,))
        # Weightless, as in Keras's layer (their empty groups keep a saved file's layout the same).
        self._softmax = Softmax(axis=-1, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self._dropout, seed=self.seed, dtype=self.dtype_policy)
        projected_rank = rank + 1
        axes = self._attention_axes if self._attention_axes is not None else tuple(range(1, projected_rank - 2))
        self._attention_axes = tuple(a if a >= 0 else projected_rank - 1 + a for a in axes)
        self._scores_equation, self._combine_equation = ops.attention_equations(projected_rank,
                                                                                self._attention_axes)
        # The fused kernel takes one attention axis of a rank-3 input; other layouts use the einsums.
        self._fused = rank == 3 and self._attention_axes == (1,)
        for sublayer in (self.query_dense, self.key_dense, self.value_dense, self.output_dense):
            for weight in sublayer.weights:
                weight._keras_path = f"{self.name}/{sublayer.name}/{weight.name}"
        self.built = True

    def _check_shapes(self, query_shape, value_shape, key_shape):
        where = f"Layer '{self.name}' ({type(self).__name__})"
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(f"{where}: all dimensions of `value` and `key`, except the last one, must be equal. "
                             f"Received: value_shape={value_shape} and key_shape={key_shape}")
        if len(query_shape) < 3 or len(query_shape) != len(value_shape):
            raise ValueError(f"{where}: `query` and `value` must have the same rank, at least 3 (batch, steps..., "
                             f"features). Received: query_shape={query_shape} and value_shape={value_shape}")
        for axis, (q, v) in enumerate(zip(query_shape, value_shape)):
            if axis in (0,) and q is not None and v is not None and q != v:
                raise ValueError(f"{where}: `query` and `value` must have the same batch size. Received: "
                                 f"query_shape={query_shape} and value_shape={value_shape}")
        if query_shape[-1] is None or value_shape[-1] is None or key_shape[-1] is None:
            raise ValueError(f"{where}: the last dimension of `query`, `value` and `key` must be defined. Received: "
                             f"query_shape={query_shape}, value_shape={value_shape}, key_shape={key_shape}")

    get_build_config = lambda self: shapes_build_config(self)  # noqa: E731
    build_from_config = lambda self, config: build_from_shapes_config(self, config)  # noqa: E731

    # ---- calling ---------------------------------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        args, kwargs = call_with_shapes(self, args, kwargs, ("query", "value", "key"))
        return super().__call__(*args, **kwargs)

    def uses_fused_kernel(self, return_attention_scores=False):
        """Whether a call runs on ``scaled_dot_product_attention`` (else on explicit einsums and a softmax): known
        once the layer is built, as it depends on the inputs' rank."""
        if not self.built:
            raise ValueError(f"Layer '{self.name}' (MultiHeadAttention) is not built yet: which path it takes depends "
                             f"on the rank of its inputs. Call it once (or build it) first.")
        return self._fused and not return_attention_scores

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        if key is None:
            key = value
        # As Keras 3.15: the query's own mask (not the argument) hides query steps; the masks leave the inputs.
        query_mask = getattr(query, "_keras_mask", None)
        drop_input_masks(query, value, key)
        if self._fused:
            ops.check_attention_mask(self, attention_mask, (query.shape[0], query.shape[1], value.shape[1]))
        mask, causal_only = ops.attention_mask_of(query, value, query_mask, value_mask, key_mask, attention_mask,
                                                  use_causal_mask)
        output, scores = ops.multi_head_attention(
            self, self.query_dense(query), self.key_dense(key), self.value_dense(value), mask, causal_only, training,
            fused=self.uses_fused_kernel(return_attention_scores),
            equations=(self._scores_equation, self._combine_equation), axes_count=len(self._attention_axes))
        output = self.output_dense(output)
        if query_mask is not None:
            output._keras_mask = query_mask
        return (output, scores) if return_attention_scores else output

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(f"Layer '{self.name}' (MultiHeadAttention): all dimensions of `value` and `key`, except "
                             f"the last one, must be equal. Received: value_shape={value_shape} and "
                             f"key_shape={key_shape}")
        return query_shape[:-1] + tuple(self._output_shape) if self._output_shape else query_shape

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
                            attention_mask=None, return_attention_scores=False, training=None,
                            use_causal_mask=False):
        shape = self.compute_output_shape(query.shape, value.shape, None if key is None else key.shape)
        output = KerasTensor(shape, self.compute_dtype)
        if not return_attention_scores:
            return output
        query_axes = [query.shape[a] for a in self._attention_axes]
        key_axes = [(key if key is not None else value).shape[a] for a in self._attention_axes]
        batch = [query.shape[a] for a in range(len(query.shape)) if a not in self._attention_axes][:-1]
        return output, KerasTensor(tuple(batch[:1]) + (self._num_heads,) + tuple(batch[1:]) + tuple(query_axes)
                                   + tuple(key_axes), self.compute_dtype)

    # ---- configuration ---------------------------------------------------------------------------------------

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": False,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "sliding_window": None,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        }

    def extra_repr(self):
        extra = f", value_dim={self._value_dim}" if self._value_dim != self._key_dim else ""
        extra += f", dropout={self._dropout}" if self._dropout else ""
        return f"name={self.name!r}, num_heads={self._num_heads}, key_dim={self._key_dim}" + extra
