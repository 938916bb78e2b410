"""Write tests/golden/optimizers/optimizers.json from real Keras 3 (KERAS_BACKEND=torch).

For each optimizer configuration: two fixed variables, a fixed sequence of gradient sets applied with
``optimizer.apply(grads, variables)``, and the variables after each step. Also each schedule's values at
several steps, each optimizer's default ``get_config()``, and the shapes and names of its ``variables``.

Run: KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_optimizers.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "optimizers", "optimizers.json")
SHAPES = [(3, 2), (4,)]
STEPS = 6


def schedule(class_name, **config):
    return {"class_name": class_name, "config": config}


# (case name, optimizer class, constructor arguments); a dict learning_rate is a serialized schedule.
CASES = [
    ("sgd", "SGD", {}),
    ("sgd_momentum", "SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("sgd_nesterov", "SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("sgd_weight_decay_cosine_warmup", "SGD", {
        "learning_rate": schedule("CosineDecay", initial_learning_rate=0.0, decay_steps=4, warmup_target=0.2,
                                  warmup_steps=2),
        "momentum": 0.5, "weight_decay": 0.1}),
    ("adam", "Adam", {"learning_rate": 0.01}),
    ("adam_amsgrad", "Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("adam_weight_decay", "Adam", {"learning_rate": 0.01, "weight_decay": 0.2}),
    ("adam_clipnorm", "Adam", {"learning_rate": 0.01, "clipnorm": 0.5}),
    ("adam_clipvalue", "Adam", {"learning_rate": 0.01, "clipvalue": 0.3}),
    ("adam_global_clipnorm", "Adam", {"learning_rate": 0.01, "global_clipnorm": 0.7}),
    ("adam_exponential_decay", "Adam", {
        "learning_rate": schedule("ExponentialDecay", initial_learning_rate=0.05, decay_steps=2, decay_rate=0.5,
                                  staircase=True)}),
    ("adam_loss_scale", "Adam", {"learning_rate": 0.01, "loss_scale_factor": 4.0, "clipnorm": 0.5}),
    ("adamw", "AdamW", {"learning_rate": 0.01}),
    ("adamw_amsgrad_piecewise", "AdamW", {
        "learning_rate": schedule("PiecewiseConstantDecay", boundaries=[1, 3], values=[0.05, 0.02, 0.01]),
        "weight_decay": 0.3, "amsgrad": True}),
    ("rmsprop", "RMSprop", {"learning_rate": 0.01}),
    ("rmsprop_centered", "RMSprop", {"learning_rate": 0.01, "rho": 0.8, "centered": True}),
    ("rmsprop_momentum_centered", "RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    ("rmsprop_momentum_global_clipnorm", "RMSprop", {"learning_rate": 0.01, "momentum": 0.9,
                                                     "global_clipnorm": 1.0}),
    ("adagrad", "Adagrad", {"learning_rate": 0.1}),
    ("adagrad_initial_value", "Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5,
                                          "epsilon": 1e-3}),
    ("adadelta", "Adadelta", {"learning_rate": 1.0}),
    ("adadelta_rho", "Adadelta", {"learning_rate": 0.5, "rho": 0.9, "epsilon": 1e-6, "clipvalue": 0.4}),
    ("adamax", "Adamax", {"learning_rate": 0.01}),
    ("adamax_inverse_time", "Adamax", {
        "learning_rate": schedule("InverseTimeDecay", initial_learning_rate=0.05, decay_steps=2, decay_rate=0.5)}),
    ("nadam", "Nadam", {"learning_rate": 0.01}),
    ("nadam_weight_decay_clipnorm", "Nadam", {"learning_rate": 0.01, "weight_decay": 0.1, "clipnorm": 0.5}),
    ("lion", "Lion", {"learning_rate": 0.01}),
    ("lion_weight_decay_polynomial", "Lion", {
        "learning_rate": schedule("PolynomialDecay", initial_learning_rate=0.02, decay_steps=4,
                                  end_learning_rate=0.005, power=2.0),
        "beta_1": 0.5, "weight_decay": 0.5}),
]

# Cases whose second gradient is missing (None) at one step, and cases that exclude the 'bias' from weight decay.
MISSING_GRADIENT = {"adam": 2, "sgd_momentum": 1}
EXCLUDE_BIAS = ["adamw_amsgrad_piecewise"]

SCHEDULES = [
    schedule("ExponentialDecay", initial_learning_rate=0.1, decay_steps=10, decay_rate=0.9),
    schedule("ExponentialDecay", initial_learning_rate=0.1, decay_steps=7, decay_rate=0.5, staircase=True),
    schedule("PiecewiseConstantDecay", boundaries=[5, 20], values=[1.0, 0.5, 0.1]),
    schedule("PolynomialDecay", initial_learning_rate=0.1, decay_steps=30),
    schedule("PolynomialDecay", initial_learning_rate=0.1, decay_steps=30, end_learning_rate=0.01, power=0.5,
             cycle=True),
    schedule("InverseTimeDecay", initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
    schedule("InverseTimeDecay", initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5, staircase=True),
    schedule("CosineDecay", initial_learning_rate=0.1, decay_steps=40),
    schedule("CosineDecay", initial_learning_rate=0.1, decay_steps=40, alpha=0.1),
    schedule("CosineDecay", initial_learning_rate=0.0, decay_steps=40, warmup_target=0.2, warmup_steps=10),
    schedule("CosineDecayRestarts", initial_learning_rate=0.1, first_decay_steps=10),
    schedule("CosineDecayRestarts", initial_learning_rate=0.1, first_decay_steps=10, t_mul=1.0, m_mul=0.5,
             alpha=0.05),
    schedule("CosineDecayRestarts", initial_learning_rate=0.1, first_decay_steps=8, t_mul=3.0, m_mul=0.8),
]
SCHEDULE_STEPS = [0, 1, 2, 3, 5, 7, 9, 10, 11, 14, 20, 25, 29, 30, 31, 35, 40, 45, 49, 50, 60, 75, 100, 200]


def build_optimizer(class_name, arguments):
    arguments = dict(arguments)
    if isinstance(arguments.get("learning_rate"), dict):
        arguments["learning_rate"] = keras.optimizers.schedules.deserialize(arguments["learning_rate"])
    return getattr(keras.optimizers, class_name)(**arguments)


def run_case(name, class_name, arguments, initial, gradients):
    variables = [keras.Variable(value, name=var_name) for value, var_name in zip(initial, ["kernel", "bias"])]
    optimizer = build_optimizer(class_name, arguments)
    if name in EXCLUDE_BIAS:
        optimizer.exclude_from_weight_decay(var_names=["bias"])
    trajectory, learning_rates = [], []
    for step_grads in gradients:
        learning_rates.append(float(np.asarray(optimizer.learning_rate)))
        grads = [None if g is None else keras.ops.convert_to_tensor(np.asarray(g, "float32")) for g in step_grads]
        optimizer.apply(grads, variables)
        trajectory.append([np.asarray(v.numpy()).ravel().tolist() for v in variables])
    return {"class_name": class_name, "arguments": arguments, "exclude_bias": name in EXCLUDE_BIAS,
            "gradients": [[None if g is None else np.asarray(g).ravel().tolist() for g in step] for step in gradients],
            "learning_rates": learning_rates, "variables": trajectory,
            "iterations": int(np.asarray(optimizer.iterations.numpy()))}


def main():
    rng = np.random.default_rng(1234)
    initial = [rng.normal(size=shape).astype("float32") for shape in SHAPES]
    base_gradients = [[rng.normal(size=shape).astype("float32") for shape in SHAPES] for _ in range(STEPS)]
    base_gradients[3][1] = np.zeros(SHAPES[1], "float32")  # a zero gradient: clipnorm's and Adagrad's edge

    cases = {}
    for name, class_name, arguments in CASES:
        gradients = [list(step) for step in base_gradients]
        if name in MISSING_GRADIENT:
            gradients[MISSING_GRADIENT[name]][1] = None
        cases[name] = run_case(name, class_name, arguments, initial, gradients)

    schedule_values = []
    for spec in SCHEDULES:
        instance = keras.optimizers.schedules.deserialize(spec)
        values = [float(np.asarray(instance(step))) for step in SCHEDULE_STEPS]
        schedule_values.append({"spec": spec, "values": values,
                                "serialized": keras.optimizers.schedules.serialize(instance)})

    defaults, state = {}, {}
    for class_name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion"]:
        defaults[class_name] = getattr(keras.optimizers, class_name)().get_config()
    for class_name, arguments in [("SGD", {"momentum": 0.9}), ("Adam", {"amsgrad": True}),
                                  ("RMSprop", {"momentum": 0.5, "centered": True}), ("Adadelta", {}),
                                  ("Adamax", {}), ("Nadam", {}), ("Adagrad", {}), ("Lion", {}),
                                  ("SGD", {}),
                                  ("Adam", {"learning_rate": schedule("ExponentialDecay", initial_learning_rate=0.1,
                                                                      decay_steps=10, decay_rate=0.9)})]:
        optimizer = build_optimizer(class_name, arguments)
        optimizer.build([keras.Variable(value, name=n) for value, n in zip(initial, ["kernel", "bias"])])
        key = class_name + json.dumps(arguments, sort_keys=True)
        state[key] = {"class_name": class_name, "arguments": arguments,
                      "shapes": [list(v.shape) for v in optimizer.variables],
                      "names": [v.name for v in optimizer.variables]}

    # Automatic names across clear_session (after everything above, so the other names are unchanged).
    before = [keras.optimizers.Adam().name, keras.optimizers.Adam().name]
    keras.backend.clear_session()
    after = [keras.optimizers.Adam().name, keras.layers.Dense(1).name, keras.optimizers.Adam().name]
    names = {"before_clear_session": before, "after_clear_session": after}

    golden = {"keras_version": keras.__version__, "initial": [v.ravel().tolist() for v in initial],
              "shapes": [list(s) for s in SHAPES], "cases": cases, "schedule_steps": SCHEDULE_STEPS,
              "schedules": schedule_values, "default_configs": defaults, "state_layouts": state,
              "automatic_names": names}
    with open(OUT, "w") as f:
        json.dump(golden, f)
    print(f"wrote {OUT}: {len(cases)} optimizer cases, {len(schedule_values)} schedules")


if __name__ == "__main__":
    main()
