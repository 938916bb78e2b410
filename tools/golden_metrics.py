"""Write tests/golden/metrics/metrics.json: what real Keras 3 computes for every metric kerastorch implements.

Run with the reference Keras (3.15.1, torch backend):

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_metrics.py

Recorded:
- data: small random batches (float32), shared by the cases;
- cases: a metric (class name + constructor arguments), the batches fed to update_state (with sample weights),
  and result() after every update;
- functions: per-sample values of the module-level metric functions;
- resolution: what compile picks for 'accuracy' / 'acc' (and, for the rule, what Keras picks for the
  'crossentropy' loss) on various label / prediction shapes;
- names: the metric `keras.metrics.get` returns for each string, with its default name and config.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402
from keras.src.trainers import compile_utils  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "metrics", "metrics.json")
BATCHES = 3
BATCH = 6
CLASSES = 4

rng = np.random.RandomState(1234)


def f32(x):
    return np.asarray(x, dtype=np.float32)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def batches(make):
    return [make() for _ in range(BATCHES)]


# ---- shared data: name -> list of BATCHES arrays ------------------------------------------------------------------
DATA = {
    "probs": batches(lambda: f32(softmax(rng.normal(size=(BATCH, CLASSES)) * 2))),
    "logits": batches(lambda: f32(rng.normal(size=(BATCH, CLASSES)) * 2)),
    "onehot": batches(lambda: f32(np.eye(CLASSES)[rng.randint(0, CLASSES, BATCH)])),
    "sparse": batches(lambda: f32(rng.randint(0, CLASSES, BATCH))),
    "sparse_col": batches(lambda: f32(rng.randint(0, CLASSES, (BATCH, 1)))),
    "sparse_int": batches(lambda: rng.randint(0, CLASSES, BATCH).astype(np.int64)),
    "multihot": batches(lambda: f32(rng.rand(BATCH, CLASSES) < 0.4)),
    "sigmoid": batches(lambda: f32(rng.rand(BATCH, CLASSES))),
    "bin_true": batches(lambda: f32(rng.randint(0, 2, (BATCH, 1)))),
    "bin_true_flat": batches(lambda: f32(rng.randint(0, 2, BATCH))),
    "bin_pred": batches(lambda: f32(rng.rand(BATCH, 1))),
    "bin_logit": batches(lambda: f32(rng.normal(size=(BATCH, 1)) * 2)),
    # Predictions on AUC's and Precision's threshold grid, so the edge rules (strictly above) are exercised.
    "grid_pred": batches(lambda: f32(rng.randint(0, 5, (BATCH, 1)) / 4.0)),
    "hinge_true": batches(lambda: f32(rng.choice([-1.0, 1.0], (BATCH, 3)))),
    "reg_true": batches(lambda: f32(rng.rand(BATCH, 3) * 3 + 0.5)),
    "reg_pred": batches(lambda: f32(rng.rand(BATCH, 3) * 3 + 0.5)),
    "reg_pred_signed": batches(lambda: f32(rng.normal(size=(BATCH, 3)))),
    "int_true": batches(lambda: f32(rng.randint(0, 3, (BATCH, 1)))),
    "int_pred": batches(lambda: f32(rng.randint(0, 3, (BATCH, 1)))),
    "values": batches(lambda: f32(rng.normal(size=(BATCH,)))),
    "values_2d": batches(lambda: f32(rng.normal(size=(BATCH, 3)))),
    "sw": batches(lambda: f32(rng.rand(BATCH) * 2)),
    "sw_col": batches(lambda: f32(rng.rand(BATCH, 1) * 2)),
    "sw_2d": batches(lambda: f32(rng.rand(BATCH, 3))),
    "sw_zeros": batches(lambda: f32(np.zeros(BATCH))),
    "probs_b": batches(lambda: f32(softmax(rng.normal(size=(BATCH, CLASSES))))),
}


class WeightedTruePositiveRate(keras.metrics.Metric):
    """A user-defined metric written as Keras's guide shows: add_variable, assign_add, result, reset_state."""

    def __init__(self, name="weighted_tpr", threshold=0.5, **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
        self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.reshape(ops.cast(y_true, "float32"), (-1,))
        predicted = ops.reshape(ops.cast(ops.greater(y_pred, self.threshold), "float32"), (-1,))
        weight = 1.0 if sample_weight is None else ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        self.hits.assign_add(ops.sum(y_true * predicted * weight))
        self.seen.assign_add(ops.sum(y_true * weight))

    def result(self):
        return ops.divide_no_nan(self.hits, self.seen)

    def reset_state(self):
        self.hits.assign(0.0)
        self.seen.assign(0.0)


def case(cls_name, config, y_true=None, y_pred=None, sw=None, values=None, id=None):
    return {"id": id or cls_name, "class": cls_name, "config": config, "y_true": y_true, "y_pred": y_pred,
            "sw": sw, "values": values}


CASES = [
    # reductions
    case("Mean", {}, values="values", id="Mean"),
    case("Mean", {}, values="values", sw="sw", id="Mean/sw"),
    case("Mean", {}, values="values_2d", id="Mean/2d"),
    case("Mean", {}, values="values_2d", sw="sw", id="Mean/2d_sw"),
    case("Mean", {}, values="values_2d", sw="sw_col", id="Mean/2d_sw_col"),
    case("Mean", {}, values="values_2d", sw="sw_2d", id="Mean/2d_sw_2d"),
    case("Mean", {}, values="values", sw="sw_zeros", id="Mean/sw_zeros"),
    case("Sum", {}, values="values", id="Sum"),
    case("Sum", {}, values="values_2d", sw="sw", id="Sum/2d_sw"),
    # accuracy
    case("Accuracy", {}, "int_true", "int_pred", "sw"),
    case("BinaryAccuracy", {}, "bin_true", "bin_pred", "sw"),
    case("BinaryAccuracy", {}, "bin_true_flat", "bin_pred", None, id="BinaryAccuracy/flat_labels"),
    case("BinaryAccuracy", {"threshold": 0.7}, "bin_true", "bin_pred", "sw_col", id="BinaryAccuracy/threshold"),
    case("BinaryAccuracy", {}, "multihot", "sigmoid", "sw", id="BinaryAccuracy/multi"),
    case("CategoricalAccuracy", {}, "onehot", "probs", "sw"),
    case("CategoricalAccuracy", {}, "onehot", "probs", None, id="CategoricalAccuracy/unweighted"),
    case("SparseCategoricalAccuracy", {}, "sparse", "probs", "sw"),
    case("SparseCategoricalAccuracy", {}, "sparse_col", "probs", "sw", id="SparseCategoricalAccuracy/col"),
    case("SparseCategoricalAccuracy", {}, "sparse_int", "logits", None, id="SparseCategoricalAccuracy/int"),
    case("TopKCategoricalAccuracy", {"k": 2}, "onehot", "probs", "sw"),
    case("TopKCategoricalAccuracy", {"k": 4}, "onehot", "probs", None, id="TopKCategoricalAccuracy/k4"),
    case("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse", "probs", "sw"),
    case("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse_col", "logits", None,
         id="SparseTopKCategoricalAccuracy/col"),
    # regression
    case("MeanSquaredError", {}, "reg_true", "reg_pred", "sw"),
    case("MeanAbsoluteError", {}, "reg_true", "reg_pred", "sw"),
    case("MeanAbsolutePercentageError", {}, "reg_true", "reg_pred", "sw"),
    case("MeanSquaredLogarithmicError", {}, "reg_true", "reg_pred", "sw"),
    case("RootMeanSquaredError", {}, "reg_true", "reg_pred", "sw"),
    case("RootMeanSquaredError", {}, "reg_true", "reg_pred", None, id="RootMeanSquaredError/unweighted"),
    case("CosineSimilarity", {}, "reg_true", "reg_pred_signed", "sw"),
    case("LogCoshError", {}, "reg_true", "reg_pred_signed", "sw"),
    case("MeanSquaredError", {}, "reg_true", "reg_pred", "sw_col", id="MeanSquaredError/sw_col"),
    # probabilistic and hinge
    case("BinaryCrossentropy", {}, "bin_true", "bin_pred", "sw"),
    case("BinaryCrossentropy", {"from_logits": True}, "bin_true", "bin_logit", "sw", id="BinaryCrossentropy/logits"),
    case("BinaryCrossentropy", {"label_smoothing": 0.1}, "multihot", "sigmoid", "sw",
         id="BinaryCrossentropy/smoothing"),
    case("CategoricalCrossentropy", {}, "onehot", "probs", "sw"),
    case("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "onehot", "logits", "sw",
         id="CategoricalCrossentropy/logits_smoothing"),
    case("SparseCategoricalCrossentropy", {}, "sparse", "probs", "sw"),
    case("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_col", "logits", None,
         id="SparseCategoricalCrossentropy/logits"),
    case("SparseCategoricalCrossentropy", {"ignore_class": 0}, "sparse", "probs", "sw",
         id="SparseCategoricalCrossentropy/ignore_class"),
    case("SparseCategoricalCrossentropy", {"ignore_class": 0}, "sparse", "probs", None,
         id="SparseCategoricalCrossentropy/ignore_class_unweighted"),
    case("KLDivergence", {}, "probs_b", "probs", "sw"),
    case("Poisson", {}, "reg_true", "reg_pred", "sw"),
    case("Hinge", {}, "hinge_true", "reg_pred_signed", "sw"),
    case("SquaredHinge", {}, "hinge_true", "reg_pred_signed", "sw"),
    case("CategoricalHinge", {}, "onehot", "probs", "sw"),
    # confusion counts, precision, recall
    case("TruePositives", {}, "bin_true", "bin_pred", "sw"),
    case("FalsePositives", {"thresholds": [0.3, 0.6]}, "bin_true", "bin_pred", "sw"),
    case("TrueNegatives", {}, "multihot", "sigmoid", None),
    case("FalseNegatives", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "bin_true", "grid_pred", "sw"),
    case("Precision", {}, "bin_true", "bin_pred", "sw"),
    case("Precision", {}, "multihot", "sigmoid", "sw", id="Precision/multi"),
    case("Precision", {"thresholds": [0.3, 0.5, 0.7]}, "multihot", "sigmoid", "sw", id="Precision/thresholds"),
    case("Precision", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "bin_true", "grid_pred", "sw",
         id="Precision/even_thresholds"),
    case("Precision", {"top_k": 2}, "multihot", "sigmoid", "sw", id="Precision/top_k"),
    case("Precision", {"class_id": 1}, "multihot", "sigmoid", "sw", id="Precision/class_id"),
    case("Precision", {"top_k": 2, "class_id": 3}, "multihot", "sigmoid", None, id="Precision/top_k_class_id"),
    case("Recall", {}, "bin_true", "bin_pred", "sw"),
    case("Recall", {"thresholds": [0.3, 0.5, 0.7]}, "multihot", "sigmoid", "sw", id="Recall/thresholds"),
    case("Recall", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "bin_true", "grid_pred", None,
         id="Recall/even_thresholds"),
    case("Recall", {"top_k": 1}, "multihot", "sigmoid", "sw", id="Recall/top_k"),
    case("Recall", {"class_id": 2}, "multihot", "sigmoid", "sw", id="Recall/class_id"),
    # AUC
    case("AUC", {}, "bin_true", "bin_pred", "sw", id="AUC/ROC"),
    case("AUC", {}, "multihot", "sigmoid", None, id="AUC/ROC_flat"),
    case("AUC", {}, "bin_true", "grid_pred", "sw", id="AUC/ROC_grid"),
    case("AUC", {"curve": "PR"}, "bin_true", "bin_pred", "sw", id="AUC/PR"),
    case("AUC", {"curve": "PR"}, "multihot", "sigmoid", "sw", id="AUC/PR_flat"),
    case("AUC", {"curve": "PR", "summation_method": "majoring"}, "multihot", "sigmoid", "sw", id="AUC/PR_majoring"),
    case("AUC", {"summation_method": "minoring"}, "multihot", "sigmoid", "sw", id="AUC/ROC_minoring"),
    case("AUC", {"curve": "PRGAIN"}, "multihot", "sigmoid", "sw", id="AUC/PRGAIN"),
    case("AUC", {"num_thresholds": 7}, "multihot", "sigmoid", "sw", id="AUC/num_thresholds"),
    case("AUC", {"thresholds": [0.2, 0.5, 0.8]}, "multihot", "sigmoid", "sw", id="AUC/thresholds"),
    case("AUC", {"thresholds": [0.25, 0.5, 0.75]}, "bin_true", "grid_pred", "sw", id="AUC/even_thresholds"),
    case("AUC", {"from_logits": True}, "bin_true", "bin_logit", "sw", id="AUC/logits"),
    case("AUC", {"multi_label": True}, "multihot", "sigmoid", "sw", id="AUC/multi_label"),
    case("AUC", {"multi_label": True, "num_labels": CLASSES, "curve": "PR"}, "multihot", "sigmoid", "sw",
         id="AUC/multi_label_PR"),
    case("AUC", {"multi_label": True, "label_weights": [1.0, 2.0, 0.5, 0.0]}, "multihot", "sigmoid", None,
         id="AUC/multi_label_weights"),
    case("AUC", {"label_weights": [1.0, 2.0, 0.5, 0.0]}, "multihot", "sigmoid", "sw", id="AUC/label_weights"),
    case("AUC", {"multi_label": True, "thresholds": [0.3, 0.6]}, "multihot", "sigmoid", "sw",
         id="AUC/multi_label_thresholds"),
    # a user-defined metric
    case("WeightedTruePositiveRate", {}, "bin_true", "bin_pred", "sw"),
]


def run_case(spec):
    cls = WeightedTruePositiveRate if spec["class"] == "WeightedTruePositiveRate" else getattr(keras.metrics,
                                                                                               spec["class"])
    metric = cls(**spec["config"])
    results = []
    for i in range(BATCHES):
        sw = DATA[spec["sw"]][i] if spec["sw"] else None
        if spec["values"]:
            metric.update_state(DATA[spec["values"]][i], sample_weight=sw)
        else:
            metric.update_state(DATA[spec["y_true"]][i], DATA[spec["y_pred"]][i], sample_weight=sw)
        results.append(np.asarray(ops.convert_to_numpy(metric.result()), dtype=np.float64).tolist())
    # After reset, one more update with the first batch: reset must return to a clean state.
    metric.reset_state()
    sw = DATA[spec["sw"]][0] if spec["sw"] else None
    if spec["values"]:
        metric.update_state(DATA[spec["values"]][0], sample_weight=sw)
    else:
        metric.update_state(DATA[spec["y_true"]][0], DATA[spec["y_pred"]][0], sample_weight=sw)
    after_reset = np.asarray(ops.convert_to_numpy(metric.result()), dtype=np.float64).tolist()
    return {**spec, "results": results, "after_reset": after_reset}


FUNCTIONS = [
    ("binary_accuracy", {}, "bin_true", "bin_pred"),
    ("binary_accuracy", {"threshold": 0.3}, "multihot", "sigmoid"),
    ("binary_accuracy", {}, "bin_true_flat", "bin_pred"),
    ("categorical_accuracy", {}, "onehot", "probs"),
    ("sparse_categorical_accuracy", {}, "sparse", "probs"),
    ("sparse_categorical_accuracy", {}, "sparse_col", "probs"),
    ("top_k_categorical_accuracy", {"k": 2}, "onehot", "probs"),
    ("sparse_top_k_categorical_accuracy", {"k": 2}, "sparse", "probs"),
    ("sparse_top_k_categorical_accuracy", {"k": 1}, "sparse_col", "logits"),
]


def run_function(name, kwargs, y_true, y_pred):
    fn = getattr(keras.metrics, name)
    value = fn(DATA[y_true][0], DATA[y_pred][0], **kwargs)
    return {"function": name, "kwargs": kwargs, "y_true": y_true, "y_pred": y_pred,
            "values": np.asarray(ops.convert_to_numpy(value), dtype=np.float64).tolist()}


RESOLUTION_SHAPES = [
    ((8, 1), (8, 1)), ((8,), (8, 1)), ((8,), (8, 3)), ((8, 1), (8, 3)), ((8, 3), (8, 3)),
    ((8, 5), (8, 5, 3)), ((8, 5, 1), (8, 5, 3)), ((8, 5, 3), (8, 5, 3)), ((8, 5, 1), (8, 5, 1)), ((8, 2), (8, 2)),
]


def run_resolution():
    rows = []
    for true_shape, pred_shape in RESOLUTION_SHAPES:
        y_true, y_pred = np.zeros(true_shape, "float32"), np.zeros(pred_shape, "float32")
        for identifier in ("accuracy", "acc", "ACC"):
            metric = compile_utils.get_metric(identifier, y_true, y_pred)
            rows.append({"identifier": identifier, "y_true_shape": true_shape, "y_pred_shape": pred_shape,
                         "class": type(metric).__name__, "name": metric.name})
        loss = compile_utils.get_loss("crossentropy", y_true, y_pred)
        rows.append({"identifier": "crossentropy (as a loss)", "y_true_shape": true_shape,
                     "y_pred_shape": pred_shape, "function": loss.fn.__name__})
    for identifier in ("mse", "mae", "AUC", "precision"):
        metric = compile_utils.get_metric(identifier, np.zeros((8, 1)), np.zeros((8, 1)))
        rows.append({"identifier": identifier, "y_true_shape": (8, 1), "y_pred_shape": (8, 1),
                     "class": type(metric).__name__, "name": metric.name})
    return rows


def run_names():
    from keras.src.metrics import ALL_OBJECTS_DICT
    rows = []
    for name, cls in sorted(ALL_OBJECTS_DICT.items()):
        keras.backend.clear_session()
        try:
            metric = keras.metrics.get(name)
        except Exception as error:  # classes that need arguments (MeanMetricWrapper, PrecisionAtRecall...)
            rows.append({"identifier": name, "error": type(error).__name__})
            continue
        config = {k: v for k, v in metric.get_config().items() if isinstance(v, (int, float, str, list, type(None)))}
        rows.append({"identifier": name, "class": type(metric).__name__, "name": metric.name, "config": config})
    return rows


def main():
    keras.utils.set_random_seed(0)
    golden = {
        "keras_version": keras.__version__,
        "data": {name: [batch.tolist() for batch in value] for name, value in DATA.items()},
        "data_dtypes": {name: str(value[0].dtype) for name, value in DATA.items()},
        "cases": [run_case(spec) for spec in CASES],
        "functions": [run_function(*row) for row in FUNCTIONS],
        "resolution": run_resolution(),
        "names": run_names(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    print(f"wrote {os.path.relpath(OUT)}: {len(golden['cases'])} cases, {os.path.getsize(OUT) // 1024} KiB",
          file=sys.stderr)


if __name__ == "__main__":
    main()
