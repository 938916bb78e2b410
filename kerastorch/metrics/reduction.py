"""Mean, Sum and MeanMetricWrapper: the running (weighted) average or sum of per-sample values."""
import math

import torch

from kerastorch import backend
from kerastorch.losses import _divide_no_nan, squeeze_or_expand_to_same_rank
from kerastorch.metrics.metric import Metric


def weighted_samplewise_values(values, sample_weight, reduce, mask=None):
    """Keras's reduction of weighted values to one value (and one weight) per sample.

    Args:
        values: Float tensor, ``(batch, ...)``.
        sample_weight: Float tensor broadcastable to ``values`` after rank alignment.
        reduce: ``torch.mean`` or ``torch.sum``, applied over the axes after the batch axis.
        mask: Boolean tensor of entries to keep (a loss's ``_keras_mask``), or None.

    Returns:
        ``(values * weights, weights)``, both reduced to ``(batch,)`` (or scalars for scalar values).
    """
    if mask is not None:
        mask, sample_weight = squeeze_or_expand_to_same_rank(mask.to(sample_weight.dtype), sample_weight)
        sample_weight = sample_weight * mask
    values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
    if values.dim() > sample_weight.dim():
        values = reduce(values, dim=tuple(range(sample_weight.dim(), values.dim())))
    sample_weight = sample_weight.expand_as(values)
    values = values * sample_weight
    if sample_weight.dim() > 1:
        sample_weight = reduce(sample_weight, dim=tuple(range(1, sample_weight.dim())))
    if values.dim() > 1:
        values = reduce(values, dim=tuple(range(1, values.dim())))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the values seen.

    ``update_state([1, 3, 5, 7])`` gives 16; with ``sample_weight=[1, 1, 0, 0]`` it gives 4.

    Args:
        name: The metric's name. Defaults to ``'sum'``.
        dtype: The float type of the state and result.
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total")

    def update_state(self, values, sample_weight=None):
        values = self._tensor(values)
        if sample_weight is not None:
            values, _ = weighted_samplewise_values(
                values.to(self._torch_dtype), self._tensor(sample_weight, self._torch_dtype), torch.sum)
        self.total.add_(values.sum())

    def result(self):
        return self.total.detach().clone()


class Mean(Metric):
    """The (weighted) mean of the values seen.

    ``update_state([1, 3, 5, 7])`` gives 4; with ``sample_weight=[1, 1, 0, 0]`` it gives 2. Values with more than
    one axis are first averaged over the axes after the batch axis, so each sample counts once.

    Args:
        name: The metric's name. Defaults to ``'mean'``.
        dtype: The float type of the state and result.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total")
        self.count = self.add_variable(shape=(), name="count")

    def update_state(self, values, sample_weight=None):
        values = self._tensor(values)
        if sample_weight is None:
            # The fast path, taken every step without weights: one reduction and two in-place adds. Boolean
            # values (matches) sum exactly as integers; dividing by the per-sample size turns the sum of all
            # elements into the sum of per-sample means.
            batch_size = values.shape[0] if values.dim() else 1
            per_sample_size = math.prod(values.shape[1:])
            self.total.add_(values.sum(), alpha=1.0 / per_sample_size if per_sample_size > 1 else 1)
            self.count.add_(batch_size)
            return
        if isinstance(sample_weight, (int, float)) and values.dim() == 0:
            # The engine's loss tracker: one scalar per batch, weighted by the batch size (a host number, so no
            # host-to-device copy of a weight tensor each step).
            self.total.add_(values.to(self.total.dtype), alpha=float(sample_weight))
            self.count.add_(float(sample_weight))
            return
        # Entries a loss masked out (sparse crossentropy's ignore_class) weigh 0. As in Keras, the mask only
        # applies together with sample weights.
        mask = getattr(values, "_keras_mask", None)
        values, sample_weight = weighted_samplewise_values(
            values.to(self._torch_dtype), self._tensor(sample_weight, self._torch_dtype), torch.mean, mask)
        self.total.add_(values.sum())
        self.count.add_(sample_weight.sum())

    def result(self):
        # 0 before any weight has been seen; no host sync.
        return _divide_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The running mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: The function; it returns one value per sample (or per element, averaged per sample).
        name: The metric's name. Defaults to the snake-cased class name.
        dtype: The float type of the state and result.
        **kwargs: Passed on to ``fn`` at every call.

    Example:

    ```python
    def absolute_error(y_true, y_pred):
        return (y_true - y_pred).abs()

    metric = keras.metrics.MeanMetricWrapper(absolute_error, name="absolute_error")
    ```
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        if not callable(fn):
            raise ValueError(f"MeanMetricWrapper expects a callable `fn(y_true, y_pred)`. Received: fn={fn!r}")
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        # A mask on the predictions (a layer's output mask) weighs masked timesteps 0, as Keras folds it into the
        # sample weights: without weights the mask itself becomes them, so the mean is over unmasked entries.
        mask = backend.get_keras_mask(y_pred)
        values = self._fn(self._tensor(y_true), self._tensor(y_pred), **self._fn_kwargs)
        if mask is not None:
            mask = self._tensor(mask, self._torch_dtype)
            if sample_weight is None:
                sample_weight = mask
            else:
                mask, sample_weight = squeeze_or_expand_to_same_rank(
                    mask, self._tensor(sample_weight, self._torch_dtype))
                sample_weight = sample_weight * mask
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        fn_name = getattr(self._fn, "__name__", None)
        return {"name": self.name, "dtype": self.dtype, "fn": fn_name or self._fn, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), str):
            from kerastorch.metrics import metric_function  # the name -> function table lives with get()
            config["fn"] = metric_function(config["fn"])
        return cls(**config)
