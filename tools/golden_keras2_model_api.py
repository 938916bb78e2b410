"""Records what Keras 2 (tf_keras 2.21, its legacy optimizers) does, for kerastorch's Keras 2 API tests.

    /work/tfvenv/bin/python tools/golden_keras2_model_api.py

tests/golden/models/keras2_model_api.json:
  - "history": for each compile ``metrics`` list (and a loss-only compile), the sorted keys of
    ``fit(...).history`` with validation data, ``metrics_names`` after that fit, the length of
    ``train_on_batch``/``test_on_batch``'s result (0 for a scalar) and of ``evaluate``'s.
  - "multi_output": the same for a two-output model (outputs ``gen`` and ``aux``) per ``metrics``.
  - "predict_classes": the inputs, the weights of a Dense softmax model and of a Dense sigmoid model (tf_keras
    2.21 has no ``predict_classes``: the test applies Keras 2's rule, argmax or ``> 0.5``, to these predictions),
    and tf_keras's ``predict`` of each.
tests/golden/optimizers/keras2_decay.json: for each legacy optimizer configuration (Keras 2's ``lr``, ``decay``,
  ``momentum``/``nesterov``, ``clipnorm``/``clipvalue``, Nadam's ``schedule_decay``), the initial variable, the
  gradients of 4 steps and the variable after each step (``apply_gradients``), float32, and the optimizer's
  ``get_config()`` (Keras 2's keys, as tf_keras writes them in an .h5 training_config).
"""
import json
import os
import pathlib
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

GOLDEN = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden"

METRIC_CASES = {
    "acc": ["acc"],
    "accuracy": ["accuracy"],
    "mae_and_acc": ["mae", "acc"],
    "binary_accuracy": ["binary_accuracy"],
    "none": None,
}
MULTI_OUTPUT_CASES = {"accuracy": ["accuracy"], "acc": ["acc"], "per_output_acc": {"gen": "acc", "aux": ["acc"]}}

# name: (legacy class, constructor arguments).
OPTIMIZER_CASES = {
    "sgd_decay": ("SGD", {"lr": 0.1, "decay": 0.5}),
    "sgd_momentum_decay": ("SGD", {"lr": 0.1, "decay": 0.1, "momentum": 0.9}),
    "sgd_nesterov_decay": ("SGD", {"lr": 0.1, "decay": 0.1, "momentum": 0.9, "nesterov": True}),
    "sgd_clipnorm": ("SGD", {"lr": 0.1, "clipnorm": 0.5}),
    "sgd_clipvalue": ("SGD", {"lr": 0.1, "clipvalue": 0.2}),
    "adam_decay": ("Adam", {"lr": 0.01, "decay": 0.2}),
    "adam_amsgrad_decay": ("Adam", {"lr": 0.01, "decay": 0.2, "amsgrad": True}),
    "rmsprop_decay": ("RMSprop", {"lr": 0.01, "decay": 0.3}),
    "adagrad_decay": ("Adagrad", {"lr": 0.1, "decay": 0.3}),
    "adadelta_decay": ("Adadelta", {"lr": 1.0, "decay": 0.1}),
    "adamax_decay": ("Adamax", {"lr": 0.02, "decay": 0.25}),
    "nadam_schedule_decay": ("Nadam", {"lr": 0.01, "schedule_decay": 0.004}),
    "nadam_default": ("Nadam", {"lr": 0.01}),
}


def binary_data(rng, samples=16):
    x = rng.normal(size=(samples, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    return x, y


def history_case(metrics, rng):
    x, y = binary_data(rng)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=metrics)
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0, validation_data=(x, y))
    names_after_fit = list(model.metrics_names)
    on_batch = model.train_on_batch(x, y)
    on_test = model.test_on_batch(x, y)
    evaluated = model.evaluate(x, y, verbose=0)
    length = lambda value: len(value) if isinstance(value, list) else 0  # noqa: E731
    return {"history_keys": sorted(history.history), "metrics_names_after_fit": names_after_fit,
            "train_on_batch_length": length(on_batch), "test_on_batch_length": length(on_test),
            "evaluate_length": length(evaluated)}


def multi_output_case(metrics, rng):
    """A two-output model (named outputs ``gen`` and ``aux``, as in Keras 2's mnist_acgan) compiled with
    ``metrics``: the same record as ``history_case``."""
    x, y = binary_data(rng)
    labels = (x[:, 1] > 0).astype("int64") + (x[:, 2] > 0).astype("int64")
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4)(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(1, activation="sigmoid", name="gen")(hidden),
                                 keras.layers.Dense(3, activation="softmax", name="aux")(hidden)])
    model.compile("sgd", ["binary_crossentropy", "sparse_categorical_crossentropy"], metrics=metrics)
    targets = [y, labels]
    history = model.fit(x, targets, batch_size=8, epochs=1, verbose=0, validation_data=(x, targets))
    names_after_fit = list(model.metrics_names)
    return {"history_keys": sorted(history.history), "metrics_names_after_fit": names_after_fit,
            "train_on_batch_length": len(model.train_on_batch(x, targets)),
            "test_on_batch_length": len(model.test_on_batch(x, targets)),
            "evaluate_length": len(model.evaluate(x, targets, verbose=0))}


def predict_classes_case(rng):
    x = rng.normal(size=(6, 4)).astype("float32")
    softmax = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    sigmoid = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    case = {"x": x.tolist()}
    for name, model in (("softmax", softmax), ("sigmoid", sigmoid)):
        weights = [rng.normal(size=w.shape).astype("float32") for w in model.get_weights()]
        model.set_weights(weights)
        case[name] = {"weights": [w.tolist() for w in weights], "predict": model.predict(x, verbose=0).tolist()}
    return case


def optimizer_case(class_name, arguments, rng):
    initial = rng.normal(size=(2, 3)).astype("float32")
    grads = [rng.normal(size=(2, 3)).astype("float32") for _ in range(4)]
    variable = tf.Variable(initial)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "The `lr` argument is deprecated"
        optimizer = getattr(keras.optimizers.legacy, class_name)(**arguments)
    after = []
    for grad in grads:
        optimizer.apply_gradients([(tf.constant(grad), variable)])
        after.append(variable.numpy().tolist())
    config = {key: float(value) if isinstance(value, np.floating) else value
              for key, value in optimizer.get_config().items()}
    return {"class_name": class_name, "arguments": arguments, "config": config, "initial": initial.tolist(),
            "grads": [g.tolist() for g in grads], "after_each_step": after}


def main():
    rng = np.random.default_rng(16)
    model_api = {"history": {name: history_case(metrics, rng) for name, metrics in METRIC_CASES.items()},
                 "metric_cases": METRIC_CASES, "predict_classes": predict_classes_case(rng),
                 "multi_output": {name: multi_output_case(metrics, rng) for name, metrics in MULTI_OUTPUT_CASES.items()},
                 "multi_output_cases": MULTI_OUTPUT_CASES}
    (GOLDEN / "models" / "keras2_model_api.json").write_text(json.dumps(model_api, indent=1) + "\n")
    decay = {name: optimizer_case(class_name, arguments, rng)
             for name, (class_name, arguments) in OPTIMIZER_CASES.items()}
    (GOLDEN / "optimizers" / "keras2_decay.json").write_text(json.dumps(decay) + "\n")


if __name__ == "__main__":
    main()
