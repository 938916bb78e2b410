"""Writes the activation fixtures from real Keras 3 (torch backend).

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_activations.py

tests/golden/activations.npz: every Keras activation (and non-default keyword arguments) on a fixed grid that
    spans large negative, zero and large positive values. Keys: `x`, `cases` (JSON list of
    {"id", "name", "kwargs"}) and `out/<id>`.
tests/golden/layers/dense_activations.npz: for each activation name, a `Sequential([Input((4,)), Dense(3, activation)])`
    with weights set from a fixed generator: `x`, `kernel/<name>`, `bias/<name>`, `out/<name>`, `names`.
"""
import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

GOLDEN = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden"

GRID = np.array([-100, -30, -20, -8, -6, -4, -3, -2.5, -2, -1.5, -1, -0.75, -0.5, -0.25, -1e-3, 0,
                 1e-3, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 6, 8, 20, 30, 50, 100], dtype="float32").reshape(4, 8)

CASES = [
    ("relu", {}), ("relu", {"negative_slope": 0.1}), ("relu", {"max_value": 3.5}), ("relu", {"threshold": 1.5}),
    ("relu", {"max_value": 6}), ("relu", {"negative_slope": 0.1, "max_value": 6.0}),
    ("relu", {"negative_slope": 0.2, "threshold": -1.0, "max_value": 4.0}),
    ("relu", {"threshold": 2.0, "max_value": 5.0}),
    ("relu", {"negative_slope": 0.3, "threshold": 0.5}),
    ("relu6", {}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.01}),
    ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.0}),
    ("gelu", {}), ("gelu", {"approximate": True}),
    ("sigmoid", {}), ("hard_sigmoid", {}), ("sparse_sigmoid", {}), ("log_sigmoid", {}),
    ("silu", {}), ("swish", {}), ("hard_silu", {}), ("hard_swish", {}),
    ("softplus", {}), ("softsign", {}), ("sparse_plus", {}), ("squareplus", {}), ("squareplus", {"b": 1}),
    ("soft_shrink", {}), ("soft_shrink", {"threshold": 1.0}), ("hard_shrink", {}), ("hard_shrink", {"threshold": 1.0}),
    ("tanh", {}), ("tanh_shrink", {}), ("hard_tanh", {}), ("threshold", {"threshold": 0.5, "default_value": -1.0}),
    ("exponential", {}), ("linear", {}), ("mish", {}),
    ("softmax", {}), ("softmax", {"axis": 0}), ("log_softmax", {}), ("log_softmax", {"axis": 0}),
    ("glu", {}), ("glu", {"axis": 0}),
]

# Every name Keras's Dense accepts as `activation=` that works on 3 units without extra arguments. glu needs an
# even axis, threshold needs arguments. sparsemax is left out: Keras 3.15's sparsemax does not sum to one
# (its threshold sums the cumulative sums), and kerastorch computes the published definition instead.
DENSE_NAMES = ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "sigmoid", "hard_sigmoid",
               "sparse_sigmoid", "log_sigmoid", "silu", "swish", "hard_silu", "hard_swish", "softplus", "softsign",
               "sparse_plus", "squareplus", "soft_shrink", "hard_shrink", "tanh", "tanh_shrink", "hard_tanh",
               "exponential", "linear", "mish", "softmax", "log_softmax"]


def case_id(name, kwargs):
    return name + "".join(f"__{key}={value}" for key, value in sorted(kwargs.items()))


def activation_fixture():
    x = keras.ops.convert_to_tensor(GRID)
    arrays, cases = {"x": GRID}, []
    for name, kwargs in CASES:
        identifier = case_id(name, kwargs)
        arrays["out/" + identifier] = keras.ops.convert_to_numpy(getattr(keras.activations, name)(x, **kwargs))
        cases.append({"id": identifier, "name": name, "kwargs": kwargs})
    arrays["cases"] = np.array(json.dumps(cases))
    np.savez_compressed(GOLDEN / "activations.npz", **arrays)


def dense_fixture():
    rng = np.random.default_rng(20240601)
    x = (rng.standard_normal((5, 4)) * 1.5).astype("float32")
    arrays = {"x": x, "names": np.array(json.dumps(DENSE_NAMES))}
    for name in DENSE_NAMES:
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation=name)])
        kernel = rng.standard_normal((4, 3)).astype("float32")
        bias = (rng.standard_normal(3) * 0.5).astype("float32")
        model.set_weights([kernel, bias])
        arrays["kernel/" + name] = kernel
        arrays["bias/" + name] = bias
        arrays["out/" + name] = keras.ops.convert_to_numpy(model(x))
    np.savez_compressed(GOLDEN / "layers" / "dense_activations.npz", **arrays)


if __name__ == "__main__":
    (GOLDEN / "layers").mkdir(parents=True, exist_ok=True)
    activation_fixture()
    dense_fixture()
    print("keras", keras.__version__, "->", GOLDEN / "activations.npz", GOLDEN / "layers" / "dense_activations.npz")
