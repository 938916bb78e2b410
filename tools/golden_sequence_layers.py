"""Writes the fixtures of Keras's sequence layers: Embedding, TimeDistributed, PReLU, Identity, RepeatVector's and
GlobalAveragePooling1D's masks, a loss and metrics over masked timesteps, and ConvLSTM1D/2D/3D.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_sequence_layers.py

tests/golden/layers/sequence_layers.npz holds, per case, its inputs (`<case>/x<i>`), the weights set on its
layers (`<case>/w/<layer>/<i>`, from a seeded generator here), Keras's outputs (`<case>/y<i>`) and the masks
Keras attached to them (`<case>/mask<i>`, absent when Keras attached none); for the training case, the History
of 2 epochs of SGD (`<case>/history/<key>`) and evaluate's values. tests/golden/layers/sequence_layers.json holds
each case's Keras config per layer (serialize_keras_object, the names removed) and the list of cases.
tests/golden/layers/sequence_layers.keras is a small Keras-saved model (Embedding(mask_zero) ->
TimeDistributed(Dense) -> GlobalAveragePooling1D), with its input and prediction in the npz (`keras_file/...`);
tests/golden/layers/sequence_layers_conv_lstm.keras one with ConvLSTM2D -> TimeDistributed(Flatten) -> Dense
(`conv_lstm_file/...`).
"""
import json
import os
import pathlib
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402
from keras.src.backend import get_keras_mask  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "layers"
rng = np.random.default_rng(13)
record, configs = {}, {}


def to_numpy(value):
    return keras.ops.convert_to_numpy(value)


def tokens(batch, steps, vocab, lengths, dtype="int32"):
    """Random indices in [1, vocab) whose steps from `lengths[i]` on are the padding index 0."""
    x = rng.integers(1, vocab, size=(batch, steps))
    for i, length in enumerate(lengths):
        x[i, length:] = 0
    return x.astype(dtype)


def set_seeded_weights(case, model):
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            values = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in weights]
            layer.set_weights(values)
            for i, value in enumerate(values):
                record[f"{case}/w/{layer.name}/{i}"] = value


def plain_config(layer):
    config = keras.saving.serialize_keras_object(layer)
    config.pop("build_config", None)
    config["config"].pop("name", None)
    if "layer" in config["config"]:
        config["config"]["layer"].pop("build_config", None)
        config["config"]["layer"]["config"].pop("name", None)
    return json.loads(json.dumps(config))


def run_case(case, model, xs):
    """Record the case's inputs, weights, outputs, output masks and layer configs."""
    set_seeded_weights(case, model)
    for i, x in enumerate(xs):
        record[f"{case}/x{i}"] = x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outputs = model(xs if len(xs) > 1 else xs[0])
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    for i, output in enumerate(outputs):
        record[f"{case}/y{i}"] = to_numpy(output)
        mask = get_keras_mask(output)
        if mask is not None:
            record[f"{case}/mask{i}"] = to_numpy(mask)
    configs[case] = {layer.name: plain_config(layer) for layer in model.layers
                     if not isinstance(layer, keras.layers.InputLayer)}


def embedding_cases():
    for mask_zero in (False, True):
        for dtype in ("int32", "int64", "float32"):
            case = f"embedding_mask{int(mask_zero)}_{dtype}"
            inputs = keras.Input((5,), dtype=dtype)
            embedded = layers.Embedding(7, 3, mask_zero=mask_zero, name="embedding")(inputs)
            run_case(case, keras.Model(inputs, embedded), [tokens(3, 5, 7, [5, 3, 1], dtype)])
    # Indices of any rank: (batch, 2, 3) -> (batch, 2, 3, 4)
    inputs = keras.Input((2, 3), dtype="int32")
    run_case("embedding_rank3", keras.Model(inputs, layers.Embedding(6, 4, mask_zero=True, name="embedding")(inputs)),
             [rng.integers(0, 6, size=(2, 2, 3)).astype("int32")])


def time_distributed_cases():
    inputs = keras.Input((4, 5))
    run_case("td_dense", keras.Model(inputs, layers.TimeDistributed(layers.Dense(3, activation="tanh"),
                                                                    name="td")(inputs)),
             [rng.normal(size=(2, 4, 5)).astype("float32")])
    inputs = keras.Input((3, 6, 6, 2))
    run_case("td_conv2d", keras.Model(inputs, layers.TimeDistributed(layers.Conv2D(2, 3, strides=2, padding="same"),
                                                                     name="td")(inputs)),
             [rng.normal(size=(2, 3, 6, 6, 2)).astype("float32")])
    # A mask from Embedding(mask_zero) goes through TimeDistributed to the pooling.
    inputs = keras.Input((5,), dtype="int32")
    embedded = layers.Embedding(9, 4, mask_zero=True, name="embedding")(inputs)
    distributed = layers.TimeDistributed(layers.Dense(3), name="td")(embedded)
    pooled = layers.GlobalAveragePooling1D(name="pool")(distributed)
    run_case("td_masked", keras.Model(inputs, [distributed, pooled]), [tokens(3, 5, 9, [5, 2, 4])])


def prelu_cases():
    inputs = keras.Input((4, 3))
    run_case("prelu", keras.Model(inputs, layers.PReLU(name="prelu")(inputs)),
             [rng.normal(size=(2, 4, 3)).astype("float32")])
    inputs = keras.Input((4, 4, 3))
    run_case("prelu_shared", keras.Model(inputs, layers.PReLU(shared_axes=[1, 2], name="prelu")(inputs)),
             [rng.normal(size=(2, 4, 4, 3)).astype("float32")])


def mask_cases():
    # Masking on (batch, features) gives a (batch,) mask: RepeatVector does not support masking and drops it.
    inputs = keras.Input((3,))
    masked = layers.Masking(name="masking")(inputs)
    repeated = layers.RepeatVector(2, name="repeat")(masked)
    x = rng.normal(size=(3, 3)).astype("float32")
    x[1] = 0.0
    run_case("repeat_vector_mask", keras.Model(inputs, [masked, repeated]), [x])
    # Identity passes the mask on.
    inputs = keras.Input((5,), dtype="int32")
    embedded = layers.Embedding(8, 2, mask_zero=True, name="embedding")(inputs)
    run_case("identity_mask", keras.Model(inputs, layers.Identity(name="identity")(embedded)),
             [tokens(2, 5, 8, [3, 5])])
    # GlobalAveragePooling1D averages over the unmasked steps of an Embedding(mask_zero) sequence.
    inputs = keras.Input((6,), dtype="int32")
    embedded = layers.Embedding(10, 3, mask_zero=True, name="embedding")(inputs)
    run_case("gap1d_embedding_mask", keras.Model(inputs, layers.GlobalAveragePooling1D(name="pool")(embedded)),
             [tokens(4, 6, 10, [6, 4, 1, 2])])


def masked_training_case():
    """A per-timestep classifier on Embedding(mask_zero): the loss and the metrics skip the padded steps."""
    case = "masked_timesteps_fit"
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((6,), dtype="int32"),
                              layers.Embedding(12, 4, mask_zero=True, name="embedding"),
                              layers.TimeDistributed(layers.Dense(3), name="td")])
    set_seeded_weights(case, model)
    x = tokens(10, 6, 12, [6, 2, 4, 5, 1, 3, 6, 2, 5, 4])
    y = rng.integers(0, 3, size=(10, 6)).astype("int32")
    record[f"{case}/x0"], record[f"{case}/y_true"] = x, y
    model.compile(optimizer=keras.optimizers.SGD(0.5),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["sparse_categorical_accuracy"])
    record[f"{case}/evaluate_before"] = np.asarray(model.evaluate(x, y, batch_size=4, verbose=0), "float64")
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for key, values in history.history.items():
        record[f"{case}/history/{key}"] = np.asarray(values, dtype="float64")
    record[f"{case}/evaluate"] = np.asarray(model.evaluate(x, y, batch_size=4, verbose=0), dtype="float64")
    record[f"{case}/y0"] = model.predict(x, batch_size=4, verbose=0)
    configs[case] = {"metrics_names": list(history.history)}


def keras_file_case():
    keras.utils.set_random_seed(2)
    inputs = keras.Input((5,), dtype="int32")
    embedded = layers.Embedding(9, 4, mask_zero=True, name="embedding")(inputs)
    distributed = layers.TimeDistributed(layers.Dense(3), name="td")(embedded)
    model = keras.Model(inputs, layers.GlobalAveragePooling1D(name="pool")(distributed))
    set_seeded_weights("keras_file", model)
    x = tokens(3, 5, 9, [5, 2, 4])
    record["keras_file/x0"], record["keras_file/y0"] = x, to_numpy(model(x))
    model.save(OUT / "sequence_layers.keras")


def conv_lstm_file_case():
    keras.utils.set_random_seed(4)
    inputs = keras.Input((3, 5, 5, 2))
    hidden = layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True, name="conv_lstm")(inputs)
    hidden = layers.TimeDistributed(layers.Flatten(), name="flatten")(hidden)
    model = keras.Model(inputs, layers.Dense(1, name="head")(hidden))
    set_seeded_weights("conv_lstm_file", model)
    x = rng.normal(size=(2, 3, 5, 5, 2)).astype("float32")
    record["conv_lstm_file/x0"], record["conv_lstm_file/y0"] = x, to_numpy(model(x))
    model.save(OUT / "sequence_layers_conv_lstm.keras")


# ConvLSTM cases: (id, class, constructor kwargs, input shape, call: "plain" | "mask" | "initial_state" |
# "stateful"). The layer is called directly (eagerly) on the input.
CONV_LSTM_CASES = [
    ("c1_valid", "ConvLSTM1D", {"filters": 2, "kernel_size": 3}, (2, 4, 6, 3), "plain"),
    ("c1_sequences", "ConvLSTM1D", {"filters": 2, "kernel_size": 3, "return_sequences": True}, (2, 4, 6, 3),
     "plain"),
    ("c1_same_strides", "ConvLSTM1D", {"filters": 3, "kernel_size": 2, "strides": 2, "padding": "same",
                                       "return_sequences": True}, (2, 3, 7, 2), "plain"),
    ("c1_dilation", "ConvLSTM1D", {"filters": 2, "kernel_size": 2, "dilation_rate": 2, "return_state": True},
     (2, 3, 7, 2), "plain"),
    ("c1_backwards", "ConvLSTM1D", {"filters": 2, "kernel_size": 3, "padding": "same", "go_backwards": True,
                                    "return_sequences": True}, (2, 4, 5, 2), "plain"),
    ("c1_mask", "ConvLSTM1D", {"filters": 2, "kernel_size": 3, "padding": "same", "return_sequences": True},
     (3, 5, 4, 2), "mask"),
    ("c1_mask_last", "ConvLSTM1D", {"filters": 2, "kernel_size": 3, "padding": "same", "return_state": True},
     (3, 5, 4, 2), "mask"),
    ("c1_activations", "ConvLSTM1D", {"filters": 2, "kernel_size": 3, "activation": "relu",
                                      "recurrent_activation": "hard_sigmoid", "use_bias": False}, (2, 3, 5, 2),
     "plain"),
    ("c1_channels_first", "ConvLSTM1D", {"filters": 2, "kernel_size": 3, "data_format": "channels_first",
                                         "return_sequences": True}, (2, 3, 2, 6), "plain"),
    ("c2_same", "ConvLSTM2D", {"filters": 3, "kernel_size": 3, "padding": "same", "return_sequences": True},
     (2, 3, 5, 5, 2), "plain"),
    ("c2_state", "ConvLSTM2D", {"filters": 2, "kernel_size": (3, 2), "return_state": True}, (2, 3, 5, 4, 2),
     "plain"),
    ("c2_initial_state", "ConvLSTM2D", {"filters": 2, "kernel_size": 3, "padding": "same"}, (2, 3, 4, 4, 2),
     "initial_state"),
    ("c2_stateful", "ConvLSTM2D", {"filters": 2, "kernel_size": 3, "padding": "same", "stateful": True},
     (2, 3, 4, 4, 2), "stateful"),
    ("c2_channels_first", "ConvLSTM2D", {"filters": 2, "kernel_size": 3, "strides": 2,
                                         "data_format": "channels_first"}, (2, 3, 2, 6, 6), "plain"),
    ("c3_same", "ConvLSTM3D", {"filters": 2, "kernel_size": 2, "padding": "same", "return_sequences": True},
     (1, 2, 3, 4, 3, 2), "plain"),
]


def conv_lstm_cases():
    cases = []
    for case_id, class_name, kwargs, shape, call in CONV_LSTM_CASES:
        case = f"convlstm/{case_id}"
        keras.utils.set_random_seed(3)
        layer = getattr(layers, class_name)(**kwargs, name="conv_lstm")
        x = rng.normal(size=shape).astype("float32")
        record[f"{case}/x0"] = x
        call_kwargs = {}
        if call == "mask":
            mask = np.ones(shape[:2], bool)
            mask[1, 3:] = False      # right padding
            mask[2, :2] = False      # left padding
            record[f"{case}/mask"] = mask
            call_kwargs["mask"] = mask
        layer.build(shape) if call != "stateful" else layer(x)
        values = [rng.normal(scale=0.4, size=w.shape).astype("float32") for w in layer.get_weights()]
        layer.set_weights(values)
        for i, value in enumerate(values):
            record[f"{case}/w/{i}"] = value
        if call == "initial_state":
            state_shape = layer.compute_output_shape(shape)
            states = [rng.normal(size=state_shape).astype("float32") for _ in range(2)]
            record[f"{case}/h0"], record[f"{case}/c0"] = states
            call_kwargs["initial_state"] = states
        if call == "stateful":
            layer.reset_states()
            first = layer(x)
            record[f"{case}/first"] = to_numpy(first)
        outputs = layer(x, **call_kwargs)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        for i, output in enumerate(outputs):
            record[f"{case}/y{i}"] = to_numpy(output)
        config = layer.get_config()
        config.pop("name")
        configs[case] = {"class": class_name, "kwargs": kwargs, "shape": list(shape), "call": call,
                         "weight_shapes": [list(w.shape) for w in layer.get_weights()],
                         "output_shape": json.loads(json.dumps(layer.compute_output_shape(shape))),
                         "config": json.loads(json.dumps(keras.saving.serialize_keras_object(config)))}
        cases.append(case)
    configs["convlstm_cases"] = cases


if __name__ == "__main__":
    embedding_cases()
    time_distributed_cases()
    prelu_cases()
    mask_cases()
    masked_training_case()
    keras_file_case()
    conv_lstm_cases()
    conv_lstm_file_case()
    np.savez(OUT / "sequence_layers.npz", **record)
    (OUT / "sequence_layers.json").write_text(json.dumps({"configs": configs}, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}/sequence_layers.* ({len(record)} arrays) with Keras {keras.__version__}")
