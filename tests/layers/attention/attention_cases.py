"""The models of the attention fixtures, written once for both libraries: each builder takes the `keras` module
(Keras 3 in tools/golden_attention.py, kerastorch in the tests) and returns the model and the shapes of its
inputs (a dtype after the shape where it is not float32). Sequences whose name says "padded" get zero padding
from `LENGTHS`, so that a Masking layer hides their last steps."""

# Valid steps per sample of the padded inputs (the rest are zeros).
LENGTHS = {5: [5, 3, 1], 4: [2, 4, 3], 6: [6, 2, 4]}


def _inputs(keras, *shapes):
    return [keras.Input(shape[:-1] if isinstance(shape[-1], str) else shape,
                        dtype=shape[-1] if isinstance(shape[-1], str) else None) for shape in shapes]


def mha(**arguments):
    def build(keras):
        x, = _inputs(keras, (5, 8))
        layer = keras.layers.MultiHeadAttention(name="attention", **arguments)
        return keras.Model(x, layer(x, x)), [(3, 5, 8)]
    return build


def mha_cross(keras):
    q, v, k = _inputs(keras, (4, 8), (6, 6), (6, 5))
    layer = keras.layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=5, name="attention")
    return keras.Model([q, v, k], layer(q, v, key=k)), [(3, 4, 8), (3, 6, 6), (3, 6, 5)]


def mha_attention_mask(scores=False):
    def build(keras):
        q, v, m = _inputs(keras, (4, 8), (6, 8), (4, 6, "bool"))
        layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, name="attention")
        out = layer(q, v, attention_mask=m, return_attention_scores=scores)
        return keras.Model([q, v, m], list(out) if scores else out), [(3, 4, 8), (3, 6, 8), (3, 4, 6, "bool")]
    return build


def mha_causal(scores=False, masked=False):
    def build(keras):
        x, = _inputs(keras, (5, 8))
        h = keras.layers.Masking(name="masking")(x) if masked else x
        layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="attention")
        out = layer(h, h, use_causal_mask=True, return_attention_scores=scores)
        return keras.Model(x, list(out) if scores else out), [(3, 5, 8)]
    return build


def mha_scores(keras):
    q, v = _inputs(keras, (4, 8), (6, 8))
    out, scores = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, name="attention")(
        q, v, return_attention_scores=True)
    return keras.Model([q, v], [out, scores]), [(3, 4, 8), (3, 6, 8)]


def mha_axes(keras):
    x, = _inputs(keras, (3, 4, 6))
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2), name="attention")
    out, scores = layer(x, x, return_attention_scores=True)
    return keras.Model(x, [out, scores]), [(2, 3, 4, 6)]


def mha_axes_no_scores(keras):
    x, = _inputs(keras, (3, 4, 6))
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=2, name="attention")
    return keras.Model(x, layer(x, x)), [(2, 3, 4, 6)]


def mha_masked(dropout=0.0, scores=False, cross=False):
    """Padded query (and value) through Masking: the query's mask and the value's mask hide steps. A fully hidden
    query step differs between Keras's two paths (its dot-product path averages the values; its explicit path,
    taken with dropout or scores, gives zeros): both are recorded."""
    def build(keras):
        shapes = [(5, 8), (4, 8)] if cross else [(5, 8)]
        inputs = _inputs(keras, *shapes)
        masked = [keras.layers.Masking(name=f"masking_{i}")(t) for i, t in enumerate(inputs)]
        q, v = masked[0], masked[-1]
        layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=dropout, name="attention")
        out = layer(q, v, return_attention_scores=scores)
        first = out[0] if scores else out
        pooled = keras.layers.GlobalAveragePooling1D(name="pool")(first)
        outputs = [first, pooled] + ([out[1]] if scores else [])
        return keras.Model(inputs, outputs), [(3,) + s for s in shapes]
    return build


def gqa(scores=False, causal=False, masked=False, cross=False, attention_mask=False, dropout=0.0):
    def build(keras):
        shapes = [(5, 8), (4, 8)] if cross else [(5, 8)]
        if attention_mask:
            shapes.append((5, shapes[-1][0], "bool"))
        inputs = _inputs(keras, *shapes)
        seq = inputs[:2] if cross else inputs[:1]
        if masked:
            seq = [keras.layers.Masking(name=f"masking_{i}")(t) for i, t in enumerate(seq)]
        q, v = seq[0], seq[-1]
        layer = keras.layers.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2,
                                                 dropout=dropout, name="attention")
        kwargs = {"attention_mask": inputs[-1]} if attention_mask else {}
        out = layer(q, v, use_causal_mask=causal, return_attention_scores=scores, **kwargs)
        return keras.Model(inputs, list(out) if scores else out), [(3,) + s for s in shapes]
    return build


def dot_attention(layer_class="Attention", keyed=False, masked=False, scores=False, causal=False, **arguments):
    def build(keras):
        shapes = [(5, 6), (4, 6)] + ([(4, 6)] if keyed else [])
        inputs = _inputs(keras, *shapes)
        seq = [keras.layers.Masking(name=f"masking_{i}")(t) for i, t in enumerate(inputs)] if masked else inputs
        layer = getattr(keras.layers, layer_class)(name="attention", **arguments)
        out = layer(seq, return_attention_scores=scores, use_causal_mask=causal)
        return keras.Model(inputs, list(out) if scores else out), [(3,) + s for s in shapes]
    return build


def einsum(equation, output_shape, bias_axes=None, input_shape=(4, 6), activation=None):
    def build(keras):
        x, = _inputs(keras, input_shape)
        layer = keras.layers.EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes,
                                         activation=activation, name="einsum")
        return keras.Model(x, layer(x)), [(3,) + input_shape]
    return build


CASES = {
    "mha_self": mha(num_heads=2, key_dim=4),
    "mha_no_bias": mha(num_heads=2, key_dim=4, use_bias=False),
    "mha_value_dim_output_shape": mha(num_heads=3, key_dim=2, value_dim=4, output_shape=(7,)),
    "mha_output_shape_2d": mha(num_heads=2, key_dim=3, output_shape=(2, 3)),
    "mha_cross": mha_cross,
    "mha_attention_mask": mha_attention_mask(),
    "mha_attention_mask_scores": mha_attention_mask(scores=True),
    "mha_causal": mha_causal(),
    "mha_causal_scores": mha_causal(scores=True),
    "mha_causal_masked": mha_causal(masked=True),
    "mha_scores": mha_scores,
    "mha_axes_1_2": mha_axes,
    "mha_axes_2": mha_axes_no_scores,
    "mha_masked": mha_masked(),
    "mha_masked_dropout": mha_masked(dropout=0.3),
    "mha_masked_scores": mha_masked(scores=True),
    "mha_masked_cross": mha_masked(cross=True),
    "gqa_self": gqa(),
    "gqa_scores": gqa(scores=True),
    "gqa_causal": gqa(causal=True),
    "gqa_masked_cross": gqa(masked=True, cross=True),
    "gqa_masked_dropout": gqa(masked=True, dropout=0.2),
    "gqa_attention_mask": gqa(attention_mask=True, cross=True),
    "attention_dot": dot_attention(),
    "attention_dot_scale": dot_attention(use_scale=True),
    "attention_concat": dot_attention(score_mode="concat"),
    "attention_concat_scale": dot_attention(score_mode="concat", use_scale=True),
    "attention_keyed_scores": dot_attention(keyed=True, scores=True),
    "attention_masked": dot_attention(masked=True, scores=True),
    "attention_causal": dot_attention(causal=True, scores=True),
    "attention_causal_masked": dot_attention(causal=True, masked=True),
    "additive": dot_attention("AdditiveAttention"),
    "additive_no_scale": dot_attention("AdditiveAttention", use_scale=False),
    "additive_masked_scores": dot_attention("AdditiveAttention", masked=True, scores=True, keyed=True),
    "additive_causal": dot_attention("AdditiveAttention", causal=True),
    "einsum_dense_matrix": einsum("ab,bc->ac", (5,), "c", input_shape=(6,)),
    "einsum_dense_sequence": einsum("abc,cd->abd", (None, 5), "d", activation="relu"),
    "einsum_dense_heads": einsum("abc,cde->abde", (None, 2, 3), "de"),
    "einsum_dense_heads_partial_bias": einsum("abc,cde->abde", (None, 2, 3), "e"),
    "einsum_dense_ellipsis": einsum("...b,bc->...c", 5, "c"),
    "einsum_dense_right_ellipsis": einsum("ab...,bc->ac...", (5,), "c", input_shape=(6, 4)),
    "einsum_dense_transposed": einsum("abc,bd->adc", (3, None), "d"),
    "einsum_dense_no_bias": einsum("abcd,cde->abe", (None, 4), None, input_shape=(4, 2, 3)),
}
