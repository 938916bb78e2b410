"""Writes the fixtures of Keras's attention layers, for tests/layers/attention/.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_attention.py

tests/golden/layers/attention.npz holds, for each case of tests/layers/attention/attention_cases.py (the same
models, built here with Keras), its inputs (`<case>/x<i>`), the weights set on its layers (`<case>/w/<layer>/<i>`),
Keras's outputs (`<case>/y<i>`) and the masks Keras attached to them (`<case>/mask<i>`). attention.json holds, per
case, the output shapes of the symbolic model, the parameter count of each layer and the attention layer's config.
tests/golden/layers/attention_mha.keras is a Keras-written model with MultiHeadAttention and
GroupQueryAttention; its input and Keras's
prediction are `keras_file/x` and `keras_file/y` in the npz, and the paths of its weights file are in the json.
"""
import io
import json
import os
import pathlib
import sys
import warnings
import zipfile

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "layers" / "attention"))
from attention_cases import CASES, LENGTHS  # noqa: E402

OUT = ROOT / "tests" / "golden" / "layers"
rng = np.random.default_rng(13)


def make_input(spec):
    shape, dtype = (spec[:-1], spec[-1]) if isinstance(spec[-1], str) else (spec, "float32")
    if dtype == "bool":
        mask = rng.random(shape) > 0.35
        mask[0, 0] = False   # one query step that attends to nothing
        return mask
    x = rng.normal(size=shape).astype("float32")
    if len(shape) == 3 and shape[1] in LENGTHS:
        for i, length in enumerate(LENGTHS[shape[1]][:shape[0]]):
            x[i, length:] = 0.0
    return x


def set_seeded_weights(model, record, case):
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        values = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in weights]
        layer.set_weights(values)
        for i, value in enumerate(values):
            record[f"{case}/w/{layer.name}/{i}"] = value


def record_cases(record, meta):
    for case, build in CASES.items():
        keras.utils.set_random_seed(1)
        model, specs = build(keras)
        set_seeded_weights(model, record, case)
        xs = [make_input(s) for s in specs]
        for i, x in enumerate(xs):
            record[f"{case}/x{i}"] = x
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outputs = model(xs if len(xs) > 1 else xs[0], training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        for i, y in enumerate(outputs):
            record[f"{case}/y{i}"] = keras.ops.convert_to_numpy(y)
            mask = keras.src.backend.get_keras_mask(y)
            if mask is not None:
                record[f"{case}/mask{i}"] = keras.ops.convert_to_numpy(mask)
        layer = model.get_layer("attention" if case.split("_")[0] not in ("einsum",) else "einsum")
        meta[case] = {"output_shapes": [list(t.shape) for t in model.outputs],
                      "params": {l.name: l.count_params() for l in model.layers if l.built},
                      "config": {k: v for k, v in layer.get_config().items() if k not in ("dtype", "name")}}


def record_keras_file(record, meta):
    keras.utils.set_random_seed(2)
    inputs = keras.Input((5, 8))
    # No Masking here: Keras records its mask computation as graph operations (NotEqual, Any, LogicalOr), and
    # kerastorch's graph operations do not include Any yet.
    attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, value_dim=3)(inputs, inputs,
                                                                                    use_causal_mask=True)
    x = keras.layers.Add()([inputs, attended])
    x = keras.layers.LayerNormalization()(x)
    x = keras.layers.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2)(x, x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    for layer in model.layers:
        layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()])
    x = make_input((3, 5, 8))
    path = OUT / "attention_mha.keras"
    model.save(path)
    record["keras_file/x"] = x
    record["keras_file/y"] = model.predict(x, verbose=0)
    with zipfile.ZipFile(path) as archive:
        weights = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        paths = []
        weights.visititems(lambda name, obj: paths.append(name) if isinstance(obj, h5py.Dataset) else None)
        groups = []
        weights.visititems(lambda name, obj: groups.append(name) if name.endswith("vars") else None)
    meta["keras_file"] = {"datasets": sorted(paths), "vars_groups": sorted(groups)}


if __name__ == "__main__":
    record, meta = {}, {}
    record_cases(record, meta)
    record_keras_file(record, meta)
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "attention.npz", **record)
    (OUT / "attention.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT / 'attention.npz'} ({len(record)} arrays) with Keras {keras.__version__}")
