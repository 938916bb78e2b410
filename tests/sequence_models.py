"""The sequence models of tests/golden/training/sequence_fit.* and tests/golden/saving/sequence/, written once for
any Keras-API module: tools/golden_sequence_fit.py and tools/golden_sequence_files.py build them with real Keras,
the tests with kerastorch (``build(kerastorch, name)``), so both sides train and load exactly the same models.

Only numpy and the ``keras`` module passed in: the recorders import this file in an interpreter without
kerastorch, the tests in one without Keras.
"""
import numpy as np

SAMPLES = 64
STEPS = 12
VOCAB = 30
SEED = 13


def make_data(seed=SEED):
    """Integer sequences, their labels and per-token tags: ``tokens`` right-padded with 0 after a random length
    (4 to 12), ``full_tokens`` unpadded; ``label`` (binary, from the padded tokens' mean), ``tags`` (3 classes per
    token, from the token and its predecessor) and ``full_label`` (2 classes, for the Transformer)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(4, STEPS + 1, size=SAMPLES)
    tokens = rng.integers(1, VOCAB, size=(SAMPLES, STEPS))
    valid = np.arange(STEPS)[None, :] < lengths[:, None]
    tokens = np.where(valid, tokens, 0).astype("int32")
    mean_token = (tokens * valid).sum(axis=1) / lengths
    label = (mean_token > VOCAB / 2).astype("float32").reshape(-1, 1)
    previous = np.concatenate([np.zeros((SAMPLES, 1), "int32"), tokens[:, :-1]], axis=1)
    tags = np.where(valid, (tokens + previous) % 3, 0).astype("int32")
    full_tokens = rng.integers(0, VOCAB, size=(SAMPLES, STEPS)).astype("int32")
    full_label = ((full_tokens < 10).sum(axis=1) > STEPS // 3).astype("int32")
    return {"tokens": tokens, "label": label, "tags": tags, "full_tokens": full_tokens, "full_label": full_label}


def seeded_weights(model, seed):
    """Weights for every array of ``model.get_weights()``, uniform in [-0.3, 0.3) from a seeded generator
    (LayerNormalization's gamma around 1), so that both libraries start from the same, non-trivial weights."""
    rng = np.random.default_rng(seed)
    values = []
    for variable in model.weights:
        value = rng.uniform(-0.3, 0.3, size=tuple(variable.shape)).astype("float32")
        if variable.path.endswith("gamma"):
            value += 1.0
        values.append(value)
    return values


def token_and_position_embedding(keras, arange):
    """A layer class that adds a learned position embedding (a second Embedding, on the positions
    ``arange(steps)``) to the token embedding. ``arange`` is the library's arange (keras.ops.arange)."""

    class TokenAndPositionEmbedding(keras.layers.Layer):
        def __init__(self, vocab, steps, dim, **kwargs):
            super().__init__(**kwargs)
            self.vocab, self.steps, self.dim = vocab, steps, dim
            self.token_embedding = keras.layers.Embedding(vocab, dim)
            self.position_embedding = keras.layers.Embedding(steps, dim)

        def call(self, tokens):
            positions = arange(tokens.shape[-1])
            return self.token_embedding(tokens) + self.position_embedding(positions)

        def get_config(self):
            return {**super().get_config(), "vocab": self.vocab, "steps": self.steps, "dim": self.dim}

    return TokenAndPositionEmbedding


def lstm_classifier(keras):
    """Embedding(mask_zero=True) -> LSTM -> Dense(1, sigmoid): a binary classifier of right-padded sequences."""
    return keras.Sequential([
        keras.Input((STEPS,), dtype="int32"),
        keras.layers.Embedding(VOCAB, 8, mask_zero=True),
        keras.layers.LSTM(8),
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="lstm_classifier")


def bigru_tagger(keras):
    """Embedding(mask_zero=True) -> Bidirectional(GRU(return_sequences=True)) -> TimeDistributed(Dense(softmax)):
    a tag per token; the mask keeps the padding out of the loss and the accuracy."""
    return keras.Sequential([
        keras.Input((STEPS,), dtype="int32"),
        keras.layers.Embedding(VOCAB, 8, mask_zero=True),
        keras.layers.Bidirectional(keras.layers.GRU(6, return_sequences=True)),
        keras.layers.TimeDistributed(keras.layers.Dense(3, activation="softmax")),
    ], name="bigru_tagger")


def transformer_block(keras, x, num_heads, key_dim, ff_dim, dropout):
    """One post-norm Transformer encoder block: self-attention and a ReLU feed-forward, each followed by
    Dropout, a residual add and LayerNormalization(epsilon=1e-6)."""
    layers = keras.layers
    attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=key_dim)(x, x)
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, layers.Dropout(dropout)(attention)]))
    feed_forward = layers.Dense(ff_dim, activation="relu")(x)
    feed_forward = layers.Dense(x.shape[-1])(feed_forward)
    return layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, layers.Dropout(dropout)(feed_forward)]))


def transformer_classifier(keras, arange):
    """Token + position embedding -> one Transformer block (2 heads of 8, Dropout(0)) -> GlobalAveragePooling1D
    -> Dense(2, softmax)."""
    inputs = keras.Input((STEPS,), dtype="int32")
    x = token_and_position_embedding(keras, arange)(VOCAB, STEPS, 16)(inputs)
    x = transformer_block(keras, x, num_heads=2, key_dim=8, ff_dim=32, dropout=0.0)
    x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="transformer_classifier")


# name -> (builder(keras, arange), input array, target array, loss, learning rate, seed of the initial weights)
FIT_CASES = {
    "lstm_classifier": (lambda keras, arange: lstm_classifier(keras), "tokens", "label", "binary_crossentropy",
                        0.01, 1),
    "bigru_tagger": (lambda keras, arange: bigru_tagger(keras), "tokens", "tags", "sparse_categorical_crossentropy",
                     0.01, 2),
    "transformer_classifier": (transformer_classifier, "full_tokens", "full_label", "sparse_categorical_crossentropy",
                               0.005, 3),
}
BATCH_SIZE = 12   # 64 samples: 5 batches of 12 and a partial one of 4
EPOCHS = 3


def build(keras, name, arange):
    """The fit case ``name`` built with ``keras``, its seeded initial weights set, compiled with Adam and
    accuracy. Returns (model, initial weights)."""
    builder, _, _, loss, learning_rate, seed = FIT_CASES[name]
    model = builder(keras, arange)
    weights = seeded_weights(model, seed)
    model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=loss, metrics=["accuracy"])
    return model, weights
