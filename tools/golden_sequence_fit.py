"""Write tests/golden/training/sequence_fit.npz and sequence_fit.json from real Keras 3 (KERAS_BACKEND=torch).

Three sequence models (tests/sequence_models.py: an Embedding(mask_zero=True) + LSTM classifier, a
Bidirectional(GRU) tagger with TimeDistributed(Dense(softmax)) and a small Transformer classifier) start from
weights drawn from a seeded generator, train 3 epochs with Adam on fixed data (shuffle=False, a partial last
batch), then predict. The fixtures hold the data, the initial and final weights, the History and the
predictions; tests/training/test_sequence_fit.py repeats the same with kerastorch.

Run: KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_sequence_fit.py
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

OUT_NPZ = ROOT / "tests" / "golden" / "training" / "sequence_fit.npz"
OUT_JSON = ROOT / "tests" / "golden" / "training" / "sequence_fit.json"


def record_case(name, data, arrays):
    keras.backend.clear_session()
    model, initial = sm.build(keras, name)
    _, x_key, y_key, loss, learning_rate, _ = sm.FIT_CASES[name]
    for i, value in enumerate(initial):
        arrays[f"{name}/initial/{i}"] = value
    history = model.fit(data[x_key], data[y_key], batch_size=sm.BATCH_SIZE, epochs=sm.EPOCHS, shuffle=False,
                        verbose=0)
    for i, value in enumerate(model.get_weights()):
        arrays[f"{name}/final/{i}"] = value
    arrays[f"{name}/predict"] = model.predict(data[x_key], batch_size=sm.BATCH_SIZE, verbose=0)
    return {"history": {key: [float(v) for v in values] for key, values in history.history.items()},
            "weight_paths": [variable.path for variable in model.weights],
            "weight_shapes": [list(variable.shape) for variable in model.weights],
            "iterations": int(model.optimizer.iterations.numpy())}


def main():
    data = sm.make_data()
    arrays = {f"data/{key}": value for key, value in data.items()}
    cases = {name: record_case(name, data, arrays) for name in sm.FIT_CASES}
    np.savez_compressed(OUT_NPZ, **arrays)
    OUT_JSON.write_text(json.dumps({"keras_version": keras.__version__, "batch_size": sm.BATCH_SIZE,
                                    "epochs": sm.EPOCHS, "cases": cases}, indent=1) + "\n")
    for name, case in cases.items():
        print(name, {key: [round(v, 4) for v in values] for key, values in case["history"].items()})
    print("wrote", OUT_NPZ, OUT_NPZ.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
