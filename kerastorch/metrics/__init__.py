"""Metrics: Keras's metric classes and functions, with state kept on the device.

``get(identifier)`` turns a name, class, instance, function or config into a Metric; ``resolve(...)`` is what
``compile`` uses: it also picks the right accuracy / crossentropy for ``'accuracy'``, ``'acc'``, ``'crossentropy'``
and ``'ce'`` from the shapes of the labels and predictions, as Keras does.
"""
import inspect

from kerastorch import registry
from kerastorch._lookup import lookup
from kerastorch._porting import missing_attribute
from kerastorch.metrics.accuracy import (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy, accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from kerastorch.metrics.confusion import (
    AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives)
from kerastorch.global_state import to_snake_case
from kerastorch.metrics.metric import Metric, MetricVariable
from kerastorch.metrics.probabilistic import (
    BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, Hinge, KLDivergence, Poisson,
    SparseCategoricalCrossentropy, SquaredHinge)
from kerastorch.metrics.reduction import Mean, MeanMetricWrapper, Sum
from kerastorch.metrics.regression import (
    CosineSimilarity, LogCoshError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError,
    MeanSquaredLogarithmicError, RootMeanSquaredError, cosine_similarity)

# The per-sample loss functions Keras also exposes as metrics, under their Keras 3 and Keras 2 names.
from kerastorch.losses import (
    KLD, MAE, MAPE, MSE, MSLE, binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, categorical_hinge, hinge, huber, kl_divergence, kld, kullback_leibler_divergence,
    log_cosh, logcosh, mae, mape, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error, mse, msle, poisson, sparse_categorical_crossentropy, squared_hinge)

acc = accuracy  # Keras 2's alias


class _CrossentropyByShape(MeanMetricWrapper):
    """``'crossentropy'`` / ``'ce'`` given without shapes: binary, sparse or categorical, picked at the first batch."""

    def __init__(self, name="crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name=name, dtype=dtype)
        self._resolved = False
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self._resolved:
            self._fn = _by_shape(self._tensor(y_true), self._tensor(y_pred), binary_crossentropy,
                                 sparse_categorical_crossentropy, categorical_crossentropy)
            self._resolved = True
        return super().update_state(y_true, y_pred, sample_weight=sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


_CLASSES = (
    Metric, Mean, Sum, MeanMetricWrapper,
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError,
    AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives,
    Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
)

# Every string `get` understands: Keras 3's class names and their snake_case forms, its short aliases, and the
# Keras 2 names that tutorials still use. A value is a Metric class, or a function to wrap in MeanMetricWrapper.
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({
    "acc": Accuracy,
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    "kld": KLDivergence, "KLD": KLDivergence, "kullback_leibler_divergence": KLDivergence,
    "logcosh": LogCoshError, "log_cosh": LogCoshError,
    "crossentropy": _CrossentropyByShape, "ce": _CrossentropyByShape,
    "huber": huber,
    "binary_focal_crossentropy": binary_focal_crossentropy,
    "categorical_focal_crossentropy": categorical_focal_crossentropy,
})
# Abstract or argument-needing classes cannot be built from a bare name.
for _name in ("Metric", "metric", "MeanMetricWrapper", "mean_metric_wrapper"):
    del _BY_NAME[_name]

_LOSS_FUNCTIONS = (
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy, categorical_focal_crossentropy,
    categorical_hinge, hinge, huber, kl_divergence, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)

# Functions a MeanMetricWrapper config may name.
_FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy, cosine_similarity, *_LOSS_FUNCTIONS)}


for _name, _obj in {**_FUNCTIONS, **_BY_NAME, "Metric": Metric, "MeanMetricWrapper": MeanMetricWrapper}.items():
    registry.register_builtin(_obj, "metrics", names=(_name,))


def metric_function(name):
    """The per-sample metric function called ``name`` (for configs that name one)."""
    return lookup("metric function", name, _FUNCTIONS)


def _wrap_function(fn, name=None):
    wrapper = MeanMetricWrapper(fn, name=name or to_snake_case(getattr(fn, "__name__", type(fn).__name__)))
    if any(fn is loss for loss in _LOSS_FUNCTIONS):
        wrapper._direction = "down"  # a wrapped loss is minimized, as Keras marks it
    return wrapper


def serialize(metric):
    """A metric's config dict, as Keras 3 writes it: ``{"module", "class_name", "config", "registered_name"}``."""
    from kerastorch.saving import serialization
    return serialization.serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    """The metric a ``serialize`` dict describes; ``custom_objects`` maps extra class names to classes."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a metric config dict with 'class_name' and 'config'. Received: {config!r}")
    from kerastorch.saving import serialization
    return serialization.deserialize_keras_object(config, custom_objects, package="metrics")


def get(identifier):
    """The Metric an identifier stands for.

    Args:
        identifier: A metric name (``'accuracy'``, ``'mse'``, ``'AUC'``, ``'precision'``...), a Metric class or
            instance, a function ``fn(y_true, y_pred)`` (wrapped in a MeanMetricWrapper named after it), a config
            dict (``{"class_name": ..., "config": ...}``), or None.

    Returns:
        A Metric instance (an instance given is returned as is), or None for None.

    Raises:
        ValueError: for an unknown name (listing the valid ones, closest first) or anything else.
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        found = lookup("metric", identifier, _BY_NAME)
        return found() if inspect.isclass(found) else _wrap_function(found, name=identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return _wrap_function(identifier, name=getattr(identifier, "name", None))
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}. Expected a metric name, a Metric "
                     "class or instance, a function fn(y_true, y_pred) or a config dict.")


def _by_shape(y_true, y_pred, binary, sparse, categorical):
    """Keras's rule: one output unit is binary; labels of lower rank (or a single label column against several
    output units) are sparse; anything else is categorical."""
    true_shape, pred_shape = tuple(y_true.shape), tuple(y_pred.shape)
    if pred_shape and pred_shape[-1] == 1:
        return binary
    if len(true_shape) < len(pred_shape) or (true_shape and true_shape[-1] == 1 and pred_shape[-1] > 1):
        return sparse
    return categorical


def resolve(identifier, y_true, y_pred, loss=None):
    """The Metric ``compile`` builds for one entry of ``metrics=[...]``, given a batch's labels and predictions.

    ``'accuracy'``/``'acc'`` become BinaryAccuracy, SparseCategoricalAccuracy or CategoricalAccuracy, and
    ``'crossentropy'``/``'ce'`` the matching crossentropy, chosen from the shapes as Keras chooses (Keras 3 looks
    at the shapes alone; ``loss`` is accepted for the engine's convenience and does not change the choice). A
    string keeps its spelling as the metric's name (``'acc'`` logs as ``acc``, ``'mse'`` as ``mse``); a function
    is named after itself; a Metric instance keeps its name.

    Args:
        identifier: Anything ``get`` accepts.
        y_true: The labels of a batch (anything with ``.shape``).
        y_pred: The model's predictions for it.
        loss: The compiled loss for this output (unused, see above).

    Returns:
        A Metric instance.
    """
    if identifier is None:
        raise ValueError("Expected a metric, received None.")
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        return _by_shape(y_true, y_pred, BinaryAccuracy, SparseCategoricalAccuracy, CategoricalAccuracy)(
            name=identifier)
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        return _by_shape(y_true, y_pred, BinaryCrossentropy, SparseCategoricalCrossentropy,
                         CategoricalCrossentropy)(name=identifier)
    metric = get(identifier)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


__getattr__ = missing_attribute(__name__)
