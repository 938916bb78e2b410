"""Regression metrics: the running means of Keras's per-sample regression losses, RMSE and cosine similarity."""
from kerastorch import losses
from kerastorch.losses import squeeze_or_expand_to_same_rank
from kerastorch.metrics.reduction import Mean, MeanMetricWrapper


def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine of the angle between ``y_true`` and ``y_pred`` along ``axis``: 1 means the same direction.

    The loss of the same name is its negation (to be minimized); a zero vector gives 0.
    """
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


class LossMean(MeanMetricWrapper):
    """The running mean of a per-sample loss function; a metric to minimize."""

    loss_function = None
    default_name = None

    def __init__(self, name=None, dtype=None):
        super().__init__(type(self).loss_function, name=name or self.default_name, dtype=dtype)
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredError(LossMean):
    """The mean of ``(y_true - y_pred) ** 2``. Default name ``'mean_squared_error'``."""

    loss_function = staticmethod(losses.mean_squared_error)
    default_name = "mean_squared_error"


class MeanAbsoluteError(LossMean):
    """The mean of ``|y_true - y_pred|``. Default name ``'mean_absolute_error'``."""

    loss_function = staticmethod(losses.mean_absolute_error)
    default_name = "mean_absolute_error"


class MeanAbsolutePercentageError(LossMean):
    """The mean of ``100 * |y_true - y_pred| / |y_true|``. Default name ``'mean_absolute_percentage_error'``."""

    loss_function = staticmethod(losses.mean_absolute_percentage_error)
    default_name = "mean_absolute_percentage_error"


class MeanSquaredLogarithmicError(LossMean):
    """The mean of ``(log(1 + y_true) - log(1 + y_pred)) ** 2``. Default name ``'mean_squared_logarithmic_error'``."""

    loss_function = staticmethod(losses.mean_squared_logarithmic_error)
    default_name = "mean_squared_logarithmic_error"


class LogCoshError(LossMean):
    """The mean of ``log(cosh(y_pred - y_true))``. Default name ``'logcosh'``."""

    loss_function = staticmethod(losses.log_cosh)
    default_name = "logcosh"


class RootMeanSquaredError(Mean):
    """The square root of the (weighted) mean squared error over everything seen.

    Args:
        name: Defaults to ``'root_mean_squared_error'``.
        dtype: The float type of the state and result.
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = self._tensor(y_true, self._torch_dtype)
        y_pred = self._tensor(y_pred, self._torch_dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return super().update_state((y_pred - y_true).square(), sample_weight=sample_weight)

    def result(self):
        return super().result().sqrt()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine similarity between labels and predictions (a metric to maximize).

    Args:
        name: Defaults to ``'cosine_similarity'``.
        dtype: The float type of the state and result.
        axis: The axis holding the vectors. Defaults to -1.
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}
