"""What the Keras 3 scikit-learn wrappers do, as plain facts (shapes, dtypes, labels, parameters, tags, errors),
for one library module ``keras`` (Keras 3 or kerastorch) and its ``wrappers``.

Shared by tools/golden_sklearn_wrappers.py (which records Keras 3's facts) and tests/wrappers (which compares
kerastorch's): the facts do not depend on the trained weights, so both libraries must give the same ones.
"""
import warnings

import numpy as np


def _error(function):
    try:
        function()
    except Exception as error:  # the facts record which kind of error, as Keras raises it
        return type(error).__name__
    return None


def facts(keras, wrappers):
    from sklearn.base import clone, is_classifier, is_regressor

    rng = np.random.RandomState(0)
    x = rng.rand(12, 3).astype("float32")
    labels = np.array(["b", "a", "c"] * 4)
    quiet = {"epochs": 1, "verbose": 0}

    def classifier(X, y):
        model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(y.shape[1], activation="softmax")])
        model.compile(loss="categorical_crossentropy", optimizer="adam")
        return model

    def regressor(X, y):
        model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(1)])
        model.compile(loss="mse", optimizer="adam")
        return model

    found = {}
    fitted = wrappers.SKLearnClassifier(classifier, fit_kwargs=quiet).fit(x, labels)
    predicted = fitted.predict(x)
    found["classifier"] = {
        "params": sorted(fitted.get_params()), "classes": [str(c) for c in fitted.classes_],
        "predict_shape": list(predicted.shape), "predict_dtype": predicted.dtype.str,
        "predictions_are_labels": bool(set(predicted) <= set(labels)),
        "decision_shape": list(fitted.decision_function(x).shape), "n_features_in": int(fitted.n_features_in_),
        "score_type": type(fitted.score(x, labels)).__name__, "is_classifier": bool(is_classifier(clone(fitted))),
        "non_deterministic": bool(fitted.__sklearn_tags__().non_deterministic),
        "poor_score": bool(fitted.__sklearn_tags__().classifier_tags.poor_score)}
    binary = wrappers.SKLearnClassifier(classifier, fit_kwargs=quiet).fit(x, np.arange(12) % 2)
    found["binary"] = {"predict_dtype": binary.predict(x).dtype.kind,
                       "decision_shape": list(binary.decision_function(x).shape)}
    found["classifier_errors"] = {
        "continuous": _error(lambda: wrappers.SKLearnClassifier(classifier, fit_kwargs=quiet).fit(x, x[:, 0])),
        "single_class": _error(lambda: wrappers.SKLearnClassifier(classifier, fit_kwargs=quiet).fit(
            x, np.zeros(12, int))),
        "uncompiled": _error(lambda: wrappers.SKLearnClassifier(
            keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)]), fit_kwargs=quiet).fit(x, labels)),
        "predict_unfitted": _error(lambda: wrappers.SKLearnClassifier(classifier).predict(x)),
        "wrong_width": _error(lambda: fitted.predict(x[:, :2]))}
    one_d = wrappers.SKLearnRegressor(regressor, fit_kwargs=quiet).fit(x, x[:, 0])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="A column-vector y was passed")  # the column target, on purpose
        column = wrappers.SKLearnRegressor(regressor, fit_kwargs=quiet).fit(x, x[:, :1])
    found["regressor"] = {"predict_shape": list(one_d.predict(x).shape),
                          "column_target_predict_shape": list(column.predict(x).shape),
                          "is_regressor": bool(is_regressor(one_d)),
                          "poor_score": bool(one_d.__sklearn_tags__().regressor_tags.poor_score),
                          "two_columns": _error(lambda: wrappers.SKLearnRegressor(regressor, fit_kwargs=quiet).fit(
                              x, x[:, :2]))}
    transformer = wrappers.SKLearnTransformer(regressor, fit_kwargs=quiet)
    found["transformer"] = {"fit_transform_shape": list(transformer.fit_transform(x, x[:, 0]).shape),
                            "transform_shape": list(transformer.transform(x).shape),
                            "preserves_dtype": list(transformer.__sklearn_tags__().transformer_tags.preserves_dtype)}
    return found
