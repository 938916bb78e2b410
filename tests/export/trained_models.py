"""The trained models the export tests share (a convnet, an MLP, an LSTM classifier over embedded tokens and a
two-input functional model), each trained one epoch on random data, and batches of inputs for them."""
import numpy as np

import kerastorch as keras

L = keras.layers
VOCABULARY = 30


def _fit(model, inputs, targets, loss):
    model.compile(optimizer="adam", loss=loss)
    model.fit(inputs, targets, batch_size=16, epochs=1, verbose=0)
    model.eval()
    return model


def convnet():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([L.Input((28, 28, 1)), L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(),
                              L.Flatten(), L.Dense(10, activation="softmax")])
    rng = np.random.default_rng(0)
    return _fit(model, rng.random((64, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 64),
                "sparse_categorical_crossentropy")


def mlp():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([L.Input((20,)), L.Dense(32, activation="relu"), L.Dense(16, activation="tanh"),
                              L.Dense(3, activation="softmax")])
    rng = np.random.default_rng(1)
    return _fit(model, rng.normal(size=(64, 20)).astype("float32"), rng.integers(0, 3, 64),
                "sparse_categorical_crossentropy")


def lstm_classifier():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([L.Input((10,), dtype="int32"), L.Embedding(VOCABULARY, 8), L.LSTM(12),
                              L.Dense(4, activation="softmax")])
    rng = np.random.default_rng(3)
    return _fit(model, rng.integers(0, VOCABULARY, (64, 10)).astype("int32"), rng.integers(0, 4, 64),
                "sparse_categorical_crossentropy")


def two_inputs():
    keras.utils.set_random_seed(2)
    numbers, sequence = keras.Input((12,), name="numbers"), keras.Input((6, 4), name="sequence")
    merged = L.Concatenate()([L.Dense(8, activation="relu")(numbers), L.Flatten()(sequence)])
    model = keras.Model([numbers, sequence], L.Dense(5)(merged))
    rng = np.random.default_rng(2)
    return _fit(model, [rng.normal(size=(64, 12)).astype("float32"), rng.normal(size=(64, 6, 4)).astype("float32")],
                rng.normal(size=(64, 5)).astype("float32"), "mse")


MODELS = {"convnet": convnet, "mlp": mlp, "lstm_classifier": lstm_classifier, "two_inputs": two_inputs}


class Trained(dict):
    """Each model trained on first use, once per test module."""

    def __missing__(self, name):
        self[name] = MODELS[name]()
        return self[name]


def batch(model, size, seed):
    """Arrays for ``model``'s inputs (tokens below VOCABULARY for an integer input): one array, or a list."""
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in model.inputs:
        shape = (size,) + tuple(tensor.shape[1:])
        if "int" in str(tensor.dtype):
            arrays.append(rng.integers(0, VOCABULARY, shape).astype(str(tensor.dtype)))
        else:
            arrays.append(rng.random(shape, dtype=np.float32))
    return arrays if len(arrays) > 1 else arrays[0]


def as_list(arrays):
    return arrays if isinstance(arrays, list) else [arrays]
