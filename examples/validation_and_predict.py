"""Seed s05, ported: train with a held-out validation set, then predict class probabilities in batches.

Patients' ages (13 to 100) are scaled to [0, 1]; older patients mostly report side effects. The validation set
is passed explicitly as `validation_data=(x, y)`; `predict` returns numpy probabilities, one row per patient.
"""
import os

import numpy as np

import kerastorch as keras
from kerastorch import layers


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    ages = rng.integers(13, 101, size=2100)
    labels = (ages > 64).astype("int64") ^ (rng.random(2100) < 0.05)
    scaled = ((ages - 13) / 87.0).astype("float32").reshape(-1, 1)
    train_x, train_y = scaled[:1500], labels[:1500]
    valid = (scaled[1500:1800], labels[1500:1800])
    test_x = scaled[1800:]

    model = keras.Sequential([
        keras.Input((1,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(2, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(learning_rate=1e-4), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    epochs = 2 if os.environ.get("KERASTORCH_EXAMPLE_QUICK") else 20   # a short run for the test suite
    model.fit(train_x, train_y, validation_data=valid, batch_size=10, epochs=epochs, shuffle=True, verbose=2)

    probabilities = model.predict(test_x, batch_size=10, verbose=0)
    print(probabilities.shape, probabilities[:3])
    agreement = (probabilities.argmax(axis=1) == labels[1800:]).mean()
    print(f"agreement with the held-out labels: {agreement:.3f}")


if __name__ == "__main__":
    main()
