"""Loading is safe: it never runs code from a file, names what it cannot find, and turns damaged files into
clear ValueErrors, never a crash (a fuzz test over mutated files, run in a child interpreter so that a crash
would show as a failure instead of killing the test run)."""
import json
import pathlib
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import kerastorch as keras
from kerastorch import layers
from golden_loader import GOLDEN_DIR

FIXTURES = GOLDEN_DIR / "saving"
INFO = json.loads((FIXTURES / "saving.json").read_text())
ROOT = pathlib.Path(__file__).resolve().parent.parent.parent


def test_a_keras_saved_lambda_is_refused_in_safe_mode_as_keras_refuses_it():
    with pytest.raises(ValueError) as error:
        keras.models.load_model(FIXTURES / "keras3_lambda.keras")
    # Keras's own message, without the Keras-only `keras.config` hint.
    assert str(error.value).startswith(INFO["lambda_safe_mode_error"].split(", or calling")[0])
    model = keras.models.load_model(FIXTURES / "keras3_lambda.keras", safe_mode=False)
    np.testing.assert_allclose(model.predict(np.ones((1, 3)), verbose=0), [[4.0, 4.0, 4.0]])


def test_a_kerastorch_saved_lambda_is_refused_in_safe_mode(tmp_path):
    inputs = keras.Input((2,))
    model = keras.Model(inputs, layers.Lambda(lambda v: v - 1)(inputs))
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.load_model(tmp_path / "lambda.keras")
    loaded = keras.models.load_model(tmp_path / "lambda.keras", safe_mode=False)
    np.testing.assert_allclose(loaded.predict(np.zeros((1, 2)), verbose=0), [[-1.0, -1.0]])


def test_unknown_class_names_the_class_and_how_to_pass_it():
    with pytest.raises(ValueError) as error:
        keras.models.load_model(FIXTURES / "keras3_custom.keras")
    message = str(error.value)
    assert "'Scale'" in message and "custom_objects={'Scale': Scale}" in message
    assert "register_keras_serializable" in message


def test_custom_objects_and_registration_revive_the_custom_class():
    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    data = np.load(FIXTURES / "saving.npz")
    model = keras.models.load_model(FIXTURES / "keras3_custom.keras", custom_objects={"Scale": Scale})
    np.testing.assert_allclose(model.predict(data["x_custom"], verbose=0), data["y_custom"], atol=1e-6)
    registered = keras.saving.register_keras_serializable(package="MyPackage", name="Scale")(Scale)
    model = keras.models.load_model(FIXTURES / "keras3_custom.keras")
    assert isinstance(model.get_layer("scale"), registered)


def test_a_config_cannot_name_arbitrary_python(tmp_path):
    # A config naming a function of another module is looked up in kerastorch's tables only, never imported.
    with zipfile.ZipFile(FIXTURES / "keras3_functional.keras") as archive:
        config = json.loads(archive.read("config.json"))
        weights = archive.read("model.weights.h5")
    config["config"]["layers"][1]["module"] = "os"
    config["config"]["layers"][1]["class_name"] = "system"
    path = tmp_path / "hostile.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights)
    with pytest.raises(ValueError, match=r"Could not locate layer class 'system' \(module 'os'\)"):
        keras.models.load_model(path)


def test_missing_and_unsupported_files_are_named(tmp_path):
    with pytest.raises(ValueError, match="File not found"):
        keras.models.load_model(tmp_path / "absent.keras")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="File format not supported"):
        keras.models.load_model(tmp_path / "notes.txt")
    with pytest.raises(ValueError, match="directory"):
        keras.models.load_model(tmp_path)
    with pytest.raises(ValueError, match="weights only"):
        keras.models.load_model(FIXTURES / "keras2_weights.h5")


FUZZ = textwrap.dedent('''
    import io, json, pathlib, random, sys, tempfile, warnings, zipfile
    import numpy as np
    import kerastorch as keras
    warnings.simplefilter("ignore")
    fixtures = pathlib.Path(sys.argv[1])
    trials = int(sys.argv[2])
    folder = pathlib.Path(tempfile.mkdtemp())

    def architecture():
        inputs = keras.Input((8, 8, 3), name="image")
        x = keras.layers.Conv2D(4, 3, padding="same")(inputs)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Flatten()(keras.layers.Add()([x, keras.layers.Conv2D(4, 1)(inputs)]))
        head = keras.Sequential([keras.Input((256,)), keras.layers.Dense(8, activation="relu"),
                                 keras.layers.Dropout(0.5)])
        return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(head(x)))

    target = architecture()
    target.save_weights(folder / "original.weights.safetensors")
    sources = {
        "keras": (fixtures / "keras3_functional.keras").read_bytes(),
        "weights.h5": (fixtures / "keras3_functional.weights.h5").read_bytes(),
        "h5": (fixtures / "keras2_full.h5").read_bytes(),
        "weights.safetensors": (folder / "original.weights.safetensors").read_bytes(),
    }
    rng = random.Random(0)

    def damage(data):
        kind = rng.randrange(3)
        if kind == 0:
            return data[:rng.randrange(len(data))]
        data = bytearray(data)
        if kind == 1:
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        else:
            start = rng.randrange(len(data))
            data[start:start + 64] = bytes(rng.randrange(256) for _ in range(64))
        return bytes(data)

    def damage_member(data):
        # Damage one member of the zip and store it with a valid checksum, so the damage reaches its reader.
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        name = rng.choice(["config.json", "model.weights.h5"])
        members[name] = damage(members[name])
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for member, content in members.items():
                archive.writestr(member, content)
        return out.getvalue()

    outcomes = {}
    for suffix, data in sources.items():
        for trial in range(trials):
            mutated = damage_member(data) if suffix == "keras" and trial % 2 else damage(data)
            path = folder / f"trial{trial}.{suffix}"
            path.write_bytes(mutated)
            try:
                if suffix in ("keras", "h5"):
                    keras.models.load_model(path)
                else:
                    target.load_weights(path)
                outcome = "loaded"
            except ValueError:
                outcome = "ValueError"
            except Exception as error:
                outcome = f"{type(error).__name__}: {str(error)[:200]}"
            outcomes.setdefault(suffix, []).append(outcome)
    print(json.dumps(outcomes))
''')


def test_damaged_files_raise_value_errors_and_never_crash():
    run = subprocess.run([sys.executable, "-c", FUZZ, str(FIXTURES), "14"], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    outcomes = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(outcomes) == {"keras", "weights.h5", "h5", "weights.safetensors"}
    unexpected = {suffix: [o for o in results if o not in ("loaded", "ValueError")]
                  for suffix, results in outcomes.items()}
    assert not any(unexpected.values()), unexpected
    # Most damage is detected (a flipped bit in a weight's value cannot be).
    assert sum(results.count("ValueError") for results in outcomes.values()) > len(outcomes) * 14 // 2
