"""Writes the fixtures of Keras's masks, for tests/layers/test_masking.py.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_masking.py

tests/golden/layers/masking.npz holds, for each case below, its inputs (`<case>/x<i>`), the weights set on its
layers (`<case>/w/<layer>/<i>`), Keras's output (`<case>/y`) and the mask Keras attached to the output of the
layer named in the case (`<case>/mask`, absent when Keras attached none), plus for the training cases the
History of 2 epochs of SGD fit (`<case>/loss`, `<case>/val`) and evaluate's values (`<case>/evaluate`).
Every layer's weights are set from a seeded generator here and saved, so the tests start from the same weights.
"""
import os
import pathlib
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "layers" / "masking.npz"
rng = np.random.default_rng(11)


def sequences(batch, steps, features, lengths, pad=0.0):
    """Random sequences whose steps from `lengths[i]` on are padding (all features equal `pad`)."""
    x = rng.normal(size=(batch, steps, features)).astype("float32")
    for i, length in enumerate(lengths):
        x[i, length:] = pad
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


def masking_then_pooling():
    inputs = keras.Input((5, 3))
    masked = layers.Masking(name="masking")(inputs)
    outputs = layers.GlobalAveragePooling1D(name="pool")(masked)
    return keras.Model(inputs, outputs), ["masking"]


def masking_dense_pooling():
    return keras.Sequential([keras.Input((5, 3)), layers.Masking(mask_value=0.0, name="masking"),
                             layers.Dense(4, name="dense"), layers.GlobalAveragePooling1D(name="pool"),
                             layers.Dense(2, name="head")]), ["dense"]


def masking_max_pooling():
    return keras.Sequential([keras.Input((5, 3)), layers.Masking(name="masking"),
                             layers.GlobalMaxPooling1D(name="pool")]), ["masking"]


def merge_model(kind):
    def build():
        a, b = keras.Input((5, 3)), keras.Input((5, 3))
        ma = layers.Masking(name="mask_a")(a)
        mb = layers.Masking(name="mask_b")(b)
        merged = getattr(layers, kind)(name="merge")([ma, mb])
        return keras.Model([a, b], layers.GlobalAveragePooling1D(name="pool")(merged)), ["merge"]
    return build


def merge_one_masked():
    a, b = keras.Input((5, 3)), keras.Input((5, 3))
    ma = layers.Masking(name="mask_a")(a)
    merged = layers.Add(name="merge")([ma, b])
    return keras.Model([a, b], layers.GlobalAveragePooling1D(name="pool")(merged)), ["merge"]


def concatenate_time():
    a, b = keras.Input((5, 3)), keras.Input((4, 3))
    ma = layers.Masking(name="mask_a")(a)
    mb = layers.Masking(name="mask_b")(b)
    merged = layers.Concatenate(axis=1, name="merge")([ma, mb])
    return keras.Model([a, b], layers.GlobalAveragePooling1D(name="pool")(merged)), ["merge"]


def lambda_mask():
    inputs = keras.Input((5, 3))
    masked = layers.Masking(name="masking")(inputs)
    doubled = layers.Lambda(lambda t: t * 2.0, mask=lambda t, m: m, name="double")(masked)
    return keras.Model(inputs, layers.GlobalAveragePooling1D(name="pool")(doubled)), ["double"]


INFERENCE_CASES = {
    "masking_then_pooling": (masking_then_pooling, [(4, 5, 3, [5, 3, 1, 0])]),
    "masking_dense_pooling": (masking_dense_pooling, [(4, 5, 3, [2, 5, 4, 1])]),
    "masking_max_pooling": (masking_max_pooling, [(3, 5, 3, [2, 5, 3])]),
    "concatenate_time": (concatenate_time, [(3, 5, 3, [2, 5, 1]), (3, 4, 3, [4, 0, 2])]),
    "merge_one_masked": (merge_one_masked, [(3, 5, 3, [2, 5, 1]), (3, 5, 3, [5, 5, 5])]),
    "lambda_mask": (lambda_mask, [(3, 5, 3, [2, 5, 4])]),
}
for kind in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"):
    INFERENCE_CASES[f"merge_{kind.lower()}"] = (merge_model(kind), [(3, 5, 3, [2, 5, 1]), (3, 5, 3, [4, 1, 0])])


def mask_of(model, layer_name, xs):
    """The mask Keras attaches to the output of `layer_name` when the model runs on `xs`."""
    probe = keras.Model(model.inputs, model.get_layer(layer_name).output)
    output = probe(xs if len(xs) > 1 else xs[0])
    mask = keras.src.backend.get_keras_mask(output)
    return None if mask is None else keras.ops.convert_to_numpy(mask)


def record_inference(record):
    for case, (build, specs) in INFERENCE_CASES.items():
        keras.utils.set_random_seed(1)
        model, (mask_layer,) = build()
        set_seeded_weights(model, record, case)
        xs = [sequences(*spec) for spec in specs]
        for i, x in enumerate(xs):
            record[f"{case}/x{i}"] = x
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            record[f"{case}/y"] = keras.ops.convert_to_numpy(model(xs if len(xs) > 1 else xs[0]))
            if not isinstance(model, keras.Sequential):
                mask = mask_of(model, mask_layer, xs)
                if mask is not None:
                    record[f"{case}/mask"] = mask


def per_step_model():
    return keras.Sequential([keras.Input((5, 3)), layers.Masking(name="masking"), layers.Dense(2, name="dense")])


def pooled_model():
    return keras.Sequential([keras.Input((5, 3)), layers.Masking(name="masking"), layers.Dense(4, name="dense"),
                             layers.GlobalAveragePooling1D(name="pool"), layers.Dense(1, name="head")])


TRAINING_CASES = {
    # A per-timestep output: the loss and the metric skip the masked steps.
    "fit_per_step_mse": (per_step_model, "mse", ["mae"], (2,)),
    # The mask is consumed by the pooling: the loss sees no mask.
    "fit_pooled_mse": (pooled_model, "mse", ["mae"], None),
}


def record_training(record):
    for case, (build, loss, metrics, step_target) in TRAINING_CASES.items():
        keras.utils.set_random_seed(1)
        model = build()
        set_seeded_weights(model, record, case)
        x = sequences(12, 5, 3, [5, 3, 1, 4, 2, 5, 2, 3, 4, 1, 5, 3])
        y = rng.normal(size=(12, 5) + step_target if step_target else (12, 1)).astype("float32")
        record[f"{case}/x0"], record[f"{case}/y_true"] = x, y
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss, metrics=metrics)
        history = model.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0, validation_split=0.25)
        for key, values in history.history.items():
            record[f"{case}/history/{key}"] = np.asarray(values, dtype="float64")
        record[f"{case}/evaluate"] = np.asarray(model.evaluate(x, y, batch_size=5, verbose=0), dtype="float64")
        record[f"{case}/y"] = model.predict(x, batch_size=5, verbose=0)


if __name__ == "__main__":
    record = {}
    record_inference(record)
    record_training(record)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez(OUT, **record)
    print(f"wrote {OUT} ({len(record)} arrays) with Keras {keras.__version__}")
