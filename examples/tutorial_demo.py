"""The tutorial's model, trained: does a patient of a given age show side effects?

Ages 13 to 100 are scaled to [0, 1]; older patients mostly show side effects, with 5% of labels flipped. A small
Dense network (the tutorial's: 16 relu, 32 relu, 2 softmax) learns the rule with Adam and sparse categorical
crossentropy, validating on held-out patients, then predicts for new ones.

Run it with `make demo`, or `python examples/tutorial_demo.py`.
"""
import os

import numpy as np

import kerastorch as keras
from kerastorch import layers


def make_patients(count, rng):
    ages = rng.integers(13, 101, size=count)
    side_effects = (ages > 64).astype("int64") ^ (rng.random(count) < 0.05)
    scaled = ((ages - 13) / 87.0).astype("float32").reshape(-1, 1)
    return scaled, side_effects


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    train_x, train_y = make_patients(2100, rng)
    test_x, test_y = make_patients(420, rng)

    model = keras.Sequential([
        keras.Input((1,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(2, activation="softmax"),
    ], name="side_effects")
    model.summary()
    model.compile(keras.optimizers.Adam(learning_rate=0.001), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    epochs = 2 if os.environ.get("KERASTORCH_EXAMPLE_QUICK") else 10   # a short run for the test suite
    model.fit(train_x, train_y, validation_split=0.1, batch_size=10, epochs=epochs, shuffle=True, verbose=2)

    loss, accuracy = model.evaluate(test_x, test_y, verbose=0)
    print(f"test loss: {loss:.4f} - test accuracy: {accuracy:.4f}")
    predictions = model.predict(np.array([[0.0], [0.5], [1.0]], dtype="float32"), verbose=0)
    for age, (no, yes) in zip((13, 56, 100), predictions):
        print(f"age {age:3d}: P(side effects) = {yes:.3f}")


if __name__ == "__main__":
    main()
