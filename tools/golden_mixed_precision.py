"""Write tests/golden/mixed_precision.json and mixed_precision.npz from real Keras 3 (KERAS_BACKEND=torch).

Records, under dtype policies:
- the policy objects: names, compute and variable dtypes, reprs, configs, and the errors for bad names;
- each layer kind's dtype, compute dtype, weight dtypes and output dtype under "mixed_float16" (and a float32
  layer fed float16), and the symbolic dtypes of a functional model;
- what compile does with the optimizer under each policy (wrapped in a LossScaleOptimizer or not) and its config;
- LossScaleOptimizer's dynamics: a step with a non-finite gradient, then finite steps across a growth;
- a small model's predictions from fixed weights, and 2 epochs of fit from those weights, under
  "mixed_float16" and "mixed_bfloat16" (CPU), and the summary of a mixed model after fit.

Run: KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_mixed_precision.py
"""
import contextlib
import io
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(__file__)
OUT_JSON = os.path.join(HERE, "..", "tests", "golden", "mixed_precision.json")
OUT_NPZ = os.path.join(HERE, "..", "tests", "golden", "mixed_precision.npz")


def dtype_name(x):
    return str(getattr(x, "dtype", x)).replace("torch.", "")


def policies():
    found = {}
    for name in ("float32", "float16", "bfloat16", "float64", "mixed_float16", "mixed_bfloat16"):
        policy = keras.mixed_precision.DTypePolicy(name)
        found[name] = {"compute_dtype": policy.compute_dtype, "variable_dtype": policy.variable_dtype,
                       "repr": repr(policy), "config": policy.get_config()}
    errors = {}
    for bad in ("mixed_float32", "int8x"):
        try:
            keras.mixed_precision.DTypePolicy(bad)
        except ValueError as error:
            errors[bad] = str(error)
    try:
        keras.mixed_precision.set_global_policy(None)
    except ValueError as error:
        errors["set_global_policy(None)"] = str(error)
    return found, errors


def layer_dtypes():
    import torch
    layers = keras.layers
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        cases = {
            "Dense": (layers.Dense(3, activation="softmax"), np.ones((2, 4), "float32"), {}),
            "Conv2D": (layers.Conv2D(2, 3), np.ones((1, 5, 5, 2), "float32"), {}),
            "BatchNormalization": (layers.BatchNormalization(), np.ones((4, 3), "float32"), {"training": True}),
            "LayerNormalization": (layers.LayerNormalization(), np.ones((2, 3), "float32"), {}),
            "Activation_softmax": (layers.Activation("softmax"), np.ones((2, 3), "float32"), {}),
            "Dense_float32_on_float16": (layers.Dense(3, dtype="float32"), torch.ones(2, 4, dtype=torch.float16),
                                         {}),
        }
        found = {}
        for name, (layer, x, kwargs) in cases.items():
            y = layer(x, **kwargs)
            found[name] = {"dtype": layer.dtype, "compute_dtype": layer.compute_dtype,
                           "variable_dtype": layer.variable_dtype, "policy": layer.dtype_policy.name,
                           "weights": sorted({dtype_name(w) for w in layer.weights}), "output": dtype_name(y),
                           "config_dtype": layer.get_config()["dtype"]}
        inputs = keras.Input((4,))
        hidden = layers.Dense(8, activation="relu")(inputs)
        outputs = layers.Dense(2, activation="softmax", dtype="float32")(hidden)
        model = keras.Model(inputs, outputs)
        symbolic = {"input": dtype_name(inputs), "hidden": dtype_name(hidden), "output": dtype_name(outputs),
                    "model_policy": model.dtype_policy.name, "model_dtype": model.dtype,
                    "model_compute_dtype": model.compute_dtype}
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return found, symbolic


def compile_wrapping():
    found = {}
    for policy, auto_scale_loss in (("mixed_float16", True), ("mixed_float16", False), ("mixed_bfloat16", True),
                                    ("float32", True)):
        keras.mixed_precision.set_global_policy(policy)
        try:
            model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        finally:
            keras.mixed_precision.set_global_policy("float32")
        model.compile(optimizer="sgd", loss="mse", auto_scale_loss=auto_scale_loss)
        optimizer = model.optimizer
        entry = {"class_name": type(optimizer).__name__, "name": optimizer.name}
        if hasattr(optimizer, "inner_optimizer"):
            config = optimizer.get_config()
            entry["config_keys"] = sorted(config)
            entry["initial_scale"] = config["initial_scale"]
            entry["dynamic_growth_steps"] = config["dynamic_growth_steps"]
            entry["inner_class_name"] = type(optimizer.inner_optimizer).__name__
        found[f"{policy}/auto_scale_loss={auto_scale_loss}"] = entry
    return found


def loss_scale_dynamics():
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=8.0,
                                                    dynamic_growth_steps=2)
    variable = keras.Variable(np.ones(3, "float32"))
    gradients = [[np.inf, 1.0, 1.0], [8.0, 8.0, 8.0], [8.0, 8.0, 8.0], [8.0, 8.0, 8.0], [np.nan, 8.0, 8.0],
                 [4.0, 4.0, 4.0]]
    steps = []
    for gradient in gradients:
        optimizer.apply([np.array(gradient, "float32")], [variable])
        steps.append({"gradient": [str(g) if not np.isfinite(g) else g for g in gradient],
                      "variable": variable.numpy().tolist(), "scale": float(optimizer.dynamic_scale),
                      "iterations": int(optimizer.iterations), "step_counter": int(optimizer.step_counter),
                      "inner_iterations": int(optimizer.inner_optimizer.iterations)})
    import torch
    scaled = float(optimizer.scale_loss(torch.tensor(2.0)))
    variables = [[v.path, list(v.shape), dtype_name(v.numpy())] for v in optimizer.variables]
    return {"steps": steps, "scale_loss_of_2": scaled, "variables": variables}


def build_model(policy):
    keras.mixed_precision.set_global_policy(policy)
    try:
        return keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                                 keras.layers.Dense(8, activation="tanh"),
                                 keras.layers.Dense(3, activation="softmax", dtype="float32")])
    finally:
        keras.mixed_precision.set_global_policy("float32")


def training(arrays):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(48, 6)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 1).astype("int64")
    arrays["x"], arrays["y"] = x, y
    reference = build_model("float32")
    initial = reference.get_weights()
    for i, w in enumerate(initial):
        arrays[f"initial_{i}"] = w
    found = {}
    for policy in ("mixed_float16", "mixed_bfloat16"):
        model = build_model(policy)
        model.set_weights(initial)
        arrays[f"{policy}_predict"] = model.predict(x, verbose=0)
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        for i, w in enumerate(model.get_weights()):
            arrays[f"{policy}_final_{i}"] = w
        summary = io.StringIO()
        with contextlib.redirect_stdout(summary):
            model.summary()
        optimizer = model.optimizer
        found[policy] = {"history": history.history, "optimizer": type(optimizer).__name__,
                         "iterations": int(optimizer.iterations),
                         "scale": float(optimizer.dynamic_scale) if hasattr(optimizer, "dynamic_scale") else None,
                         "summary_tail": summary.getvalue().splitlines()[-4:]}
    return found


def main():
    keras.utils.set_random_seed(0)
    arrays = {}
    policy_facts, errors = policies()
    layer_facts, symbolic = layer_dtypes()
    fixture = {"keras_version": keras.__version__, "policies": policy_facts, "errors": errors,
               "layers": layer_facts, "symbolic": symbolic, "compile": compile_wrapping(),
               "loss_scale_optimizer": loss_scale_dynamics(), "training": training(arrays)}
    with open(OUT_JSON, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    np.savez(OUT_NPZ, **arrays)
    print(f"wrote {OUT_JSON} and {OUT_NPZ}")


if __name__ == "__main__":
    main()
