"""keras.wrappers (Keras 3's SKLearnClassifier, SKLearnRegressor, SKLearnTransformer) with scikit-learn's tools."""
import os
import subprocess
import sys

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone, is_classifier, is_regressor  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402

import kerastorch as keras  # noqa: E402
from kerastorch.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIET = {"epochs": 1, "batch_size": 4, "verbose": 0}


def data(rows=16):
    rng = np.random.RandomState(0)
    x = rng.rand(rows, 3).astype("float32")
    return x, np.array(["cat", "dog", "emu", "dog"] * (rows // 4))


def classifier(X, y, hidden=4):
    model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(hidden, activation="relu"),
                              keras.layers.Dense(y.shape[1], activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    return model


def regressor(X, y):
    units = 1 if y.ndim == 1 else y.shape[1]
    model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(units)])
    model.compile(loss="mse", optimizer="adam")
    return model


def test_classifier_passes_cross_val_score():
    x, y = data()
    scores = cross_val_score(SKLearnClassifier(classifier, fit_kwargs=QUIET), x, y, cv=2)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))


def test_classifier_grid_search_over_two_parameters():
    x, y = data()
    grid = {"model_kwargs": [{"hidden": 2}, {"hidden": 4}],
            "fit_kwargs": [QUIET, dict(QUIET, epochs=2)]}
    search = GridSearchCV(SKLearnClassifier(classifier), grid, cv=2).fit(x, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_params_["model_kwargs"] in grid["model_kwargs"]
    assert search.best_estimator_.predict(x[:2]).shape == (2,)


def test_classifier_predicts_the_original_labels():
    x, y = data()
    fitted = SKLearnClassifier(classifier, fit_kwargs=QUIET).fit(x, y)
    assert list(fitted.classes_) == ["cat", "dog", "emu"]
    assert set(fitted.predict(x)) <= {"cat", "dog", "emu"}
    assert fitted.n_features_in_ == 3


def test_classifier_prediction_is_the_highest_output():
    x, y = data()
    fitted = SKLearnClassifier(classifier, fit_kwargs=QUIET).fit(x, y)
    raw = fitted.decision_function(x)
    assert raw.shape == (16, 3)
    np.testing.assert_array_equal(fitted.predict(x), fitted.classes_[raw.argmax(axis=1)])


def test_parameters_are_keras_s_four():
    assert sorted(SKLearnClassifier(classifier).get_params()) == ["fit_kwargs", "model", "model_kwargs",
                                                                  "warm_start"]


def test_clone_keeps_the_fit_arguments():
    estimator = SKLearnClassifier(classifier, model_kwargs={"hidden": 3}, fit_kwargs=QUIET)
    copy = clone(estimator)
    assert copy.fit_kwargs == QUIET and copy.model_kwargs == {"hidden": 3} and copy.model is classifier
    assert is_classifier(copy) and is_regressor(SKLearnRegressor(regressor))


def test_a_model_instance_is_cloned_compiled_at_fit():
    x, y = data()
    model = classifier(x, np.zeros((1, 3)))
    fitted = SKLearnClassifier(model, fit_kwargs=QUIET).fit(x, y)
    assert fitted.model_ is not model and fitted.model_.compiled
    assert fitted.model_.optimizer is not model.optimizer


def test_warm_start_fits_the_previous_model_further():
    x, y = data()
    estimator = SKLearnClassifier(classifier, warm_start=True, fit_kwargs=QUIET).fit(x, y)
    first = estimator.model_
    estimator.fit(x, y)
    assert estimator.model_ is first
    assert SKLearnClassifier(classifier, fit_kwargs=QUIET).fit(x, y).fit(x, y).model_ is not first


def test_history_and_epoch_count_are_recorded():
    x, y = data()
    fitted = SKLearnClassifier(classifier, fit_kwargs=dict(QUIET, epochs=2)).fit(x, y)
    assert len(fitted.history_["loss"]) == 2 and fitted.epoch_ == 2


def test_fit_arguments_given_to_fit_take_precedence():
    x, y = data()
    fitted = SKLearnClassifier(classifier, fit_kwargs=QUIET).fit(x, y, epochs=3)
    assert fitted.epoch_ == 3


def test_a_continuous_target_is_refused_by_the_classifier():
    x, _ = data()
    with pytest.raises(ValueError, match="binary and multiclass.*'continuous'"):
        SKLearnClassifier(classifier, fit_kwargs=QUIET).fit(x, x[:, 0])


def test_a_single_class_is_refused():
    x, _ = data()
    with pytest.raises(ValueError, match="single class"):
        SKLearnClassifier(classifier, fit_kwargs=QUIET).fit(x, np.zeros(16, int))


def test_an_uncompiled_model_is_refused():
    x, y = data()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    with pytest.raises(RuntimeError, match="compiled"):
        SKLearnClassifier(model, fit_kwargs=QUIET).fit(x, y)


def test_predict_before_fit_is_refused_by_sklearn():
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        SKLearnClassifier(classifier).predict(data()[0])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.DataConversionWarning")  # the column target, as Keras
def test_regressor_predicts_the_target_s_shape_and_scores_r2():
    x, _ = data()
    target = x[:, 0] + x[:, 1]
    fitted = SKLearnRegressor(regressor, fit_kwargs=QUIET).fit(x, target)
    predictions = fitted.predict(x)
    assert predictions.shape == (16,)
    assert fitted.score(x, target) == pytest.approx(r2_score(target, predictions), rel=1e-5)
    assert SKLearnRegressor(regressor, fit_kwargs=QUIET).fit(x, x[:, :1]).predict(x).shape == (16,)


def test_regressor_passes_cross_val_score():
    x, _ = data()
    scores = cross_val_score(SKLearnRegressor(regressor, fit_kwargs=QUIET), x, x[:, 0], cv=2)
    assert scores.shape == (2,) and np.all(np.isfinite(scores))


def test_transformer_gives_the_model_s_outputs():
    x, _ = data()
    fitted = SKLearnTransformer(regressor, fit_kwargs=QUIET).fit(x, x[:, 0])
    np.testing.assert_allclose(fitted.transform(x), fitted.model_.predict(x, verbose=0), rtol=1e-6)
    assert SKLearnTransformer(regressor, fit_kwargs=QUIET).fit_transform(x, x[:, 0]).shape == (16, 1)


def test_missing_sklearn_error_names_the_extra():
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "from kerastorch.wrappers import SKLearnClassifier\n"
            "try:\n    SKLearnClassifier(None)\nexcept ImportError as e:\n    print(e)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert "SKLearnClassifier requires scikit-learn" in result.stdout
    assert "kerastorch[sklearn]" in result.stdout, result.stderr
