"""Model pieces written once for any Keras-API module (kerastorch, Keras 3 on torch, tf.keras): a token + position
embedding layer and a Transformer encoder block. The benchmark's Keras children build the `transformer` workload
from them, and the recorders of the sequence fixtures (tests/sequence_models.py) build their Transformer from them,
so every library runs the same model.

Only the ``keras`` module passed in (and, for kerastorch, torch): no other import at module level.
"""


def position_indices(keras):
    """A function of a batch of token ids that returns the positions ``0 .. steps - 1`` in ``keras``'s tensors
    (on the tokens' device for kerastorch)."""
    if keras.__name__.split(".")[0] == "kerastorch":
        import torch
        return lambda tokens: torch.arange(tokens.shape[-1], device=tokens.device)
    return lambda tokens: keras.ops.arange(tokens.shape[-1])


def token_and_position_embedding(keras):
    """The layer class for ``keras``: token ids -> Embedding(vocab, dim) plus a learned position embedding (a
    second Embedding(steps, dim) of the positions)."""
    positions = position_indices(keras)

    class TokenAndPositionEmbedding(keras.layers.Layer):
        def __init__(self, vocab, steps, dim, **kwargs):
            super().__init__(**kwargs)
            self.vocab, self.steps, self.dim = vocab, steps, dim
            self.token_embedding = keras.layers.Embedding(vocab, dim)
            self.position_embedding = keras.layers.Embedding(steps, dim)

        def call(self, tokens):
            return self.token_embedding(tokens) + self.position_embedding(positions(tokens))

        def get_config(self):
            return {**super().get_config(), "vocab": self.vocab, "steps": self.steps, "dim": self.dim}

    return TokenAndPositionEmbedding


def transformer_block(keras, x, num_heads, key_dim, ff_dim, dropout):
    """One post-norm Transformer encoder block on the symbolic tensor ``x``: self-attention and a ReLU
    feed-forward, each followed by Dropout, a residual Add and LayerNormalization(epsilon=1e-6)."""
    layers = keras.layers
    attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=key_dim)(x, x)
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, layers.Dropout(dropout)(attention)]))
    feed_forward = layers.Dense(ff_dim, activation="relu")(x)
    feed_forward = layers.Dense(x.shape[-1])(feed_forward)
    return layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, layers.Dropout(dropout)(feed_forward)]))
