"""Checks that files written by kerastorch load in real Keras 3, and records what was checked.

    .venv/bin/python tools/check_interop.py          (from the repository root; needs /work/kvenv with Keras)

It builds the models in MODELS with kerastorch, saves each as `.keras` and `.weights.h5` into a temporary folder
together with inputs and kerastorch's predictions, then runs itself under Keras's interpreter
(KERAS_BACKEND=torch), which loads every file with `keras.models.load_model` / `load_weights` and compares
Keras's predictions with kerastorch's. The result goes to tests/golden/saving/interop.json:
    for each model: the source, the config.json kerastorch wrote (which Keras loaded), the datasets of the weights
    file (path, shape, dtype), whether Keras loaded the `.keras` and `.weights.h5` files, the largest difference
    between Keras's and kerastorch's predictions, and the optimizer's step count as Keras read it.
tests/saving/test_interop.py rebuilds the same models with kerastorch and checks that the writer still produces
that config and those dataset paths, so the files stay loadable by Keras without Keras installed.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "golden" / "saving" / "interop.json"
KERAS_PYTHON = os.environ.get("KERAS_PYTHON", "/work/kvenv/bin/python")

# Each snippet builds and trains `model` from `keras` and `np`, and sets `x` (the prediction input).
MODELS = {
    "conv_functional": """
inputs = keras.Input((8, 8, 3), name="image")
x1 = keras.layers.Conv2D(4, 3, padding="same")(inputs)
x1 = keras.layers.BatchNormalization()(x1)
x2 = keras.layers.Conv2D(4, 1)(inputs)
h = keras.layers.Add()([x1, x2])
h = keras.layers.Flatten()(h)
head = keras.Sequential([keras.Input((256,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(0.5)],
                        name="head")
outputs = keras.layers.Dense(3, activation="softmax")(head(h))
model = keras.Model(inputs, outputs, name="conv_functional")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
rng = np.random.RandomState(0)
model.fit(rng.rand(32, 8, 8, 3).astype("float32"), rng.randint(0, 3, 32), epochs=1, batch_size=8, verbose=0)
x = rng.rand(4, 8, 8, 3).astype("float32")
""",
    "sequential_mlp": """
model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(2)], name="mlp")
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), loss="mse", metrics=["mae"])
rng = np.random.RandomState(1)
model.fit(rng.rand(20, 5).astype("float32"), rng.rand(20, 2).astype("float32"), epochs=2, batch_size=10,
          verbose=0)
x = rng.rand(3, 5).astype("float32")
""",
    "graph_with_operations": """
inputs = keras.Input((6,), name="features")
shared = keras.layers.Dense(6, activation="relu", name="shared")
h = shared(inputs)
residual = h
h = shared(h)
h += residual
scaled = h * 0.5 - 1.0
first_two = scaled[:, :2]
merged = keras.layers.concatenate([first_two, keras.layers.Dense(2)(inputs)])
score = keras.layers.Dense(1, name="score")(merged)
label = keras.layers.Dense(3, activation="softmax", name="label")(keras.layers.Average()([h, scaled]))
model = keras.Model(inputs, {"score": score, "label": label}, name="graph")
model.compile(optimizer="rmsprop", loss={"score": "mse", "label": "sparse_categorical_crossentropy"},
              loss_weights={"score": 1.0, "label": 0.5}, metrics={"label": ["accuracy"]})
rng = np.random.RandomState(2)
model.fit(rng.rand(16, 6).astype("float32"),
          {"score": rng.rand(16, 1).astype("float32"), "label": rng.randint(0, 3, 16)}, epochs=1, verbose=0)
x = rng.rand(3, 6).astype("float32")
""",
    "mixed_float16": """
keras.mixed_precision.set_global_policy("mixed_float16")
try:
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax", dtype="float32")], name="mixed")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")   # wrapped in a LossScaleOptimizer
finally:
    keras.mixed_precision.set_global_policy("float32")
rng = np.random.RandomState(4)
model.fit(rng.rand(16, 5).astype("float32"), rng.randint(0, 3, 16), epochs=1, batch_size=4, verbose=0)
x = rng.rand(3, 5).astype("float32")
""",
    "lstm_masked_classifier": """
model = keras.Sequential([keras.Input((10,), dtype="int32"), keras.layers.Embedding(20, 6, mask_zero=True),
                          keras.layers.LSTM(5), keras.layers.Dense(1, activation="sigmoid")], name="lstm_masked")
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
rng = np.random.RandomState(5)
tokens = rng.randint(1, 20, (24, 10)) * (np.arange(10)[None, :] < rng.randint(3, 11, (24, 1)))
model.fit(tokens.astype("int32"), rng.randint(0, 2, (24, 1)).astype("float32"), epochs=1, batch_size=8,
          verbose=0)
x = tokens[:4].astype("int32")
""",
    "bidirectional_gru_tagger": """
model = keras.Sequential([keras.Input((10,), dtype="int32"), keras.layers.Embedding(20, 6, mask_zero=True),
                          keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True), merge_mode="ave"),
                          keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True)),
                          keras.layers.TimeDistributed(keras.layers.Dense(3, activation="softmax"))], name="tagger")
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
rng = np.random.RandomState(6)
tokens = rng.randint(1, 20, (24, 10)) * (np.arange(10)[None, :] < rng.randint(3, 11, (24, 1)))
model.fit(tokens.astype("int32"), rng.randint(0, 3, (24, 10)), epochs=1, batch_size=8, verbose=0)
x = tokens[:4].astype("int32")
""",
    "attention_encoder": """
inputs = keras.Input((10, 8), name="sequence")
attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, value_dim=3, name="mha")(inputs, inputs)
h = keras.layers.LayerNormalization()(keras.layers.Add()([inputs, attended]))
h = keras.layers.SimpleRNN(4, return_sequences=True)(h)
outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling1D()(h))
model = keras.Model(inputs, outputs, name="attention_encoder")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
rng = np.random.RandomState(7)
model.fit(rng.rand(16, 10, 8).astype("float32"), rng.randint(0, 2, 16), epochs=1, batch_size=8, verbose=0)
x = rng.rand(3, 10, 8).astype("float32")
""",
}

# Classes a model needs; the Keras side defines (and registers) them before loading.
CLASSES = {
    "subclassed_residual": """
@keras.saving.register_keras_serializable(package="Interop")
class ResidualBlocks(keras.Model):
    def __init__(self, units=6, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = keras.layers.Dense(units, activation="relu")
        self.blocks = [keras.layers.Dense(units), keras.layers.Dense(units)]
        self.head = keras.layers.Dense(2)

    def call(self, inputs, training=None):
        x = self.inner(inputs)
        for block in self.blocks:
            x = x + block(x)
        return self.head(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}
""",
}
MODELS["subclassed_residual"] = CLASSES["subclassed_residual"] + """
model = ResidualBlocks(units=6, name="residual_blocks")
model.compile(optimizer="adam", loss="mse")
rng = np.random.RandomState(3)
model.fit(rng.rand(12, 5).astype("float32"), rng.rand(12, 2).astype("float32"), epochs=1, batch_size=4, verbose=0)
x = rng.rand(3, 5).astype("float32")
"""


def build(keras, np, source):
    keras.utils.set_random_seed(0)
    scope = {"keras": keras, "np": np}
    exec(source, scope)
    return scope["model"], scope["x"]


def flat_predictions(np, value):
    if isinstance(value, dict):
        return {k: np.asarray(v).tolist() for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [np.asarray(v).tolist() for v in value]
    return np.asarray(value).tolist()


def h5_datasets(path):
    import h5py
    found = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.append([name, list(obj.shape), str(obj.dtype)])
                     if isinstance(obj, h5py.Dataset) else None)
    return found


def write_with_kerastorch(folder):
    sys.path.insert(0, str(ROOT))
    import numpy as np

    import kerastorch
    results = {}
    for name, source in MODELS.items():
        kerastorch.backend.clear_session()
        model, x = build(kerastorch, np, source)
        model.save(folder / f"{name}.keras")
        model.save_weights(folder / f"{name}.weights.h5")
        np.save(folder / f"{name}.x.npy", x)
        with zipfile.ZipFile(folder / f"{name}.keras") as archive:
            config = json.loads(archive.read("config.json"))
        results[name] = {"source": source.strip() + "\n", "config": config,
                         "weights_datasets": h5_datasets(folder / f"{name}.weights.h5"),
                         "kerastorch_predictions": flat_predictions(np, model.predict(x, verbose=0))}
    return results


def load_with_keras(folder):
    """Runs under Keras's interpreter: load each file and predict."""
    import keras
    import numpy as np
    report = {}
    for name in MODELS:
        if name in CLASSES:
            exec(CLASSES[name], {"keras": keras})
        x = np.load(folder / f"{name}.x.npy")
        entry = {}
        model = keras.models.load_model(folder / f"{name}.keras")
        entry["keras_loaded"] = True
        entry["keras_predictions"] = flat_predictions(np, model.predict(x, verbose=0))
        entry["optimizer_iterations"] = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
        fresh = keras.models.load_model(folder / f"{name}.keras", compile=False)
        for weight in fresh.weights:
            weight.assign(np.zeros(weight.shape, dtype=weight.dtype))
        fresh.load_weights(folder / f"{name}.weights.h5")
        entry["weights_h5_loaded"] = True
        entry["weights_h5_predictions"] = flat_predictions(np, fresh.predict(x, verbose=0))
        report[name] = entry
    print(json.dumps(report))


def max_difference(a, b):
    import numpy as np
    if isinstance(a, dict):
        return max(max_difference(a[k], b[k]) for k in a)
    return float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--keras":
        load_with_keras(pathlib.Path(sys.argv[2]))
        return
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        results = write_with_kerastorch(folder)
        run = subprocess.run([KERAS_PYTHON, __file__, "--keras", str(folder)], capture_output=True, text=True,
                             env={**os.environ, "KERAS_BACKEND": "torch"})
        if run.returncode != 0:
            sys.exit(f"Keras could not load kerastorch's files:\n{run.stderr[-4000:]}")
        keras_report = json.loads(run.stdout.strip().splitlines()[-1])
        version = subprocess.run([KERAS_PYTHON, "-c", "import keras; print(keras.__version__)"], capture_output=True,
                                 text=True, env={**os.environ, "KERAS_BACKEND": "torch"}).stdout.strip()
    fixture = {"keras_version": version, "models": {}}
    for name, written in results.items():
        loaded = keras_report[name]
        fixture["models"][name] = {
            "source": written["source"],
            "config": written["config"],
            "weights_datasets": written["weights_datasets"],
            "keras_loaded": loaded["keras_loaded"],
            "weights_h5_loaded": loaded["weights_h5_loaded"],
            "max_abs_difference": max_difference(written["kerastorch_predictions"], loaded["keras_predictions"]),
            "weights_h5_max_abs_difference": max_difference(written["kerastorch_predictions"],
                                                            loaded["weights_h5_predictions"]),
            "optimizer_iterations": loaded["optimizer_iterations"],
        }
        print(f"{name}: Keras loaded it; largest prediction difference "
              f"{fixture['models'][name]['max_abs_difference']:.2e}")
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
