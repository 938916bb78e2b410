"""`GroupedQueryAttention` (Keras's `GroupQueryAttention`): fewer key/value heads than query heads."""
import math

from kerastorch import registry
from kerastorch.keras_tensor import KerasTensor
from kerastorch.layers.activations import Softmax
from kerastorch.layers.attention import _attention_ops as ops
from kerastorch.layers.attention import _shared as shared
from kerastorch.layers.einsum_dense import EinsumDense
from kerastorch.layers.layer import Layer
from kerastorch.layers.regularization import Dropout


class GroupedQueryAttention(Layer):
    """Grouped-query attention (Ainslie et al., 2023): ``num_query_heads`` query heads share
    ``num_key_value_heads`` key/value heads, each key/value head serving ``num_query_heads //
    num_key_value_heads`` consecutive query heads. Runs on ``scaled_dot_product_attention`` (its grouped-query
    mode, without copying the shared heads) unless the scores are asked for.

    Args:
        head_dim: the size of each head.
        num_query_heads: the number of query heads.
        num_key_value_heads: the number of key and value heads; it must divide ``num_query_heads``.
        dropout: the dropout rate of the attention probabilities (in training).
        use_bias: whether the projections have biases.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, bias_constraint: for the projections.
        seed: seeds the dropout.

    Call arguments: as `MultiHeadAttention`'s (query ``(B, T, dim)``, value ``(B, S, dim)``, key, the masks,
    return_attention_scores, training, use_causal_mask).

    Output shape: ``(B, T, dim)``; the scores are ``(B, num_query_heads, T, S)``.
    Weights: ``query/kernel`` ``(dim, num_query_heads, head_dim)``, ``key/kernel`` and ``value/kernel``
    ``(dim, num_key_value_heads, head_dim)``, ``attention_output/kernel`` ``(num_query_heads, head_dim, dim)``,
    each with a bias.

    >>> layer = GroupedQueryAttention(head_dim=8, num_query_heads=4, num_key_value_heads=2)
    >>> x = torch.zeros(2, 10, 16)
    >>> layer(x, x).shape
    torch.Size([2, 10, 16])
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        name = type(self).__name__
        self.head_dim = shared.positive_int(name, head_dim, "head_dim")
        self.num_query_heads = shared.positive_int(name, num_query_heads, "num_query_heads")
        self.num_key_value_heads = shared.positive_int(name, num_key_value_heads, "num_key_value_heads")
        if self.num_query_heads % self.num_key_value_heads:
            raise ValueError(f"{name}: `num_query_heads` must be divisible by `num_key_value_heads` (each key/value "
                             f"head serves the same number of query heads). Received: num_query_heads="
                             f"{num_query_heads}, num_key_value_heads={num_key_value_heads}")
        dropout = shared.checked_options(name, dropout, sliding_window, use_gate)
        super().__init__(**kwargs)
        self.supports_masking = True
        self.num_repeats = self.num_query_heads // self.num_key_value_heads
        self.dropout = self._dropout = dropout
        self.use_bias = use_bias
        self._flash_attention = flash_attention
        shared.set_projection_arguments(self, kernel_initializer, bias_initializer, kernel_regularizer,
                                        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint)
        self.seed = seed
        self._scale = 1.0 / math.sqrt(float(self.head_dim))

    kernel_initializer = property(lambda self: self._kernel_initializer)
    bias_initializer = property(lambda self: self._bias_initializer)
    kernel_regularizer = property(lambda self: self._kernel_regularizer)
    bias_regularizer = property(lambda self: self._bias_regularizer)
    kernel_constraint = property(lambda self: self._kernel_constraint)
    bias_constraint = property(lambda self: self._bias_constraint)

    def build(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape = shared.build_shapes(self, "GroupedQueryAttention", query_shape, value_shape,
                                                                  key_shape)
        for argument, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(f"Layer '{self.name}' (GroupedQueryAttention): `{argument}` must have the shape "
                                 f"(batch_size, steps, features) with known features. Received: {argument}.shape="
                                 f"{shape}")
        self.feature_dim = query_shape[-1]
        def projection(equation, output_shape, bias_axes, name):
            return EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes if self.use_bias else None,
                               name=name, **shared.common_sublayer_kwargs(self))

        heads, key_value_heads = (None, self.num_query_heads, self.head_dim), \
            (None, self.num_key_value_heads, self.head_dim)
        self._query_dense = projection("bqm,muh->bquh", heads, "uh", "query")
        self._key_dense = projection("bkm,mvh->bkvh", key_value_heads, "vh", "key")
        self._value_dense = projection("bkm,mvh->bkvh", key_value_heads, "vh", "value")
        self._softmax = Softmax(axis=-1, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self._dropout, seed=self.seed, dtype=self.dtype_policy)
        self._output_dense = projection("bquh,uhm->bqm", (None, self.feature_dim), "m", "attention_output")
        self._query_dense.build(query_shape)
        self._key_dense.build(key_shape)
        self._value_dense.build(value_shape)
        self._output_dense.build((None, None, self.num_query_heads, self.head_dim))
        shared.nest_weight_paths(self, (self._query_dense, self._key_dense, self._value_dense, self._output_dense))
        self.built = True

    get_build_config = shared.shapes_build_config
    build_from_config = shared.build_from_shapes_config

    def __call__(self, *args, **kwargs):
        args, kwargs = shared.call_with_shapes(self, args, kwargs, ("query", "value", "key"))
        return super().__call__(*args, **kwargs)

    def uses_fused_kernel(self, return_attention_scores=False):
        """Whether a call runs on ``scaled_dot_product_attention`` (else on explicit einsums and a softmax)."""
        return not return_attention_scores

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        if key is None:
            key = value
        if not query.shape[0] == value.shape[0] == key.shape[0] or value.shape[1] != key.shape[1]:
            raise ValueError(f"Layer '{self.name}' (GroupedQueryAttention): `query`, `value` and `key` must have the "
                             f"same batch size, and `value` and `key` the same steps. Received: query.shape="
                             f"{tuple(query.shape)}, value.shape={tuple(value.shape)}, key.shape={tuple(key.shape)}")
        ops.check_input_masks(self, query=(query_mask, query), value=(value_mask, value), key=(key_mask, key))
        ops.check_attention_mask(self, attention_mask, (query.shape[0], query.shape[1], value.shape[1]))
        mask, causal_only = ops.attention_mask_of(query, value, query_mask, value_mask, key_mask, attention_mask,
                                                  use_causal_mask)
        output, scores = ops.multi_head_attention(
            self, self._query_dense(query), self._key_dense(key), self._value_dense(value), mask, causal_only,
            training, fused=self.uses_fused_kernel(return_attention_scores))
        output = self._output_dense(output)
        return (output, scores) if return_attention_scores else output

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(f"Layer '{self.name}' (GroupedQueryAttention): the last dimension of `query_shape` and "
                             f"`value_shape` must be equal, but are {query_shape[-1]}, {value_shape[-1]}. Received: "
                             f"query_shape={query_shape}, value_shape={value_shape}")
        shared.check_key_value_shapes(self, value_shape, key_shape)
        return query_shape

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
                            attention_mask=None, return_attention_scores=False, training=None,
                            use_causal_mask=False):
        shape = self.compute_output_shape(query.shape, value.shape, None if key is None else key.shape)
        output = KerasTensor(shape, self.compute_dtype)
        if not return_attention_scores:
            return output
        source = (value if key is None else key).shape[1]
        return output, KerasTensor((query.shape[0], self.num_query_heads, query.shape[1], source),
                                   self.compute_dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": False,
            "sliding_window": None,
            "dropout": self._dropout,
            **shared.projection_config(self),
            "seed": self.seed,
        }

    def extra_repr(self):
        return (f"name={self.name!r}, head_dim={self.head_dim}, num_query_heads={self.num_query_heads}, "
                f"num_key_value_heads={self.num_key_value_heads}" + (f", dropout={self._dropout}"
                                                                      if self._dropout else ""))

    # Keras exports the class as GroupQueryAttention and writes that name in its configs.
    _keras_class_name = "GroupQueryAttention"


GroupQueryAttention = GroupedQueryAttention
registry.register_builtin(GroupedQueryAttention, "layers", names=("GroupedQueryAttention", "GroupQueryAttention"))
