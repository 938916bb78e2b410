"""Five corners where kerastorch differed from Keras 3, compared with what tools/golden_parity_gaps.py recorded.

clone_model keeps the compile state; summary() of an unbuilt model prints a table; the same layer instance may
sit twice in a Sequential (shared); Input(4) is refused; saving an unbuilt model warns and saves. Where Keras is
worse (a shared layer's config lists it once, so a reloaded model applies it once), kerastorch keeps the model's
architecture, and the test says so.
"""
import json
import warnings
import zipfile

import numpy as np
import pytest
import torch

import kerastorch
from golden_loader import golden_json

GOLDEN = golden_json("models/parity_gaps.json")


def run(source):
    kerastorch.backend.clear_session()
    scope = {"keras": kerastorch, "np": np}
    exec(source, scope)
    return scope


def summary_of(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def numpy_of(value):
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def to_list(tensor):
    return numpy_of(tensor).tolist()


def assert_close(actual, expected):
    np.testing.assert_allclose(numpy_of(actual), np.asarray(expected), rtol=1e-5)


# ---- clone_model keeps the compile state ---------------------------------------------------------------------

def clone_record(source):
    scope = run(source)
    model = scope["model"]
    clone = kerastorch.models.clone_model(model)
    record = {"compiled": bool(clone.compiled)}
    if not clone.compiled:
        return record
    optimizer = clone.optimizer
    record.update({
        "optimizer_class": type(optimizer).__name__,
        "optimizer_is_original": optimizer is model.optimizer,
        "learning_rate": float(numpy_of(optimizer.learning_rate)),
        "optimizer_built": bool(optimizer.built),
        "optimizer_iterations": int(numpy_of(optimizer.iterations)),
        "loss_is_original": clone.loss is model.loss,
        "loss_is_string": isinstance(clone.loss, str),
        "loss_class": type(clone.loss).__name__,
        "compile_config_matches_original": clone.get_compile_config() == model.get_compile_config(),
    })
    history = clone.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)
    record["fit_history_keys"] = sorted(history.history)
    return record


@pytest.mark.parametrize("name", sorted(GOLDEN["clone"]))
def test_clone_model_keeps_compile_state_as_keras(name):
    case = GOLDEN["clone"][name]
    expected = {k: v for k, v in case.items() if k not in ("source", "has_optimizer_attribute")}
    record = clone_record(case["source"])
    if "learning_rate" in expected:
        assert record.pop("learning_rate") == pytest.approx(expected.pop("learning_rate"))
    assert record == expected


# ---- summary() of an unbuilt model ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(GOLDEN["summary"]))
def test_summary_of_unbuilt_model_prints_as_keras(name, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    case = GOLDEN["summary"][name]
    assert summary_of(run(case["source"])["model"]) == case["summary"]


# ---- the same layer twice in a Sequential --------------------------------------------------------------------

SHARED = GOLDEN["shared"]


def test_shared_layer_in_sequential_is_one_layer_applied_twice(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    scope = run(SHARED["source"])
    model, shared = scope["model"], scope["shared"]
    assert summary_of(model) == SHARED["summary"]
    assert [layer.name for layer in model.layers] == SHARED["layers"]
    assert (model.layers[0] is model.layers[1] is shared) == SHARED["layers_are_one_instance"]
    assert len(model.weights) == SHARED["weights"]
    assert len(model.get_weights()) == SHARED["get_weights"]
    # One torch submodule: its parameters appear once in state_dict and in parameters().
    assert sorted(model.state_dict()) == ["shared.bias", "shared.kernel"]
    assert len(list(model.parameters())) == 2
    assert_close(model(np.ones((1, 3), "float32")), SHARED["call"])


def test_shared_layer_in_sequential_trains_through_both_applications():
    scope = run(SHARED["source"])
    model, shared = scope["model"], scope["shared"]
    model.compile(kerastorch.optimizers.SGD(0.01), "mse")
    history = model.fit(np.ones((4, 3), "float32"), np.zeros((4, 3), "float32"), epochs=1, verbose=0)
    assert history.history["loss"] == pytest.approx(SHARED["fit_loss"])
    assert_close(shared.kernel, SHARED["kernel_after_fit"])
    assert_close(shared.bias, SHARED["bias_after_fit"])


def test_unbuilt_shared_layer_in_sequential_is_accepted():
    layer = kerastorch.layers.Dense(3)
    assert len(kerastorch.Sequential([layer, layer]).layers) == SHARED["unbuilt_twice_layers"]


def test_two_layers_with_one_name_are_still_refused():
    with pytest.raises(ValueError, match="unique names"):
        kerastorch.Sequential([kerastorch.layers.Dense(2, name="d"), kerastorch.layers.Dense(2, name="d")])


def test_shared_layer_config_keeps_the_architecture(tmp_path):
    # Keras lists the shared layer once in the config, so its reloaded model applies it once (recorded:
    # from_config_call differs from call). kerastorch lists it at each position and shares it again on load.
    assert SHARED["from_config_call"] != SHARED["call"]
    scope = run(SHARED["source"])
    model = scope["model"]
    names = [entry["config"]["name"] for entry in model.get_config()["layers"]]
    assert names == ["input_layer", "shared", "shared"]
    rebuilt = kerastorch.Sequential.from_config(model.get_config())
    assert rebuilt.layers[0] is rebuilt.layers[1]
    rebuilt.set_weights(model.get_weights())
    assert_close(rebuilt(np.ones((1, 3), "float32")), SHARED["call"])
    path = tmp_path / "twice.keras"
    model.save(path)
    loaded = kerastorch.models.load_model(path)
    assert loaded.layers[0] is loaded.layers[1]
    assert_close(loaded(np.ones((1, 3), "float32")), SHARED["call"])


def test_popping_a_shared_layer_keeps_its_other_use():
    scope = run(SHARED["source"])
    model, shared = scope["model"], scope["shared"]
    assert model.pop() is shared
    assert model.layers == [shared]
    assert sorted(model.state_dict()) == ["shared.bias", "shared.kernel"]
    # One application left: what Keras's reloaded model computes.
    assert_close(model(np.ones((1, 3), "float32")), SHARED["from_config_call"])


# ---- Input(4) ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(GOLDEN["input"]))
def test_input_shape_is_checked_as_keras(name):
    case = GOLDEN["input"][name]
    if "shape" in case:
        result = eval(case["expression"], {"keras": kerastorch})
        assert list(result.shape) == case["shape"]
        return
    with pytest.raises(Exception) as caught:
        eval(case["expression"], {"keras": kerastorch})
    assert type(caught.value).__name__ == case["error"]
    if name != "str":   # a string's entries are refused with kerastorch's own wording
        # Keras's words first; kerastorch then names the argument and what it expects.
        assert str(caught.value).startswith(case["message"])
        assert "tuple" in str(caught.value)


# ---- saving an unbuilt model ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(GOLDEN["save_unbuilt"]))
def test_saving_unbuilt_model_warns_and_saves_as_keras(name, tmp_path):
    case = GOLDEN["save_unbuilt"][name]
    scope = run(case["source"])
    path = tmp_path / "model.keras"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scope["model"].save(path)
    assert [[w.category.__name__, str(w.message)] for w in caught
            if issubclass(w.category, UserWarning)] == case["warnings"]
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        assert sorted(archive.namelist()) == case["members"]
    assert config.get("build_config") == case["build_config"]
    assert bool(config.get("compile_config")) == case["has_compile_config"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = kerastorch.models.load_model(path, custom_objects={"Sub": scope["Sub"]} if "Sub" in scope else None)
    assert [[w.category.__name__, str(w.message)] for w in caught
            if issubclass(w.category, UserWarning)] == case["load_warnings"]
    assert type(loaded).__name__ == case["loaded_class"]
    assert loaded.built == case["loaded_built"]
    assert len(loaded.weights) == case["loaded_weights"]
    assert loaded.compiled == case["loaded_compiled"]
    assert [type(layer).__name__ for layer in loaded.layers] == case["loaded_layer_classes"]
    if "call_shape_after_load" in case:
        assert list(loaded(np.ones((2, 3), "float32")).shape) == case["call_shape_after_load"]


@pytest.mark.parametrize("argument", ["input_shape", "batch_input_shape"])
def test_a_layers_input_shape_must_be_a_tuple_as_inputs_is(argument):
    """`Dense(2, input_shape=3)` is refused as `Input(3)` is; `input_dim=3` remains Keras 2's way to say it."""
    with pytest.raises(ValueError, match=f"Cannot convert '3' to a shape.*{argument}"):
        kerastorch.layers.Dense(2, **{argument: 3})
    with pytest.warns(UserWarning):
        assert kerastorch.Sequential([kerastorch.layers.Dense(2, input_dim=3)]).input_shape == (None, 3)
