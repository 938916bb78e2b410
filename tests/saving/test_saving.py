"""Saving and loading kerastorch models: `.keras` round trips for every kind of model, weights files, JSON,
configs of every layer, atomic writes, resumed training, and checkpoints."""
import inspect
import json
import os
import zipfile

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import layers
from kerastorch.layers.layer import Layer
from kerastorch.saving.serialization import deserialize_keras_object as deserialize_layer, safe_mode_scope
from kerastorch.saving.serialization import serialize_keras_object as serialize_layer


@keras.saving.register_keras_serializable(package="Tests")
def double(x):
    return x * 2


@keras.saving.register_keras_serializable(package="Tests")
class Residual(keras.Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = layers.Dense(units, activation="relu")
        self.blocks = [layers.Dense(units), layers.Dense(units)]

    def call(self, inputs, training=None):
        x = self.inner(inputs)
        for block in self.blocks:
            x = x + block(x)
        return x


def graph_model():
    inputs = keras.Input((6,), name="features")
    shared = layers.Dense(6, activation="relu", name="shared")
    h = shared(inputs)
    h += shared(h)
    scaled = h * 0.5 - 1.0
    merged = layers.concatenate([scaled[:, :2], layers.Dense(2)(inputs)])
    nested = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Lambda(double)], name="nested")
    outputs = {"score": layers.Dense(1, name="score")(nested(merged)),
               "label": layers.Dense(3, activation="softmax", name="label")(layers.Average()([h, scaled]))}
    return keras.Model(inputs, outputs, name="graph")


def assert_same_predictions(a, b, x):
    pa, pb = a.predict(x, verbose=0), b.predict(x, verbose=0)
    for key in (pa if isinstance(pa, dict) else [None]):
        np.testing.assert_allclose(pa[key] if key else pa, pb[key] if key else pb, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("make", ["sequential", "graph", "subclassed"])
def test_keras_file_round_trip(make, tmp_path):
    keras.utils.set_random_seed(0)
    x = np.random.rand(8, 6).astype("float32")
    if make == "sequential":
        model = keras.Sequential([keras.Input((6,)), layers.Dense(5, activation="relu"), layers.Dropout(0.1),
                                  layers.Dense(1)])
        model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "mse", metrics=["mae"])
        y = np.random.rand(8, 1)
    elif make == "graph":
        model = graph_model()
        model.compile("adam", loss={"score": "mse", "label": "sparse_categorical_crossentropy"},
                      loss_weights={"score": 1.0, "label": 0.3}, metrics={"label": ["accuracy"]})
        y = {"score": np.random.rand(8, 1), "label": np.random.randint(0, 3, 8)}
    else:
        model = Residual(units=6)
        model.compile("rmsprop", "mse")
        y = np.random.rand(8, 6)
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model) and loaded.name == model.name
    assert_same_predictions(model, loaded, x)
    saved_config, loaded_config = model.optimizer.get_config(), loaded.optimizer.get_config()
    # The learning rate comes back from the optimizer's float32 state, as in Keras.
    assert loaded_config.pop("learning_rate") == pytest.approx(saved_config.pop("learning_rate"), rel=1e-7)
    assert loaded_config == saved_config
    for saved, restored in zip(model.optimizer.variables, loaded.optimizer.variables):
        torch.testing.assert_close(restored, saved)
    assert model.evaluate(x, y, verbose=0) == loaded.evaluate(x, y, verbose=0)


def test_load_without_compiling(tmp_path):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile("adam", "mse")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", compile=False)
    assert not loaded.compiled and loaded.optimizer is None


@pytest.mark.parametrize("suffix", [".weights.safetensors", ".weights.h5"])
def test_weights_round_trip(suffix, tmp_path):
    keras.utils.set_random_seed(0)
    model = graph_model()
    keras.utils.set_random_seed(1)
    other = graph_model()
    path = tmp_path / f"w{suffix}"
    model.save_weights(path)
    other.load_weights(path)
    assert_same_predictions(model, other, np.random.rand(4, 6).astype("float32"))


def test_weights_suffix_is_checked(tmp_path):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5` or `\.weights\.safetensors`"):
        model.save_weights(tmp_path / "w.pt")
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save(tmp_path / "model.pt")


def test_weights_that_do_not_fit_leave_the_model_unchanged(tmp_path):
    source = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(2)])
    source.save_weights(tmp_path / "w.weights.h5")
    target = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(5)])
    before = target.get_weights()
    with pytest.raises(ValueError, match=r"dense_\d+.*\(4, 5\).*\(4, 2\)"):
        target.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(before, target.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="skip_mismatch"):
        target.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(target.get_weights()[0], source.get_weights()[0])


def test_json_round_trip():
    model = graph_model()
    text = model.to_json()
    assert json.loads(text)["class_name"] == "Functional"
    clone = keras.models.model_from_json(text)
    assert clone.get_config() == model.get_config()
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]


def test_registered_objects_are_named_and_found():
    assert keras.saving.get_registered_name(Residual) == "Tests>Residual"
    assert keras.saving.get_registered_object("Tests>double") is double
    entry = serialize_layer(Residual(units=3))
    assert entry["registered_name"] == "Tests>Residual" and entry["config"]["units"] == 3
    with pytest.raises(ValueError, match="get_config"):
        keras.saving.register_keras_serializable()(type("NoConfig", (), {}))


def test_custom_object_scope_makes_classes_visible():
    class Scaled(Layer):
        def call(self, x):
            return x * 3

    entry = serialize_layer(Scaled(name="scaled"))
    with pytest.raises(ValueError, match="custom_objects"):
        deserialize_layer(entry)
    with keras.saving.custom_object_scope({"Scaled": Scaled}):
        assert isinstance(deserialize_layer(entry), Scaled)


# ---- every layer's config ---------------------------------------------------------------------------------------

REQUIRED_ARGUMENTS = {
    "units": 2, "filters": 2, "kernel_size": 3, "axes": 1, "height": 4, "width": 4, "factor": 0.1,
    "height_factor": 0.1, "width_factor": 0.1, "scale": 0.5, "rate": 0.5, "target_shape": (2, 2), "dims": (2, 1),
    "n": 3, "activation": "relu", "function": double, "module": torch.nn.Linear(2, 2), "shape": (3,),
    "stddev": 0.1, "l1": 0.01, "l2": 0.01, "layer": layers.Dense(2), "cell": layers.LSTMCell(2), "num_classes": 3,
    "input_dim": 5, "output_dim": 2, "max_tokens": 5, "size": 2, "padding": 1, "cropping": 1,
}

# Layers whose arguments all have defaults but need one set (Keras refuses their bare construction too), whose
# factor has its own range, or that need another value than the shared one (a Bidirectional wraps a recurrent layer).
LAYER_ARGUMENTS = {"CategoryEncoding": {"num_tokens": 3}, "Discretization": {"bin_boundaries": [0.0, 1.0]},
                   "RandomPosterization": {"factor": 4}, "Hashing": {"num_bins": 3},
                   "HashedCrossing": {"num_bins": 3}, "Pipeline": {"layers": [layers.RandomFlip()]},
                   "Bidirectional": {"layer": layers.LSTM(2)}}


def layer_classes():
    found = {}
    for name in dir(layers):
        cls = getattr(layers, name)
        if inspect.isclass(cls) and issubclass(cls, Layer) and cls is not Layer and not inspect.isabstract(cls):
            found.setdefault(cls, name)
    return sorted(found, key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", layer_classes(), ids=lambda c: c.__name__)
def test_every_layer_config_round_trips(cls):
    parameters = inspect.signature(cls.__init__).parameters.values()
    required = [p.name for p in parameters if p.default is p.empty and p.kind == p.POSITIONAL_OR_KEYWORD
                and p.name != "self"]
    missing = [name for name in required if name not in REQUIRED_ARGUMENTS
               and name not in LAYER_ARGUMENTS.get(cls.__name__, {})]
    if missing:
        pytest.skip(f"no test value for required arguments {missing}")
    arguments = {name: REQUIRED_ARGUMENTS[name] for name in required if name in REQUIRED_ARGUMENTS}
    arguments.update(LAYER_ARGUMENTS.get(cls.__name__, {}))
    if cls is layers.InputLayer:
        arguments["shape"] = (3,)
    layer = cls(**arguments)
    entry = json.loads(json.dumps(serialize_layer(layer)))
    # A TorchModuleWrapper's module is never read back from a file: the caller supplies it by layer name.
    supplied = {layer.name: lambda: torch.nn.Linear(2, 2)} if cls is layers.TorchModuleWrapper else {}
    with safe_mode_scope(False), keras.saving.custom_object_scope(supplied):
        clone = deserialize_layer(entry)
    assert type(clone) is cls
    assert json.loads(json.dumps(serialize_layer(clone)))["config"] == entry["config"]


# ---- atomic writes, resumed training, checkpoints ---------------------------------------------------------------

def test_a_failed_save_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    from kerastorch.saving import keras_h5
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(keras_h5, "write_weights", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(path)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save_weights(tmp_path / "w.weights.h5")
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]


def test_no_overwrite_refuses_an_existing_file(tmp_path):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="already exists"):
        model.save(tmp_path / "m.keras", overwrite=False)


def regression_model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    x = layers.BatchNormalization()(layers.Dense(8, activation="relu")(inputs))
    model = keras.Model(inputs, layers.Dense(1)(x))
    model.compile(keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    return model


def test_training_resumed_from_a_saved_model_reaches_the_same_weights(tmp_path):
    rng = np.random.RandomState(0)
    x, y = rng.rand(64, 4).astype("float32"), rng.rand(64, 1).astype("float32")
    uninterrupted = regression_model()
    uninterrupted.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0)
    first_half = regression_model()
    first_half.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    first_half.save(tmp_path / "mid.keras")
    resumed = keras.models.load_model(tmp_path / "mid.keras")
    resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=16, shuffle=False, verbose=0)
    assert resumed.optimizer.iterations == uninterrupted.optimizer.iterations == 16
    for a, b in zip(uninterrupted.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_checkpoints_are_keras_files_and_early_stopping_restores_the_best(tmp_path):
    rng = np.random.RandomState(0)
    x, y = rng.rand(64, 4).astype("float32"), rng.rand(64, 1).astype("float32")
    x_val, y_val = rng.rand(16, 4).astype("float32"), rng.rand(16, 1).astype("float32")
    model = regression_model()
    callbacks = [keras.callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), monitor="val_loss",
                                                 save_best_only=True),
                 keras.callbacks.ModelCheckpoint(str(tmp_path / "epoch{epoch:02d}.keras")),
                 keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)]
    history = model.fit(x, y, epochs=40, validation_data=(x_val, y_val), callbacks=callbacks, verbose=0)
    epochs_run = len(history.history["val_loss"])
    assert epochs_run < 40
    assert sorted(os.listdir(tmp_path)) == ["best.keras"] + [f"epoch{e:02d}.keras" for e in range(1, epochs_run + 1)]
    with zipfile.ZipFile(tmp_path / "best.keras") as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
    best = keras.models.load_model(tmp_path / "best.keras")
    for a, b in zip(model.get_weights(), best.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert best.evaluate(x_val, y_val, verbose=0)[0] == pytest.approx(min(history.history["val_loss"]), rel=1e-6)


def test_without_h5py_keras_files_say_how_to_install_it(tmp_path, monkeypatch):
    import sys
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.save(tmp_path / "m.keras")
    monkeypatch.setitem(sys.modules, "h5py", None)   # makes `import h5py` fail
    for action in (lambda: model.save(tmp_path / "again.keras"),
                   lambda: keras.models.load_model(tmp_path / "m.keras"),
                   lambda: model.save_weights(tmp_path / "w.weights.h5")):
        with pytest.raises(ImportError, match=r"pip install kerastorch\[h5\]"):
            action()
    model.save_weights(tmp_path / "w.weights.safetensors")   # needs no h5py
    model.load_weights(tmp_path / "w.weights.safetensors")
