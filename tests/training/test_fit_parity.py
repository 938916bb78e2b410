"""fit / evaluate / predict against real Keras 3 (fixtures from tools/golden_fit.py).

Each case starts from Keras's initial weights, trains on the same unshuffled data for 3 epochs with
validation_split=0.25, an l2 kernel regularizer and a partial last batch, then evaluates and predicts. History
(every key), final weights, evaluate's results and predictions must agree within 2e-4.
"""

import numpy as np
import pytest

import kerastorch as keras
from kerastorch import optimizers, regularizers
from golden_loader import golden_json, golden_npz

GOLDEN = golden_json("training/fit_parity.json")
ARRAYS = golden_npz("training/fit_parity.npz")
CASES = {case["name"]: case for case in GOLDEN["cases"]}
TOLERANCE = 2e-4


def build_model(case):
    model = keras.Sequential([
        keras.Input((ARRAYS["x"].shape[1],)),
        keras.layers.Dense(8, activation="relu", kernel_regularizer=regularizers.l2(GOLDEN["l2"])),
        keras.layers.Dense(case["units"], activation=case["activation"]),
    ])
    name = case["name"]
    model.set_weights([ARRAYS[f"{name}/initial/{i}"] for i in range(case["num_weights"])])
    optimizer = getattr(optimizers, case["optimizer"])(**case["optimizer_config"])
    model.compile(optimizer=optimizer, loss=case["loss"], metrics=case["metrics"],
                  weighted_metrics=case.get("weighted_metrics"))
    return model


def fit_case(case):
    model = build_model(case)
    x, y = ARRAYS["x"], ARRAYS[case["y"]]
    sample_weight = ARRAYS["sample_weight"] if case.get("sample_weight") else None
    class_weight = {int(k): v for k, v in case["class_weight"].items()} if "class_weight" in case else None
    history = model.fit(x, y, batch_size=GOLDEN["batch_size"], epochs=GOLDEN["epochs"], verbose=0, shuffle=False,
                        validation_split=GOLDEN["validation_split"], sample_weight=sample_weight,
                        class_weight=class_weight)
    return model, history, x, y, sample_weight


@pytest.fixture(scope="module", params=sorted(CASES))
def trained(request):
    case = CASES[request.param]
    return (case,) + fit_case(case)


def test_history_matches_keras(trained):
    case, model, history, *_ = trained
    assert set(history.history) == set(case["history"])
    for key, expected in case["history"].items():
        np.testing.assert_allclose(history.history[key], expected, atol=TOLERANCE, err_msg=key)


def test_history_keys_in_keras_order(trained):
    case, model, history, *_ = trained
    assert list(history.history) == case["history_keys"]


def test_final_weights_match_keras(trained):
    case, model, *_ = trained
    name = case["name"]
    weights = model.get_weights()
    assert len(weights) == case["num_weights"]
    for i, weight in enumerate(weights):
        np.testing.assert_allclose(weight, ARRAYS[f"{name}/final/{i}"], atol=TOLERANCE, err_msg=f"weight {i}")


def test_iterations_count_steps(trained):
    case, model, *_ = trained
    assert int(model.optimizer.iterations) == case["iterations"]


def test_evaluate_dict_matches_keras(trained):
    case, model, history, x, y, sample_weight = trained
    result = model.evaluate(x, y, batch_size=GOLDEN["batch_size"], verbose=0, sample_weight=sample_weight,
                            return_dict=True)
    assert list(result) == case["evaluate_keys"]
    for key, expected in case["evaluate_dict"].items():
        assert result[key] == pytest.approx(expected, abs=TOLERANCE), key


def test_evaluate_list_follows_metrics_names(trained):
    case, model, history, x, y, sample_weight = trained
    values = model.evaluate(x, y, batch_size=GOLDEN["batch_size"], verbose=0, sample_weight=sample_weight)
    # Keras 3.15 lists the loss, then each compiled metric in compile order. For a weighted metric that shares
    # an unweighted one's name it also repeats the unweighted value once (its sub-metric is named 'accuracy');
    # kerastorch lists each logged value once, so the repeat is dropped from the expected list here.
    expected = list(case["evaluate_list"])
    if case.get("weighted_metrics"):
        del expected[2]
    assert model.metrics_names[0] == "loss"
    np.testing.assert_allclose(values, expected, atol=TOLERANCE)
    result = model.evaluate(x, y, batch_size=GOLDEN["batch_size"], verbose=0, sample_weight=sample_weight,
                            return_dict=True)
    assert values == [result[name] for name in model.metrics_names]


def test_predict_matches_keras(trained):
    case, model, history, x, *_ = trained
    predictions = model.predict(x, batch_size=GOLDEN["batch_size"], verbose=0)
    assert isinstance(predictions, np.ndarray)
    np.testing.assert_allclose(predictions, ARRAYS[f"{case['name']}/predict"], atol=TOLERANCE)


def test_fixture_uses_a_partial_last_batch():
    num_train = int(len(ARRAYS["x"]) * (1 - GOLDEN["validation_split"]))
    assert num_train % GOLDEN["batch_size"] != 0


def build_multi_io_model(case):
    input_a, input_b = keras.Input((ARRAYS["x"].shape[1],), name="a"), keras.Input((2,), name="b")
    hidden_a = keras.layers.Dense(8, activation="relu", kernel_regularizer=regularizers.l2(GOLDEN["l2"]),
                                  name="hidden_a")(input_a)
    hidden_b = keras.layers.Dense(4, activation="tanh", name="hidden_b")(input_b)
    outputs = [keras.layers.Dense(3, activation="softmax", name="cls")(hidden_a),
               keras.layers.Dense(1, name="reg")(hidden_b)]
    model = keras.Model([input_a, input_b], outputs)
    for layer in case["layers"]:
        count = len(model.get_layer(layer).get_weights())
        model.get_layer(layer).set_weights([ARRAYS[f"multi_io/initial/{layer}/{i}"] for i in range(count)])
    model.compile(optimizer=optimizers.Adam(**case["optimizer_config"]), loss=case["loss"],
                  loss_weights=case["loss_weights"], metrics=case["metrics"])
    return model


@pytest.fixture(scope="module")
def trained_multi_io():
    case = GOLDEN["multi_io"]
    model = build_multi_io_model(case)
    x, y = [ARRAYS["x"], ARRAYS["x_b"]], [ARRAYS["y_sparse"], ARRAYS["y_regression"]]
    history = model.fit(x, y, batch_size=GOLDEN["batch_size"], epochs=GOLDEN["epochs"], verbose=0, shuffle=False,
                        validation_split=GOLDEN["validation_split"])
    return case, model, history, x, y


def test_multi_io_history_matches_keras(trained_multi_io):
    case, model, history, x, y = trained_multi_io
    assert list(history.history) == case["history_keys"]
    for key, expected in case["history"].items():
        np.testing.assert_allclose(history.history[key], expected, atol=TOLERANCE, err_msg=key)


def test_multi_io_final_weights_match_keras(trained_multi_io):
    case, model, *_ = trained_multi_io
    for layer in case["layers"]:
        for i, weight in enumerate(model.get_layer(layer).get_weights()):
            np.testing.assert_allclose(weight, ARRAYS[f"multi_io/final/{layer}/{i}"], atol=TOLERANCE,
                                       err_msg=f"{layer} weight {i}")


def test_multi_io_evaluate_matches_keras(trained_multi_io):
    case, model, history, x, y = trained_multi_io
    result = model.evaluate(x, y, batch_size=GOLDEN["batch_size"], verbose=0, return_dict=True)
    assert list(result) == case["evaluate_keys"]
    for key, expected in case["evaluate_dict"].items():
        assert result[key] == pytest.approx(expected, abs=TOLERANCE), key
    values = model.evaluate(x, y, batch_size=GOLDEN["batch_size"], verbose=0)
    np.testing.assert_allclose(values, case["evaluate_list"], atol=TOLERANCE)


def test_multi_io_predict_is_a_list_matching_keras(trained_multi_io):
    case, model, history, x, y = trained_multi_io
    predictions = model.predict(x, batch_size=GOLDEN["batch_size"], verbose=0)
    assert isinstance(predictions, list) and len(predictions) == 2
    for i, prediction in enumerate(predictions):
        np.testing.assert_allclose(prediction, ARRAYS[f"multi_io/predict/{i}"], atol=TOLERANCE)
