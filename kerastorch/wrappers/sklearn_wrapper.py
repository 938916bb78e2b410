"""Keras 3's scikit-learn wrappers: SKLearnClassifier, SKLearnRegressor and SKLearnTransformer.

Each is a scikit-learn estimator around a compiled kerastorch model (or a function that builds one from ``X`` and
``y``), so it works with ``cross_val_score``, ``GridSearchCV``, pipelines and ``clone``. scikit-learn is the
optional extra ``sklearn``; without it the classes still import, and constructing one raises an ImportError that
names the extra.
"""
import copy

import numpy as np

from kerastorch.wrappers._sklearn import require_sklearn, sklearn_installed

if sklearn_installed():
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
else:  # the classes stay importable; __init__ raises the error that names the extra
    class BaseEstimator:
        pass

    class ClassifierMixin:
        pass

    class RegressorMixin:
        pass

    class TransformerMixin:
        pass


def _validate(estimator, X, y=None, reset=True):
    """scikit-learn's input validation (it records ``n_features_in_`` when ``reset``)."""
    from sklearn.utils.validation import validate_data
    if y is None:
        return validate_data(estimator, X, reset=reset)
    return validate_data(estimator, X, y, reset=reset)


def _check_compiled(model):
    if not getattr(model, "compiled", False) or model.loss is None or model.optimizer is None:
        raise RuntimeError(f"The wrapped model needs to be compiled with a loss and an optimizer before fitting. "
                           f"Received a model with compiled={getattr(model, 'compiled', False)}, "
                           f"loss={getattr(model, 'loss', None)!r}.")


class _ColumnTarget:
    """Makes a 1D target 2D for fitting and returns the model's 2D output to the target's rank."""

    def __init__(self, y):
        self.ndim = np.ndim(y)

    def transform(self, y):
        y = np.asarray(y)
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        return np.squeeze(y, axis=1) if self.ndim == 1 and y.ndim == 2 and y.shape[1] == 1 else y


class SKLBase(BaseEstimator):
    """The common part of the scikit-learn wrappers (not used directly).

    Args:
        model: a compiled kerastorch ``Model``, or a callable ``model(X=X, y=y, **model_kwargs)`` that builds and
            compiles one. A model is cloned (``keras.models.clone_model``, compiled as the original) at each fit,
            unless ``warm_start`` is True and the wrapper was fitted before.
        warm_start: fit the model of the previous fit further instead of a fresh one.
        model_kwargs: keyword arguments for ``model`` when it is a callable.
        fit_kwargs: keyword arguments for ``model.fit`` (``epochs``, ``batch_size``, ...); those given to
            ``fit`` itself take precedence.

    Attributes:
        model_: the fitted model.
        history_: the ``History.history`` dict of the last fit.
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        require_sklearn(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        # A model instance is shared by the clones (each fit clones it again); callables are shared as they are.
        return type(self)(model=self.model, warm_start=self.warm_start, model_kwargs=copy.deepcopy(self.model_kwargs),
                          fit_kwargs=copy.deepcopy(self.fit_kwargs))

    @property
    def epoch_(self):
        """How many epochs the last fit ran."""
        history = getattr(self, "history_", None) or {}
        return len(next(iter(history.values()), []))

    def _build_model(self, X, y):
        from kerastorch.models.cloning import clone_model
        from kerastorch.models.model import Model
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            return clone_model(self.model)
        if not callable(self.model):
            raise TypeError(f"`model` must be a compiled kerastorch Model or a callable that returns one. Received: "
                            f"model={self.model!r} of type {type(self.model).__name__}.")
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Fit a model (see ``model``) to ``(X, y)``.

        Args:
            X: array-like of shape ``(n_samples, n_features)``.
            y: array-like of shape ``(n_samples,)`` or ``(n_samples, n_outputs)``.
            **kwargs: arguments for ``model.fit``, over ``fit_kwargs``.

        Returns:
            self.
        """
        X, y = _validate(self, X, y, reset=True)
        target = self._encode_target(y, reset=True)
        model = self._build_model(X, target)
        _check_compiled(model)
        arguments = dict(self.fit_kwargs or {})
        arguments.update(kwargs)
        self.history_ = model.fit(X, target, **arguments).history
        self.model_ = model
        return self

    def _raw_predict(self, X):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        return self.model_.predict(_validate(self, X, reset=False), verbose=0)

    def predict(self, X):
        """The model's predictions for ``X``, in the target's form (class labels for a classifier)."""
        return self._decode_target(self._raw_predict(X))

    def _encode_target(self, y, reset=False):
        from sklearn.utils.multiclass import type_of_target
        if type_of_target(y) == "unknown":
            raise ValueError(f"Unknown label type for the target: {y!r}")
        if reset:
            self._target_encoder = _ColumnTarget(y)
        return self._target_encoder.transform(y)

    def _decode_target(self, y):
        return self._target_encoder.inverse_transform(y)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A scikit-learn classifier around a kerastorch model.

    The labels are one-hot encoded for the model (so it ends with one unit per class, e.g. a softmax trained with
    categorical cross-entropy), and ``predict`` returns the label of the highest output. ``score`` is the accuracy.

    Args: as ``SKLBase``: ``model``, ``warm_start``, ``model_kwargs``, ``fit_kwargs``.

    Attributes:
        classes_: the sorted labels seen by ``fit``.
        model_, history_: as ``SKLBase``.

    Example:

    >>> def build(X, y, hidden=8):
    ...     model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(hidden, activation="relu"),
    ...                               keras.layers.Dense(y.shape[1], activation="softmax")])
    ...     model.compile(loss="categorical_crossentropy", optimizer="adam")
    ...     return model
    >>> clf = SKLearnClassifier(build, model_kwargs={"hidden": 16}, fit_kwargs={"epochs": 2, "verbose": 0})
    >>> cross_val_score(clf, X, y, cv=2)
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags

    def _encode_target(self, y, reset=False):
        from sklearn.preprocessing import OneHotEncoder
        from sklearn.utils.multiclass import type_of_target
        kind = type_of_target(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"SKLearnClassifier supports binary and multiclass targets only. Received a target of "
                             f"type {kind!r}.")
        column = np.asarray(y).reshape(-1, 1)
        if reset:
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError(f"A classifier cannot be trained on a single class. Received only the label "
                                 f"{self.classes_[0]!r}.")
            self._target_ndim = np.ndim(y)
            self._target_encoder = OneHotEncoder(sparse_output=False).fit(column)
        return self._target_encoder.transform(column)

    def _decode_target(self, y):
        # OneHotEncoder's inverse takes the highest column of each row: the most probable class.
        labels = self._target_encoder.inverse_transform(y)
        return labels.ravel() if self._target_ndim == 1 else labels

    def decision_function(self, X):
        """The model's raw outputs for ``X`` (one column per class)."""
        return self._raw_predict(X)


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A scikit-learn regressor around a kerastorch model; ``score`` is the R² of its predictions.

    Args: as ``SKLBase``: ``model``, ``warm_start``, ``model_kwargs``, ``fit_kwargs``. A 1D target is given to the
    model as one column, and the predictions come back 1D.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A scikit-learn transformer around a kerastorch model: ``transform(X)`` is the fitted model's output.

    Args: as ``SKLBase``: ``model``, ``warm_start``, ``model_kwargs``, ``fit_kwargs``.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags

    def transform(self, X):
        """The fitted model's outputs for ``X``."""
        return self._raw_predict(X)
