"""A Keras program that prints what fit/evaluate/predict print, for each scenario named on the command line.

tools/golden_console.py runs it with real Keras 3 (stdout piped) to record tests/golden/console_<scenario>.txt;
tests/test_progbar.py runs it unmodified through ``kerastorch run`` and compares the two by format. Before each
scenario's output it prints a line ``=====SCENARIO <scenario>``. A scenario is ``<name>_v<verbose>``.
"""
import sys

import keras
import numpy as np

MARKER = "=====SCENARIO "


def run(name, verbose):
    keras.utils.set_random_seed(1)
    x = np.random.RandomState(0).rand(100, 4).astype("float32")
    y = (x.sum(1) > 2).astype("int64")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    if name == "fit_cosine":  # a negative loss: verbose=2 prints it in scientific notation
        model.compile("adam", "cosine_similarity", metrics=["mae"])
        y = np.eye(2, dtype="float32")[y]
    else:
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    if name == "fit":
        model.fit(x, y, epochs=2, batch_size=10, verbose=verbose, validation_split=0.2)
    elif name == "fit_one_epoch":
        model.fit(x, y, epochs=1, batch_size=25, verbose=verbose)
    elif name == "fit_cosine":
        model.fit(x, y, epochs=2, batch_size=25, verbose=verbose, validation_data=(x[:20], y[:20]))
    elif name == "fit_generator":  # an unknown number of steps
        def batches():
            for start in range(0, 100, 25):
                yield x[start:start + 25], y[start:start + 25]
        model.fit(batches(), epochs=1, verbose=verbose)
    elif name == "fit_callbacks":  # the callbacks' messages between the epoch lines
        model.fit(x, y, epochs=4, batch_size=50, verbose=verbose, validation_split=0.2, callbacks=[
            keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0, verbose=1,
                                          restore_best_weights=True),
            keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5, verbose=1),
            keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=10.0, verbose=1)])
    elif name == "evaluate":
        model.evaluate(x, y, batch_size=10, verbose=verbose)
    elif name == "predict":
        model.predict(x, batch_size=10, verbose=verbose)
    else:
        raise ValueError(f"Unknown scenario name: {name}")


if __name__ == "__main__":
    for scenario in sys.argv[1:]:
        name, verbose = scenario.rsplit("_v", 1)
        sys.stdout.write(f"{MARKER}{scenario}\n")
        sys.stdout.flush()
        run(name, verbose if verbose == "auto" else int(verbose))
