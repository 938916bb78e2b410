"""An MNIST-sized digit classifier trained data-parallel over several processes, with no distributed code in it.

Start it with torchrun, one process per GPU (or several on a CPU):

    torchrun --nproc_per_node=2 examples/distributed_mnist.py

and it runs as `python examples/distributed_mnist.py` too, as one process. kerastorch sees torchrun's
environment and runs fit / evaluate / predict data-parallel: each process builds the same model, rank 0's weights
are broadcast, and each process takes its share of every global batch (batch_size=128 below is the global batch:
with 2 processes each one computes 64 samples a step), the gradients are averaged over all samples, and every
process ends with the same weights, equal to one process's run with the same global batch. Logs are global
(every process prints the same numbers, but only rank 0 prints the progress bar), and only rank 0 writes the
checkpoint. `KERASTORCH_DISTRIBUTED=0` turns it off: each process then trains alone, on all the data.

The data are MNIST-sized: 28x28 stroke shapes in 10 classes drawn with numpy (examples/stroke_shapes.py), the
same on every process (the same seeds), so the script needs no download. KERASTORCH_EXAMPLE_QUICK=1 trains on
fewer images.
"""
import os
import tempfile

import kerastorch as keras
from stroke_shapes import load_data

QUICK = os.environ.get("KERASTORCH_EXAMPLE_QUICK") == "1"


def main():
    rank = os.environ.get("RANK", "0")   # set by torchrun; only used to label the last lines
    folder = os.path.join(tempfile.gettempdir(), f"kerastorch-distributed-mnist-{os.getuid()}")
    (x_train, y_train), (x_test, y_test) = load_data(1000 if QUICK else 12000, 200 if QUICK else 2000)

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    checkpoint = keras.callbacks.ModelCheckpoint(os.path.join(folder, "best.keras"), save_best_only=True)
    model.fit(x_train, y_train, batch_size=128, epochs=2 if QUICK else 4, validation_split=0.1,
              callbacks=[checkpoint], verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    predictions = model.predict(x_test[:8], verbose=0).argmax(axis=1)
    # Every process prints these lines (and the same numbers); the progress lines above come from rank 0 only.
    print(f"rank {rank}: test loss: {loss:.4f} - test accuracy: {accuracy:.4f}")
    print(f"first predictions: {predictions.tolist()} (labels {y_test[:8].tolist()})")


if __name__ == "__main__":
    main()
