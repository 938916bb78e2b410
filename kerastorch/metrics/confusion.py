"""Confusion-matrix metrics: true/false positive/negative counts at thresholds, Precision, Recall and AUC.

Every metric here counts, for each threshold t, the (weighted) samples whose prediction is above t, split by label.
Two ways to count give the same numbers as Keras:

- evenly spaced thresholds (AUC's 200 by default): each prediction falls in one bucket between two thresholds, a
  histogram of buckets is summed from the top, and the count at threshold i is every bucket at or above i. Cost:
  one scatter-add per batch, whatever the number of thresholds;
- any other thresholds (Precision's single 0.5, top_k, user lists): a direct comparison against each threshold.
"""
import numpy as np
import torch

from kerastorch import backend
from kerastorch.losses import _divide_no_nan, squeeze_or_expand_to_same_rank
from kerastorch.metrics.metric import Metric

# The score given to entries outside the top k, and the default threshold when top_k is set.
NEG_INF = -1e10

_CURVES = ("ROC", "PR", "PRGAIN")
_SUMMATION_METHODS = ("interpolation", "majoring", "minoring")


def _threshold_list(thresholds, default):
    """``thresholds`` (None, a number or a list) as a list of floats in [0, 1]."""
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    invalid = [t for t in values if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return [float(t) for t in values]


def _evenly_spaced(thresholds):
    """Whether the thresholds are 0, 1/(n-1), ..., 1 (n >= 3), so the bucketed count applies."""
    count = len(thresholds)
    if count < 3:
        return False
    return bool(np.allclose(thresholds, np.arange(count, dtype=np.float32) / (count - 1), atol=backend.epsilon()))


def _keep_top_k(y_pred, k):
    """``y_pred`` with every entry outside the k largest of its last axis replaced by NEG_INF."""
    top_k = y_pred.topk(k, dim=-1).indices
    in_top_k = torch.zeros_like(y_pred, dtype=torch.bool).scatter_(-1, top_k, True)
    return torch.where(in_top_k, y_pred, torch.full_like(y_pred, NEG_INF))


class ConfusionCounter:
    """Turns (labels, predictions, weights) into per-threshold confusion counts, as Keras's metrics_utils does.

    Args:
        thresholds: The thresholds as a Python list (a prediction counts as positive when strictly above).
        evenly_spaced: Use the bucketed count (valid only for evenly spaced thresholds, possibly with the two
            end points pushed just outside [0, 1]).
    """

    def __init__(self, thresholds, evenly_spaced):
        self.thresholds = thresholds
        self.evenly_spaced = evenly_spaced
        # Keras widens the end thresholds by epsilon so that predictions of exactly 0 and 1 land inside.
        self.with_epsilon = evenly_spaced and (thresholds[0] < 0.0 or thresholds[-1] > 1.0)

    def prepare(self, y_true, y_pred, sample_weight, top_k=None, class_id=None):
        """Align shapes, apply top_k and class_id, and broadcast the weights, as Keras does before counting."""
        y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
        if sample_weight is not None:
            _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight.unsqueeze(-1),
                                                              expand_rank_1=False)
        if top_k is not None:
            y_pred = _keep_top_k(y_pred, top_k)
        if class_id is not None:
            if y_pred.dim() == 1:
                raise ValueError(
                    "When class_id is provided, y_pred must be a 2D array with shape (num_samples, num_classes), "
                    f"found shape: {tuple(y_pred.shape)}")
            y_true = y_true[..., class_id, None]
            y_pred = y_pred[..., class_id, None]
        if sample_weight is not None:
            sample_weight = sample_weight.expand_as(y_pred)
        return y_true, y_pred, sample_weight

    def counts(self, y_true, y_pred, weights, thresholds_tensor, multi_label=False):
        """Per-threshold weighted counts ``(tp, fp, total_positive, total_negative)``.

        Args:
            y_true, y_pred: Float tensors of the same shape; any nonzero label is positive.
            weights: Float tensor of that shape, or None for weight 1.
            thresholds_tensor: The thresholds on the device (used by the direct count).
            multi_label: Count each label (last axis) separately: results are ``(thresholds, labels)`` instead of
                ``(thresholds,)``.

        Returns:
            tp and fp per threshold; total_positive and total_negative (per label when multi_label), from which
            fn = total_positive - tp and tn = total_negative - fp.
        """
        if multi_label:
            y_true, y_pred = y_true.reshape(-1, y_true.shape[-1]), y_pred.reshape(-1, y_pred.shape[-1])
        else:
            y_true, y_pred = y_true.reshape(-1, 1), y_pred.reshape(-1, 1)
        positive = y_true != 0
        weights = torch.ones_like(y_pred) if weights is None else weights.reshape(y_pred.shape)
        positive_weight = torch.where(positive, weights, torch.zeros_like(weights))
        negative_weight = weights - positive_weight
        if self.evenly_spaced:
            tp, fp = self._bucketed(y_pred, positive_weight, negative_weight)
        else:
            above = (y_pred.unsqueeze(0) > thresholds_tensor.view(-1, 1, 1)).to(weights.dtype)
            tp = torch.einsum("tnl,nl->tl", above, positive_weight)
            fp = torch.einsum("tnl,nl->tl", above, negative_weight)
        total_positive, total_negative = positive_weight.sum(0), negative_weight.sum(0)
        if not multi_label:
            tp, fp, total_positive, total_negative = tp[:, 0], fp[:, 0], total_positive[0], total_negative[0]
        return tp, fp, total_positive, total_negative

    def _bucketed(self, y_pred, positive_weight, negative_weight):
        num_thresholds = len(self.thresholds)
        num_labels = y_pred.shape[-1]
        # Bucket b holds predictions in (threshold[b], threshold[b+1]]; -1 means "not above any threshold".
        bucket = torch.ceil(y_pred.clamp(0.0, 1.0) * (num_thresholds - 1)) - 1
        if self.with_epsilon:
            bucket = bucket.clamp(min=0)
        # One flat histogram for all labels, with a leading overflow row for bucket -1 that is dropped.
        slot = ((bucket.long() + 1) * num_labels + torch.arange(num_labels, device=y_pred.device)).reshape(-1)
        histogram_size = (num_thresholds + 1) * num_labels

        def above_each_threshold(weight):
            histogram = torch.zeros(histogram_size, dtype=weight.dtype, device=weight.device)
            histogram.index_add_(0, slot, weight.reshape(-1))
            histogram = histogram.view(num_thresholds + 1, num_labels)[1:]
            return histogram.flip(0).cumsum(0).flip(0)

        return above_each_threshold(positive_weight), above_each_threshold(negative_weight)


class _ThresholdedMetric(Metric):
    """Shared machinery: thresholds, top_k, class_id and the count of the confusion conditions it keeps."""

    def __init__(self, thresholds, top_k, class_id, name, dtype):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _threshold_list(thresholds, default=0.5 if top_k is None else NEG_INF)
        self._counter = ConfusionCounter(self.thresholds, _evenly_spaced(self.thresholds))
        self._constants["thresholds"] = torch.tensor(self.thresholds, dtype=self._torch_dtype, device=self._device)

    def _count(self, y_true, y_pred, sample_weight):
        """Per-threshold ``(tp, fp, fn, tn)`` of this batch."""
        y_true = self._tensor(y_true, self._torch_dtype)
        y_pred = self._tensor(y_pred, self._torch_dtype)
        if sample_weight is not None:
            sample_weight = self._tensor(sample_weight, self._torch_dtype)
        y_true, y_pred, sample_weight = self._counter.prepare(y_true, y_pred, sample_weight, self.top_k,
                                                              self.class_id)
        tp, fp, positives, negatives = self._counter.counts(y_true, y_pred, sample_weight,
                                                            self._constants["thresholds"])
        return tp, fp, positives - tp, negatives - fp

    def _per_threshold(self, values):
        return values[0] if len(self.thresholds) == 1 else values

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class _ConditionCount(_ThresholdedMetric):
    condition = None  # index into (tp, fp, fn, tn)

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, None, None, name, dtype)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.accumulator.add_(self._count(y_true, y_pred, sample_weight)[self.condition])

    def result(self):
        return self._per_threshold(self.accumulator).detach().clone()


class TruePositives(_ConditionCount):
    """The (weighted) number of positive labels predicted above the threshold(s).

    Args:
        thresholds: A float or list of floats in [0, 1]; defaults to 0.5. One result per threshold.
        name: The metric's name. Defaults to ``'true_positives'``.
        dtype: The float type of the state and result.
    """

    condition = 0


class FalsePositives(_ConditionCount):
    """The (weighted) number of negative labels predicted above the threshold(s). Args as ``TruePositives``."""

    condition = 1


class FalseNegatives(_ConditionCount):
    """The (weighted) number of positive labels predicted at or below the threshold(s). Args as ``TruePositives``."""

    condition = 2


class TrueNegatives(_ConditionCount):
    """The (weighted) number of negative labels predicted at or below the threshold(s). Args as ``TruePositives``."""

    condition = 3


class _TruePositiveRatio(_ThresholdedMetric):
    """``true_positives / (true_positives + <other count>)``, per threshold: Precision's and Recall's shape."""

    other_count = None  # the attribute (and Keras variable name) of the second count
    other_condition = None  # its index in (tp, fp, fn, tn)

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)
        self._direction = "up"
        self.true_positives = self.add_variable(shape=(len(self.thresholds),), name="true_positives")
        setattr(self, self.other_count, self.add_variable(shape=(len(self.thresholds),), name=self.other_count))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = self._count(y_true, y_pred, sample_weight)
        self.true_positives.add_(counts[0])
        getattr(self, self.other_count).add_(counts[self.other_condition])

    def result(self):
        true_positives = self.true_positives
        return self._per_threshold(
            _divide_no_nan(true_positives, true_positives + getattr(self, self.other_count)))

    def get_config(self):
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


class Precision(_TruePositiveRatio):
    """``true_positives / (true_positives + false_positives)``: of the predicted positives, how many are right.

    Args:
        thresholds: A float or list of floats in [0, 1]: a prediction above it is positive. Defaults to 0.5
            (or, with ``top_k``, "any score in the top k"). A list gives one result per threshold.
        top_k: Only the k highest scores of each sample can be positive.
        class_id: Only this class (last axis index) is scored.
        name: The metric's name. Defaults to ``'precision'``.
        dtype: The float type of the state and result.
    """

    other_count = "false_positives"
    other_condition = 1


class Recall(_TruePositiveRatio):
    """``true_positives / (true_positives + false_negatives)``: of the actual positives, how many are found.

    Args: as ``Precision``; the name defaults to ``'recall'``.
    """

    other_count = "false_negatives"
    other_condition = 2


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from confusion counts at fixed thresholds.

    The counts are kept at ``num_thresholds`` thresholds spread over [0, 1]; the area is a Riemann sum over them
    (``summation_method``), or for PR with interpolation, Davis & Goadrich's interpolation between thresholds.

    Args:
        num_thresholds: How many thresholds (> 1). Defaults to 200.
        curve: ``'ROC'`` (the default), ``'PR'`` or ``'PRGAIN'``.
        summation_method: ``'interpolation'`` (the default), ``'majoring'`` or ``'minoring'``.
        name: The metric's name. Defaults to ``'auc'``.
        dtype: The float type of the state and result.
        thresholds: Explicit thresholds in [0, 1] (``num_thresholds`` becomes their count + 2).
        multi_label: Score each label (last axis) as its own binary problem and average the areas.
        num_labels: The number of labels when ``multi_label``; otherwise learned from the first batch.
        label_weights: Per-label weights: in the counts for single-label data, in the average for multi-label.
        from_logits: Whether ``y_pred`` holds logits (a sigmoid is applied first).
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.curve = _choice("curve", curve, _CURVES, str.upper)
        self.summation_method = _choice("summation_method", summation_method, _SUMMATION_METHODS, str.lower)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(_threshold_list(thresholds, default=0.5))
            self.num_thresholds = len(thresholds) + 2
            evenly_spaced = _evenly_spaced([0.0] + thresholds + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: "
                                 f"num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            evenly_spaced = True
        # End points just outside [0, 1], so predictions of exactly 0 or 1 fall inside the curve.
        self._thresholds = [0.0 - backend.epsilon()] + thresholds + [1.0 + backend.epsilon()]
        self._counter = ConfusionCounter(self._thresholds, evenly_spaced)
        self._constants["thresholds"] = torch.tensor(self._thresholds, dtype=self._torch_dtype, device=self._device)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(w) for w in label_weights]
        if label_weights is not None:
            self._constants["label_weights"] = torch.tensor(self.label_weights, dtype=self._torch_dtype,
                                                            device=self._device)
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build(num_labels)
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds, num_labels)
        self._num_labels = num_labels
        self.true_positives = self.add_variable(shape=shape, name="true_positives")
        self.false_positives = self.add_variable(shape=shape, name="false_positives")
        self.true_negatives = self.add_variable(shape=shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape=shape, name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = self._tensor(y_true, self._torch_dtype)
        y_pred = self._tensor(y_pred, self._torch_dtype)
        if not self._built:
            if y_pred.dim() != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {y_pred.dim()}. "
                                 f"Full shape received for `y_pred`: {tuple(y_pred.shape)}")
            self._build(y_pred.shape[1])
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        if sample_weight is not None:
            sample_weight = self._tensor(sample_weight, self._torch_dtype)
        y_true, y_pred, weights = self._counter.prepare(y_true, y_pred, sample_weight)
        # Single-label data folds the label weights into the counts; multi-label averages with them in result().
        label_weights = self._constants.get("label_weights")
        if label_weights is not None and not self.multi_label:
            weights = label_weights.expand_as(y_pred) if weights is None else weights * label_weights
        tp, fp, positives, negatives = self._counter.counts(y_true, y_pred, weights, self._constants["thresholds"],
                                                            multi_label=self.multi_label)
        self.true_positives.add_(tp)
        self.false_positives.add_(fp)
        self.false_negatives.add_(positives - tp)
        self.true_negatives.add_(negatives - fp)

    def _average_over_labels(self, per_threshold_terms):
        """Sum the area terms over thresholds; for multi-label, average the per-label areas."""
        if not self.multi_label:
            return per_threshold_terms.sum()
        by_label = per_threshold_terms.sum(0)
        label_weights = self._constants.get("label_weights")
        if label_weights is None:
            return by_label.mean()
        return _divide_no_nan((by_label * label_weights).sum(), label_weights.sum())

    def _interpolated_pr_auc(self):
        # Davis & Goadrich: between two thresholds precision varies along the line tp = slope * p + intercept
        # (p = predicted positives), which integrates in closed form.
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        predicted_positive = tp + fp
        delta_tp = tp[:-1] - tp[1:]
        delta_p = predicted_positive[:-1] - predicted_positive[1:]
        slope = _divide_no_nan(delta_tp, delta_p.clamp(min=0))
        intercept = tp[1:] - slope * predicted_positive[1:]
        both_positive = (predicted_positive[:-1] > 0) & (predicted_positive[1:] > 0)
        p_ratio = torch.where(both_positive,
                              _divide_no_nan(predicted_positive[:-1], predicted_positive[1:].clamp(min=0)),
                              torch.ones_like(predicted_positive[1:]))
        terms = _divide_no_nan(slope * (delta_tp + intercept * torch.log(p_ratio)), (tp[1:] + fn[1:]).clamp(min=0))
        return self._average_over_labels(terms)

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._torch_dtype, device=self._device)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_auc()
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:
            # Precision-recall gain (Flach & Kull), clipped as Keras clips it where the gains are undefined.
            scaling = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling * _divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling * _divide_no_nan(fp, tp)
            no_tp = tp == 0
            recall_gain = torch.where(no_tp, torch.zeros_like(recall_gain), recall_gain).clamp(min=0)
            precision_gain = torch.where(no_tp, torch.ones_like(precision_gain), precision_gain)
            x, y = recall_gain, precision_gain
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._average_over_labels((x[:-1] - x[1:]) * heights)

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "label_weights": self.label_weights,
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _choice(argument, value, choices, normalize):
    """``value`` normalized to one of ``choices``, or a ValueError naming the argument and the choices."""
    chosen = normalize(str(getattr(value, "value", value)))
    for choice in choices:
        if normalize(choice) == chosen:
            return choice
    raise ValueError(f"Invalid `{argument}` argument value {value!r}. Expected one of: {list(choices)}")
