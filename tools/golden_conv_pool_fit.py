"""Writes tests/golden/training/conv_pool_fit.npz from real Keras 3 (torch backend): a convnet stem (a first Conv2D with
ReLU on 1- or 3-channel images, then MaxPooling2D(2)) trained for 2 epochs, for the fused kernel's parity test.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_conv_pool_fit.py

Models (Sequential, fixed initial weights, unshuffled data, a partial last batch, Adam, sparse categorical
crossentropy): "gray": 13x12x1 images, Conv2D(16, 3, relu) -> MaxPooling2D(2) -> Flatten -> Dense(3, softmax);
"rgb": 10x10x3 images, Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(16, 2, relu) -> Flatten -> Dense(3,
softmax). Keys per model <m>: `x/<m>`, `y/<m>`, `initial<i>/<m>`, `final<i>/<m>`, `loss/<m>` (history per epoch),
`predict/<m>` (predictions after fit on x).
"""
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

GOLDEN = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden"
SAMPLES, BATCH_SIZE, EPOCHS = 45, 16, 2


def models():
    layers = keras.layers
    return {
        "gray": keras.Sequential([layers.Input((13, 12, 1)), layers.Conv2D(16, 3, activation="relu"),
                                  layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(3, activation="softmax")]),
        "rgb": keras.Sequential([layers.Input((10, 10, 3)), layers.Conv2D(32, 3, activation="relu"),
                                 layers.MaxPooling2D(2), layers.Conv2D(16, 2, activation="relu"), layers.Flatten(),
                                 layers.Dense(3, activation="softmax")]),
    }


def main():
    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    arrays = {}
    for name, model in models().items():
        x = rng.random((SAMPLES,) + tuple(model.input_shape[1:]), dtype=np.float32)
        y = rng.integers(0, 3, SAMPLES)
        initial = model.get_weights()
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
        history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=False, verbose=0)
        arrays[f"x/{name}"], arrays[f"y/{name}"] = x, y
        arrays[f"loss/{name}"] = np.array(history.history["loss"])
        arrays[f"predict/{name}"] = model.predict(x, verbose=0)
        for i, (before, after) in enumerate(zip(initial, model.get_weights())):
            arrays[f"initial{i}/{name}"], arrays[f"final{i}/{name}"] = before, after
    np.savez(GOLDEN / "training" / "conv_pool_fit.npz", keras_version=keras.__version__, **arrays)
    print("wrote", GOLDEN / "training" / "conv_pool_fit.npz")


if __name__ == "__main__":
    main()
