"""`MultiHeadAttention`, with Keras's weights (four EinsumDense projections) on ``scaled_dot_product_attention``."""
import math
import numbers

from kerastorch.keras_tensor import KerasTensor
from kerastorch.layers.activations import Softmax
from kerastorch.layers.attention import _attention_ops as ops
from kerastorch.layers.attention import _shared as shared
from kerastorch.layers.einsum_dense import EinsumDense
from kerastorch.layers.layer import Layer
from kerastorch.layers.regularization import Dropout


def projection_equation(free_axes, contracted_axes, output_axes):
    """``(equation, bias_axes)`` of a projection that keeps ``free_axes`` leading axes, contracts the next
    ``contracted_axes`` with the kernel's first axes and appends the kernel's ``output_axes`` other axes."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    free = letters[:free_axes]
    contracted = letters[free_axes:free_axes + contracted_axes]
    produced = letters[free_axes + contracted_axes:free_axes + contracted_axes + output_axes]
    return f"{free}{contracted},{contracted}{produced}->{free}{produced}", produced


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
        self._num_heads = shared.positive_int(name, num_heads, "num_heads")
        self._key_dim = shared.positive_int(name, key_dim, "key_dim")
        value_dim = shared.positive_int(name, value_dim, "value_dim", optional=True)
        dropout = shared.checked_options(name, dropout, sliding_window, use_gate)
        super().__init__(**kwargs)
        self.supports_masking = True
        self._value_dim = value_dim or self._key_dim
        self._dropout = dropout
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
        shared.set_projection_arguments(self, kernel_initializer, bias_initializer, kernel_regularizer,
                                        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint)
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
        query_shape, value_shape, key_shape = shared.build_shapes(self, "MultiHeadAttention", query_shape, value_shape,
                                                                  key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        rank = len(query_shape)

        def projection(contracted_axes, output_shape, name):
            # Each projection gets its own copy of the initializers, as in Keras.
            equation, bias_axes = projection_equation(rank - 1, contracted_axes, len(output_shape))
            return EinsumDense(equation, output_shape=[None] * (rank - 2) + list(output_shape),
                               bias_axes=bias_axes if self._use_bias else None, name=name,
                               **shared.common_sublayer_kwargs(self))

        self.query_dense = projection(1, (self._num_heads, self._key_dim), "query")
        self.key_dense = projection(1, (self._num_heads, self._key_dim), "key")
        self.value_dense = projection(1, (self._num_heads, self._value_dim), "value")
        self.output_dense = projection(2, self._output_shape or (query_shape[-1],), "attention_output")
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
        shared.nest_weight_paths(self, (self.query_dense, self.key_dense, self.value_dense, self.output_dense))
        self.built = True

    def _check_shapes(self, query_shape, value_shape, key_shape):
        where = f"Layer '{self.name}' ({type(self).__name__})"
        shared.check_key_value_shapes(self, value_shape, key_shape)
        if len(query_shape) < 3 or len(query_shape) != len(value_shape):
            raise ValueError(f"{where}: `query` and `value` must have the same rank, at least 3 (batch, steps..., "
                             f"features). Received: query_shape={query_shape} and value_shape={value_shape}")
        if None not in (query_shape[0], value_shape[0]) and query_shape[0] != value_shape[0]:
            raise ValueError(f"{where}: `query` and `value` must have the same batch size. Received: "
                             f"query_shape={query_shape} and value_shape={value_shape}")
        if query_shape[-1] is None or value_shape[-1] is None or key_shape[-1] is None:
            raise ValueError(f"{where}: the last dimension of `query`, `value` and `key` must be defined. Received: "
                             f"query_shape={query_shape}, value_shape={value_shape}, key_shape={key_shape}")

    get_build_config = shared.shapes_build_config
    build_from_config = shared.build_from_shapes_config

    # ---- calling ---------------------------------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        args, kwargs = shared.call_with_shapes(self, args, kwargs, ("query", "value", "key"))
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
        if query.shape[0] != value.shape[0] or query.dim() != value.dim() or value.shape[1:-1] != key.shape[1:-1]:
            self._check_shapes(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        # As Keras 3.15: the query's own mask (not the argument) hides query steps. Keras's eager call also takes
        # the masks off the input tensors, but its functional models still give them to later layers (the masks
        # are nodes of the graph there): kerastorch leaves them on, as in the functional case.
        query_mask = getattr(query, "_keras_mask", None)
        ops.check_input_masks(self, query=(query_mask, query), value=(value_mask, value), key=(key_mask, key))
        axes = self._attention_axes
        others = [query.shape[a] for a in range(query.dim() - 1) if a not in axes]
        ops.check_attention_mask(self, attention_mask, others + [query.shape[a] for a in axes]
                                 + [value.shape[a] for a in axes], len(axes))
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
        shared.check_key_value_shapes(self, value_shape, value_shape if key_shape is None else key_shape)
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
            **shared.projection_config(self),
            "seed": self.seed,
        }

    def extra_repr(self):
        extra = f", value_dim={self._value_dim}" if self._value_dim != self._key_dim else ""
        extra += f", dropout={self._dropout}" if self._dropout else ""
        return f"name={self.name!r}, num_heads={self._num_heads}, key_dim={self._key_dim}" + extra
