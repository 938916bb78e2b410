"""Keras 2's legacy .h5 files: kerastorch writes them (model.save('m.h5'), save_weights('w.h5')), loads them back
with the optimizer's state, loads tf.keras's, and converts what Keras 2 stored differently (CuDNN weights, its
hard_sigmoid).

tools/check_legacy_h5_interop.py (run by hand) loaded kerastorch's files in Keras 3 and tf_keras and recorded the
model_config they accepted (tests/golden/saving/legacy_h5.json); it also had tf_keras write the tf_keras_*.h5
fixtures and record its predictions (tf_keras_h5.npz).
"""
import json
import os
import warnings

import h5py
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import layers
from kerastorch.saving import legacy_h5, legacy_weights
from golden_loader import GOLDEN_DIR, golden_json

FIXTURES = GOLDEN_DIR / "saving"
INTEROP = golden_json("saving/legacy_h5.json")
TF_KERAS = np.load(FIXTURES / "tf_keras_h5.npz")


def build(name, train=True):
    """A model of the interop script, built (and trained as there) with kerastorch."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    scope = {"keras": keras, "np": np}
    exec(INTEROP["models"][name]["source"], scope)
    if train:
        scope["model"].fit(scope["x_train"], scope["y_train"], epochs=2, batch_size=8, shuffle=False, verbose=0)
    return scope


def quiet_save(model, path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path, **kwargs)


def quiet_save_weights(model, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save_weights(path)


def small_model():
    keras.backend.clear_session()   # layer names as in a fresh session
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu"), layers.BatchNormalization(),
                              layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    return model


def data(seed=0):
    rng = np.random.RandomState(seed)
    return rng.rand(16, 4).astype("float32"), rng.rand(16, 2).astype("float32")


# ---- writing --------------------------------------------------------------------------------------------------

def test_h5_save_warns_with_keras3_words(tmp_path):
    with pytest.warns(UserWarning) as record:
        small_model().save(tmp_path / "m.h5")
    assert str(record[0].message) == INTEROP["keras3_save_warning"] == legacy_h5.SAVE_WARNING


def test_h5_weights_save_warns_and_recommends_weights_h5(tmp_path):
    model = small_model()
    with pytest.warns(UserWarning, match=r"legacy.*\.weights\.h5"):
        model.save_weights(tmp_path / "w.h5")


def test_h5_file_holds_keras2_layout(tmp_path):
    model = small_model()
    model.fit(*data(), epochs=1, batch_size=8, verbose=0)
    quiet_save(model, tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert {"model_config", "training_config", "keras_version", "backend"} <= set(f.attrs)
        assert f.attrs["backend"] in ("torch", b"torch")
        training = json.loads(f.attrs["training_config"])
        assert training["optimizer_config"]["class_name"] == "Adam"
        assert training["loss"] == "mean_squared_error"
        weights = f["model_weights"]
        assert [n.decode() for n in weights.attrs["layer_names"]] == ["dense", "batch_normalization", "dense_1"]
        names = [n.decode() for n in weights["batch_normalization"].attrs["weight_names"]]
        assert [n.split("/")[-1] for n in names] == ["gamma", "beta", "moving_mean", "moving_variance"]
        assert weights["dense"][weights["dense"].attrs["weight_names"][0].decode()].shape == (4, 3)
        optimizer_names = [n.decode() for n in f["optimizer_weights"].attrs["weight_names"]]
        assert optimizer_names[:3] == ["adam/iteration", "adam/learning_rate", "adam/dense_kernel_momentum"]
        assert f["optimizer_weights"][optimizer_names[0]][()] == 2


# What a reader could not load, and why (recorded by the interop script).
KNOWN_LIMITS = {("seq2seq", "keras3"): "Keras 3 does not read Keras 2's record of an RNN called with initial_state "
                                       "(as further inputs); tf.keras's own seq2seq .h5 files fail there too"}


@pytest.mark.parametrize("name", sorted(INTEROP["models"]))
def test_h5_model_config_is_the_one_keras3_and_tf_keras_loaded(name, tmp_path):
    recorded = INTEROP["models"][name]
    for reader in ("keras3", "tf_keras"):
        if (name, reader) in KNOWN_LIMITS:
            assert not recorded[reader]["loaded"]
            continue
        assert recorded[reader]["loaded"] and recorded[reader]["max_abs_difference"] < 1e-6
        assert recorded[reader]["weights_loaded"] and recorded[reader]["weights_max_abs_difference"] < 1e-6
    model = build(name)["model"]
    quiet_save(model, tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert json.loads(f.attrs["model_config"]) == recorded["model_config"]
        assert json.loads(f.attrs["training_config"]) == recorded["training_config"]


def test_h5_model_config_uses_keras2_schema(tmp_path):
    model = build("two_input")["model"]
    quiet_save(model, tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        config = json.loads(f.attrs["model_config"])
    assert config["class_name"] == "Functional"
    input_layer = config["config"]["layers"][0]
    assert "batch_input_shape" in input_layer["config"] and "batch_shape" not in input_layer["config"]
    concatenate = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Concatenate")
    assert concatenate["config"]["dtype"] == "float32"
    assert concatenate["inbound_nodes"] == [[["dense", 0, 0, {}], ["b", 0, 0, {}]]]
    assert config["config"]["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["config"]["output_layers"] == [["out", 0, 0]]


def test_h5_save_replaces_a_file_atomically_and_leaves_it_when_writing_fails(tmp_path):
    path = tmp_path / "m.h5"
    path.write_bytes(b"previous contents")

    class Unsaveable(layers.Layer):
        def get_config(self):
            raise RuntimeError("this layer cannot describe itself")

    inputs = keras.Input((3,))
    model = keras.Model(inputs, Unsaveable()(inputs))
    with pytest.raises(RuntimeError, match="cannot describe itself"):
        quiet_save(model, path)
    assert path.read_bytes() == b"previous contents"
    assert os.listdir(tmp_path) == ["m.h5"]   # no partial file left


def test_h5_save_with_overwrite_false_refuses_an_existing_file(tmp_path):
    path = tmp_path / "m.h5"
    path.write_bytes(b"keep")
    with pytest.raises(ValueError, match="already exists"):
        quiet_save(small_model(), path, overwrite=False)
    assert path.read_bytes() == b"keep"


def test_h5_save_without_optimizer_writes_no_training_config(tmp_path):
    model = small_model()
    model.fit(*data(), epochs=1, verbose=0)
    quiet_save(model, tmp_path / "m.h5", include_optimizer=False)
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    assert keras.models.load_model(tmp_path / "m.h5").optimizer is None


def test_h5_save_of_a_subclassed_model_names_the_alternatives(tmp_path):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Net()
    model(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match=r"Functional or Sequential.*\.keras"):
        quiet_save(model, tmp_path / "m.h5")


def test_hdf5_suffix_writes_the_same_layout(tmp_path):
    model = small_model()
    quiet_save(model, tmp_path / "m.hdf5")
    loaded = keras.models.load_model(tmp_path / "m.hdf5")
    x, _ = data()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


# ---- reading back ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(INTEROP["models"]))
def test_h5_round_trip_predicts_the_same(name, tmp_path):
    scope = build(name)
    quiet_save(scope["model"], tmp_path / "m.h5")
    loaded = keras.models.load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(loaded.predict(scope["x"], verbose=0), scope["model"].predict(scope["x"], verbose=0),
                               atol=1e-6)


@pytest.mark.parametrize("optimizer", [lambda: keras.optimizers.Adam(learning_rate=0.01),
                                       lambda: keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                                       lambda: keras.optimizers.RMSprop(learning_rate=0.01)],
                         ids=["adam", "sgd_momentum", "rmsprop"])
def test_fit_save_load_fit_equals_uninterrupted_fit(optimizer, tmp_path):
    x, y = data()
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu"), layers.BatchNormalization(),
                              layers.Dense(2)])
    model.compile(optimizer=optimizer(), loss="mse")
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    quiet_save(model, tmp_path / "m.h5")
    resumed = keras.models.load_model(tmp_path / "m.h5")
    assert resumed.optimizer.iterations == 2
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    resumed.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_array_equal(resumed.predict(x, verbose=0), model.predict(x, verbose=0))


def test_h5_weights_round_trip_into_a_fresh_model(tmp_path):
    model = small_model()
    model.fit(*data(), epochs=1, verbose=0)
    quiet_save_weights(model, tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert "layer_names" in f.attrs and "model_config" not in f.attrs
    fresh = small_model()
    fresh.load_weights(tmp_path / "w.h5")
    x, _ = data(1)
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_load_model_of_a_weights_only_h5_says_to_build_the_model(tmp_path):
    quiet_save_weights(small_model(), tmp_path / "w.h5")
    with pytest.raises(ValueError, match="holds weights only"):
        keras.models.load_model(tmp_path / "w.h5")


# ---- files written by tf.keras --------------------------------------------------------------------------------

def tf_keras_inputs(name, prefix):
    """The recorded inputs ``<name>/<prefix>0``, ``<prefix>1``...: one array, or a list for several inputs."""
    values = []
    while f"{name}/{prefix}{len(values)}" in TF_KERAS.files:
        values.append(TF_KERAS[f"{name}/{prefix}{len(values)}"])
    return values if len(values) > 1 else values[0]


TF_KERAS_FILES = sorted([*INTEROP["models"], *INTEROP["tf_keras_only"]])


@pytest.mark.parametrize("name", TF_KERAS_FILES)
def test_tf_keras_h5_predicts_as_tf_keras(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = keras.models.load_model(FIXTURES / f"tf_keras_{name}.h5")
    np.testing.assert_allclose(model.predict(tf_keras_inputs(name, "x"), verbose=0), TF_KERAS[f"{name}/predictions"],
                               atol=1e-5)


@pytest.mark.parametrize("name", [name for name in TF_KERAS_FILES if f"{name}/after_extra_epoch" in TF_KERAS.files])
def test_tf_keras_h5_resumes_training_as_tf_keras(name):
    """The optimizer's state is restored (tf.keras 2.11+'s layout: no learning rate; its legacy optimizers': the
    slots grouped by kind): one more epoch gives what tf.keras gave."""
    model = keras.models.load_model(FIXTURES / f"tf_keras_{name}.h5")
    assert model.optimizer.iterations == int(TF_KERAS[f"{name}/iterations"])
    model.fit(tf_keras_inputs(name, "x_train"), TF_KERAS[f"{name}/y_train"], epochs=1, batch_size=8, shuffle=False,
              verbose=0)
    np.testing.assert_allclose(model.predict(tf_keras_inputs(name, "x"), verbose=0),
                               TF_KERAS[f"{name}/after_extra_epoch"], atol=1e-5)


def test_tf_keras_weights_h5_loads_into_the_same_architecture():
    model = build("mlp", train=False)["model"]
    model.load_weights(FIXTURES / "tf_keras_mlp_weights.h5")
    np.testing.assert_allclose(model.predict(TF_KERAS["mlp/x0"], verbose=0), TF_KERAS["mlp/predictions"], atol=1e-5)


def test_unfitting_optimizer_state_leaves_a_fresh_optimizer_with_a_warning(tmp_path):
    model = small_model()
    model.fit(*data(), epochs=1, verbose=0)
    quiet_save(model, tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r+") as f:   # as Keras 2.3's Adam wrote it: more variables per weight
        group = f["optimizer_weights"]
        names = list(group.attrs["weight_names"])
        group.create_dataset("extra", data=np.zeros(1, "float32"))
        group.attrs["weight_names"] = names + [b"extra"]
    with pytest.warns(UserWarning, match="freshly initialized optimizer"):
        loaded = keras.models.load_model(tmp_path / "m.h5")
    assert loaded.optimizer.iterations == 0


# ---- Keras 2's CuDNN layers and hard_sigmoid ------------------------------------------------------------------

def write_keras2_weights_file(path, layer_name, weights):
    """A weights file in Keras 2's layout, written with h5py as Keras 2.3 wrote one: ``layer_names`` at the root,
    and the layer's datasets under ``<layer>/<layer>/<weight>:0``, listed in ``weight_names``."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer_name.encode()]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.3.1"
        group = f.create_group(layer_name)
        names = [f"{layer_name}/{name}:0".encode() for name in weights]
        group.attrs["weight_names"] = names
        for name, value in zip(names, weights.values()):
            group.create_dataset(name.decode(), data=value)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def cudnn_lstm_reference(x, kernel, recurrent_kernel, bias):
    """cuDNN's LSTM from its own definition: gate g = W_g x + b_Wg + U_g h + b_Ug, with W_g the (units, features)
    matrix whose row-major memory is the block g of Keras 2's CuDNNLSTM kernel; gates i, f, c, o."""
    units, features = recurrent_kernel.shape[0], kernel.shape[0]
    W = [kernel[:, g * units:(g + 1) * units].reshape(units, features) for g in range(4)]
    U = [recurrent_kernel[:, g * units:(g + 1) * units].reshape(units, units) for g in range(4)]
    b_w, b_u = bias[:4 * units].reshape(4, units), bias[4 * units:].reshape(4, units)
    h = np.zeros((x.shape[0], units))
    c = np.zeros((x.shape[0], units))
    for t in range(x.shape[1]):
        gate = [x[:, t] @ W[g].T + b_w[g] + h @ U[g].T + b_u[g] for g in range(4)]
        c = sigmoid(gate[1]) * c + sigmoid(gate[0]) * np.tanh(gate[2])
        h = sigmoid(gate[3]) * np.tanh(c)
    return h


def cudnn_gru_reference(x, kernel, recurrent_kernel, bias):
    """cuDNN's GRU: z, r = sigmoid(W x + b_W + U h + b_U); n = tanh(W_h x + b_Wh + r * (U_h h + b_Uh));
    h = z * h + (1 - z) * n; gates z, r, h in Keras 2's CuDNNGRU kernel order."""
    units, features = recurrent_kernel.shape[0], kernel.shape[0]
    W = [kernel[:, g * units:(g + 1) * units].reshape(units, features) for g in range(3)]
    U = [recurrent_kernel[:, g * units:(g + 1) * units].reshape(units, units) for g in range(3)]
    b_w, b_u = bias[:3 * units].reshape(3, units), bias[3 * units:].reshape(3, units)
    h = np.zeros((x.shape[0], units))
    for t in range(x.shape[1]):
        z = sigmoid(x[:, t] @ W[0].T + b_w[0] + h @ U[0].T + b_u[0])
        r = sigmoid(x[:, t] @ W[1].T + b_w[1] + h @ U[1].T + b_u[1])
        n = np.tanh(x[:, t] @ W[2].T + b_w[2] + r * (h @ U[2].T + b_u[2]))
        h = z * h + (1 - z) * n
    return h


def cudnn_weights(gates, features=3, units=4, seed=0):
    rng = np.random.RandomState(seed)
    return {"kernel": rng.uniform(-0.5, 0.5, (features, gates * units)).astype("float32"),
            "recurrent_kernel": rng.uniform(-0.5, 0.5, (units, gates * units)).astype("float32"),
            "bias": rng.uniform(-0.5, 0.5, (2 * gates * units,)).astype("float32")}


@pytest.mark.parametrize("layer_class", [layers.CuDNNLSTM, layers.LSTM])
def test_cudnn_lstm_weights_convert_to_the_lstm_math(layer_class, tmp_path):
    weights = cudnn_weights(4)
    write_keras2_weights_file(tmp_path / "w.h5", "cu_dnnlstm", weights)
    model = keras.Sequential([keras.Input((5, 3)), layer_class(4)])
    model.load_weights(tmp_path / "w.h5")
    assert model.layers[0].get_weights()[2].shape == (16,)
    x = np.random.RandomState(1).rand(2, 5, 3).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), cudnn_lstm_reference(x.astype("float64"), **weights),
                               atol=1e-5)


@pytest.mark.parametrize("layer_class", [layers.CuDNNGRU, layers.GRU])
def test_cudnn_gru_weights_convert_to_the_gru_math(layer_class, tmp_path):
    weights = cudnn_weights(3)
    write_keras2_weights_file(tmp_path / "w.h5", "cu_dnngru", weights)
    model = keras.Sequential([keras.Input((5, 3)), layer_class(4)])
    model.load_weights(tmp_path / "w.h5")
    assert model.layers[0].get_weights()[2].shape == (2, 12)
    x = np.random.RandomState(2).rand(2, 5, 3).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), cudnn_gru_reference(x.astype("float64"), **weights),
                               atol=1e-5)


def test_cudnn_gru_weights_into_a_gru_without_reset_after_are_refused(tmp_path):
    write_keras2_weights_file(tmp_path / "w.h5", "cu_dnngru", cudnn_weights(3))
    model = keras.Sequential([keras.Input((5, 3)), layers.GRU(4, reset_after=False)])
    with pytest.raises(ValueError, match="reset_after=True"):
        model.load_weights(tmp_path / "w.h5")


def test_cudnn_weights_in_bidirectional_convert_each_direction(tmp_path):
    forward, backward = cudnn_weights(4, seed=3), cudnn_weights(4, seed=4)
    names = {f"forward/{k}": v for k, v in forward.items()} | {f"backward/{k}": v for k, v in backward.items()}
    write_keras2_weights_file(tmp_path / "w.h5", "bidirectional", names)
    model = keras.Sequential([keras.Input((5, 3)), layers.Bidirectional(layers.CuDNNLSTM(4), merge_mode="concat")])
    model.load_weights(tmp_path / "w.h5")
    x = np.random.RandomState(5).rand(2, 5, 3).astype("float64")
    expected = np.concatenate([cudnn_lstm_reference(x, **forward), cudnn_lstm_reference(x[:, ::-1], **backward)], -1)
    np.testing.assert_allclose(model.predict(x.astype("float32"), verbose=0), expected, atol=1e-5)


def test_cudnn_lstm_conversion_sums_the_two_biases():
    weights = cudnn_weights(4)
    _, _, bias = legacy_weights.from_cudnn_lstm(**weights)
    np.testing.assert_array_equal(bias, weights["bias"][:16] + weights["bias"][16:])


def keras2_model_file(path, keras_version, activation="hard_sigmoid"):
    """A full-model file with an LSTM whose recurrent activation is ``activation``, as Keras ``keras_version``
    labels it (a kerastorch-written file relabelled: the layout is the same)."""
    model = keras.Sequential([keras.Input((4, 2)), layers.LSTM(3, recurrent_activation=activation)])
    quiet_save(model, path)
    with h5py.File(path, "r+") as f:
        f.attrs["keras_version"] = keras_version.encode()
        f["model_weights"].attrs["keras_version"] = keras_version.encode()
    return model


def test_keras2_file_naming_hard_sigmoid_loads_keras2_hard_sigmoid(tmp_path):
    keras2_model_file(tmp_path / "m.h5", "2.2.4")
    loaded = keras.models.load_model(tmp_path / "m.h5")
    activation = loaded.layers[0].cell.recurrent_activation
    assert activation is keras.activations.keras2_hard_sigmoid
    np.testing.assert_allclose(activation(torch.tensor([-3.0, -1.0, 0.0, 2.0])).numpy(), [0.0, 0.3, 0.5, 0.9],
                               atol=1e-7)


def test_keras3_file_naming_hard_sigmoid_keeps_keras3_hard_sigmoid(tmp_path):
    model = keras2_model_file(tmp_path / "m.h5", "3.15.1")
    loaded = keras.models.load_model(tmp_path / "m.h5")
    assert loaded.layers[0].cell.recurrent_activation is keras.activations.hard_sigmoid
    x = np.random.RandomState(0).rand(2, 4, 2).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_keras23_adam_state_with_vhat_placeholders_is_reordered(tmp_path):
    """Keras 2.3's Adam saved [iterations] + all m + all v + one (1,) vhat per weight (without amsgrad)."""
    model = small_model()
    model.fit(*data(), epochs=1, batch_size=8, verbose=0)
    quiet_save(model, tmp_path / "m.h5")
    optimizer = model.optimizer
    slots = {(name, i): optimizer._slots[name][i].detach().numpy() for name, i in optimizer._slot_order}
    count = len(optimizer._trainable_variables)
    with h5py.File(tmp_path / "m.h5", "r+") as f:
        f.attrs["keras_version"] = b"2.3.1"
        del f["optimizer_weights"]
        group = f.create_group("optimizer_weights")
        values = [np.asarray(2, "int64")] + [slots["momentum", i] for i in range(count)] + \
            [slots["velocity", i] for i in range(count)] + [np.zeros(1, "float32")] * count
        names = [f"training/Adam/Variable_{i}:0" for i in range(len(values))]
        group.attrs["weight_names"] = [n.encode() for n in names]
        for name, value in zip(names, values):
            group.create_dataset(name, data=value)
    loaded = keras.models.load_model(tmp_path / "m.h5")
    assert loaded.optimizer.iterations == 2
    for name, i in optimizer._slot_order:
        np.testing.assert_array_equal(loaded.optimizer._slots[name][i].detach().numpy(), slots[name, i])


def test_model_checkpoint_writes_keras2_h5_model_files(tmp_path):
    x, y = data()
    model = small_model()
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "ckpt_{epoch:02d}.h5"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[checkpoint])
    with h5py.File(tmp_path / "ckpt_02.h5", "r") as f:
        assert "model_config" in f.attrs and "layer_names" in f["model_weights"].attrs
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "ckpt_02.h5").predict(x, verbose=0),
                                  model.predict(x, verbose=0))


def test_seq2seq_h5_restores_the_encoder_and_decoder_layers(tmp_path):
    """Keras 2's lstm_seq2seq_restore pattern: the loaded model's inputs and layer outputs build new models."""
    scope = build("seq2seq")
    quiet_save(scope["model"], tmp_path / "s2s.h5")
    model = keras.models.load_model(tmp_path / "s2s.h5")
    encoder_inputs = model.input[0]
    _, state_h, state_c = model.layers[2].output
    encoder = keras.Model(encoder_inputs, [state_h, state_c])
    h, c = encoder.predict(scope["x"][0], verbose=0)
    assert h.shape == c.shape == (2, 8)
    np.testing.assert_allclose(model.predict(scope["x"], verbose=0), scope["model"].predict(scope["x"], verbose=0),
                               atol=1e-6)


def write_keras23_cudnn_model_file(path, weights, dense_kernel, dense_bias, moments):
    """A full-model file as Keras 2.3.1 wrote one for Sequential([CuDNNLSTM(4, input_shape=(5, 3)), Dense(2)])
    compiled with Adam, after 3 steps (its keras/engine/saving.py and the layers' get_config; written with h5py):
    the config in Keras 2.3's schema, the CuDNN weights, and Adam's state as [iterations] + ms + vs + vhats."""
    glorot = {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform",
                                                          "seed": None}}
    none = {"kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None}
    lstm = {"name": "cu_dnnlstm_1", "trainable": True, "batch_input_shape": [None, 5, 3], "dtype": "float32",
            "return_sequences": False, "return_state": False, "go_backwards": False, "stateful": False, "units": 4,
            "kernel_initializer": glorot, "recurrent_initializer": {"class_name": "Orthogonal",
                                                                    "config": {"gain": 1.0, "seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": True,
            "recurrent_regularizer": None, "recurrent_constraint": None, **none}
    dense = {"name": "dense_1", "trainable": True, "dtype": "float32", "units": 2, "activation": "linear",
             "use_bias": True, "kernel_initializer": glorot, "bias_initializer": {"class_name": "Zeros",
                                                                                  "config": {}}, **none}
    config = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [
        {"class_name": "CuDNNLSTM", "config": lstm}, {"class_name": "Dense", "config": dense}]}}
    training = {"optimizer_config": {"class_name": "Adam", "config": {
        "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "decay": 0.0, "epsilon": 1e-07, "amsgrad": False}},
        "loss": "mean_squared_error", "metrics": [], "weighted_metrics": None, "sample_weight_mode": None,
        "loss_weights": None}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.3.1"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode()
        f.attrs["training_config"] = json.dumps(training).encode()
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = [b"cu_dnnlstm_1", b"dense_1"]
        group.attrs["keras_version"] = b"2.3.1"
        group.attrs["backend"] = b"tensorflow"
        for layer, values in (("cu_dnnlstm_1", weights), ("dense_1", {"kernel": dense_kernel, "bias": dense_bias})):
            layer_group = group.create_group(layer)
            names = [f"{layer}/{name}:0" for name in values]
            layer_group.attrs["weight_names"] = [n.encode() for n in names]
            for name, value in zip(names, values.values()):
                layer_group.create_dataset(name, data=value)
        optimizer = f.create_group("optimizer_weights")
        values = [np.asarray(3, "int64")] + moments["m"] + moments["v"] + [np.zeros(1, "float32")] * len(moments["m"])
        names = [f"training/Adam/Variable_{i}:0" for i in range(len(values))]
        optimizer.attrs["weight_names"] = [n.encode() for n in names]
        for name, value in zip(names, values):
            optimizer.create_dataset(name, data=value)


def test_keras23_cudnn_lstm_model_file_loads_with_the_lstm_math_and_its_adam_state(tmp_path):
    weights = cudnn_weights(4, seed=7)
    rng = np.random.RandomState(8)
    dense_kernel, dense_bias = rng.rand(4, 2).astype("float32"), rng.rand(2).astype("float32")
    shapes = [(3, 16), (4, 16), (16,), (4, 2), (2,)]   # Adam's slots follow the converted LSTM's shapes
    moments = {"m": [rng.rand(*s).astype("float32") for s in shapes], "v": [rng.rand(*s).astype("float32")
                                                                            for s in shapes]}
    write_keras23_cudnn_model_file(tmp_path / "m.h5", weights, dense_kernel, dense_bias, moments)
    model = keras.models.load_model(tmp_path / "m.h5")
    assert isinstance(model.layers[0], layers.CuDNNLSTM)
    x = np.random.RandomState(9).rand(2, 5, 3).astype("float32")
    expected = cudnn_lstm_reference(x.astype("float64"), **weights) @ dense_kernel + dense_bias
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.Adam) and optimizer.iterations == 3
    np.testing.assert_array_equal(optimizer._slots["velocity"][4].detach().numpy(), moments["v"][4])


def test_save_format_h5_writes_the_legacy_layout_to_any_path(tmp_path):
    model = small_model()
    with pytest.warns(DeprecationWarning, match=r"save_format='h5'.*model\.save\("):
        quiet_path = tmp_path / "model"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            model.save(quiet_path, save_format="h5")
    with h5py.File(tmp_path / "model", "r") as f:
        assert "model_config" in f.attrs


def test_save_format_beside_a_suffix_is_ignored_with_keras3_words(tmp_path):
    with pytest.warns(UserWarning, match="The `save_format` argument is deprecated in Keras 3"):
        small_model().save(tmp_path / "m.keras", save_format="keras")
    assert (tmp_path / "m.keras").exists()


def test_save_format_tf_is_refused_naming_the_alternatives(tmp_path):
    with pytest.raises(ValueError, match=r"SavedModel.*`\.keras`.*export"):
        small_model().save(tmp_path / "model", save_format="tf")


def test_keras3_h5_predicts_as_keras3_and_keeps_its_optimizer_state():
    recorded = np.load(FIXTURES / "keras3_h5.npz")
    model = keras.models.load_model(FIXTURES / "keras3_mlp.h5")
    np.testing.assert_allclose(model.predict(recorded["x"], verbose=0), recorded["predictions"], atol=1e-6)
    assert model.optimizer.iterations == int(recorded["iterations"]) > 0
    assert model.optimizer.learning_rate == pytest.approx(0.01)


@pytest.mark.parametrize("name", ["recurrent", "bidirectional_tagger", "two_input", "seq2seq"])
def test_interop_models_resume_training_exactly_after_an_h5_round_trip(name, tmp_path):
    scope = build(name)
    quiet_save(scope["model"], tmp_path / "m.h5")
    resumed = keras.models.load_model(tmp_path / "m.h5")
    for model in (scope["model"], resumed):
        model.fit(scope["x_train"], scope["y_train"], epochs=1, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_array_equal(resumed.predict(scope["x"], verbose=0), scope["model"].predict(scope["x"], verbose=0))


def test_load_weights_by_name_fills_the_layers_of_the_same_name(tmp_path):
    keras.backend.clear_session()
    source = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="shared"), layers.Dense(2, name="head")])
    quiet_save_weights(source, tmp_path / "w.h5")
    target = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="shared"), layers.Dense(5, name="other")])
    other_before = target.layers[1].get_weights()
    target.load_weights(tmp_path / "w.h5", by_name=True)
    for a, b in zip(target.layers[0].get_weights(), source.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(target.layers[1].get_weights(), other_before):
        np.testing.assert_array_equal(a, b)


def test_load_weights_by_name_with_a_mismatch_raises_or_skips(tmp_path):
    keras.backend.clear_session()
    source = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="shared")])
    quiet_save_weights(source, tmp_path / "w.h5")
    target = keras.Sequential([keras.Input((4,)), layers.Dense(6, name="shared")])
    with pytest.raises(ValueError, match="Shape mismatch"):
        target.load_weights(tmp_path / "w.h5", by_name=True)
    with pytest.warns(UserWarning, match="Shape mismatch"):
        target.load_weights(tmp_path / "w.h5", by_name=True, skip_mismatch=True)


def test_load_weights_by_name_is_for_legacy_h5_files_only(tmp_path):
    model = small_model()
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match=r"`by_name` only supports loading legacy '\.h5' or '\.hdf5' files"):
        model.load_weights(tmp_path / "w.weights.h5", by_name=True)
