"""The sequence models of tests/golden/training/sequence_fit.* and tests/golden/saving/sequence/, written once for
any Keras-API module: tools/golden_sequence_fit.py and tools/golden_sequence_files.py build them with real Keras,
the tests with kerastorch (``build(kerastorch, name)``), so both sides train and load exactly the same models.

Only numpy, the ``keras`` module passed in and benchmarks/keras_blocks.py (the Transformer's pieces, shared with
the benchmark): the recorders import this file in an interpreter without kerastorch, the tests in one without
Keras.
"""
import numpy as np

from benchmarks.keras_blocks import token_and_position_embedding, transformer_block

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


def transformer_classifier(keras):
    """Token + position embedding -> one Transformer block (2 heads of 8, Dropout(0)) -> GlobalAveragePooling1D
    -> Dense(2, softmax)."""
    inputs = keras.Input((STEPS,), dtype="int32")
    x = token_and_position_embedding(keras)(VOCAB, STEPS, 16)(inputs)
    x = transformer_block(keras, x, num_heads=2, key_dim=8, ff_dim=32, dropout=0.0)
    x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="transformer_classifier")


# name -> (builder(keras), input array, target array, loss, learning rate, seed of the initial weights)
FIT_CASES = {
    "lstm_classifier": (lstm_classifier, "tokens", "label", "binary_crossentropy", 0.01, 1),
    "bigru_tagger": (bigru_tagger, "tokens", "tags", "sparse_categorical_crossentropy", 0.01, 2),
    "transformer_classifier": (transformer_classifier, "full_tokens", "full_label", "sparse_categorical_crossentropy",
                               0.005, 3),
}
BATCH_SIZE = 12   # 64 samples: 5 batches of 12 and a partial one of 4
EPOCHS = 3


def build(keras, name):
    """The fit case ``name`` built with ``keras``, its seeded initial weights set, compiled with Adam and
    accuracy. Returns (model, initial weights)."""
    builder, _, _, loss, learning_rate, seed = FIT_CASES[name]
    model = builder(keras)
    weights = seeded_weights(model, seed)
    model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=loss, metrics=["accuracy"])
    return model, weights


# ---- the models of tests/golden/saving/sequence/*.keras ---------------------------------------------------------

def stacked_recurrent(keras):
    """Float sequences -> LSTM(return_sequences=True) -> GRU(reset_after=False) -> Dense: two recurrent layers
    in a row and the GRU's (3 units,) bias."""
    return keras.Sequential([
        keras.Input((STEPS, 3)),
        keras.layers.LSTM(6, return_sequences=True),
        keras.layers.GRU(5, reset_after=False),
        keras.layers.Dense(2),
    ], name="stacked_recurrent")


def masked_functional(keras):
    """A functional model: float sequences with all-zero padding steps -> Masking -> LSTM -> Dense. Keras writes
    the mask's computation into the file as graph operations (NotEqual, Any) beside the layers."""
    inputs = keras.Input((STEPS, 3))
    hidden = keras.layers.LSTM(5)(keras.layers.Masking()(inputs))
    return keras.Model(inputs, keras.layers.Dense(2)(hidden), name="masked_functional")


def bilstm_sum_pooled(keras):
    """Embedding(mask_zero=True) -> Bidirectional(LSTM(return_sequences=True), merge_mode="sum") ->
    GlobalAveragePooling1D (over the unmasked steps) -> Dense(1, sigmoid)."""
    return keras.Sequential([
        keras.Input((STEPS,), dtype="int32"),
        keras.layers.Embedding(VOCAB, 6, mask_zero=True),
        keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True), merge_mode="sum"),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="bilstm_sum_pooled")


def attention_encoder(keras):
    """Functional: Embedding -> MultiHeadAttention(2 heads of 4, value_dim 3) self-attention, Add,
    LayerNormalization -> GlobalAveragePooling1D -> Dense(2, softmax)."""
    inputs = keras.Input((STEPS,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(VOCAB, 8)(inputs)
    attention = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, value_dim=3)(x, x)
    x = keras.layers.LayerNormalization()(keras.layers.Add()([x, attention]))
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling1D()(x))
    return keras.Model(inputs, outputs, name="attention_encoder")


# name -> (builder(keras), input array of make_data (or "floats"), target array, loss)
FILE_CASES = {
    "lstm_classifier": (lstm_classifier, "tokens", "label", "binary_crossentropy"),
    "bigru_tagger": (bigru_tagger, "tokens", "tags", "sparse_categorical_crossentropy"),
    "stacked_recurrent": (stacked_recurrent, "floats", "full_label", "sparse_categorical_crossentropy"),
    "bilstm_sum_pooled": (bilstm_sum_pooled, "tokens", "label", "binary_crossentropy"),
    "attention_encoder": (attention_encoder, "full_tokens", "full_label", "sparse_categorical_crossentropy"),
    "masked_functional": (masked_functional, "padded_floats", "label", "sparse_categorical_crossentropy"),
}


def file_case_input(data, key):
    """The input of a file case: one of make_data's arrays, float sequences made from the unpadded tokens, or the
    same with the padded tokens' padding steps all zero."""
    if key == "padded_floats":
        padding = (data["tokens"] != 0)[..., None]
        return (file_case_input(data, "floats") * padding).astype("float32")
    if key == "floats":
        tokens = data["full_tokens"].astype("float32")
        return np.stack([np.sin(tokens), np.cos(tokens), tokens / VOCAB], axis=-1)
    return data[key]
