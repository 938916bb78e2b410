"""keras.ops on KerasTensors against Keras 3.15 (tests/golden/ops/*.json, recorded by tools/golden_ops.py): each
op's output shapes (None dimensions included) and dtypes, for inputs of known shape and with an unknown first
dimension."""
import json
import zipfile

import numpy as np
import pytest
import torch

import kerastorch
from golden_loader import golden_json, golden_npz, golden_path
from kerastorch import ops
from ops_golden import GROUPS, cases, check_symbolic


@pytest.mark.parametrize("key", ["symbolic", "symbolic_none"])
@pytest.mark.parametrize("group", GROUPS)
def test_output_spec_matches_keras(group, key):
    failures = []
    for param in cases(group, symbolic=key):
        case = param.values[0]
        try:
            check_symbolic(group, case, key)
        except Exception as error:  # noqa: BLE001 - collected, so one run lists every op that differs
            failures.append(f"{case['id']}: {type(error).__name__}: {str(error)[:300]}")
    assert not failures, f"{len(failures)} cases differ from Keras:\n" + "\n".join(failures)


# ---- a functional model built with ops (tests/golden/ops/ops_model.*, recorded by tools/golden_ops_model.py) ----

MODEL = golden_json("ops/ops_model.json")
MODEL_DATA = golden_npz("ops/ops_model.npz")


def build_model():
    kerastorch.backend.clear_session()   # operation names count from a fresh session, as when Keras recorded
    scope = {"keras": kerastorch, "ops": ops}
    exec(MODEL["source"], scope)
    return scope["model"]


def test_a_model_built_with_ops_has_keras_graph():
    config = build_model().get_config()
    assert [{"name": e["name"], "class_name": e["class_name"], "module": e["module"]} for e in config["layers"]] == \
        MODEL["config_layers"]


def test_a_model_built_with_ops_writes_keras_config():
    keras_config = json.loads(zipfile.ZipFile(golden_path("ops/ops_model.keras")).read("config.json"))
    ours = json.loads(json.dumps(build_model().get_config()))
    for theirs, mine in zip(keras_config["config"]["layers"], ours["layers"]):
        if theirs["module"].startswith("keras.src.ops"):
            assert (mine["name"], mine["config"], mine["inbound_nodes"]) == (
                theirs["name"], theirs["config"], theirs["inbound_nodes"])


def test_a_keras_saved_model_with_ops_predicts_keras_numbers():
    model = kerastorch.saving.load_model(golden_path("ops/ops_model.keras"))
    np.testing.assert_allclose(model.predict(MODEL_DATA["x"], verbose=0), MODEL_DATA["y"], rtol=1e-6, atol=1e-6)


def test_a_model_with_ops_survives_save_and_load(tmp_path):
    model = kerastorch.saving.load_model(golden_path("ops/ops_model.keras"))
    model.save(tmp_path / "again.keras")
    reloaded = kerastorch.saving.load_model(tmp_path / "again.keras")
    np.testing.assert_allclose(reloaded.predict(MODEL_DATA["x"], verbose=0), MODEL_DATA["y"], rtol=1e-6, atol=1e-6)
    built = build_model()
    built.save(tmp_path / "built.keras")
    x = torch.as_tensor(MODEL_DATA["x"])
    np.testing.assert_array_equal(kerastorch.saving.load_model(tmp_path / "built.keras")(x).detach().numpy(),
                                  built(x).detach().numpy())


def test_python_operators_on_keras_tensors_record_the_ops():
    x = kerastorch.Input((3,))
    y = (x + 1.0) * x - x[:, :1]
    assert [type(node.layer).__name__ for node in [y._keras_history.operation._inbound_nodes[0]]] == ["Subtract"]
    model = kerastorch.Model(x, y)
    value = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(model(torch.as_tensor(value)).numpy(), (value + 1) * value - value[:, :1])
