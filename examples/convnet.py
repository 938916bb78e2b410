"""A small convnet learns to tell 10 stroke shapes apart in 28x28 grayscale images.

The model is the classic MNIST convnet: two 3x3 convolutions (32 and 64 filters), each followed by 2x2 max
pooling, then Flatten, Dropout(0.5) and a 10-way softmax. It trains with Adam on one-hot labels (categorical
crossentropy), holding out the last 10% of the training images for validation, then reports its accuracy on
images it has never seen. The images come from examples/stroke_shapes.py (drawn with numpy, no download): bars,
crosses, rings, squares... at random places, sizes and angles, with clutter and noise.

Run it with `python examples/convnet.py`. KERASTORCH_EXAMPLE_QUICK=1 trains on fewer images for fewer epochs.
tests/test_convnet_example.py checks that it learns as well as Keras 3 does on the same images.
"""
import os

import kerastorch as keras
from kerastorch import layers
from stroke_shapes import load_data

NUM_CLASSES = 10
FULL_RUN = {"train_images": 6000, "test_images": 1000, "epochs": 6}
QUICK_RUN = {"train_images": 1000, "test_images": 200, "epochs": 2}


def build_model(output_dtype=None):
    """The convnet; ``output_dtype="float32"`` keeps the last layer in full precision under a mixed policy."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(NUM_CLASSES, activation="softmax", dtype=output_dtype),
    ])


def main():
    run = QUICK_RUN if os.environ.get("KERASTORCH_EXAMPLE_QUICK") == "1" else FULL_RUN
    keras.utils.set_random_seed(0)
    (train_x, train_labels), (test_x, test_labels) = load_data(run["train_images"], run["test_images"])
    train_y = keras.utils.to_categorical(train_labels, NUM_CLASSES)
    test_y = keras.utils.to_categorical(test_labels, NUM_CLASSES)
    print(f"{len(train_x)} training images, {len(test_x)} test images of shape {train_x.shape[1:]}")

    model = build_model()
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(train_x, train_y, batch_size=128, epochs=run["epochs"], validation_split=0.1, verbose=2)

    loss, accuracy = model.evaluate(test_x, test_y, verbose=0)
    print(f"test loss: {loss:.4f} - test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()
