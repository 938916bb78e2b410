"""Crossentropy, divergence and hinge metrics: running means of the matching Keras losses."""
from kerastorch import losses
from kerastorch.metrics.reduction import MeanMetricWrapper
from kerastorch.metrics.regression import LossMean


class KLDivergence(LossMean):
    """The mean Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))``. Default name ``'kl_divergence'``."""

    loss_function = staticmethod(losses.kl_divergence)
    default_name = "kl_divergence"


class Poisson(LossMean):
    """The mean Poisson loss ``y_pred - y_true * log(y_pred)``. Default name ``'poisson'``."""

    loss_function = staticmethod(losses.poisson)
    default_name = "poisson"


class Hinge(LossMean):
    """The mean hinge loss ``max(1 - y_true * y_pred, 0)`` for -1/1 (or 0/1) labels. Default name ``'hinge'``."""

    loss_function = staticmethod(losses.hinge)
    default_name = "hinge"


class SquaredHinge(LossMean):
    """The mean squared hinge loss. Default name ``'squared_hinge'``."""

    loss_function = staticmethod(losses.squared_hinge)
    default_name = "squared_hinge"


class CategoricalHinge(LossMean):
    """The mean categorical hinge loss. Default name ``'categorical_hinge'``."""

    loss_function = staticmethod(losses.categorical_hinge)
    default_name = "categorical_hinge"


class BinaryCrossentropy(MeanMetricWrapper):
    """The mean binary crossentropy, for 0/1 labels.

    Args:
        name: Defaults to ``'binary_crossentropy'``.
        dtype: The float type of the state and result.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: In [0, 1]; labels move towards 0.5 by this much.
    """

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(losses.binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean categorical crossentropy, for one-hot labels.

    Args:
        name: Defaults to ``'categorical_crossentropy'``.
        dtype: The float type of the state and result.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: In [0, 1]; labels move towards uniform by this much.
        axis: The class axis. Defaults to -1.
    """

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0, axis=-1):
        super().__init__(losses.categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean categorical crossentropy, for integer labels.

    Args:
        name: Defaults to ``'sparse_categorical_crossentropy'``.
        dtype: The float type of the state and result.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        ignore_class: A label value whose samples count with weight 0 (e.g. padding), or None.
        axis: The class axis. Defaults to -1.
    """

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, ignore_class=None,
                 axis=-1):
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "ignore_class": self.ignore_class, "axis": self.axis}
