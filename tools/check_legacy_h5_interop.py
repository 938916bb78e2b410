"""Checks that legacy `.h5` files move between kerastorch, Keras 3 and tf.keras, and records the results.

    .venv/bin/python tools/check_legacy_h5_interop.py      (from the repository root; needs /work/kvenv with Keras 3
                                                            and /work/tfvenv with tf_keras)

Both directions, for each model in MODELS (an MLP, a convnet with BatchNormalization, Embedding + LSTM + GRU,
Bidirectional + TimeDistributed, a functional model with two inputs, Keras 2's seq2seq example's encoder-decoder
with `initial_state`), each trained two epochs first:

- kerastorch -> Keras: kerastorch writes `model.save("m.h5")` and `save_weights("w.h5")`; Keras 3
  (KERAS_BACKEND=torch) and tf_keras load both (the weights into the same architecture built and trained in their
  own code), predict, and train the loaded model one more epoch, which kerastorch's model also does. Recorded:
  whether each loaded, the largest prediction difference, the optimizer's step count as read, and the largest
  difference after the extra epoch (small when the optimizer's state was restored).
- tf.keras -> kerastorch: tf_keras writes `tests/golden/saving/tf_keras_<name>.h5` (and one weights file) and
  records in tests/golden/saving/tf_keras_h5.npz the inputs, its predictions and, for the models without dropout,
  its predictions after one more epoch; tests/saving/test_legacy_h5_save.py loads the files and compares. Two more
  models (TF_KERAS_ONLY) use tf.keras's legacy optimizers, whose state kerastorch reorders on load.

Also recorded: the text of Keras 3's warning when it saves an `.h5` file, and an `.h5` file Keras 3 writes
(tests/golden/saving/keras3_mlp.h5, keras3_h5.npz). Results: tests/golden/saving/legacy_h5.json.
"""
import json
import logging
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "golden" / "saving"
OUT = FIXTURES / "legacy_h5.json"
KERAS_PYTHON = os.environ.get("KERAS_PYTHON", "/work/kvenv/bin/python")
TF_KERAS_PYTHON = os.environ.get("TF_KERAS_PYTHON", "/work/tfvenv/bin/python")

# Each snippet builds and compiles `model` from `keras` and `np` and sets `x_train`, `y_train` and `x` (the
# prediction input); `deterministic` says whether one more epoch gives the same numbers everywhere (no dropout).
MODELS = {
    "mlp": """
model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")], name="mlp")
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
rng = np.random.RandomState(0)
x_train, y_train = rng.rand(32, 6).astype("float32"), rng.randint(0, 3, 32)
x = rng.rand(4, 6).astype("float32")
deterministic = True
""",
    "convnet_bn": """
model = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.Conv2D(4, 3, activation="relu"),
                          keras.layers.BatchNormalization(), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                          keras.layers.Dropout(0.25), keras.layers.Dense(3, activation="softmax")], name="convnet")
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), loss="categorical_crossentropy",
              metrics=["accuracy"])
rng = np.random.RandomState(1)
x_train = rng.rand(24, 8, 8, 2).astype("float32")
y_train = np.eye(3, dtype="float32")[rng.randint(0, 3, 24)]
x = rng.rand(3, 8, 8, 2).astype("float32")
deterministic = False
""",
    "recurrent": """
model = keras.Sequential([keras.Input((7,), dtype="int32"), keras.layers.Embedding(20, 5),
                          keras.layers.LSTM(4, return_sequences=True), keras.layers.GRU(3),
                          keras.layers.Dense(1, activation="sigmoid")], name="recurrent")
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="binary_crossentropy",
              metrics=["accuracy"])
rng = np.random.RandomState(2)
x_train = rng.randint(0, 20, (24, 7)).astype("int32")
y_train = rng.randint(0, 2, (24, 1)).astype("float32")
x = rng.randint(0, 20, (3, 7)).astype("int32")
deterministic = True
""",
    "bidirectional_tagger": """
model = keras.Sequential([keras.Input((6, 3)), keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True)),
                          keras.layers.TimeDistributed(keras.layers.Dense(2))], name="tagger")
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
rng = np.random.RandomState(3)
x_train, y_train = rng.rand(16, 6, 3).astype("float32"), rng.rand(16, 6, 2).astype("float32")
x = rng.rand(3, 6, 3).astype("float32")
deterministic = True
""",
    "two_input": """
a = keras.Input((5,), name="a")
b = keras.Input((3,), name="b")
h = keras.layers.concatenate([keras.layers.Dense(4, activation="tanh")(a), b])
model = keras.Model(inputs=[a, b], outputs=keras.layers.Dense(2, name="out")(h), name="two_input")
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
rng = np.random.RandomState(4)
x_train = [rng.rand(24, 5).astype("float32"), rng.rand(24, 3).astype("float32")]
y_train = rng.rand(24, 2).astype("float32")
x = [rng.rand(3, 5).astype("float32"), rng.rand(3, 3).astype("float32")]
deterministic = True
""",
    "seq2seq": """
encoder_inputs = keras.Input((None, 5))
_, state_h, state_c = keras.layers.LSTM(8, return_state=True)(encoder_inputs)
decoder_inputs = keras.Input((None, 6))
decoder_outputs, _, _ = keras.layers.LSTM(8, return_sequences=True, return_state=True)(
    decoder_inputs, initial_state=[state_h, state_c])
outputs = keras.layers.Dense(6, activation="softmax")(decoder_outputs)
model = keras.Model([encoder_inputs, decoder_inputs], outputs)
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
rng = np.random.RandomState(5)
x_train = [rng.rand(16, 4, 5).astype("float32"), rng.rand(16, 3, 6).astype("float32")]
y_train = np.eye(6, dtype="float32")[rng.randint(0, 6, (16, 3))]
x = [rng.rand(2, 4, 5).astype("float32"), rng.rand(2, 3, 6).astype("float32")]
deterministic = True
""",
}
# Models only tf.keras writes (kerastorch has no `optimizers.legacy`): Keras 2's first optimizers, whose state
# lists all `m` then all `v`.
TF_KERAS_ONLY = {
    "mlp_legacy_adam": MODELS["mlp"].replace("keras.optimizers.Adam(", "keras.optimizers.legacy.Adam("),
    "convnet_legacy_sgd": MODELS["convnet_bn"].replace("keras.optimizers.SGD(", "keras.optimizers.legacy.SGD(")
    .replace("keras.layers.Dropout(0.25), ", "").replace("deterministic = False", "deterministic = True"),
}
# tf.keras's files committed as fixtures: every model's full file, and one weights file.
TF_KERAS_WEIGHTS_FILES = ("mlp",)
FIT = {"epochs": 2, "batch_size": 8, "shuffle": False, "verbose": 0}
EXTRA_EPOCH = {"epochs": 1, "batch_size": 8, "shuffle": False, "verbose": 0}


def build(keras, np, name, train=True):
    keras.utils.set_random_seed(0)
    scope = {"keras": keras, "np": np}
    exec({**MODELS, **TF_KERAS_ONLY}[name], scope)
    if train:
        scope["model"].fit(scope["x_train"], scope["y_train"], **FIT)
    return scope


def predictions(np, model, x):
    return np.asarray(model.predict(x, verbose=0))


def step_count(keras_module, np, optimizer):
    value = optimizer.iterations
    return int(np.asarray(value.numpy() if hasattr(value, "numpy") else value))


def write_with_kerastorch(folder):
    sys.path.insert(0, str(ROOT))
    import warnings

    import numpy as np

    import kerastorch
    written = {}
    for name in MODELS:
        kerastorch.backend.clear_session()
        scope = build(kerastorch, np, name)
        model = scope["model"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.save(folder / f"{name}.h5")
            model.save_weights(folder / f"{name}.w.h5")
        import h5py
        with h5py.File(folder / f"{name}.h5", "r") as h5_file:
            config = json.loads(h5_file.attrs["model_config"])
            training_config = json.loads(h5_file.attrs["training_config"])
        before = predictions(np, model, scope["x"])
        model.fit(scope["x_train"], scope["y_train"], **EXTRA_EPOCH)
        np.savez(folder / f"{name}.npz", before=before, after=predictions(np, model, scope["x"]))
        written[name] = {"model_config": config, "training_config": training_config,
                         "optimizer_iterations": step_count(kerastorch, np, model.optimizer)}
    return written


def load_in_keras(folder, keras):
    """Runs under Keras 3's or tf_keras's interpreter: load kerastorch's files, predict, train one more epoch."""
    import warnings

    import numpy as np
    warnings.simplefilter("ignore")
    report = {}
    for name in MODELS:
        expected = np.load(folder / f"{name}.npz")
        entry = {}
        try:
            scope = build(keras, np, name, train=False)
            model = keras.models.load_model(folder / f"{name}.h5")
            entry["loaded"] = True
            entry["max_abs_difference"] = float(np.max(np.abs(predictions(np, model, scope["x"]) -
                                                               expected["before"])))
            entry["optimizer"] = type(model.optimizer).__name__
            entry["optimizer_iterations"] = step_count(keras, np, model.optimizer)
        except Exception as error:  # recorded: the point is to know which load
            entry["loaded"] = False
            entry["error"] = f"{type(error).__name__}: {error}"[:400]
        if entry["loaded"]:
            try:
                model.fit(scope["x_train"], scope["y_train"], **EXTRA_EPOCH)
                if scope["deterministic"]:
                    entry["after_extra_epoch_max_abs_difference"] = float(np.max(np.abs(
                        predictions(np, model, scope["x"]) - expected["after"])))
            except Exception as error:   # Keras 3 cannot train a model it loaded from .h5 (its own files too)
                entry["extra_epoch_error"] = f"{type(error).__name__}: {error}"[:200]
        try:
            scope = build(keras, np, name)   # trained in Keras's own code, then overwritten
            scope["model"].load_weights(folder / f"{name}.w.h5")
            entry["weights_loaded"] = True
            entry["weights_max_abs_difference"] = float(np.max(np.abs(
                predictions(np, scope["model"], scope["x"]) - expected["before"])))
        except Exception as error:
            entry["weights_loaded"] = False
            entry["weights_error"] = f"{type(error).__name__}: {error}"[:400]
        report[name] = entry
    print(json.dumps(report))


def write_with_tf_keras(folder):
    """Runs under tf_keras's interpreter: the fixtures tf.keras writes, and what it predicts."""
    import warnings

    import numpy as np
    import tf_keras as keras
    warnings.simplefilter("ignore")
    arrays = {}
    for name in [*MODELS, *TF_KERAS_ONLY]:
        keras.backend.clear_session()
        scope = build(keras, np, name)
        model = scope["model"]
        model.save(FIXTURES / f"tf_keras_{name}.h5")
        if name in TF_KERAS_WEIGHTS_FILES:
            model.save_weights(FIXTURES / f"tf_keras_{name}_weights.h5")
        xs = scope["x"] if isinstance(scope["x"], list) else [scope["x"]]
        x_train = scope["x_train"] if isinstance(scope["x_train"], list) else [scope["x_train"]]
        for position, value in enumerate(xs):
            arrays[f"{name}/x{position}"] = value
        for position, value in enumerate(x_train):
            arrays[f"{name}/x_train{position}"] = value
        arrays[f"{name}/y_train"] = np.asarray(scope["y_train"])
        arrays[f"{name}/predictions"] = predictions(np, model, scope["x"])
        arrays[f"{name}/iterations"] = np.asarray(step_count(keras, np, model.optimizer))
        if scope["deterministic"]:
            model.fit(scope["x_train"], scope["y_train"], **EXTRA_EPOCH)
            arrays[f"{name}/after_extra_epoch"] = predictions(np, model, scope["x"])
    np.savez(FIXTURES / "tf_keras_h5.npz", **arrays)
    print(json.dumps({"tf_keras_version": keras.__version__}))


def keras3_save_warning(folder):
    """Runs under Keras 3's interpreter: the warning it logs when a model is saved as `.h5`, and a fixture it
    writes (tests/golden/saving/keras3_mlp.h5, with its predictions and step count in keras3_h5.npz)."""
    import keras
    import numpy as np
    scope = build(keras, np, "mlp")
    scope["model"].save(FIXTURES / "keras3_mlp.h5")
    np.savez(FIXTURES / "keras3_h5.npz", x=scope["x"], predictions=predictions(np, scope["model"], scope["x"]),
             iterations=np.asarray(step_count(keras, np, scope["model"].optimizer)))
    messages = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    logging.getLogger("absl").addHandler(Collect())
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.save(folder / "warning.h5")
    print(json.dumps({"keras_version": keras.__version__, "warning": messages[0]}))


def run(python, mode, folder):
    completed = subprocess.run([python, __file__, mode, str(folder)], capture_output=True, text=True,
                               env={**os.environ, "KERAS_BACKEND": "torch", "TF_CPP_MIN_LOG_LEVEL": "3"})
    if completed.returncode != 0:
        sys.exit(f"{python} {mode} failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main():
    modes = {"--load-keras3": lambda folder: load_in_keras(folder, __import__("keras")),
             "--load-tf-keras": lambda folder: load_in_keras(folder, __import__("tf_keras")),
             "--tf-keras-write": write_with_tf_keras, "--keras3-warning": keras3_save_warning}
    if len(sys.argv) == 3 and sys.argv[1] in modes:
        modes[sys.argv[1]](pathlib.Path(sys.argv[2]))
        return
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        written = write_with_kerastorch(folder)
        keras3 = run(KERAS_PYTHON, "--load-keras3", folder)
        tf_keras = run(TF_KERAS_PYTHON, "--load-tf-keras", folder)
        warning = run(KERAS_PYTHON, "--keras3-warning", folder)
        versions = run(TF_KERAS_PYTHON, "--tf-keras-write", folder)
    fixture = {"keras_version": warning["keras_version"], "tf_keras_version": versions["tf_keras_version"],
               "keras3_save_warning": warning["warning"], "models": {},
               "tf_keras_only": {name: source.strip() + "\n" for name, source in TF_KERAS_ONLY.items()}}
    for name in MODELS:
        fixture["models"][name] = {"source": MODELS[name].strip() + "\n", **written[name],
                                   "keras3": keras3[name], "tf_keras": tf_keras[name]}
        for reader, entry in (("Keras 3", keras3[name]), ("tf_keras", tf_keras[name])):
            print(f"{name} in {reader}: " + ", ".join(f"{k}={v}" for k, v in entry.items()))
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
