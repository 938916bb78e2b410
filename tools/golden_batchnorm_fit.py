"""Writes tests/golden/layers/batchnorm_fit.npz from real Keras 3 (torch backend): BatchNormalization after 2 epochs of
fit.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_batchnorm_fit.py

Two small models with BatchNormalization layers, fixed initial weights, unshuffled data and a batch size that
leaves a partial last batch:
    "conv": Conv2D -> BatchNormalization (channels, axis -1) -> relu -> Flatten -> Dense ->
            BatchNormalization(momentum=0.9) -> Dense softmax, trained with SGD(momentum=0.9);
    "rank3": the tutorial's Dense on (1, 5) inputs -> Dense -> BatchNormalization(axis=1) -> Dense softmax
             (BatchNormalization over an axis of length 1), trained with Adam.
Both use categorical crossentropy on one-hot labels. Keys per model <m>: `x/<m>`, `y/<m>`, `initial<i>/<m>` (the
weights given to set_weights, in get_weights order), `final<i>/<m>` (get_weights after fit: moving statistics
included), `loss/<m>` (the history's loss per epoch), and `models` (JSON: name -> number of weights).
"""
import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

GOLDEN = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "layers"
SAMPLES = 37
BATCH_SIZE = 8  # 4 full batches and one of 5
EPOCHS = 2


def conv_model():
    from keras import layers
    return keras.Sequential([
        layers.Input((5, 4, 2)),
        layers.Conv2D(3, 3, padding="same"),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.Flatten(),
        layers.Dense(6),
        layers.BatchNormalization(momentum=0.9),
        layers.Dense(3, activation="softmax"),
    ]), keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), (5, 4, 2)


def rank3_model():
    from keras import layers
    return keras.Sequential([
        layers.Input((1, 5)),
        layers.Dense(16, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.BatchNormalization(axis=1),
        layers.Dense(3, activation="softmax"),
    ]), keras.optimizers.Adam(learning_rate=0.01), (1, 5)


def initial_weights(model, rng):
    values = []
    for weight in model.weights:
        shape = tuple(weight.shape)
        if weight.name in ("gamma", "moving_variance"):
            values.append(rng.uniform(0.5, 1.5, shape).astype("float32"))
        elif weight.name in ("beta", "moving_mean", "bias"):
            values.append(rng.uniform(-0.3, 0.3, shape).astype("float32"))
        else:
            values.append((rng.standard_normal(shape) * 0.4).astype("float32"))
    return values


def main():
    rng = np.random.default_rng(7)
    arrays, models = {}, {}
    for name, build in [("conv", conv_model), ("rank3", rank3_model)]:
        keras.utils.clear_session()
        model, optimizer, sample_shape = build()
        x = (rng.standard_normal((SAMPLES,) + sample_shape) * 2 + 0.5).astype("float32")
        labels = rng.integers(0, 3, SAMPLES)
        y = np.eye(3, dtype="float32")[labels]
        if name == "rank3":
            y = y[:, None, :]
        weights = initial_weights(model, rng)
        model.set_weights(weights)
        model.compile(optimizer=optimizer, loss="categorical_crossentropy")
        history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=False, verbose=0)
        arrays[f"x/{name}"], arrays[f"y/{name}"] = x, y
        for index, value in enumerate(weights):
            arrays[f"initial{index}/{name}"] = value
        for index, value in enumerate(model.get_weights()):
            arrays[f"final{index}/{name}"] = value
        arrays[f"loss/{name}"] = np.asarray(history.history["loss"], "float32")
        models[name] = len(weights)
        print(name, "loss per epoch:", history.history["loss"])
    arrays["models"] = np.asarray(json.dumps(models))
    path = GOLDEN / "batchnorm_fit.npz"
    np.savez_compressed(path, **arrays)
    print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
