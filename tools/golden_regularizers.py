"""Writes the regularizer and constraint fixtures from real Keras 3 (torch backend).

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_regularizers.py

tests/golden/regularizers.json:
    weights:      named float32 weight arrays (a dense kernel, one with a zero row, a conv kernel).
    regularizers: for each (class, kwargs, weight): Keras's penalty, get_config() and serialize() output.
    constraints:  for each (class, kwargs, weight): Keras's constrained weight, get_config() and serialize().
    names:        for every string Keras's regularizers.get / constraints.get resolve, the class and config.
"""
import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src.constraints import ALL_OBJECTS_DICT as CONSTRAINT_NAMES  # noqa: E402
from keras.src.regularizers import ALL_OBJECTS_DICT as REGULARIZER_NAMES  # noqa: E402

GOLDEN = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden"

REGULARIZERS = [
    ("L1", {}), ("L1", {"l1": 0.3}), ("L2", {}), ("L2", {"l2": 0.05}), ("L1L2", {}), ("L1L2", {"l1": 0.1, "l2": 0.2}),
    ("L1L2", {"l2": 0.1}), ("OrthogonalRegularizer", {}), ("OrthogonalRegularizer", {"mode": "columns"}),
    ("OrthogonalRegularizer", {"factor": 0.5, "mode": "rows"}),
]
CONSTRAINTS = [
    ("MaxNorm", {}), ("MaxNorm", {"max_value": 1.0, "axis": 1}), ("MinMaxNorm", {}),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 2.0, "rate": 0.5, "axis": 1}), ("NonNeg", {}),
    ("UnitNorm", {}), ("UnitNorm", {"axis": 1}),
]
CONV_CONSTRAINTS = [("MaxNorm", {"max_value": 1.5, "axis": [0, 1, 2]}), ("UnitNorm", {"axis": [0, 1, 2]})]


def weights():
    rng = np.random.default_rng(7)
    kernel = (rng.standard_normal((6, 4)) * 1.5).astype("float32")
    with_zero_row = kernel.copy()
    with_zero_row[2] = 0.0
    conv = rng.standard_normal((2, 2, 3, 4)).astype("float32")
    return {"kernel": kernel, "kernel_with_zero_row": with_zero_row, "conv": conv}


def record(module, class_name, kwargs, weight_name, weight, key):
    obj = getattr(module, class_name)(**kwargs)
    result = keras.ops.convert_to_numpy(obj(keras.ops.convert_to_tensor(weight)))
    return {"class_name": class_name, "kwargs": kwargs, "weight": weight_name, key: np.asarray(result).tolist(),
            "config": obj.get_config(), "serialized": module.serialize(obj)}


def names(module, table):
    resolved = {}
    for name in sorted(table):
        if name.lower() in ("regularizer", "constraint"):
            continue  # the abstract base classes
        obj = module.get(name)
        resolved[name] = {"class_name": type(obj).__name__, "config": obj.get_config()}
    return resolved


if __name__ == "__main__":
    arrays = weights()
    fixture = {
        "keras_version": keras.__version__,
        "weights": {name: value.tolist() for name, value in arrays.items()},
        "regularizers": [record(keras.regularizers, c, k, w, arrays[w], "penalty")
                         for c, k in REGULARIZERS for w in ("kernel", "kernel_with_zero_row")],
        "constraints": [record(keras.constraints, c, k, "kernel", arrays["kernel"], "output") for c, k in CONSTRAINTS]
        + [record(keras.constraints, c, k, "conv", arrays["conv"], "output") for c, k in CONV_CONSTRAINTS],
        "names": {"regularizers": names(keras.regularizers, REGULARIZER_NAMES),
                  "constraints": names(keras.constraints, CONSTRAINT_NAMES)},
    }
    path = GOLDEN / "regularizers.json"
    path.write_text(json.dumps(fixture, indent=1))
    print("keras", keras.__version__, "->", path, path.stat().st_size, "bytes")
