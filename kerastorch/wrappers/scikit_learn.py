"""Keras 2's scikit-learn wrappers (``keras.wrappers.scikit_learn``): KerasClassifier and KerasRegressor.

``build_fn`` builds and compiles a new model at every ``fit``; ``sk_params`` holds both the arguments of
``build_fn`` and those of the model's ``fit``/``predict``/``evaluate`` (``epochs``, ``batch_size``, ...), and is
what ``get_params``/``set_params`` (and so ``GridSearchCV``) see. An argument given to a method call takes
precedence over ``sk_params``, which takes precedence over the model's defaults.

They import without scikit-learn (they only follow its estimator protocol); scikit-learn itself is the optional
extra ``sklearn``. Keras 3 replaced them by ``keras.wrappers.SKLearnClassifier``/``SKLearnRegressor``; each
class warns once (DeprecationWarning) with that spelling.
"""
import copy
import inspect
import types

import numpy as np

from kerastorch._legacy import warn_once
from kerastorch.wrappers._sklearn import is_categorical_crossentropy

def _accepts(function, name):
    """Whether ``function`` has a parameter called ``name`` (a ``**kwargs`` catch-all does not count)."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    parameter = parameters.get(name)
    return parameter is not None and parameter.kind not in (inspect.Parameter.VAR_POSITIONAL,
                                                            inspect.Parameter.VAR_KEYWORD)


def _silent(arguments):
    """Keras 2's ``predict`` printed nothing unless asked (``verbose=0``); Keras 3's shows a progress bar."""
    arguments.setdefault("verbose", 0)
    return arguments


def _model_methods():
    from kerastorch.models.sequential import Sequential
    names = ("fit", "predict", "predict_classes", "evaluate")
    return {name: getattr(Sequential, name) for name in names if hasattr(Sequential, name)}


class BaseWrapper:
    """The common part of KerasClassifier and KerasRegressor (not used directly).

    Args:
        build_fn: a function, or an instance of a class with ``__call__``, that returns a compiled model; or None
            in a subclass whose own ``__call__`` builds it.
        **sk_params: arguments of ``build_fn`` and of the model's ``fit``, ``predict``, ``predict_classes`` and
            ``evaluate``.

    Raises:
        ValueError: an entry of ``sk_params`` that none of those accepts.
    """

    _estimator_type = None

    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def _builder(self):
        if self.build_fn is None:
            return self.__call__
        if isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            return self.build_fn
        return self.build_fn.__call__

    def check_params(self, params):
        """Refuse any name in ``params`` that neither the builder nor the model's methods accept.

        Raises:
            ValueError: naming the first such parameter and where it was looked for.
        """
        functions = list(_model_methods().values()) + [self._builder()]
        for name in params:
            if name != "nb_epoch" and not any(_accepts(function, name) for function in functions):
                raise ValueError(f"{name} is not a legal parameter: it is neither an argument of build_fn nor of the "
                                 f"model's fit, predict, predict_classes or evaluate.")

    def get_params(self, deep=True, **params):
        """The estimator's parameters: ``sk_params`` and ``build_fn`` (``deep`` is accepted for scikit-learn)."""
        result = dict(self.sk_params)
        result["build_fn"] = self.build_fn
        return result

    def set_params(self, **params):
        """Update ``sk_params`` (checked as the constructor checks them); returns self."""
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn, override=None):
        """The entries of ``sk_params`` that ``fn`` accepts, updated with ``override``."""
        result = {name: value for name, value in self.sk_params.items() if _accepts(fn, name)}
        result.update(override or {})
        return result

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags
        tags = Tags(estimator_type=self._estimator_type, target_tags=TargetTags(required=True))
        tags.non_deterministic = True
        if self._estimator_type == "classifier":
            tags.classifier_tags = ClassifierTags()
        elif self._estimator_type == "regressor":
            tags.regressor_tags = RegressorTags()
        return tags

    def fit(self, x, y, **kwargs):
        """Build a new model with ``build_fn`` and fit it to ``(x, y)``.

        Args:
            x: the training samples, ``(n_samples, n_features)``.
            y: the targets; integer labels are one-hot encoded when the model's loss is categorical cross-entropy.
            **kwargs: arguments of the model's ``fit``, over ``sk_params``.

        Returns:
            The ``History`` of the fit.
        """
        builder = self._builder()
        self.model = builder(**self.filter_sk_params(builder))
        y = np.asarray(y)
        if is_categorical_crossentropy(self.model.loss) and y.ndim != 2:
            from kerastorch.utils.numerical_utils import to_categorical
            y = to_categorical(y)
        methods = _model_methods()
        arguments = copy.deepcopy(self.filter_sk_params(methods["fit"]))
        arguments.update(kwargs)
        return self.model.fit(x, y, **arguments)


class KerasClassifier(BaseWrapper):
    """Keras 2's scikit-learn classifier: ``predict`` gives labels, ``predict_proba`` probabilities, ``score``
    the accuracy the model's ``evaluate`` reports.

    Deprecated: Keras 3 spells it ``keras.wrappers.SKLearnClassifier``.

    Args: as ``BaseWrapper``: ``build_fn`` and ``**sk_params``.

    Example:

    >>> def build(hidden=8):
    ...     model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(hidden, activation="relu"),
    ...                               keras.layers.Dense(3, activation="softmax")])
    ...     model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    ...     return model
    >>> GridSearchCV(KerasClassifier(build, epochs=1, verbose=0), {"hidden": [4, 8], "batch_size": [4, 8]}, cv=2)
    """

    _estimator_type = "classifier"

    def __init__(self, build_fn=None, **sk_params):
        warn_once("keras.wrappers.scikit_learn.KerasClassifier",
                  "`keras.wrappers.SKLearnClassifier(model=..., model_kwargs=..., fit_kwargs=...)`")
        super().__init__(build_fn, **sk_params)

    def fit(self, x, y, sample_weight=None, **kwargs):
        """As ``BaseWrapper.fit``; records ``classes_`` and ``n_classes_`` and trains on their indices.

        Raises:
            ValueError: ``y`` is neither 1D, a column, nor one-hot rows.
        """
        y = np.array(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError(f"Invalid shape for y: {y.shape}. Expected (n_samples,), (n_samples, 1) or one-hot "
                             f"(n_samples, n_classes).")
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return super().fit(x, y, **kwargs)

    def _predict_arguments(self, kwargs):
        methods = _model_methods()
        return _silent(self.filter_sk_params(methods.get("predict_classes", methods["predict"]), kwargs))

    def predict(self, x, **kwargs):
        """The predicted labels of ``x``: the most probable class, or output > 0.5 for a single sigmoid unit."""
        probabilities = np.asarray(self.model.predict(x, **self._predict_arguments(kwargs)))
        if probabilities.shape[-1] > 1:
            indices = probabilities.argmax(axis=-1)
        else:
            indices = (probabilities > 0.5).astype("int32")
        return self.classes_[indices]

    def predict_proba(self, x, **kwargs):
        """The class probabilities of ``x``, ``(n_samples, n_classes)``; two columns for a single sigmoid unit."""
        probabilities = np.asarray(self.model.predict(x, **self._predict_arguments(kwargs)))
        if probabilities.shape[1] == 1:
            probabilities = np.hstack([1 - probabilities, probabilities])
        return probabilities

    def score(self, x, y, **kwargs):
        """The accuracy on ``(x, y)`` as the model's ``evaluate`` computes it.

        Raises:
            ValueError: the model was not compiled with an accuracy metric.
        """
        y = np.searchsorted(self.classes_, y)
        arguments = self.filter_sk_params(_model_methods()["evaluate"], kwargs)
        loss = self.model.loss
        if is_categorical_crossentropy(loss) and np.ndim(y) != 2:
            from kerastorch.utils.numerical_utils import to_categorical
            y = to_categorical(y, self.n_classes_)
        outputs = self.model.evaluate(x, y, **arguments)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        for name, value in zip(self.model.metrics_names, outputs):
            if name in ("accuracy", "acc"):
                return float(value)
        raise ValueError(f"The model is not configured to compute accuracy (its metrics are "
                         f"{list(self.model.metrics_names)}). Pass `metrics=['accuracy']` to `model.compile()`.")


class KerasRegressor(BaseWrapper):
    """Keras 2's scikit-learn regressor: ``predict`` gives the model's outputs (squeezed to 1D for one output),
    ``score`` the negated loss (higher is better, as scikit-learn expects).

    Deprecated: Keras 3 spells it ``keras.wrappers.SKLearnRegressor``.

    Args: as ``BaseWrapper``: ``build_fn`` and ``**sk_params``.
    """

    _estimator_type = "regressor"

    def __init__(self, build_fn=None, **sk_params):
        warn_once("keras.wrappers.scikit_learn.KerasRegressor",
                  "`keras.wrappers.SKLearnRegressor(model=..., model_kwargs=..., fit_kwargs=...)`")
        super().__init__(build_fn, **sk_params)

    def predict(self, x, **kwargs):
        """The model's predictions for ``x``; ``(n_samples,)`` when the model has one output unit."""
        arguments = _silent(self.filter_sk_params(_model_methods()["predict"], kwargs))
        predictions = np.array(self.model.predict(x, **arguments))
        return np.squeeze(predictions, axis=-1) if predictions.shape[-1] == 1 else predictions

    def score(self, x, y, **kwargs):
        """Minus the model's loss on ``(x, y)``."""
        arguments = self.filter_sk_params(_model_methods()["evaluate"], kwargs)
        loss = self.model.evaluate(x, y, **arguments)
        return -float(loss[0] if isinstance(loss, (list, tuple)) else loss)
