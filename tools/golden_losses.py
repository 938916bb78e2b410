"""Record real Keras 3's loss values as fixtures for tests/test_losses.py.

Run with the reference Keras (3.15.1 on torch):

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_losses.py

Writes tests/golden/losses/losses.json: every loss function under every name (Keras 2's aliases are computed with
the Keras 3 function they stand for), every loss class with its arguments, each reduction, sample weights of
several shapes, ignore_class and a y_pred mask, on small seeded inputs that include the clipping edges
(probabilities of exactly 0 and 1, large logits). The tests never import keras; they read this file.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from keras import ops  # noqa: E402
from keras.src.losses import LossFunctionWrapper  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "losses", "losses.json")
KL = keras.losses
rng = np.random.default_rng(20240531)

# Names Keras 2 gave losses that Keras 3 no longer resolves, and the Keras 3 function each stands for.
KERAS2_ONLY = {
    "logcosh": "log_cosh",
    "kullback_leibler_divergence": "kl_divergence",
    "cosine_proximity": "cosine_similarity",
    "cosine": "cosine_similarity",  # Keras 2.0-2.2's short name for cosine_proximity
}
# Aliases Keras 3 resolves through keras.losses.get.
KERAS3_ALIASES = {
    "mse": "mean_squared_error", "MSE": "mean_squared_error",
    "mae": "mean_absolute_error", "MAE": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error", "MAPE": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error", "MSLE": "mean_squared_logarithmic_error",
    "kld": "kl_divergence", "KLD": "kl_divergence",
    "bce": "binary_crossentropy", "BCE": "binary_crossentropy",
}


def f32(shape, low=None, high=None, scale=1.0):
    if low is not None:
        return rng.uniform(low, high, size=shape).astype(np.float32)
    return (rng.normal(size=shape) * scale).astype(np.float32)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(np.float32)


def sigmoid(x):
    return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


def one_hot(labels, classes, axis=-1):
    encoded = np.eye(classes, dtype=np.float32)[labels]
    return np.moveaxis(encoded, -1, axis)


def as_list(a):
    """Nested lists; float32 values as their shortest round-trip decimal, which keeps the file small."""
    a = np.asarray(a)
    if a.dtype == np.float32:
        return [as_list(row) for row in a] if a.ndim else float(str(a[()]))
    return a.tolist()


def dtype_name(a):
    return "int64" if np.issubdtype(np.asarray(a).dtype, np.integer) else "float32"


def to_numpy(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


# ---- inputs, named so the fixture says what each case exercises ---------------------------------------------

def regression_inputs():
    return {
        "2d": (f32((4, 3)), f32((4, 3))),
        "3d": (f32((2, 3, 4)), f32((2, 3, 4))),
        "true_rank1_pred_col": (f32((4,)), f32((4, 1))),
        "true_col_pred_rank1": (f32((4, 1)), f32((4,))),
        "1d": (f32((5,)), f32((5,))),
    }


def positive_inputs():
    y_true = f32((4, 3), 0.0, 3.0)
    y_true[0, 0] = 0.0
    y_pred = f32((4, 3), 0.0, 3.0)
    y_pred[1, 1] = 0.0
    y_pred[2, 2] = 1e-9  # below epsilon: msle clips it, poisson logs it plus epsilon
    return {"positive": (y_true, y_pred), "positive_3d": (f32((2, 2, 3), 0.0, 2.0), f32((2, 2, 3), 0.0, 2.0))}


def mape_inputs():
    y_true = f32((4, 3))
    y_true[0, 1] = 0.0  # divided by epsilon
    return {"zero_target": (y_true, f32((4, 3))), **regression_inputs()}


def hinge_inputs():
    binary = rng.integers(0, 2, size=(4, 3)).astype(np.float32)
    signed = binary * 2 - 1
    mixed = np.array([[-1, 0, 1], [1, 1, 0], [0, -1, -1], [1, 0, 1]], np.float32)  # not binary: left as is
    return {
        "binary_labels": (binary, f32((4, 3), scale=1.5)),
        "signed_labels": (signed, f32((4, 3), scale=1.5)),
        "non_binary_labels": (mixed, f32((4, 3), scale=1.5)),
        "3d": ((rng.integers(0, 2, size=(2, 3, 4)) * 2 - 1).astype(np.float32), f32((2, 3, 4))),
    }


def categorical_hinge_inputs():
    return {
        "one_hot": (one_hot(rng.integers(0, 4, size=5), 4), f32((5, 4))),
        "3d": (one_hot(rng.integers(0, 3, size=(2, 4)), 3), f32((2, 4, 3))),
    }


def log_cosh_inputs():
    big = f32((3, 4), scale=20.0)  # errors past softplus's linear threshold
    return {**regression_inputs(), "large_errors": (f32((3, 4)), big)}


def cosine_inputs():
    y_pred = f32((4, 3))
    y_pred[3] = 0.0  # a zero vector: similarity 0
    return {"2d": (f32((4, 3)), y_pred), "3d": (f32((2, 3, 4)), f32((2, 3, 4)))}


def probability_inputs():
    labels = rng.integers(0, 4, size=6)
    y_true = one_hot(labels, 4)
    y_pred = softmax(f32((6, 4), scale=2.0))
    y_pred[0] = [1.0, 0.0, 0.0, 0.0]  # exactly 0 and 1: clipped to [eps, 1 - eps]
    y_pred[1] = [0.0, 0.0, 1.0, 0.0]
    y_true[0] = [1.0, 0.0, 0.0, 0.0]
    y_true[1] = [1.0, 0.0, 0.0, 0.0]
    unnormalized = f32((6, 4), 0.05, 2.0)  # rows not summing to 1: Keras renormalizes
    soft = softmax(f32((6, 4)))
    return {
        "one_hot": (y_true, y_pred),
        "unnormalized": (y_true, unnormalized),
        "soft_labels": (soft, softmax(f32((6, 4)))),
        "3d": (one_hot(rng.integers(0, 3, size=(2, 4)), 3), softmax(f32((2, 4, 3)))),
    }


def logit_inputs():
    logits = f32((6, 4), scale=3.0)
    logits[0] = [60.0, -60.0, 0.0, 5.0]  # large logits: the stable path must not overflow
    return {"logits": (one_hot(rng.integers(0, 4, size=6), 4), logits)}


def binary_inputs():
    y_true = rng.integers(0, 2, size=(4, 3)).astype(np.float32)
    y_pred = sigmoid(f32((4, 3), scale=2.0))
    y_pred[0] = [0.0, 1.0, 1.0]
    y_true[0] = [1.0, 0.0, 1.0]
    return {
        "probabilities": (y_true, y_pred),
        "soft_labels": (f32((4, 3), 0.0, 1.0), sigmoid(f32((4, 3)))),
        "3d": (rng.integers(0, 2, size=(2, 3, 4)).astype(np.float32), sigmoid(f32((2, 3, 4)))),
        "1d": (rng.integers(0, 2, size=(5,)).astype(np.float32), sigmoid(f32((5,)))),
    }


def binary_logit_inputs():
    logits = f32((4, 3), scale=3.0)
    logits[0] = [80.0, -80.0, 0.0]
    return {"logits": (rng.integers(0, 2, size=(4, 3)).astype(np.float32), logits)}


def kl_inputs():
    y_true = softmax(f32((4, 3)))
    y_true[0] = [0.0, 1.0, 0.0]
    y_pred = softmax(f32((4, 3)))
    y_pred[1] = [0.0, 0.5, 0.5]
    return {"distributions": (y_true, y_pred), "3d": (softmax(f32((2, 3, 4))), softmax(f32((2, 3, 4))))}


def sparse_inputs():
    probs = softmax(f32((6, 4), scale=2.0))
    probs[0] = [0.0, 1.0, 0.0, 0.0]
    labels = rng.integers(0, 4, size=6)
    labels[0] = 0  # probability exactly 0 on the true class
    return {
        "int_labels": (labels, probs),
        "column_labels": (labels.reshape(6, 1), probs),
        "float_labels": (labels.astype(np.float32), probs),
        "unnormalized": (labels, f32((6, 4), 0.05, 2.0)),
        "3d": (rng.integers(0, 3, size=(2, 4)), softmax(f32((2, 4, 3)))),
    }


# ---- recording ------------------------------------------------------------------------------------------------

cases = []


def record_function(name, inputs, kwargs=None, keras_name=None, tag=""):
    fn = getattr(KL, keras_name or KERAS3_ALIASES.get(name, name))
    if name in KERAS3_ALIASES:
        assert KL.get(name) is fn, name
    kwargs = kwargs or {}
    for input_name, (y_true, y_pred) in inputs.items():
        value = to_numpy(fn(y_true, y_pred, **kwargs))
        cases.append({
            "kind": "function", "name": name, "kwargs": kwargs, "inputs": input_name + tag,
            "y_true": as_list(y_true), "y_true_dtype": dtype_name(y_true), "y_pred": as_list(y_pred),
            "expected": as_list(value), "shape": list(value.shape)})


def record_class(class_name, config, y_true, y_pred, sample_weight=None, mask=None, tag=""):
    loss = getattr(KL, class_name)(**config)
    pred = torch.as_tensor(y_pred)
    if mask is not None:
        pred._keras_mask = torch.as_tensor(mask)
    value = to_numpy(loss(y_true, pred, sample_weight=sample_weight))
    case = {
        "kind": "class", "name": class_name, "config": config, "inputs": tag,
        "y_true": as_list(y_true), "y_true_dtype": dtype_name(y_true), "y_pred": as_list(y_pred),
        "expected": as_list(value), "shape": list(value.shape)}
    if sample_weight is not None:
        case["sample_weight"] = as_list(sample_weight)
    if mask is not None:
        case["mask"] = as_list(mask)
    cases.append(case)


def record_functions():
    families = {
        "mean_squared_error": [regression_inputs()],
        "mean_absolute_error": [regression_inputs()],
        "mean_absolute_percentage_error": [mape_inputs()],
        "mean_squared_logarithmic_error": [positive_inputs(), regression_inputs()],
        "log_cosh": [log_cosh_inputs()],
        "poisson": [positive_inputs()],
        "hinge": [hinge_inputs()],
        "squared_hinge": [hinge_inputs()],
        "categorical_hinge": [categorical_hinge_inputs()],
        "kl_divergence": [kl_inputs()],
        "cosine_similarity": [cosine_inputs()],
        "huber": [regression_inputs(), log_cosh_inputs()],
        "categorical_crossentropy": [probability_inputs()],
        "binary_crossentropy": [binary_inputs()],
        "binary_focal_crossentropy": [binary_inputs()],
        "categorical_focal_crossentropy": [probability_inputs()],
        "sparse_categorical_crossentropy": [sparse_inputs()],
    }
    for name, input_sets in families.items():
        for inputs in input_sets:
            record_function(name, inputs)
    # Every alias, on the first input set of the function it stands for.
    for alias, target in {**KERAS3_ALIASES, **KERAS2_ONLY}.items():
        first = dict([next(iter(families[target][0].items()))])
        record_function(alias, first, keras_name=target)

    # Arguments of the function forms.
    record_function("huber", regression_inputs(), {"delta": 0.5}, tag="_delta_0.5")
    record_function("huber", log_cosh_inputs(), {"delta": 2.0}, tag="_delta_2")
    record_function("cosine_similarity", {"3d": (f32((2, 3, 4)), f32((2, 3, 4)))}, {"axis": 1}, tag="_axis1")
    for kwargs in ({"label_smoothing": 0.1}, {"axis": 1}, {"from_logits": False, "label_smoothing": 0.3}):
        inputs = probability_inputs() if "axis" not in kwargs else {
            "3d_axis1": (one_hot(rng.integers(0, 3, size=(2, 4)), 3, axis=1), softmax(f32((2, 3, 4)), axis=1))}
        record_function("categorical_crossentropy", inputs, kwargs)
        record_function("categorical_focal_crossentropy", inputs, kwargs)
    for kwargs in ({"from_logits": True}, {"from_logits": True, "label_smoothing": 0.2}):
        record_function("categorical_crossentropy", logit_inputs(), kwargs)
        record_function("categorical_focal_crossentropy", logit_inputs(), kwargs)
    record_function("categorical_crossentropy",
                    {"3d_axis1_logits": (one_hot(rng.integers(0, 3, size=(2, 4)), 3, axis=1), f32((2, 3, 4)))},
                    {"from_logits": True, "axis": 1})
    for kwargs in ({"alpha": 0.5, "gamma": 0.0}, {"alpha": [0.2, 0.3, 0.1, 0.4], "gamma": 3.0}):
        record_function("categorical_focal_crossentropy", {"one_hot": probability_inputs()["one_hot"]}, kwargs)
    for kwargs in ({"label_smoothing": 0.1}, {"axis": 1}):
        inputs = {"3d": binary_inputs()["3d"]} if "axis" in kwargs else binary_inputs()
        record_function("binary_crossentropy", inputs, kwargs)
        record_function("binary_focal_crossentropy", inputs, kwargs)
    for kwargs in ({"from_logits": True}, {"from_logits": True, "label_smoothing": 0.2}):
        record_function("binary_crossentropy", binary_logit_inputs(), kwargs)
        record_function("binary_focal_crossentropy", binary_logit_inputs(), kwargs)
    for kwargs in ({"gamma": 0.0}, {"gamma": 3.0, "apply_class_balancing": True, "alpha": 0.4},
                   {"from_logits": True, "apply_class_balancing": True}):
        inputs = binary_logit_inputs() if kwargs.get("from_logits") else {"probabilities": binary_inputs()["probabilities"]}
        record_function("binary_focal_crossentropy", inputs, kwargs)
    logits = f32((6, 4), scale=3.0)
    logits[0] = [70.0, -70.0, 0.0, 1.0]
    labels = rng.integers(0, 4, size=6)
    record_function("sparse_categorical_crossentropy", {"logits": (labels, logits)}, {"from_logits": True})
    record_function("sparse_categorical_crossentropy",
                    {"3d_axis1": (rng.integers(0, 3, size=(2, 4)), softmax(f32((2, 3, 4)), axis=1)),
                     "4d_axis1_column": (rng.integers(0, 3, size=(2, 1, 2, 2)), softmax(f32((2, 3, 2, 2)), axis=1))},
                    {"axis": 1})
    record_function("sparse_categorical_crossentropy",
                    {"3d_axis1_logits": (rng.integers(0, 3, size=(2, 4)), f32((2, 3, 4)))},
                    {"axis": 1, "from_logits": True})
    ignored = np.array([0, 2, -1, 1, -1, 3])
    record_function("sparse_categorical_crossentropy", {"ignore_minus1": (ignored, softmax(f32((6, 4))))},
                    {"ignore_class": -1})
    record_function("sparse_categorical_crossentropy", {"ignore_0_logits": (labels, logits)},
                    {"ignore_class": 0, "from_logits": True})


REDUCTIONS = ["sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight"]


def record_classes():
    reg_true, reg_pred = f32((4, 3)), f32((4, 3))
    seq_true, seq_pred = f32((2, 3, 4)), f32((2, 3, 4))
    sample_weights = {
        "none": None,
        "per_sample": f32((4,), 0.0, 2.0),
        "column": f32((4, 1), 0.0, 2.0),
        "scalar": np.float32(0.7),
        "zeros": np.zeros((4,), np.float32),
    }
    for reduction in REDUCTIONS:
        for sw_name, sample_weight in sample_weights.items():
            record_class("MeanSquaredError", {"reduction": reduction}, reg_true, reg_pred, sample_weight,
                         tag=f"2d_sw_{sw_name}")
        record_class("MeanAbsoluteError", {"reduction": reduction}, seq_true, seq_pred, f32((2, 3), 0.0, 2.0),
                     tag="3d_sw_per_timestep")
        record_class("MeanAbsoluteError", {"reduction": reduction}, seq_true, seq_pred, f32((2, 1), 0.0, 2.0),
                     tag="3d_sw_per_sample_column")
        record_class("MeanSquaredError", {"reduction": reduction}, f32((4,)), f32((4, 1)), f32((4,), 0.0, 2.0),
                     tag="rank1_true")
        record_class("MeanSquaredError", {"reduction": reduction}, seq_true, seq_pred, None,
                     mask=np.array([[True, False, True], [False, False, True]]), tag="3d_masked")
        record_class("MeanSquaredError", {"reduction": reduction}, seq_true, seq_pred, f32((2, 3), 0.0, 2.0),
                     mask=np.array([[True, True, False], [False, True, True]]), tag="3d_masked_sw")

    labels = np.array([0, 2, 1, 3, 1, 0])
    probs = softmax(f32((6, 4), scale=2.0))
    probs[0] = [0.0, 1.0, 0.0, 0.0]
    ignored = np.array([0, 2, -1, 1, -1, 3])
    sw6 = f32((6,), 0.0, 2.0)
    for reduction in REDUCTIONS:
        for sw in (None, sw6):
            tag = "sw" if sw is not None else "plain"
            record_class("SparseCategoricalCrossentropy", {"reduction": reduction}, labels, probs, sw, tag=tag)
            record_class("SparseCategoricalCrossentropy", {"reduction": reduction, "ignore_class": -1},
                         ignored, probs, sw, tag="ignore_" + tag)
            record_class("SparseCategoricalCrossentropy",
                         {"reduction": reduction, "ignore_class": 1, "from_logits": True},
                         labels.astype(np.float32), f32((6, 4)), sw, tag="ignore1_float_labels_" + tag)
            record_class("CategoricalCrossentropy", {"reduction": reduction, "label_smoothing": 0.1},
                         one_hot(labels, 4), probs, sw, tag=tag)
            record_class("BinaryCrossentropy", {"reduction": reduction}, *binary_inputs()["probabilities"],
                         None if sw is None else f32((4,), 0.0, 2.0), tag=tag)
    record_class("SparseCategoricalCrossentropy", {"ignore_class": -1}, np.array([-1, -1, -1]),
                 softmax(f32((3, 4))), tag="all_ignored")
    record_class("SparseCategoricalCrossentropy", {"ignore_class": 0},
                 rng.integers(0, 3, size=(2, 4)), softmax(f32((2, 4, 3))), tag="3d_ignore0")
    record_class("SparseCategoricalCrossentropy", {"ignore_class": 0, "axis": 1, "from_logits": True},
                 rng.integers(0, 3, size=(2, 4)), f32((2, 3, 4)), tag="3d_axis1_ignore0")
    record_class("SparseCategoricalCrossentropy", {}, labels.reshape(6, 1), probs, tag="column_labels")

    # Every class once with defaults and once with each of its arguments.
    defaults = {
        "MeanSquaredError": regression_inputs()["2d"],
        "MeanAbsoluteError": regression_inputs()["2d"],
        "MeanAbsolutePercentageError": mape_inputs()["zero_target"],
        "MeanSquaredLogarithmicError": positive_inputs()["positive"],
        "CosineSimilarity": cosine_inputs()["2d"],
        "Huber": log_cosh_inputs()["large_errors"],
        "LogCosh": log_cosh_inputs()["large_errors"],
        "Hinge": hinge_inputs()["binary_labels"],
        "SquaredHinge": hinge_inputs()["signed_labels"],
        "CategoricalHinge": categorical_hinge_inputs()["one_hot"],
        "KLDivergence": kl_inputs()["distributions"],
        "Poisson": positive_inputs()["positive"],
        "BinaryCrossentropy": binary_inputs()["probabilities"],
        "BinaryFocalCrossentropy": binary_inputs()["probabilities"],
        "CategoricalCrossentropy": probability_inputs()["one_hot"],
        "CategoricalFocalCrossentropy": probability_inputs()["one_hot"],
        "SparseCategoricalCrossentropy": sparse_inputs()["int_labels"],
    }
    for class_name, (y_true, y_pred) in defaults.items():
        record_class(class_name, {}, y_true, y_pred, tag="defaults")
        record_class(class_name, {"reduction": "none"}, y_true, y_pred, tag="per_sample")
    record_class("Huber", {"delta": 0.3}, *regression_inputs()["2d"], tag="delta")
    record_class("CosineSimilarity", {"axis": 1}, *cosine_inputs()["3d"], tag="axis1")
    record_class("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, *binary_logit_inputs()["logits"])
    record_class("BinaryCrossentropy", {"axis": 1}, *binary_inputs()["3d"], tag="axis1")
    record_class("BinaryCrossentropy", {}, f32((5,), 0.0, 1.0), sigmoid(f32((5, 1))), tag="rank1_true")
    record_class("BinaryFocalCrossentropy",
                 {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5, "from_logits": True,
                  "label_smoothing": 0.1}, *binary_logit_inputs()["logits"])
    record_class("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, *logit_inputs()["logits"])
    record_class("CategoricalCrossentropy", {"axis": 1},
                 one_hot(rng.integers(0, 3, size=(2, 4)), 3, axis=1), softmax(f32((2, 3, 4)), axis=1), tag="axis1")
    record_class("CategoricalFocalCrossentropy",
                 {"alpha": 0.5, "gamma": 1.0, "from_logits": True, "label_smoothing": 0.1}, *logit_inputs()["logits"])
    record_class("SparseCategoricalCrossentropy", {"from_logits": True}, labels, f32((6, 4), scale=3.0))
    record_class("MeanSquaredError", {"dtype": "float64"}, *regression_inputs()["2d"], tag="float64")

    # A user function wrapped, with keyword arguments, through the same squeeze/expand and reduction.
    def scaled_absolute_error(y_true, y_pred, scale=1.0):
        return ops.mean(ops.abs(y_true - y_pred), axis=-1) * scale

    for reduction, sw in (("sum_over_batch_size", None), ("sum", f32((4,), 0.0, 2.0))):
        wrapper = LossFunctionWrapper(scaled_absolute_error, reduction=reduction, scale=2.5)
        y_true, y_pred = f32((4,)), f32((4, 1))
        value = to_numpy(wrapper(y_true, y_pred, sample_weight=sw))
        case = {"kind": "wrapper", "name": "scaled_absolute_error", "config": {"reduction": reduction, "scale": 2.5},
                "inputs": "rank1_true", "y_true": as_list(y_true), "y_true_dtype": "float32",
                "y_pred": as_list(y_pred), "expected": as_list(value), "shape": list(value.shape)}
        if sw is not None:
            case["sample_weight"] = as_list(sw)
        cases.append(case)


def class_configs():
    """Each class's get_config() with defaults, as Keras reports it."""
    names = ["MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
             "CosineSimilarity", "Huber", "LogCosh", "Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence",
             "Poisson", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
             "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy"]
    return {name: getattr(KL, name)().get_config() for name in names}


def main():
    record_functions()
    record_classes()
    fixture = {
        "keras_version": keras.__version__,
        "epsilon": keras.config.epsilon(),
        "aliases": {**KERAS3_ALIASES, **KERAS2_ONLY},
        "keras2_only": sorted(KERAS2_ONLY),
        "configs": class_configs(),
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
