"""Writes a Keras 2 (tf.keras 2.x) .h5 model with the sequence layers, for tests/layers/test_embedding.py.

    /work/tfvenv/bin/python tools/golden_sequence_layers_keras2.py

tests/golden/layers/sequence_layers_keras2.h5: Embedding(mask_zero, Keras 2's input_length) ->
TimeDistributed(Dense) -> PReLU -> GlobalAveragePooling1D -> Dense, and a second input ConvLSTM2D -> Flatten,
concatenated before the head; seeded weights, saved by Keras 2's legacy HDF5 writer.
tests/golden/layers/sequence_layers_keras2.npz: its inputs ``tokens`` (padded rows) and ``frames``, and Keras 2's
prediction ``y``.
"""
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "layers"


def main():
    rng = np.random.default_rng(31)
    tokens = rng.integers(1, 9, size=(3, 5)).astype("int32")
    tokens[1, 3:] = 0
    tokens[2, 1:] = 0
    frames = rng.normal(size=(3, 2, 4, 4, 2)).astype("float32")
    layers = keras.layers
    token_input = keras.Input((5,), dtype="int32")
    x = layers.Embedding(9, 4, mask_zero=True, input_length=5)(token_input)
    x = layers.TimeDistributed(layers.Dense(3))(x)
    x = layers.PReLU(shared_axes=[1])(x)
    x = layers.GlobalAveragePooling1D()(x)
    frame_input = keras.Input((2, 4, 4, 2))
    # Keras 2's ConvLSTM2D defaults to recurrent_activation="hard_sigmoid", which Keras 2 defines as
    # clip(0.2 x + 0.5, 0, 1) and Keras 3 (so kerastorch) as relu6(x + 3) / 6: sigmoid keeps the file about layouts.
    f = layers.ConvLSTM2D(2, 3, padding="same", recurrent_activation="sigmoid")(frame_input)
    f = layers.Flatten()(f)
    outputs = layers.Dense(1)(layers.Concatenate()([x, f]))
    model = keras.Model([token_input, frame_input], outputs)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()])
    model.save(OUT / "sequence_layers_keras2.h5")
    np.savez_compressed(OUT / "sequence_layers_keras2.npz", tokens=tokens, frames=frames,
                        y=model.predict([tokens, frames], verbose=0))


if __name__ == "__main__":
    main()
