"""Normalization: features shifted and scaled to zero mean and unit variance, from ``adapt`` or given values."""
import math

import numpy as np
import torch

from kerastorch import backend
from kerastorch.layers.preprocessing.preprocessing_layer import PreprocessingLayer


class Normalization(PreprocessingLayer):
    """``(x - mean) / sqrt(variance)`` per position of the kept ``axis`` (``invert=True`` undoes it).

    Args:
        axis: the axis (or axes) with their own mean and variance; the others are reduced by ``adapt``.
            ``None`` gives one mean and variance for everything.
        mean, variance: the statistics, instead of ``adapt`` (broadcast over the kept axes).
        invert: map normalized values back (``mean + x * sqrt(variance)``).

    Input shape: any, with the kept axes of a known size.
    Output shape: the input's.
    """

    _lists_are_batches = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.built = False
        if axis is None:
            axis = ()
        self.axis = (axis,) if isinstance(axis, int) else tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError(f"When setting values directly, both `mean` and `variance` must be set. Received: "
                             f"mean={mean} and variance={variance}")
        if mean is not None and np.shape(mean) != np.shape(variance):
            raise ValueError(f"When setting values directly, `mean` and `variance` must have the same shape. "
                             f"Received: mean shape {np.shape(mean)} and variance shape {np.shape(variance)}")
        if mean is not None and len(np.shape(mean)) > len(self.axis):
            raise ValueError(f"The rank of `mean` must be less than or equal to the number of axes "
                             f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis {self.axis}")
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        self._mean = None       # the statistics broadcast to the input's rank, as the call uses them
        self._variance = None
        self._adapt_total = None

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                             f"ndim={ndim}, while axis={self.axis}")
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for a in self._keep_axis:
            if input_shape[a] is None:
                raise ValueError(f"All `axis` values to be kept must have a known shape. Received axis={self.axis}, "
                                 f"inputs.shape={tuple(input_shape)}, with unknown axis at index {a}")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = [input_shape[d] if d in self._keep_axis else 1 for d in range(ndim)]
        self._statistics_shape = tuple(input_shape[d] for d in self._keep_axis)
        self._build_shapes = tuple(input_shape)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=self._statistics_shape, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=self._statistics_shape,
                                                  initializer="ones", trainable=False)
            # int32, as Keras makes it on torch (summaries count its bytes).
            self.count = self.add_weight(name="count", shape=(), dtype="int32", initializer="zeros",
                                         trainable=False)
        self.built = True
        self.finalize_state()

    def _given_statistics(self, value):
        value = torch.as_tensor(np.asarray(value), dtype=self._compute_torch_dtype, device=self._input_device())
        shape = [1] * len(self._broadcast_shape)
        for i in range(1, value.dim() + 1):
            shape[self._keep_axis[-i]] = value.shape[-i]
        return value.reshape(shape).expand(self._broadcast_shape)

    def finalize_state(self):
        if not self.built:
            return
        if self.input_mean is not None:
            self._mean = self._given_statistics(self.input_mean)
            self._variance = self._given_statistics(self.input_variance)
            return
        if self._adapt_total is not None:
            mean, var, count = self._adapt_total
            with torch.no_grad():
                self.adapt_mean.copy_(mean.to(self.adapt_mean.dtype))
                self.adapt_variance.copy_(var.to(self.adapt_variance.dtype))
                self.count.fill_(int(count))
            self._adapt_total = None
        self._mean = self.adapt_mean.detach().reshape(self._broadcast_shape).to(self._compute_torch_dtype)
        self._variance = self.adapt_variance.detach().reshape(self._broadcast_shape).to(self._compute_torch_dtype)

    def update_state(self, data):
        """Merge one batch's mean and variance into the running ones (Chan's parallel update)."""
        batch = torch.as_tensor(np.asarray(data) if not isinstance(data, torch.Tensor) else data,
                                dtype=torch.float64)
        if not self.built:
            self.build(tuple(batch.shape))
        for a in self._keep_axis:
            if batch.shape[a] != self._build_shapes[a]:
                raise ValueError(f"Layer '{self.name}' was built with input_shape={self._build_shapes}, but adapt() "
                                 f"is being called with data with an incompatible shape, "
                                 f"data.shape={tuple(batch.shape)}")
        axes = self._reduce_axis
        batch_mean = batch.mean(dim=axes) if axes else batch
        batch_var = batch.var(dim=axes, unbiased=False) if axes else torch.zeros_like(batch)
        batch_count = math.prod(batch.shape[d] for d in axes) if axes else 1
        if self._adapt_total is None:
            self._adapt_total = (batch_mean, batch_var, batch_count)
            return
        mean, var, count = self._adapt_total
        total = count + batch_count
        weight = batch_count / total
        new_mean = mean * (1 - weight) + batch_mean * weight
        new_var = (var + (mean - new_mean) ** 2) * (1 - weight) + (batch_var + (batch_mean - new_mean) ** 2) * weight
        self._adapt_total = (new_mean, new_var, total)

    def reset_state(self):
        self._adapt_total = None

    def call(self, inputs):
        if self._mean is None:
            raise ValueError(f"Layer '{self.name}': you must call `.build(input_shape)` (or `adapt`) on the layer "
                             f"before using it, or pass `mean` and `variance`.")
        if not inputs.is_floating_point():
            inputs = inputs.to(self._compute_torch_dtype)
        if self._mean.device != inputs.device:
            # Moved once (a model sent to another device), not at every call.
            self._mean, self._variance = self._mean.to(inputs.device), self._variance.to(inputs.device)
        mean, variance = self._mean, self._variance
        scale = torch.clamp(torch.sqrt(variance), min=backend.epsilon())
        if self.invert:
            return mean + inputs * scale
        return (inputs - mean) / scale

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, *args, **kwargs):
        return super(PreprocessingLayer, self).compute_output_spec(*args, **kwargs)

    def load_own_variables(self, store):
        super().load_own_variables(store)
        self.finalize_state()

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(), "variance": np.array(self.input_variance).tolist()}

    def extra_repr(self):
        return f"axis={self.axis}" + (", invert=True" if self.invert else "")
