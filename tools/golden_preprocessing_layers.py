"""Writes the fixtures of Keras 3's preprocessing layers, for tests/layers/preprocessing/.

    KERAS_BACKEND=tensorflow /work/tfvenv/bin/python tools/golden_preprocessing_layers.py

Keras 3.15's lookup, hashing and text layers need TensorFlow, so this runs Keras 3.15.1 on its TensorFlow backend
(the layers' numbers are backend-independent). tests/golden/layers/preprocessing/layers.json holds, per case, the
layer's config, the data it was adapted on, the inputs, and Keras's outputs (with vocabularies, bin boundaries,
means and variances where the layer has them); keras_text_vectorization.keras is a model Keras saved with adapted
TextVectorization and Normalization layers, whose predictions layers.json's "keras_file" holds.
"""
import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "layers" / "preprocessing"
rng = np.random.default_rng(5)

TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "Cats and dogs, dogs and cats: friends?",
         "A mat; a hat and a cat in the hat.", "Homework is THE worst", "don't stop-believing"]
PROBE = ["the cat and the dog", "an unknown hat!", "", "cats, cats, CATS"]


def value(x):
    x = np.asarray(x)
    if x.dtype.kind in "SO":
        return {"dtype": "string", "value": np.vectorize(lambda b: b.decode() if isinstance(b, bytes) else b,
                                                         otypes=[object])(x).tolist()}
    return {"dtype": str(x.dtype), "value": x.tolist()}


def record(cls, kwargs, inputs, adapt=None, extra=None):
    layer = cls(**kwargs)
    if adapt is not None:
        layer.adapt(adapt)
    out = layer(inputs)
    case = {"class": cls.__name__, "kwargs": kwargs, "adapt": None if adapt is None else value(adapt),
            "inputs": value(inputs), "out": value(keras.ops.convert_to_numpy(out))}
    for name in extra or ():
        attr = getattr(layer, name)
        case[name] = attr() if callable(attr) else attr
    config = layer.get_config()
    case["config"] = {k: v for k, v in config.items() if k not in ("dtype", "name")}
    return case


def normalization_cases():
    x = rng.normal(2.0, 3.0, size=(16, 3)).astype("float32")
    images = rng.normal(size=(4, 2, 2, 3)).astype("float32")
    cases = [record(layers.Normalization, {}, x[:4], adapt=x),
             record(layers.Normalization, {"axis": None}, x[:4], adapt=x),
             record(layers.Normalization, {"invert": True}, x[:4], adapt=x),
             record(layers.Normalization, {"axis": (1, 3)}, images[:2], adapt=images),
             record(layers.Normalization, {"mean": [1.0, 2.0, 3.0], "variance": [4.0, 1.0, 0.25]}, x[:4]),
             record(layers.Normalization, {"mean": 2.0, "variance": 9.0, "invert": True}, x[:4])]
    batches = layers.Normalization()
    batches.adapt([x[:5], x[5:11], x[11:]])
    cases.append({"class": "Normalization", "kwargs": {}, "adapt_batches": [value(x[:5]), value(x[5:11]),
                                                                              value(x[11:])],
                  "inputs": value(x[:4]), "out": value(batches(x[:4]))})
    return cases


def discretization_cases():
    x = rng.normal(size=(200, 1)).astype("float32")
    probe = np.array([[-3.0], [-0.5], [0.0], [0.1], [0.5], [2.0]], dtype="float32")
    return [record(layers.Discretization, {"bin_boundaries": [-1.0, 0.0, 1.0]}, probe),
            record(layers.Discretization, {"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"}, probe),
            record(layers.Discretization, {"bin_boundaries": [0.0, 1.0], "output_mode": "count"},
                   probe.reshape(2, 3)),
            record(layers.Discretization, {"bin_boundaries": [0.0, 1.0], "output_mode": "multi_hot"},
                   probe.reshape(2, 3)),
            record(layers.Discretization, {"num_bins": 4}, probe, adapt=x, extra=["bin_boundaries"]),
            record(layers.Discretization, {"num_bins": 5, "epsilon": 0.001}, probe, adapt=x,
                   extra=["bin_boundaries"])]


def category_encoding_cases():
    ints = np.array([[0, 1, 1], [3, 3, 2]])
    return [record(layers.CategoryEncoding, {"num_tokens": 4, "output_mode": "one_hot"}, np.array([3, 2, 0, 1])),
            record(layers.CategoryEncoding, {"num_tokens": 4, "output_mode": "one_hot"}, np.array([[3], [1]])),
            record(layers.CategoryEncoding, {"num_tokens": 4, "output_mode": "multi_hot"}, ints),
            record(layers.CategoryEncoding, {"num_tokens": 4, "output_mode": "count"}, ints),
            record(layers.CategoryEncoding, {"num_tokens": 5, "output_mode": "multi_hot"}, np.array([0, 4, 4]))]


def lookup_cases():
    words = np.array([["a", "b", "c"], ["b", "b", "d"], ["e", "a", "b"]])
    probe = np.array([["a", "z", "b"], ["", "d", "e"]])
    ints = np.array([[12, 7, 7], [3, 12, 7], [0, 5, 12]])
    int_probe = np.array([[12, 99, 0], [3, 5, 7]])
    extra = ["get_vocabulary", "vocabulary_size"]
    cases = []
    for kwargs in [{}, {"mask_token": ""}, {"num_oov_indices": 0, "vocabulary": ["a", "b", "d", "e", "z", ""]},
                   {"max_tokens": 3}, {"output_mode": "one_hot"}, {"output_mode": "multi_hot"},
                   {"output_mode": "count", "mask_token": ""}, {"output_mode": "tf_idf"},
                   {"output_mode": "multi_hot", "max_tokens": 8, "pad_to_max_tokens": True},
                   {"vocabulary": ["b", "a", "e"], "oov_token": "<?>"},
                   {"vocabulary": ["[UNK]", "b", "a"]},
                   {"output_mode": "tf_idf", "vocabulary": ["a", "b"], "idf_weights": [0.5, 0.25]},
                   {"num_oov_indices": 3, "vocabulary": ["a", "b"]}]:
        adapt = None if "vocabulary" in kwargs else words
        one_hot_probe = probe[:, :1] if kwargs.get("output_mode") == "one_hot" else probe
        cases.append(record(layers.StringLookup, kwargs, one_hot_probe, adapt=adapt, extra=extra))
    cases.append(record(layers.StringLookup, {"vocabulary": ["a", "b", "c"], "invert": True},
                        np.array([[0, 1, 2, 3, 7]]), extra=extra))
    cases.append(record(layers.StringLookup, {"vocabulary": ["a", "b", "c"], "invert": True, "mask_token": ""},
                        np.array([[0, 1, 2, 3, 4, 7]]), extra=extra))
    for kwargs in [{}, {"mask_token": 0}, {"num_oov_indices": 3}, {"max_tokens": 3},
                   {"output_mode": "multi_hot"}, {"output_mode": "count", "mask_token": 0},
                   {"output_mode": "tf_idf"}, {"vocabulary": [7, 12, 3], "oov_token": -7},
                   {"num_oov_indices": 2, "vocabulary": [7, 12]},
                   {"num_oov_indices": 3, "oov_method": "farmhash", "vocabulary": [7, 12]}]:
        adapt = None if "vocabulary" in kwargs else ints
        cases.append(record(layers.IntegerLookup, kwargs, int_probe, adapt=adapt, extra=extra))
    cases.append(record(layers.IntegerLookup, {"vocabulary": [7, 12, 3], "invert": True},
                        np.array([[0, 1, 2, 3, 9]]), extra=extra))
    return cases


def text_vectorization_cases():
    texts = np.array(TEXTS)
    probe = np.array(PROBE)
    extra = ["get_vocabulary", "vocabulary_size"]
    cases = []
    for kwargs in [{}, {"output_sequence_length": 6}, {"max_tokens": 8, "output_sequence_length": 4},
                   {"standardize": "lower"}, {"standardize": None}, {"standardize": "strip_punctuation"},
                   {"split": "character", "output_sequence_length": 10}, {"ngrams": 2},
                   {"ngrams": (1, 3), "output_sequence_length": 8},
                   {"output_mode": "multi_hot"}, {"output_mode": "count", "max_tokens": 6},
                   {"output_mode": "tf_idf"}, {"output_mode": "tf_idf", "ngrams": 2, "max_tokens": 10},
                   {"output_mode": "multi_hot", "max_tokens": 12, "pad_to_max_tokens": True},
                   {"vocabulary": ["cat", "the", "dog"], "output_sequence_length": 5},
                   {"split": None, "vocabulary": ["the cat and the dog", "an unknown hat"]}]:
        adapt = None if "vocabulary" in kwargs else texts
        cases.append(record(layers.TextVectorization, kwargs, probe, adapt=adapt, extra=extra))
    cases.append(record(layers.TextVectorization, {"output_sequence_length": 5}, probe[:, None], adapt=texts,
                        extra=extra))
    return cases


def hashing_cases():
    strings = np.array([["a", "b", "hello"], ["", "hash me", "é"]])
    ints = np.array([[0, 1, 2], [-5, 123456789, 42]])
    cases = [record(layers.Hashing, {"num_bins": 3}, strings),
             record(layers.Hashing, {"num_bins": 1000}, strings),
             record(layers.Hashing, {"num_bins": 7, "mask_value": ""}, strings),
             record(layers.Hashing, {"num_bins": 5}, ints),
             record(layers.Hashing, {"num_bins": 5, "mask_value": 0}, ints),
             record(layers.Hashing, {"num_bins": 4, "output_mode": "multi_hot"}, strings),
             record(layers.Hashing, {"num_bins": 4, "output_mode": "count"}, strings),
             record(layers.Hashing, {"num_bins": 4, "output_mode": "one_hot"}, strings[:, :1])]
    many = np.array([[f"token{i}" * (i % 9) for i in range(130)]])   # strings of 0 to 64 bytes and more
    cases.append(record(layers.Hashing, {"num_bins": 2 ** 31 - 1}, many))
    crossing = layers.HashedCrossing(num_bins=10)
    cases.append({"class": "HashedCrossing", "kwargs": {"num_bins": 10},
                  "inputs": [value(np.array(["a", "b", "c"])), value(np.array([1, 2, 3]))],
                  "out": value(crossing((np.array(["a", "b", "c"]), np.array([1, 2, 3]))))})
    crossing = layers.HashedCrossing(num_bins=4, output_mode="one_hot")
    cases.append({"class": "HashedCrossing", "kwargs": {"num_bins": 4, "output_mode": "one_hot"},
                  "inputs": [value(np.array([["x"], ["y"]])), value(np.array([[10], [20]]))],
                  "out": value(crossing((np.array([["x"], ["y"]]), np.array([[10], [20]]))))})
    return cases


def keras_file():
    """A model with an adapted tf-idf TextVectorization and an adapted Normalization, saved by Keras (the
    vocabulary in the file's assets, the idf weights and statistics in its weights), and its predictions."""
    inputs = keras.Input(shape=(1,), dtype="string")
    vectorize = layers.TextVectorization(output_mode="tf_idf", max_tokens=12)
    vectorize.adapt(np.array(TEXTS))
    normalize = layers.Normalization()
    normalize.adapt(rng.normal(size=(20, 12)).astype("float32"))
    model = keras.Model(inputs, layers.Dense(2)(normalize(vectorize(inputs))))
    model.save(OUT / "keras_text_vectorization.keras")
    import tensorflow as tf
    predictions = keras.ops.convert_to_numpy(model(tf.constant(np.array(PROBE)[:, None])))
    return {"probe": PROBE, "predictions": predictions.tolist(),
            "vocabulary": vectorize.get_vocabulary()}


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    fixtures = {"normalization": normalization_cases(), "discretization": discretization_cases(),
                "category_encoding": category_encoding_cases(), "lookup": lookup_cases(),
                "text_vectorization": text_vectorization_cases(), "hashing": hashing_cases(),
                "keras_file": keras_file()}
    def plain(x):
        if isinstance(x, np.generic):
            return x.item()
        if isinstance(x, np.ndarray):
            return x.tolist()
        if isinstance(x, bytes):
            return x.decode()
        raise TypeError(type(x))
    (OUT / "layers.json").write_text(json.dumps(fixtures, default=plain), encoding="utf-8")
    print("wrote", OUT / "layers.json", (OUT / "layers.json").stat().st_size, "bytes")
