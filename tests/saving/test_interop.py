"""Files move between Keras and kerastorch in both directions.

Keras -> kerastorch: files written by Keras 3 (and Keras 2's legacy layout) by tools/golden_saving.py load here and
predict what Keras predicted. kerastorch -> Keras: tools/check_interop.py saved kerastorch models, loaded them in
Keras 3 and recorded the config and weight datasets Keras accepted (tests/golden/saving/interop.json); here the
same models are rebuilt and must produce that config and those datasets again.
"""
import json
import warnings
import zipfile

import h5py
import numpy as np
import pytest

import kerastorch as keras
from kerastorch import layers
from golden_loader import GOLDEN_DIR

FIXTURES = GOLDEN_DIR / "saving"
DATA = np.load(FIXTURES / "saving.npz")
INFO = json.loads((FIXTURES / "saving.json").read_text())
INTEROP = json.loads((FIXTURES / "interop.json").read_text())


def interop_architecture():
    """The architecture of the Keras-written files, built in kerastorch code (not from their config)."""
    inputs = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(4, 3, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    shortcut = layers.Conv2D(4, 1)(inputs)
    x = layers.Flatten()(layers.Add()([x, shortcut]))
    head = keras.Sequential([keras.Input((256,)), layers.Dense(8, activation="relu"), layers.Dropout(0.5)])
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(head(x)))


def test_keras3_keras_file_predicts_as_keras_and_keeps_its_training_state():
    model = keras.models.load_model(FIXTURES / "keras3_functional.keras")
    np.testing.assert_allclose(model.predict(DATA["x"], verbose=0), DATA["y"], atol=1e-5)
    assert [layer.name for layer in model.layers] == INFO["layers"]
    assert isinstance(model.optimizer, keras.optimizers.Adam) and model.optimizer.iterations == 4
    # Compiled as saved: loss and accuracy, and it keeps training.
    logs = model.evaluate(DATA["x"], np.array([0, 1, 2, 0, 1]), verbose=0, return_dict=True)
    assert set(logs) == {"accuracy", "loss"}
    model.fit(DATA["x"], np.array([0, 1, 2, 0, 1]), verbose=0)
    assert model.optimizer.iterations == 5


def test_keras3_weights_h5_loads_into_the_same_architecture_built_in_code():
    model = interop_architecture()
    model.load_weights(FIXTURES / "keras3_functional.weights.h5")
    np.testing.assert_allclose(model.predict(DATA["x"], verbose=0), DATA["y"], atol=1e-5)


def test_keras3_keras_file_also_serves_as_a_weights_file():
    model = interop_architecture()
    model.load_weights(FIXTURES / "keras3_functional.keras")
    np.testing.assert_allclose(model.predict(DATA["x"], verbose=0), DATA["y"], atol=1e-5)


def test_keras2_full_h5_model_predicts_as_keras_and_is_compiled():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = keras.models.load_model(FIXTURES / "keras2_full.h5")
    np.testing.assert_allclose(model.predict(DATA["x"], verbose=0), DATA["y"], atol=1e-5)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    logs = model.evaluate(DATA["x"], np.array([0, 1, 2, 0, 1]), verbose=0, return_dict=True)
    assert set(logs) == {"accuracy", "loss"}


@pytest.mark.parametrize("name", ["keras2_weights.h5", "keras2_full.h5"])
def test_keras2_weights_load_into_the_same_architecture(name):
    model = interop_architecture()
    model.load_weights(FIXTURES / name)
    np.testing.assert_allclose(model.predict(DATA["x"], verbose=0), DATA["y"], atol=1e-5)


def test_keras2_weights_into_another_architecture_name_the_mismatch():
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, layers.Dense(3)(layers.Flatten()(inputs)))
    with pytest.raises(ValueError, match="Layer count mismatch"):
        model.load_weights(FIXTURES / "keras2_weights.h5")


def test_weights_file_into_another_architecture_names_the_layer_and_shapes():
    inputs = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(5, 3, padding="same")(inputs)   # 5 filters instead of 4
    model = keras.Model(inputs, x)
    with pytest.raises(ValueError, match=r"conv2d.*\(3, 3, 3, 5\).*\(3, 3, 3, 4\)"):
        model.load_weights(FIXTURES / "keras3_functional.weights.h5")


@pytest.mark.parametrize("name", sorted(INTEROP["models"]))
def test_kerastorch_files_were_loaded_by_keras(name):
    record = INTEROP["models"][name]
    assert record["keras_loaded"] and record["weights_h5_loaded"]
    # The mixed_float16 model's hidden layer computes in float16 in both libraries, with different kernels.
    tolerance = 1e-3 if name == "mixed_float16" else 1e-5
    assert record["max_abs_difference"] < tolerance and record["weights_h5_max_abs_difference"] < tolerance
    assert record["optimizer_iterations"] > 0


@pytest.mark.parametrize("name", sorted(INTEROP["models"]))
def test_kerastorch_still_writes_what_keras_loaded(name, tmp_path):
    record = INTEROP["models"][name]
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    scope = {"keras": keras, "np": np}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(record["source"], scope)
    model = scope["model"]
    model.save(tmp_path / "model.keras")
    model.save_weights(tmp_path / "model.weights.h5")
    with zipfile.ZipFile(tmp_path / "model.keras") as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        config = json.loads(archive.read("config.json"))
    # The optimizer's automatic name depends on how many optimizers this process made before.
    expected = json.loads(json.dumps(record["config"]))
    for written in (config, expected):
        optimizer_config = written["compile_config"]["optimizer"]["config"]
        optimizer_config.pop("name")
        if "inner_optimizer" in optimizer_config:   # a LossScaleOptimizer's wrapped optimizer is numbered too
            optimizer_config["inner_optimizer"]["config"].pop("name")
    assert config == expected
    datasets = []
    with h5py.File(tmp_path / "model.weights.h5", "r") as f:
        f.visititems(lambda path, obj: datasets.append([path, list(obj.shape), str(obj.dtype)])
                     if isinstance(obj, h5py.Dataset) else None)
    assert datasets == record["weights_datasets"]
