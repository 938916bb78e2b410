"""Write tests/golden/saving/sequence/*.keras (and two .weights.h5) with real Keras 3 (KERAS_BACKEND=torch),
plus sequence.npz: each file's inputs and Keras's predictions.

The models are tests/sequence_models.py's FILE_CASES (LSTM, GRU with reset_after True and False, Bidirectional
with concat and sum, TimeDistributed, masks from Embedding(mask_zero=True), MultiHeadAttention with value_dim).
Each is built with Keras's own initial weights, trained one epoch with Adam (so the file holds optimizer
state too) and saved; tests/saving/test_sequence_files.py loads the files with kerastorch and must predict the
same numbers.

Run: KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_sequence_files.py
"""
import json
import os
import pathlib
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
import sequence_models as sm  # noqa: E402

OUT = ROOT / "tests" / "golden" / "saving" / "sequence"
WEIGHTS_FILES = ("lstm_classifier", "bigru_tagger")   # also saved as .weights.h5


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    data = sm.make_data()
    arrays, info = {}, {}
    for name, (builder, x_key, y_key, loss) in sm.FILE_CASES.items():
        keras.backend.clear_session()
        keras.utils.set_random_seed(5)
        model = builder(keras)
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
        x, y = sm.file_case_input(data, x_key), data[y_key]
        model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        model.save(OUT / f"{name}.keras")
        if name in WEIGHTS_FILES:
            model.save_weights(OUT / f"{name}.weights.h5")
        arrays[f"{name}/x"] = x[:8]
        arrays[f"{name}/predict"] = model.predict(x[:8], verbose=0)
        arrays[f"{name}/evaluate"] = np.array(model.evaluate(x, y, batch_size=16, verbose=0), "float32")
        info[name] = {"weight_paths": [v.path for v in model.weights],
                      "optimizer_iterations": int(keras.ops.convert_to_numpy(model.optimizer.iterations))}
        print(name, (OUT / f"{name}.keras").stat().st_size, "bytes")
    np.savez_compressed(OUT / "sequence.npz", **arrays)
    (OUT / "sequence.json").write_text(json.dumps({"keras_version": keras.__version__, "models": info},
                                                  indent=1) + "\n")


if __name__ == "__main__":
    main()
