"""Accuracy metrics: how often predictions match labels, as functions (one value per sample) and as classes.

Each function has a private twin returning booleans; the classes fold those straight into their state, so the
per-step cost of ``SparseCategoricalAccuracy`` is an argmax, a comparison, a sum and two in-place adds.
"""
import torch

from kerastorch import backend
from kerastorch.losses import squeeze_or_expand_to_same_rank
from kerastorch.metrics.reduction import MeanMetricWrapper


def _floatx(matches):
    return matches.to(backend.torch_dtype())


def _as_tensor(x, like=None):
    """``x`` as a tensor, on ``like``'s device when given."""
    if not isinstance(x, torch.Tensor):
        return torch.as_tensor(x, device=None if like is None else like.device)
    return x if like is None or x.device == like.device else x.to(like.device)


def _accuracy_matches(y_true, y_pred):
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_as_tensor(y_true, y_pred), y_pred)
    return y_true == y_pred


def _binary_matches(y_true, y_pred, threshold=0.5):
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_as_tensor(y_true, y_pred), y_pred)
    return (y_pred > threshold) == y_true


def _categorical_matches(y_true, y_pred):
    y_pred = _as_tensor(y_pred)
    y_true = _as_tensor(y_true, y_pred)
    if y_true.dtype == torch.bool:  # one-hot bool targets (Keras 2's examples): argmax has no bool kernel
        y_true = y_true.to(torch.uint8)
    true_class = y_true.argmax(-1)
    if true_class.dim() == y_pred.dim():
        # Labels one axis deeper than the predictions: compare per sample, keep the labels' shape.
        return (true_class.squeeze(-1) == y_pred.argmax(-1)).reshape(true_class.shape)
    return true_class == y_pred.argmax(-1)


def _sparse_categorical_matches(y_true, y_pred):
    y_pred = _as_tensor(y_pred)
    y_true = _as_tensor(y_true, y_pred)
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)  # (batch, 1) labels against (batch, classes) scores
    return y_pred.argmax(-1) == y_true


def _in_top_k(true_class, y_pred, k):
    """Whether each target's score is at least the k-th largest (ties count as hits, as in Keras)."""
    y_pred = y_pred.reshape(-1, y_pred.shape[-1]) if y_pred.dim() > 2 else y_pred
    k = min(k, y_pred.shape[-1])
    kth_largest = y_pred.topk(k, dim=-1).values[..., -1:]
    target_score = y_pred.gather(-1, true_class.reshape(-1, 1).long())
    return (target_score >= kth_largest).squeeze(-1)


def _top_k_matches(y_true, y_pred, k=5):
    y_pred = _as_tensor(y_pred)
    true_class = _as_tensor(y_true, y_pred).argmax(-1)
    return _in_top_k(true_class, y_pred, k).reshape(true_class.shape)


def _sparse_top_k_matches(y_true, y_pred, k=5, from_sorted_ids=False):
    y_pred = _as_tensor(y_pred)
    y_true = _as_tensor(y_true, y_pred)
    if from_sorted_ids:
        # y_pred holds the ids of the top categories, best first.
        hits = (y_true.reshape(-1, 1) == y_pred.reshape(-1, y_pred.shape[-1])[:, :k]).any(-1)
    else:
        hits = _in_top_k(y_true, y_pred, k)
    return hits.reshape(y_true.shape)


def accuracy(y_true, y_pred):
    """1.0 where ``y_pred`` equals ``y_true`` exactly, else 0.0."""
    return _floatx(_accuracy_matches(y_true, y_pred))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``y_pred > threshold`` agrees with the 0/1 label ``y_true``."""
    return _floatx(_binary_matches(y_true, y_pred, threshold))


def categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of ``y_pred`` is the argmax of the one-hot ``y_true``."""
    return _floatx(_categorical_matches(y_true, y_pred))


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of ``y_pred`` equals the integer label ``y_true``."""
    matches = _floatx(_sparse_categorical_matches(y_true, y_pred))
    return matches.squeeze(-1) if matches.dim() > 1 and matches.shape[-1] == 1 else matches


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot target is among the ``k`` highest scores of ``y_pred``."""
    return _floatx(_top_k_matches(y_true, y_pred, k))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer target is among the ``k`` highest scores (or the first ``k`` ids) of ``y_pred``."""
    return _floatx(_sparse_top_k_matches(y_true, y_pred, k, from_sorted_ids))


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly.

    Args:
        name: Defaults to ``'accuracy'``.
        dtype: The float type of the state and result.
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(_accuracy_matches, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels.

    Args:
        name: Defaults to ``'binary_accuracy'``.
        dtype: The float type of the state and result.
        threshold: A prediction above it counts as 1.
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(_binary_matches, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the predictions matches the one-hot labels' argmax.

    Args:
        name: Defaults to ``'categorical_accuracy'``.
        dtype: The float type of the state and result.
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(_categorical_matches, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the predictions matches integer labels.

    Args:
        name: Defaults to ``'sparse_categorical_accuracy'``.
        dtype: The float type of the state and result.
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(_sparse_categorical_matches, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target is among the ``k`` highest predictions.

    Args:
        k: How many of the top predictions count. Defaults to 5.
        name: Defaults to ``'top_k_categorical_accuracy'``.
        dtype: The float type of the state and result.
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(_top_k_matches, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target is among the ``k`` highest predictions.

    Args:
        k: How many of the top predictions count. Defaults to 5.
        name: Defaults to ``'sparse_top_k_categorical_accuracy'``.
        dtype: The float type of the state and result.
        from_sorted_ids: ``y_pred`` holds category ids sorted best first instead of one score per category.
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(_sparse_top_k_matches, name=name, dtype=dtype, k=k, from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids
        self._direction = "up"

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
