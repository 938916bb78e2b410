"""Writes the fixtures of Keras's recurrent layers, for tests/layers/recurrent/.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_recurrent.py

tests/golden/layers/recurrent.json holds, per case, the serialized layer (``serialize_keras_object``: class,
config, build config), the order of the call arguments, and for the cases that need them the custom cell used.
tests/golden/layers/recurrent.npz holds, per case, its inputs (``<case>/x``, and ``<case>/x2`` for the second
call of a stateful case), the mask (``<case>/mask``), initial states (``<case>/initial/<i>``), the weights set on
the layer (``<case>/w/<i>``, seeded here) and Keras's outputs (``<case>/y/<call>/<i>``: each output of each
call, flattened in order).

tests/golden/layers/recurrent_<kind>.keras are small models saved by Keras (LSTM, GRU, Bidirectional), with
their inputs and predictions in recurrent_files.npz and the variable paths and shapes of each model.weights.h5 in
recurrent_files.json.
"""
import io
import json
import os
import pathlib
import zipfile

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers, ops  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "layers"
rng = np.random.default_rng(13)
BATCH, STEPS, FEATURES = 3, 5, 2


@keras.saving.register_keras_serializable(package="golden")
class MinimalRNNCell(layers.Layer):
    """The user cell of Keras's RNN docs: ``h = tanh(x @ kernel + h_prev @ recurrent_kernel)``."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        prev_output = states[0]
        output = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(prev_output, self.recurrent_kernel))
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def sequences(batch=BATCH, steps=STEPS, features=FEATURES):
    return rng.normal(size=(batch, steps, features)).astype("float32")


def mask_of(kind):
    lengths = [5, 3, 1]
    mask = np.zeros((BATCH, STEPS), bool)
    for row, length in enumerate(lengths):
        if kind == "right":
            mask[row, :length] = True
        elif kind == "left":
            mask[row, STEPS - length:] = True
        else:   # holes in the middle
            mask[row] = [True, False, True, True, False] if row != 1 else [False, True, True, False, True]
    return mask


def seeded_weights(layer):
    return [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()]


CASES = {
    "lstm_sequences": lambda: layers.LSTM(4, return_sequences=True),
    "lstm_last": lambda: layers.LSTM(4),
    "lstm_state": lambda: layers.LSTM(4, return_sequences=True, return_state=True),
    "lstm_backwards": lambda: layers.LSTM(4, return_sequences=True, return_state=True, go_backwards=True),
    "lstm_initial_state": lambda: layers.LSTM(4, return_sequences=True, return_state=True),
    "lstm_stateful": lambda: layers.LSTM(4, return_sequences=True, stateful=True),
    "lstm_mask_right": lambda: layers.LSTM(4, return_sequences=True, return_state=True),
    "lstm_mask_right_last": lambda: layers.LSTM(4),
    "lstm_mask_left": lambda: layers.LSTM(4, return_sequences=True, return_state=True),
    "lstm_mask_middle": lambda: layers.LSTM(4, return_sequences=True, return_state=True),
    "lstm_mask_right_backwards": lambda: layers.LSTM(4, return_sequences=True, return_state=True,
                                                     go_backwards=True),
    "lstm_mask_right_zero_output": lambda: layers.LSTM(4, return_sequences=True, zero_output_for_mask=True),
    "lstm_relu": lambda: layers.LSTM(4, activation="relu", return_sequences=True),
    "lstm_no_bias": lambda: layers.LSTM(4, use_bias=False, unit_forget_bias=False, return_sequences=True),
    "lstm_unroll": lambda: layers.LSTM(4, unroll=True, return_sequences=True),
    "lstm_dropout_inference": lambda: layers.LSTM(4, dropout=0.5, recurrent_dropout=0.5, return_sequences=True),
    "gru_reset_after": lambda: layers.GRU(4, return_sequences=True, return_state=True),
    "gru_reset_before": lambda: layers.GRU(4, reset_after=False, return_sequences=True, return_state=True),
    "gru_backwards": lambda: layers.GRU(4, return_sequences=True, go_backwards=True),
    "gru_initial_state": lambda: layers.GRU(4, return_state=True),
    "gru_stateful": lambda: layers.GRU(3, stateful=True),
    "gru_mask_right": lambda: layers.GRU(4, return_sequences=True, return_state=True),
    "gru_mask_left": lambda: layers.GRU(4, return_sequences=True, return_state=True),
    "gru_reset_before_mask_right": lambda: layers.GRU(4, reset_after=False, return_sequences=True),
    "gru_no_bias": lambda: layers.GRU(4, use_bias=False, return_sequences=True),
    "gru_hard_sigmoid": lambda: layers.GRU(4, recurrent_activation="hard_sigmoid", return_sequences=True),
    "simple_rnn_tanh": lambda: layers.SimpleRNN(4, return_sequences=True, return_state=True),
    "simple_rnn_relu": lambda: layers.SimpleRNN(4, activation="relu", return_sequences=True),
    "simple_rnn_sigmoid": lambda: layers.SimpleRNN(4, activation="sigmoid"),
    "simple_rnn_mask_right": lambda: layers.SimpleRNN(4, return_sequences=True),
    "simple_rnn_mask_left": lambda: layers.SimpleRNN(4, return_sequences=True, go_backwards=True),
    "rnn_lstm_cell": lambda: layers.RNN(layers.LSTMCell(4), return_sequences=True, return_state=True),
    "rnn_gru_cell_mask_right": lambda: layers.RNN(layers.GRUCell(3), return_sequences=True),
    "rnn_stacked_cells": lambda: layers.RNN([layers.SimpleRNNCell(3), layers.LSTMCell(4), layers.GRUCell(2)],
                                            return_sequences=True, return_state=True),
    "rnn_stacked_cells_mask_left": lambda: layers.RNN(layers.StackedRNNCells([layers.LSTMCell(3),
                                                                             layers.LSTMCell(2)]),
                                                      return_sequences=True),
    "rnn_user_cell": lambda: layers.RNN(MinimalRNNCell(3), return_sequences=True, return_state=True),
    "rnn_user_cell_mask_middle": lambda: layers.RNN(MinimalRNNCell(3), return_sequences=True),
    "bidirectional_concat": lambda: layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
    "bidirectional_sum": lambda: layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode="sum"),
    "bidirectional_mul": lambda: layers.Bidirectional(layers.LSTM(3), merge_mode="mul"),
    "bidirectional_ave": lambda: layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode="ave"),
    "bidirectional_none": lambda: layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode=None),
    "bidirectional_state": lambda: layers.Bidirectional(layers.LSTM(3, return_sequences=True, return_state=True)),
    "bidirectional_state_none": lambda: layers.Bidirectional(layers.GRU(3, return_state=True), merge_mode=None),
    "bidirectional_initial_state": lambda: layers.Bidirectional(layers.LSTM(3, return_state=True)),
    "bidirectional_mask_right": lambda: layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
    "bidirectional_mask_right_last": lambda: layers.Bidirectional(layers.GRU(3)),
    "bidirectional_mask_left": lambda: layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
    "bidirectional_backward_layer": lambda: layers.Bidirectional(
        layers.LSTM(3, return_sequences=True),
        backward_layer=layers.GRU(2, activation="relu", return_sequences=True, go_backwards=True)),
    "bidirectional_simple_rnn": lambda: layers.Bidirectional(layers.SimpleRNN(3, return_sequences=True)),
}

MASKS = {"mask_right": "right", "mask_left": "left", "mask_middle": "middle"}


def record_case(name, make, arrays, specs):
    layer = make()
    x = sequences()
    kind = next((k for suffix, k in MASKS.items() if suffix in name), None)
    mask = mask_of(kind) if kind else None
    kwargs = {}
    if mask is not None:
        kwargs["mask"] = mask
        arrays[f"{name}/mask"] = mask
    layer(x, **kwargs)   # build
    weights = seeded_weights(layer)
    layer.set_weights(weights)
    for i, w in enumerate(weights):
        arrays[f"{name}/w/{i}"] = w
    arrays[f"{name}/x"] = x
    calls = [x]
    if "initial_state" in name:
        probe = layer(x)
        states = [rng.normal(size=s.shape).astype("float32") for s in probe[1:]]
        for i, s in enumerate(states):
            arrays[f"{name}/initial/{i}"] = s
        kwargs["initial_state"] = states
    if "stateful" in name:
        layer.reset_state() if hasattr(layer, "reset_state") else None
        x2 = sequences()
        arrays[f"{name}/x2"] = x2
        calls = [x, x2, "reset", x]
    call_index = 0
    for inputs in calls:
        if isinstance(inputs, str):
            layer.reset_state()
            continue
        outputs = layer(inputs, **kwargs)
        flat = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        for i, y in enumerate(flat):
            arrays[f"{name}/y/{call_index}/{i}"] = ops.convert_to_numpy(y)
        call_index += 1
    specs[name] = {"layer": keras.saving.serialize_keras_object(layer), "calls": call_index,
                   "outputs": len(flat)}


def weights_layout(path):
    with zipfile.ZipFile(path) as archive:
        h5 = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        found = []
        h5.visititems(lambda key, obj: found.append([key, list(obj.shape)]) if isinstance(obj, h5py.Dataset)
                      else None)
    return sorted(found)


def record_files(arrays, specs):
    models = {
        "lstm": keras.Sequential([keras.Input((STEPS, FEATURES)), layers.Masking(),
                                  layers.LSTM(4, return_sequences=True), layers.LSTM(3), layers.Dense(2)]),
        "gru": keras.Sequential([keras.Input((STEPS, FEATURES)), layers.GRU(4, return_sequences=True),
                                 layers.GRU(3, reset_after=False), layers.Dense(1)]),
        "bidirectional": keras.Sequential([keras.Input((STEPS, FEATURES)),
                                           layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
                                           layers.Bidirectional(layers.GRU(2), merge_mode="sum"),
                                           layers.Dense(1)]),
    }
    x = sequences()
    x[1, 3:] = 0.0   # right padding for Masking
    arrays["x"] = x
    for kind, model in models.items():
        model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()])
        path = OUT / f"recurrent_{kind}.keras"
        model.save(path)
        arrays[f"{kind}/y"] = ops.convert_to_numpy(model.predict(x, verbose=0))
        specs[kind] = weights_layout(path)


def main():
    arrays, specs = {}, {}
    for name, make in CASES.items():
        record_case(name, make, arrays, specs)
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "recurrent.npz", **arrays)
    (OUT / "recurrent.json").write_text(json.dumps(specs, indent=1, sort_keys=True) + "\n")
    file_arrays, file_specs = {}, {}
    record_files(file_arrays, file_specs)
    np.savez_compressed(OUT / "recurrent_files.npz", **file_arrays)
    (OUT / "recurrent_files.json").write_text(json.dumps(file_specs, indent=1, sort_keys=True) + "\n")
    print(f"{len(CASES)} cases, {len(arrays)} arrays; files: {sorted(file_specs)}")


if __name__ == "__main__":
    main()
