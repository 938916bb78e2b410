"""Record how well real Keras 3 learns the convnet example's task, for tests/test_convnet_example.py.

Run by hand with Keras installed:  KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_convnet.py
It draws the example's images (examples/stroke_shapes.py, numpy only, so identical here), trains the example's
convnet in Keras with the test's sizes once per seed, and writes tests/golden/convnet.json: the sizes, a
checksum of the images (the test checks it draws the same ones), each seed's final val_accuracy and test
accuracy with their mean and minimum, and Keras's summary() text at COLUMNS=80.
"""
import json
import os
import pathlib
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ["COLUMNS"] = "80"

import keras  # noqa: E402
import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
from stroke_shapes import load_data  # noqa: E402

# Small enough for the test to train once in under a minute on 2 cores; 5 epochs of 22 steps take test accuracy
# to about 0.9, where seeds agree within a few points and still say whether learning is on Keras's pace.
RUN = {"train_images": 3000, "test_images": 1000, "epochs": 5, "batch_size": 128, "validation_split": 0.1}
SEEDS = (0, 1, 2, 3, 4)


def build_model():
    """The example's model (examples/convnet.py), written with Keras."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ])


def data_checksum(train, test):
    """Sums that change if a single pixel or label differs: the test compares them before training."""
    (train_x, train_labels), (test_x, test_labels) = train, test
    return {"train_pixel_sum": float(train_x.astype("float64").sum()),
            "test_pixel_sum": float(test_x.astype("float64").sum()),
            "train_label_counts": np.bincount(train_labels, minlength=10).tolist(),
            "test_label_counts": np.bincount(test_labels, minlength=10).tolist(),
            "train_labels_head": train_labels[:20].tolist()}


def train_once(seed, train, test):
    (train_x, train_labels), (test_x, test_labels) = train, test
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = build_model()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    started = time.perf_counter()
    history = model.fit(train_x, keras.utils.to_categorical(train_labels, 10), batch_size=RUN["batch_size"],
                        epochs=RUN["epochs"], validation_split=RUN["validation_split"], verbose=0)
    seconds = time.perf_counter() - started
    test_loss, test_accuracy = model.evaluate(test_x, keras.utils.to_categorical(test_labels, 10), verbose=0)
    return {"seed": seed, "val_accuracy": history.history["val_accuracy"],
            "final_val_accuracy": history.history["val_accuracy"][-1], "test_accuracy": float(test_accuracy),
            "test_loss": float(test_loss), "fit_seconds": round(seconds, 1)}


def summary_text():
    keras.backend.clear_session()
    lines = []
    build_model().summary(print_fn=lambda text, line_break=True: lines.append(text))
    return "\n".join(lines)


def main():
    train, test = load_data(RUN["train_images"], RUN["test_images"])
    runs = []
    for seed in SEEDS:
        runs.append(train_once(seed, train, test))
        print(json.dumps(runs[-1]))
    test_accuracies = [run["test_accuracy"] for run in runs]
    val_accuracies = [run["final_val_accuracy"] for run in runs]
    golden = {
        "keras_version": keras.__version__,
        "run": RUN,
        "data": data_checksum(train, test),
        "keras_runs": runs,
        "test_accuracy": {"mean": float(np.mean(test_accuracies)), "min": min(test_accuracies),
                          "max": max(test_accuracies)},
        "val_accuracy": {"mean": float(np.mean(val_accuracies)), "min": min(val_accuracies),
                         "max": max(val_accuracies)},
        "summary": summary_text(),
    }
    out = ROOT / "tests" / "golden" / "convnet.json"
    out.write_text(json.dumps(golden, indent=1) + "\n")
    print(f"wrote {out}: test accuracy {golden['test_accuracy']}, val accuracy {golden['val_accuracy']}")


if __name__ == "__main__":
    main()
