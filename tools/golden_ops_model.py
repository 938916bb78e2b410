"""Writes a Keras 3 functional model built with keras.ops, saved by Keras, for tests/ops/test_symbolic.py.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_ops_model.py

tests/golden/ops/ops_model.keras is the model as Keras saved it (config and weights); tests/golden/ops/
ops_model.npz holds an input batch ``x`` and Keras's prediction ``y``; tests/golden/ops/ops_model.json the source
that built it and Keras's layer and operation names and classes.
"""
import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "ops"

SOURCE = """
inputs = keras.Input((6,), name="x")
h = keras.layers.Dense(9, name="dense")(inputs)
a = ops.tanh(h) * 2.0
energy = ops.sum(ops.square(a), axis=-1, keepdims=True)
grid = ops.transpose(ops.reshape(a, (-1, 3, 3)), (0, 2, 1))
rows = ops.mean(grid, axis=1)
gated = ops.where(rows > 0, rows, ops.exp(rows) - 1.0)
running = ops.cumsum(ops.clip(gated, -1.0, 1.0), axis=-1)
pooled = ops.logsumexp(grid, axis=-1)
mixed = ops.einsum("bij,bj->bi", grid, running)
picked = ops.take(a, [0, 4, 8], axis=1)
features = ops.concatenate([running, pooled, mixed, picked, ops.sqrt(energy + 1.0), a[:, :2]], axis=-1)
outputs = keras.layers.Dense(2, name="out")(ops.maximum(features, -0.5))
model = keras.Model(inputs, outputs, name="ops_model")
"""


def main():
    keras.utils.set_random_seed(3)
    scope = {"keras": keras, "ops": ops}
    exec(SOURCE, scope)
    model = scope["model"]
    x = np.random.default_rng(3).normal(size=(4, 6)).astype("float32")
    y = keras.ops.convert_to_numpy(model.predict(x, verbose=0))
    OUT.mkdir(parents=True, exist_ok=True)
    model.save(OUT / "ops_model.keras")
    np.savez_compressed(OUT / "ops_model.npz", x=x, y=y)
    layers = [{"name": layer.name, "class_name": type(layer).__name__} for layer in model.layers]
    config_layers = [{"name": entry["name"], "class_name": entry["class_name"], "module": entry["module"]}
                     for entry in model.get_config()["layers"]]
    (OUT / "ops_model.json").write_text(json.dumps({"keras_version": keras.__version__, "source": SOURCE,
                                                    "layers": layers, "config_layers": config_layers},
                                                   indent=1) + "\n")
    print(len(config_layers), "graph entries")


if __name__ == "__main__":
    main()
