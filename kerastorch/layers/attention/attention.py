"""`Attention` (Luong-style dot-product or concat scores) and `AdditiveAttention` (Bahdanau-style scores)."""
import torch
import torch.nn.functional as F

from kerastorch.keras_tensor import KerasTensor
from kerastorch.layers.attention import _attention_ops as ops
from kerastorch.layers.layer import Layer


class Attention(Layer):
    """Dot-product attention: ``softmax(scores(query, key)) @ value``, with ``query`` ``(B, T, dim)``, ``value``
    ``(B, S, dim_v)`` and ``key`` ``(B, S, dim)`` (default ``value``).

    Args:
        use_scale: multiply the scores by a trainable scalar ``scale`` (initially 1).
        score_mode: ``"dot"`` (``query @ key^T``) or ``"concat"`` (``sum(tanh(query + key))`` over features,
            times a trainable scalar ``concat_score_weight``).
        dropout: the dropout rate of the attention probabilities (in training).
        seed: seeds the dropout.

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]``.
        mask: ``[query_mask, value_mask]`` (from the inputs' masks by default): value steps the value mask hides
            get no attention, query steps the query mask hides give zeros.
        return_attention_scores: also return the attention probabilities ``(B, T, S)``.
        training: whether dropout applies. use_causal_mask: step ``t`` attends only to steps ``<= t``.

    Output shape: ``(B, T, dim_v)``; the output carries the query's mask.
    Dot scores without the scores returned run on ``scaled_dot_product_attention``.
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): invalid value for argument score_mode. "
                             f"Expected one of {{'dot', 'concat'}}. Received: score_mode={score_mode!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): `dropout` must be a number in [0, 1). "
                             f"Received: dropout={dropout!r}")
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self._generator = None
        self.supports_masking = True

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = self.add_weight(name="scale", shape=(), initializer="ones") if self.use_scale else None
        self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(), initializer="ones") \
            if self.score_mode == "concat" else None
        self.built = True

    def _validate_inputs(self, inputs, mask=None):
        where = f"Layer '{self.name}' ({type(self).__name__})"
        single_shape = isinstance(inputs, (list, tuple)) and all(d is None or isinstance(d, int) for d in inputs)
        if not isinstance(inputs, (list, tuple)) or single_shape:
            raise ValueError(f"{where} must be called on a list of inputs, namely [query, value] or [query, value, "
                             f"key]. Received: inputs={inputs!r}.")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{where} accepts inputs list of length 2 or 3, namely [query, value] or [query, value, "
                             f"key]. Received length: {len(inputs)}.")
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            raise ValueError(f"{where}: the mask must be a list [query_mask, value_mask]. Received: mask={mask!r}.")
        shapes = [tuple(x) if isinstance(x, (list, tuple)) else tuple(x.shape) for x in inputs]
        query, value = shapes[0], shapes[1]
        key = shapes[2] if len(shapes) > 2 else value
        if key[-2] is not None and value[-2] is not None and key[-2] != value[-2]:
            raise ValueError(f"{where}: `key` and `value` must have the same number of steps. Received: "
                             f"value shape {value} and key shape {key}.")
        if self._scores_need_equal_features and None not in (query[-1], key[-1]) and query[-1] != key[-1]:
            raise ValueError(f"{where}: `query` and `key` must have the same last dimension to be scored. Received: "
                             f"query shape {query} and key shape {key}.")

    _scores_need_equal_features = True

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = torch.matmul(query, key.transpose(-2, -1))
            return scores * self.scale if self.scale is not None else scores
        pairs = query.unsqueeze(-2) + key.unsqueeze(-3)
        if self.scale is not None:
            pairs = self.scale * pairs
        return self.concat_score_weight * torch.tanh(pairs).sum(-1)

    def uses_fused_kernel(self, return_attention_scores=False):
        """Whether a call runs on ``scaled_dot_product_attention`` (else explicit scores and a softmax)."""
        return type(self)._calculate_scores is Attention._calculate_scores and self.score_mode == "dot" \
            and not return_attention_scores

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        scores_mask = None if value_mask is None else value_mask.bool().unsqueeze(-2)
        if use_causal_mask:
            causal = ops.causal_mask(query.shape[-2], key.shape[-2], query.device)
            scores_mask = causal if scores_mask is None else scores_mask & causal
        dropout = self.dropout if training else 0.0
        # Keras subtracts a large number from the hidden scores (a row hidden entirely keeps its softmax).
        large = 65504.0 if query.dtype == torch.float16 else 1.0e9
        if self.uses_fused_kernel(return_attention_scores):
            bias = None if scores_mask is None else \
                torch.zeros(scores_mask.shape, dtype=query.dtype, device=query.device).masked_fill_(~scores_mask,
                                                                                                    -large)
            scaled = query * self.scale if self.scale is not None else query
            output = F.scaled_dot_product_attention(scaled, key, value, attn_mask=bias, dropout_p=dropout, scale=1.0)
            weights = None
        else:
            scores = self._calculate_scores(query=query, key=key)
            if scores_mask is not None:
                scores = torch.where(scores_mask, scores, scores - large)
            weights = torch.softmax(scores, dim=-1)
            dropped = weights
            if dropout:
                keep = torch.rand(weights.shape, generator=self._seeded_generator(weights.device),
                                  device=weights.device) >= dropout
                dropped = weights * keep / (1.0 - dropout)
            output = torch.matmul(dropped, value)
        if query_mask is not None:
            output = torch.where(query_mask.bool().unsqueeze(-1), output, torch.zeros((), dtype=output.dtype,
                                                                                      device=output.device))
        return (output, weights) if return_attention_scores else output

    def _seeded_generator(self, device):
        if self.seed is None:
            return None
        if self._generator is None or self._generator.device != device:
            self._generator = torch.Generator(device=device)
            self._generator.manual_seed(int(self.seed))
        return self._generator

    def compute_mask(self, inputs, previous_mask):
        if not previous_mask or previous_mask[0] is None:
            return None
        return previous_mask[0]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False, training=None,
                            use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        output = KerasTensor(self.compute_output_shape([t.shape for t in inputs]), self.compute_dtype)
        if not return_attention_scores:
            return output
        key = inputs[2] if len(inputs) > 2 else inputs[1]
        return output, KerasTensor(tuple(inputs[0].shape[:-1]) + (key.shape[-2],), self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}

    def extra_repr(self):
        extra = ", use_scale=True" if self.use_scale else ""
        extra += f", score_mode={self.score_mode!r}" if self.score_mode != "dot" else ""
        extra += f", dropout={self.dropout}" if self.dropout else ""
        return f"name={self.name!r}" + extra


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention: the scores are ``sum(scale * tanh(query + key))`` over the features,
    ``scale`` a trainable vector ``(dim,)`` (glorot-uniform initialized) when ``use_scale``, else 1.

    Args:
        use_scale: whether the scores have the trainable ``scale`` (default True).
        dropout: the dropout rate of the attention probabilities (in training).
        seed: seeds the dropout.

    Call arguments, input and output shapes: as `Attention`'s (``query`` and ``key`` share their last axis).
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = self.add_weight(name="scale", shape=(input_shape[0][-1],), initializer="glorot_uniform") \
            if self.use_scale else None
        self.concat_score_weight = None
        self.built = True

    def _calculate_scores(self, query, key):
        pairs = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        return (pairs * self.scale if self.scale is not None else pairs).sum(-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
