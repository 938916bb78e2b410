"""Record how real Keras 3's losses and metrics honour a mask on y_pred, as fixtures for
tests/losses/test_masked_losses.py and tests/metrics/test_masked_metrics.py.

Run with the reference Keras (3.15.1 on torch):

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_masked_losses.py

Writes tests/golden/losses/masked.json: for sequence-shaped predictions (batch 3, 5 timesteps) carrying a
boolean ``_keras_mask`` (set with keras.src.backend.set_keras_mask), each loss under each reduction and each
metric, without sample weights and with per-timestep weights. The inputs are stored
with the values, so the tests never import keras.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src import backend  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "losses", "masked.json")
rng = np.random.default_rng(20261202)
BATCH, STEPS, CLASSES = 3, 5, 4

# Two masks: a ragged one (each sequence has its own length) and one with a fully masked sequence.
MASKS = {
    "ragged": np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool),
    "one_sequence_empty": np.array([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 0]], bool),
}
# Keras folds the mask into the weights in place, so only weights of the mask's shape go with it (per-sample
# weights of shape (batch,) or (batch, 1) raise a shape error in Keras 3.15).
WEIGHTS = {
    "none": None,
    "per_timestep": rng.uniform(0.0, 2.0, (BATCH, STEPS)).astype("float32"),
}


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype("float32")


def data():
    probabilities = softmax(rng.normal(size=(BATCH, STEPS, CLASSES)))
    labels = rng.integers(0, CLASSES, (BATCH, STEPS))
    return {
        "regression": (rng.normal(size=(BATCH, STEPS, 2)).astype("float32"),
                       rng.normal(size=(BATCH, STEPS, 2)).astype("float32")),
        "categorical": (np.eye(CLASSES, dtype="float32")[labels], probabilities),
        "sparse": (labels.astype("int64"), probabilities),
        "binary": (rng.integers(0, 2, (BATCH, STEPS, 1)).astype("float32"),
                   rng.uniform(0.05, 0.95, (BATCH, STEPS, 1)).astype("float32")),
    }


LOSSES = {
    "MeanSquaredError": ("regression", keras.losses.MeanSquaredError),
    "CategoricalCrossentropy": ("categorical", keras.losses.CategoricalCrossentropy),
    "SparseCategoricalCrossentropy": ("sparse", keras.losses.SparseCategoricalCrossentropy),
    "BinaryCrossentropy": ("binary", keras.losses.BinaryCrossentropy),
}
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none")
METRICS = {
    "CategoricalAccuracy": ("categorical", keras.metrics.CategoricalAccuracy),
    "SparseCategoricalAccuracy": ("sparse", keras.metrics.SparseCategoricalAccuracy),
    "BinaryAccuracy": ("binary", keras.metrics.BinaryAccuracy),
    "MeanAbsoluteError": ("regression", keras.metrics.MeanAbsoluteError),
    "SparseCategoricalCrossentropy": ("sparse", keras.metrics.SparseCategoricalCrossentropy),
}


def masked(y_pred, mask):
    tensor = keras.ops.convert_to_tensor(y_pred)
    backend.set_keras_mask(tensor, keras.ops.convert_to_tensor(mask))
    return tensor


def to_list(value):
    return None if value is None else np.asarray(value).tolist()


def main():
    inputs = data()
    record = {"inputs": {kind: {"y_true": to_list(t), "y_pred": to_list(p)} for kind, (t, p) in inputs.items()},
              "masks": {name: to_list(m) for name, m in MASKS.items()},
              "weights": {name: to_list(w) for name, w in WEIGHTS.items()},
              "losses": [], "metrics": []}
    for mask_name, mask in MASKS.items():
        for weight_name, weight in WEIGHTS.items():
            for loss_name, (kind, cls) in LOSSES.items():
                y_true, y_pred = inputs[kind]
                for reduction in REDUCTIONS:
                    value = cls(reduction=reduction)(y_true, masked(y_pred, mask), sample_weight=weight)
                    record["losses"].append({"loss": loss_name, "data": kind, "mask": mask_name,
                                             "weights": weight_name, "reduction": reduction,
                                             "value": to_list(keras.ops.convert_to_numpy(value))})
            for metric_name, (kind, cls) in METRICS.items():
                y_true, y_pred = inputs[kind]
                metric = cls()
                # Two updates: the mask's weights accumulate across batches as any weights do.
                metric.update_state(y_true, masked(y_pred, mask), sample_weight=weight)
                metric.update_state(y_true[:2], masked(y_pred[:2], MASKS["ragged"][:2]),
                                    sample_weight=None if weight is None else weight[:2])
                record["metrics"].append({"metric": metric_name, "data": kind, "mask": mask_name,
                                          "weights": weight_name,
                                          "value": float(keras.ops.convert_to_numpy(metric.result()))})
            # Mean over values that carry a mask: Keras applies it only together with sample weights.
            values = masked(inputs["regression"][1][..., 0], mask)
            mean = keras.metrics.Mean()
            mean.update_state(values, sample_weight=weight)
            record["metrics"].append({"metric": "Mean", "data": "regression_values", "mask": mask_name,
                                      "weights": weight_name,
                                      "value": float(keras.ops.convert_to_numpy(mean.result()))})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(record, f, indent=1)
    print(f"wrote {len(record['losses'])} losses and {len(record['metrics'])} metrics to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
