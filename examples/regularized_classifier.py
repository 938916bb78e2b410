"""Seed s04, ported: an L2 weight penalty on a hidden layer, with the optimizer passed to compile positionally.

Height and weight of six people, labelled 1 (female) or 0 (male). The penalty `l2(0.01)` adds
0.01 * sum(kernel ** 2) of the 32-unit layer to the loss, which the logged loss includes.
"""
import numpy as np

import kerastorch as keras
from kerastorch import layers, regularizers


def main():
    keras.utils.set_random_seed(1)
    samples = np.array([[150, 67], [130, 60], [200, 65], [125, 52], [230, 72], [181, 70]], dtype="float32")
    labels = np.array([1, 1, 0, 1, 0, 0])

    model = keras.Sequential([
        keras.Input((2,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(32, activation="relu", kernel_regularizer=regularizers.l2(0.01)),
        layers.Dense(2, activation="sigmoid"),
    ])
    model.compile(keras.optimizers.Adam(learning_rate=1e-4), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(samples, labels, batch_size=3, epochs=10, shuffle=True, verbose=2)
    print("logged:", sorted(history.history))
    penalty = sum(float(p.detach()) for p in model.losses)
    print(f"weight penalty now: {penalty:.4f}")


if __name__ == "__main__":
    main()
