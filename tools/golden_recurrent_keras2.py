"""Writes a Keras 2 (tf.keras 2.x) .h5 model with recurrent layers, for tests/layers/recurrent/.

    /work/tfvenv/bin/python tools/golden_recurrent_keras2.py

tests/golden/layers/recurrent_keras2.h5: Masking -> LSTM(return_sequences) -> Bidirectional(GRU) (Keras 2's GRU,
reset_after=True) -> Dense, with seeded weights, saved by Keras 2's legacy HDF5 writer;
tests/golden/layers/recurrent_keras2.npz: its input ``x`` (one right-padded row) and Keras 2's prediction ``y``.
"""
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "layers"


def main():
    rng = np.random.default_rng(21)
    x = rng.normal(size=(3, 5, 2)).astype("float32")
    x[1, 3:] = 0.0
    model = keras.Sequential([keras.Input((5, 2)), keras.layers.Masking(),
                              keras.layers.LSTM(4, return_sequences=True),
                              keras.layers.Bidirectional(keras.layers.GRU(3)), keras.layers.Dense(1)])
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()])
    model.save(OUT / "recurrent_keras2.h5")
    np.savez_compressed(OUT / "recurrent_keras2.npz", x=x, y=model.predict(x, verbose=0))


if __name__ == "__main__":
    main()
