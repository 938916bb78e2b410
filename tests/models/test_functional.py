"""The functional API against Keras 3.15 (tests/golden/models/functional.json, made by tools/golden_functional.py): the
same snippets run here with kerastorch must print Keras's summary, list Keras's layers, write Keras's config
structure and log Keras's keys; plus the graph behaviours (operations, shared layers, nesting, feature
extraction, dict inputs) and their errors."""
import contextlib
import io
import json
import warnings

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Model, layers
from golden_loader import golden_json

GOLDEN = golden_json("models/functional.json")


def run(source):
    kerastorch.backend.clear_session()
    kerastorch.utils.set_random_seed(0)
    scope = {"keras": kerastorch, "np": np}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(source, scope)
    return scope


def config_structure(model):
    config = model.get_config()
    entries = [{key: entry.get(key) for key in ("name", "class_name", "module", "registered_name", "inbound_nodes")}
               for entry in config["layers"]]
    structure = {"layers": entries, "input_layers": config["input_layers"], "output_layers": config["output_layers"]}
    return json.loads(json.dumps(structure))


@pytest.mark.parametrize("name", sorted(GOLDEN["graphs"]))
def test_summary_layers_and_config_match_keras(name, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    case = GOLDEN["graphs"][name]
    model = run(case["source"])["model"]
    lines = []
    model.summary(print_fn=lines.append)
    assert "\n".join(lines).rstrip("\n") == case["summary"].rstrip("\n")
    assert [layer.name for layer in model.layers] == case["layers"]
    assert config_structure(model) == case["config"]


@pytest.mark.parametrize("name", sorted(GOLDEN["graphs"]))
def test_config_round_trip_computes_the_same(name):
    model = run(GOLDEN["graphs"][name]["source"])["model"]
    clone = Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    inputs = [torch.rand((2,) + tuple(t.shape[1:])) for t in model.inputs]
    if isinstance(model.input, dict):
        inputs = dict(zip(sorted(model.input), inputs))
    expected, actual = model(inputs), clone(inputs)
    for a, b in zip(kerastorch.keras_tensor.flatten(expected), kerastorch.keras_tensor.flatten(actual)):
        torch.testing.assert_close(a, b)
    assert config_structure(clone) == config_structure(model)


@pytest.mark.parametrize("name", sorted(GOLDEN["training"]))
def test_fit_evaluate_predict_log_keras_keys(name):
    case = GOLDEN["training"][name]
    scope = run(case["source"])
    model, x, y = scope["model"], scope["x_data"], scope["y_data"]
    with contextlib.redirect_stdout(io.StringIO()):
        history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
        logs = model.evaluate(x, y, verbose=0, return_dict=True)
        values = model.evaluate(x, y, verbose=0)
        predictions = model.predict(x, verbose=0)
    assert list(history.history) == case["history_keys"]
    assert all(len(v) == 2 for v in history.history.values())
    assert list(logs) == case["evaluate_keys"]
    values = values if isinstance(values, list) else [values]
    assert values == [logs[key] for key in case["evaluate_list_names"]]
    assert type(predictions).__name__ == case["predict_type"]
    if isinstance(predictions, dict):
        assert sorted(predictions) == sorted(case["predict_keys"])
        assert {k: list(v.shape) for k, v in predictions.items()} == case["predict_shapes"]
    elif isinstance(predictions, list):
        assert [list(p.shape) for p in predictions] == case["predict_shapes"]
    else:
        assert list(predictions.shape) == case["predict_shapes"]


# ---- operations on symbolic tensors ------------------------------------------------------------------------------

def test_arithmetic_and_indexing_compute_what_they_say():
    inputs = Input((3,))
    x2 = Input((3,))
    outputs = [inputs + x2, inputs - 1, 2 * inputs, inputs / 2, -inputs, inputs ** 2, inputs[:, 0], inputs[:, 1:],
               abs(inputs), inputs[..., None], 10 - inputs]
    model = Model([inputs, x2], outputs)
    a, b = torch.tensor([[1.0, -2.0, 3.0]]), torch.tensor([[0.5, 0.5, 0.5]])
    expected = [a + b, a - 1, 2 * a, a / 2, -a, a ** 2, a[:, 0], a[:, 1:], a.abs(), a[..., None], 10 - a]
    for symbolic, value, want in zip(outputs, model([a, b]), expected):
        torch.testing.assert_close(value, want)
        assert tuple(symbolic.shape[1:]) == tuple(want.shape[1:])


def test_in_place_add_builds_a_residual_connection():
    inputs = Input((4,))
    x = layers.Dense(4)(inputs)
    residual = x
    x = layers.Dense(4)(x)
    x += residual
    model = Model(inputs, x)
    data = torch.rand(2, 4)
    first, second = model.layers[1], model.layers[2]
    torch.testing.assert_close(model(data), second(first(data)) + first(data))


def test_operations_are_not_layers_but_appear_in_the_graph():
    inputs = Input((2,))
    model = Model(inputs, inputs * 3 + 1)
    assert [layer.name for layer in model.layers] == [inputs._keras_history.operation.name]
    assert [type(op).__name__ for op in model.operations[1:]] == ["Multiply", "Add"]
    assert model.weights == []


def test_symbolic_tensor_has_no_truth_value_and_equality_is_identity():
    x = Input((2,))
    with pytest.raises(TypeError, match="truth value"):
        bool(x)
    assert (x == x) is True
    assert len({x, x}) == 1


# ---- structure ---------------------------------------------------------------------------------------------------

def test_shared_layer_keeps_one_set_of_weights():
    shared = layers.Dense(3)
    a, b = Input((4,)), Input((4,))
    model = Model([a, b], layers.Add()([shared(a), shared(b)]))
    assert len(model.weights) == 2
    assert sum(p.numel() for p in model.parameters()) == 15
    x1, x2 = torch.rand(2, 4), torch.rand(2, 4)
    torch.testing.assert_close(model([x1, x2]), shared(x1) + shared(x2))


def test_models_nest_as_layers_and_train_together():
    inner_in = Input((3,))
    inner = Model(inner_in, layers.Dense(2)(inner_in), name="inner")
    outer_in = Input((3,))
    outer = Model(outer_in, layers.Dense(1)(inner(outer_in)))
    assert len(outer.trainable_weights) == 4
    outer.compile("sgd", "mse")
    before = inner.get_weights()[0].copy()
    outer.fit(np.random.rand(8, 3), np.random.rand(8, 1), verbose=0)
    assert not np.allclose(before, inner.get_weights()[0])


def test_inputs_outputs_and_layer_input_output():
    inputs = Input((5,), name="features")
    dense = layers.Dense(2, name="projection")
    outputs = dense(inputs)
    model = Model(inputs, outputs)
    assert model.inputs == [inputs] and model.outputs == [outputs]
    assert model.input is inputs and model.output is outputs
    assert dense.input is inputs and dense.output is outputs
    assert model.get_layer("projection") is dense
    assert model.get_layer(index=1) is dense and model.get_layer(1) is dense
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")


def test_feature_extraction_from_a_layer_output_and_from_every_layer():
    base = kerastorch.Sequential([Input((6,)), layers.Dense(4, name="first"), layers.Dense(3, name="second"),
                                  layers.Dense(2, name="third")])
    extractor = Model(base.input, base.get_layer("second").output)
    x = torch.rand(2, 6)
    torch.testing.assert_close(extractor(x), base.get_layer("second")(base.get_layer("first")(x)))
    everything = Model(base.inputs, [layer.output for layer in base.layers])
    features = everything(x)
    assert [tuple(f.shape) for f in features] == [(2, 4), (2, 3), (2, 2)]
    torch.testing.assert_close(features[-1], base(x))

    functional = Model(extractor.input, layers.Dense(1)(extractor.output))
    assert len(functional.layers) == 4


def test_dict_inputs_and_outputs():
    a, b = Input((2,), name="a"), Input((3,), name="b")
    out = layers.Concatenate()([a, b])
    model = Model({"a": a, "b": b}, {"joined": out, "first": a * 1})
    result = model({"b": torch.ones(1, 3), "a": torch.zeros(1, 2)})
    assert set(result) == {"joined", "first"}
    torch.testing.assert_close(result["joined"], torch.tensor([[0.0, 0, 1, 1, 1]]))
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        model({"a": torch.zeros(1, 2)})


def test_list_model_accepts_a_dict_keyed_by_input_names():
    a, b = Input((2,), name="left"), Input((2,), name="right")
    model = Model([a, b], layers.Subtract()([a, b]))
    torch.testing.assert_close(model({"right": torch.ones(1, 2), "left": torch.zeros(1, 2)}), -torch.ones(1, 2))


def test_wrong_input_shape_names_the_model_and_both_shapes():
    inputs = Input((3,))
    model = Model(inputs, layers.Dense(2)(inputs), name="checker")
    with pytest.raises(ValueError, match=r'"checker".*expected shape=\(None, 3\), found shape=\(2, 4\)'):
        model(torch.zeros(2, 4))


def test_graph_disconnected_and_duplicate_names_are_refused():
    a, b = Input((2,)), Input((2,))
    with pytest.raises(ValueError, match="Graph disconnected"):
        Model(a, layers.Add()([a, b]))
    x = Input((2,))
    y = layers.Dense(2, name="twin")(x)
    with pytest.raises(ValueError, match='"twin" is used 2 times'):
        Model(x, layers.Dense(2, name="twin")(y))
    with pytest.raises(ValueError, match="KerasTensors"):
        Model(x, torch.zeros(2))


def test_functional_model_is_a_torch_module():
    inputs = Input((4,))
    model = Model(inputs, layers.Dense(2, name="out")(layers.Dense(3, name="hidden")(inputs)))
    assert set(model.state_dict()) == {"hidden.kernel", "hidden.bias", "out.kernel", "out.bias"}
    params = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
    torch.testing.assert_close(torch.func.functional_call(model, params, (torch.ones(1, 4),)), torch.zeros(1, 2))


def test_clone_model_rebuilds_the_architecture_with_new_weights():
    inputs = Input((4,), name="features")
    hidden = layers.Dense(3, name="hidden")(inputs)
    model = Model(inputs, layers.Dense(2, name="out")(hidden + inputs[:, :3]))
    clone = kerastorch.models.clone_model(model)
    assert clone.get_config() == model.get_config()
    assert all(a is not b for a, b in zip(clone.weights, model.weights))
    clone.set_weights(model.get_weights())
    x = torch.rand(2, 4)
    torch.testing.assert_close(clone(x), model(x))

    shared = kerastorch.models.clone_model(model, clone_function=lambda layer: layer)
    assert shared.get_layer("hidden") is model.get_layer("hidden")
    sequential = kerastorch.Sequential([Input((3,)), layers.Dense(2)])
    assert kerastorch.models.clone_model(sequential).get_config() == sequential.get_config()
    rebuilt = kerastorch.models.clone_model(sequential, input_tensors=Input((3,), batch_size=5))
    assert rebuilt.input_shape == (5, 3)
