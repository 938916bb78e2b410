"""Write tests/golden/training/fit_parity.npz and fit_parity.json from real Keras 3 (KERAS_BACKEND=torch).

Each case trains a small Sequential model (Dense(8, relu, l2) -> Dense(k)) from Keras's initial weights on
fixed, unshuffled data for 3 epochs with validation_split=0.25 and a batch size that leaves a partial last
batch, then evaluates and predicts on all the data. The fixtures hold the data, the initial and final weights,
the History, evaluate's dict and list, metrics_names order, and predict's output. One more model has two
inputs and two outputs, with per-output losses, loss weights and metrics.

Run: KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_fit.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(__file__)
OUT_NPZ = os.path.join(HERE, "..", "tests", "golden", "training", "fit_parity.npz")
OUT_JSON = os.path.join(HERE, "..", "tests", "golden", "training", "fit_parity.json")

NUM_SAMPLES = 40      # 30 train + 10 validation; batch 8 leaves partial batches of 6 and 2
NUM_FEATURES = 4
NUM_CLASSES = 3
BATCH_SIZE = 8
EPOCHS = 3
VALIDATION_SPLIT = 0.25
L2 = 0.01

# (case, optimizer class, optimizer arguments, loss, output units, output activation, labels, extras)
OPTIMIZER_CASES = [
    ("sgd_nesterov", "SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adam", "Adam", {"learning_rate": 0.01}),
    ("adamw", "AdamW", {"learning_rate": 0.01, "weight_decay": 0.05}),
    ("rmsprop", "RMSprop", {"learning_rate": 0.01}),
    ("adagrad", "Adagrad", {"learning_rate": 0.1}),
    ("nadam", "Nadam", {"learning_rate": 0.01}),
]


def make_data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(NUM_SAMPLES, NUM_FEATURES)).astype("float32")
    # Labels that depend on x, so training makes progress and accuracy moves.
    scores = x[:, :NUM_CLASSES] + 0.5 * rng.normal(size=(NUM_SAMPLES, NUM_CLASSES))
    sparse = scores.argmax(axis=1).astype("int64")
    binary = (x[:, 0] + x[:, 1] > 0).astype("float32").reshape(-1, 1)
    sample_weight = rng.uniform(0.2, 2.0, size=(NUM_SAMPLES,)).astype("float32")
    x_b = rng.normal(size=(NUM_SAMPLES, 2)).astype("float32")
    y_regression = (x_b[:, :1] - 0.5 * x_b[:, 1:] + 0.1 * rng.normal(size=(NUM_SAMPLES, 1))).astype("float32")
    return {"x": x, "y_sparse": sparse, "y_sparse_column": sparse.reshape(-1, 1).astype("int32"),
            "y_onehot": np.eye(NUM_CLASSES, dtype="float32")[sparse], "y_binary": binary,
            "y_binary_flat": binary.reshape(-1), "sample_weight": sample_weight, "x_b": x_b,
            "y_regression": y_regression}


def build_model(units, activation):
    keras.utils.set_random_seed(1)
    return keras.Sequential([
        keras.Input((NUM_FEATURES,)),
        keras.layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.l2(L2)),
        keras.layers.Dense(units, activation=activation),
    ])


def cases():
    out = []
    for name, optimizer, config in OPTIMIZER_CASES:
        out.append({"name": name, "optimizer": optimizer, "optimizer_config": config,
                    "loss": "sparse_categorical_crossentropy", "units": NUM_CLASSES, "activation": "softmax",
                    "y": "y_sparse", "metrics": ["accuracy"]})
    out.append({"name": "adam_sample_weight", "optimizer": "Adam", "optimizer_config": {"learning_rate": 0.01},
                "loss": "sparse_categorical_crossentropy", "units": NUM_CLASSES, "activation": "softmax",
                "y": "y_sparse", "metrics": ["accuracy"], "weighted_metrics": ["accuracy"],
                "sample_weight": True})
    out.append({"name": "adam_class_weight", "optimizer": "Adam", "optimizer_config": {"learning_rate": 0.01},
                "loss": "sparse_categorical_crossentropy", "units": NUM_CLASSES, "activation": "softmax",
                "y": "y_sparse", "metrics": ["accuracy"], "class_weight": {"0": 0.5, "1": 2.0, "2": 1.5}})
    out.append({"name": "binary_crossentropy", "optimizer": "Adam", "optimizer_config": {"learning_rate": 0.01},
                "loss": "binary_crossentropy", "units": 1, "activation": "sigmoid", "y": "y_binary",
                "metrics": ["accuracy"]})
    # Labels one rank below the output (binary) and with a trailing axis of 1 (sparse), which Keras accepts.
    out.append({"name": "binary_crossentropy_flat_labels", "optimizer": "SGD",
                "optimizer_config": {"learning_rate": 0.1, "momentum": 0.5}, "loss": "binary_crossentropy",
                "units": 1, "activation": "sigmoid", "y": "y_binary_flat", "metrics": ["accuracy"]})
    out.append({"name": "sparse_labels_column", "optimizer": "Nadam", "optimizer_config": {"learning_rate": 0.01},
                "loss": "sparse_categorical_crossentropy", "units": NUM_CLASSES, "activation": "softmax",
                "y": "y_sparse_column", "metrics": ["accuracy"]})
    out.append({"name": "categorical_crossentropy", "optimizer": "RMSprop",
                "optimizer_config": {"learning_rate": 0.01}, "loss": "categorical_crossentropy",
                "units": NUM_CLASSES, "activation": "softmax", "y": "y_onehot", "metrics": ["accuracy"]})
    return out


def run_case(case, data, arrays):
    keras.backend.clear_session()
    model = build_model(case["units"], case["activation"])
    name = case["name"]
    for i, w in enumerate(model.get_weights()):
        arrays[f"{name}/initial/{i}"] = w
    optimizer = getattr(keras.optimizers, case["optimizer"])(**case["optimizer_config"])
    model.compile(optimizer=optimizer, loss=case["loss"], metrics=case["metrics"],
                  weighted_metrics=case.get("weighted_metrics"))
    x, y = data["x"], data[case["y"]]
    sample_weight = data["sample_weight"] if case.get("sample_weight") else None
    class_weight = {int(k): v for k, v in case["class_weight"].items()} if "class_weight" in case else None
    history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=0, shuffle=False,
                        validation_split=VALIDATION_SPLIT, sample_weight=sample_weight, class_weight=class_weight)
    for i, w in enumerate(model.get_weights()):
        arrays[f"{name}/final/{i}"] = w
    evaluate_dict = model.evaluate(x, y, batch_size=BATCH_SIZE, verbose=0, return_dict=True,
                                   sample_weight=sample_weight)
    evaluate_list = model.evaluate(x, y, batch_size=BATCH_SIZE, verbose=0, sample_weight=sample_weight)
    arrays[f"{name}/predict"] = model.predict(x, batch_size=BATCH_SIZE, verbose=0)
    return {
        "history": {k: [float(v) for v in values] for k, values in history.history.items()},
        "history_keys": list(history.history),
        "iterations": int(model.optimizer.iterations.numpy()),
        "evaluate_dict": {k: float(v) for k, v in evaluate_dict.items()},
        "evaluate_keys": list(evaluate_dict),
        "evaluate_list": [float(v) for v in np.atleast_1d(evaluate_list)],
        "num_weights": len(model.get_weights()),
    }


MULTI_IO_LAYERS = ["hidden_a", "hidden_b", "cls", "reg"]


def run_multi_io(data, arrays):
    """Two inputs and two outputs (a classifier on one input, a regressor on the other), lists of losses,
    loss_weights and per-output metrics: per-output logs, their order, and evaluate's list order."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(2)
    input_a, input_b = keras.Input((NUM_FEATURES,), name="a"), keras.Input((2,), name="b")
    hidden_a = keras.layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.l2(L2),
                                  name="hidden_a")(input_a)
    hidden_b = keras.layers.Dense(4, activation="tanh", name="hidden_b")(input_b)
    outputs = [keras.layers.Dense(NUM_CLASSES, activation="softmax", name="cls")(hidden_a),
               keras.layers.Dense(1, name="reg")(hidden_b)]
    model = keras.Model([input_a, input_b], outputs)
    for layer in MULTI_IO_LAYERS:
        for i, w in enumerate(model.get_layer(layer).get_weights()):
            arrays[f"multi_io/initial/{layer}/{i}"] = w
    config = {"loss": ["sparse_categorical_crossentropy", "mse"], "loss_weights": [1.0, 0.5],
              "metrics": [["accuracy"], ["mae"]]}
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), **config)
    x, y = [data["x"], data["x_b"]], [data["y_sparse"], data["y_regression"]]
    history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=0, shuffle=False,
                        validation_split=VALIDATION_SPLIT)
    for layer in MULTI_IO_LAYERS:
        for i, w in enumerate(model.get_layer(layer).get_weights()):
            arrays[f"multi_io/final/{layer}/{i}"] = w
    evaluate_dict = model.evaluate(x, y, batch_size=BATCH_SIZE, verbose=0, return_dict=True)
    evaluate_list = model.evaluate(x, y, batch_size=BATCH_SIZE, verbose=0)
    predictions = model.predict(x, batch_size=BATCH_SIZE, verbose=0)
    arrays["multi_io/predict/0"], arrays["multi_io/predict/1"] = predictions
    return dict(config, layers=MULTI_IO_LAYERS, optimizer_config={"learning_rate": 0.01},
                history={k: [float(v) for v in values] for k, values in history.history.items()},
                history_keys=list(history.history),
                evaluate_dict={k: float(v) for k, v in evaluate_dict.items()}, evaluate_keys=list(evaluate_dict),
                evaluate_list=[float(v) for v in evaluate_list])


def main():
    data = make_data()
    arrays = dict(data)
    results = {"keras_version": keras.__version__, "batch_size": BATCH_SIZE, "epochs": EPOCHS,
               "validation_split": VALIDATION_SPLIT, "l2": L2, "cases": []}
    for case in cases():
        case = dict(case)
        case.update(run_case(case, data, arrays))
        results["cases"].append(case)
    results["multi_io"] = run_multi_io(data, arrays)
    np.savez_compressed(OUT_NPZ, **arrays)
    with open(OUT_JSON, "w") as f:
        json.dump(results, f, indent=1)
    print(f"wrote {len(results['cases'])} cases")


if __name__ == "__main__":
    main()
