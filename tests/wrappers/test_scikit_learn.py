"""keras.wrappers.scikit_learn (Keras 2's KerasClassifier and KerasRegressor) with scikit-learn's tools."""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone, is_classifier, is_regressor  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402

import kerastorch as keras  # noqa: E402
from kerastorch import _legacy  # noqa: E402
from kerastorch.wrappers.scikit_learn import KerasClassifier, KerasRegressor  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def data(rows=16):
    rng = np.random.RandomState(1)
    return rng.rand(rows, 3).astype("float32"), np.array([3, 5, 7, 5] * (rows // 4))


def build(hidden=4, loss="categorical_crossentropy"):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(hidden, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(loss=loss, optimizer="adam", metrics=["accuracy"])
    return model


def build_binary():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["acc"])
    return model


def build_regressor(units=1):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units)])
    model.compile(loss="mse", optimizer="adam")
    return model


def test_classifier_passes_cross_val_score():
    x, y = data()
    scores = cross_val_score(KerasClassifier(build, epochs=1, batch_size=4, verbose=0), x, y, cv=2)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))


def test_classifier_grid_search_over_a_build_and_a_fit_argument():
    x, y = data()
    search = GridSearchCV(KerasClassifier(build, epochs=1, verbose=0), {"hidden": [2, 4], "batch_size": [4, 8]},
                          cv=2).fit(x, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_params_["hidden"] in (2, 4) and search.best_params_["batch_size"] in (4, 8)
    assert search.best_estimator_.model.layers[0].units == search.best_params_["hidden"]


def test_sk_params_reach_build_fn_and_fit():
    x, y = data()
    estimator = KerasClassifier(build, hidden=5, epochs=2, batch_size=4, verbose=0)
    history = estimator.fit(x, y)
    assert estimator.model.layers[0].units == 5 and len(history.history["loss"]) == 2


def test_an_illegal_parameter_is_refused_by_name():
    with pytest.raises(ValueError, match="hiden is not a legal parameter"):
        KerasClassifier(build, hiden=3)
    with pytest.raises(ValueError, match="bogus is not a legal parameter"):
        KerasClassifier(build).set_params(bogus=1)


def test_get_params_and_set_params_are_sk_params_and_build_fn():
    estimator = KerasClassifier(build, hidden=3, epochs=1)
    assert estimator.get_params() == {"build_fn": build, "hidden": 3, "epochs": 1}
    assert estimator.set_params(hidden=6) is estimator and estimator.sk_params["hidden"] == 6


def test_clone_makes_an_equal_estimator_of_the_same_kind():
    estimator = KerasClassifier(build, hidden=3, epochs=1)
    copy = clone(estimator)
    assert copy is not estimator and copy.get_params() == estimator.get_params()
    assert is_classifier(copy) and is_regressor(KerasRegressor(build_regressor))


def test_predict_returns_labels_of_classes():
    x, y = data()
    estimator = KerasClassifier(build, epochs=1, verbose=0)
    estimator.fit(x, y)
    assert list(estimator.classes_) == [3, 5, 7] and estimator.n_classes_ == 3
    probabilities = estimator.predict_proba(x)
    assert probabilities.shape == (16, 3)
    np.testing.assert_array_equal(estimator.predict(x), estimator.classes_[probabilities.argmax(axis=1)])


def test_binary_sigmoid_gives_two_probability_columns():
    x, y = data()
    labels = (y == 5).astype(int)
    estimator = KerasClassifier(build_binary, epochs=1, verbose=0)
    estimator.fit(x, labels)
    probabilities = estimator.predict_proba(x)
    assert probabilities.shape == (16, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert estimator.predict(x).shape == (16, 1)  # Keras 2's (probability > 0.5) keeps the output's column


def test_score_is_the_accuracy_evaluate_reports():
    x, y = data()
    estimator = KerasClassifier(build, epochs=1, verbose=0)
    estimator.fit(x, y)
    expected = estimator.model.evaluate(x, keras.utils.to_categorical(np.searchsorted([3, 5, 7], y), 3),
                                        verbose=0)[1]
    assert estimator.score(x, y, verbose=0) == pytest.approx(expected)


def test_score_without_an_accuracy_metric_is_refused():
    x, y = data()

    def without_metrics():
        model = build()
        model.compile(loss="categorical_crossentropy", optimizer="adam")
        return model
    estimator = KerasClassifier(without_metrics, epochs=1, verbose=0)
    estimator.fit(x, y)
    with pytest.raises(ValueError, match="not configured to compute accuracy"):
        estimator.score(x, y, verbose=0)


def test_integer_labels_are_one_hot_encoded_for_categorical_crossentropy():
    x, y = data()
    estimator = KerasClassifier(build, epochs=1, verbose=0)
    estimator.fit(x, y)  # a 3-unit softmax trained on 1D labels: only works when they were one-hot encoded
    sparse = KerasClassifier(build, loss="sparse_categorical_crossentropy", epochs=1, verbose=0)
    sparse.fit(x, y)
    assert sparse.predict(x).shape == (16,)


def test_a_subclass_s_call_is_the_build_function():
    class Wrapped(KerasClassifier):
        def __call__(self, hidden=2):
            return build(hidden)
    x, y = data()
    estimator = Wrapped(hidden=3, epochs=1, verbose=0)
    estimator.fit(x, y)
    assert estimator.model.layers[0].units == 3


def test_regressor_predicts_1d_and_scores_minus_the_loss():
    x, _ = data()
    target = x[:, 0] * 2
    estimator = KerasRegressor(build_regressor, epochs=1, verbose=0)
    estimator.fit(x, target)
    assert estimator.predict(x).shape == (16,)
    loss = estimator.model.evaluate(x, target, verbose=0)
    assert estimator.score(x, target, verbose=0) == pytest.approx(-loss)
    wide = KerasRegressor(build_regressor, units=2, epochs=1, verbose=0)
    wide.fit(x, x[:, :2])
    assert wide.predict(x).shape == (16, 2)


def test_regressor_passes_cross_val_score():
    x, _ = data()
    scores = cross_val_score(KerasRegressor(build_regressor, epochs=1, verbose=0), x, x[:, 1], cv=2)
    assert scores.shape == (2,) and np.all(scores <= 0)


def test_each_class_warns_once_with_the_keras_3_spelling(monkeypatch):
    monkeypatch.setattr(_legacy, "_warned", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        KerasClassifier(build)
        KerasClassifier(build)
        KerasRegressor(build_regressor)
    messages = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(messages) == 2
    assert "keras.wrappers.SKLearnClassifier" in messages[0] and "keras.wrappers.SKLearnRegressor" in messages[1]
    assert caught[0].filename == __file__


def test_keras_2_wrappers_import_without_sklearn():
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "from kerastorch.wrappers.scikit_learn import KerasClassifier\nprint('imported')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.stdout.strip() == "imported", result.stderr


def test_predictions_print_nothing_unless_verbose_is_asked_for(capsys):
    x, y = data()
    estimator = KerasClassifier(build, epochs=1)
    estimator.fit(x, y, verbose=0)
    capsys.readouterr()
    estimator.predict(x)
    estimator.predict_proba(x)
    assert capsys.readouterr().out == ""
