"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization and UnitNormalization.
Also the Keras 2 import path ``keras.layers.normalization``.

Each runs on torch's fused kernel (``F.batch_norm``, ``F.layer_norm``, ``F.group_norm``) over a view of the input
that puts the normalized axis where the kernel expects it, so channels_last images need no copy.
"""
import torch
import torch.nn.functional as F

from kerastorch import backend, constraints, initializers, regularizers
from kerastorch.layers.layer import InputSpec, Layer
from kerastorch._porting import missing_attribute


def _axis_error(layer, axis, input_shape):
    return ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): axis {axis} is out of bounds for inputs of "
                      f"shape {tuple(input_shape)} (rank {len(input_shape)}). Received: axis={axis}")


def _same_shape_if_axes_fit(layer, input_shape):
    """The output shape of a normalization (the input's), after checking ``layer.axis`` fits the rank."""
    for axis in layer.axis if isinstance(layer.axis, list) else [layer.axis]:
        if not -len(input_shape) <= axis < len(input_shape):
            raise _axis_error(layer, layer.axis, input_shape)
    return input_shape


def _canonical_axes(layer, axis, input_shape):
    """``axis`` (an int or a list of ints, negative allowed) as a sorted list of non-negative axes, each defined."""
    ndim = len(input_shape)
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    if not axes or any(not isinstance(a, int) or isinstance(a, bool) or not -ndim <= a < ndim for a in axes):
        raise _axis_error(layer, axis, input_shape)
    axes = sorted({a % ndim for a in axes})
    if 0 in axes and ndim > 1:
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}) cannot normalize along the batch axis 0. "
                         f"Received: axis={axis} for inputs of shape {tuple(input_shape)}")
    undefined = [a for a in axes if input_shape[a] is None]
    if undefined:
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): axis {undefined[0]} of the inputs must "
                         f"have a defined dimension. Received input shape {tuple(input_shape)}")
    return axes


def _set_offset_and_scale(layer, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                          gamma_regularizer, beta_constraint, gamma_constraint):
    """Store the arguments of the learned offset ``beta`` and scale ``gamma`` on ``layer``."""
    layer.center = center
    layer.scale = scale
    layer.beta_initializer = initializers.get(beta_initializer)
    layer.gamma_initializer = initializers.get(gamma_initializer)
    layer.beta_regularizer = regularizers.get(beta_regularizer)
    layer.gamma_regularizer = regularizers.get(gamma_regularizer)
    layer.beta_constraint = constraints.get(beta_constraint)
    layer.gamma_constraint = constraints.get(gamma_constraint)


def _offset_and_scale_config(layer):
    return {
        "center": layer.center,
        "scale": layer.scale,
        "beta_initializer": initializers.serialize(layer.beta_initializer),
        "gamma_initializer": initializers.serialize(layer.gamma_initializer),
        "beta_regularizer": regularizers.serialize(layer.beta_regularizer),
        "gamma_regularizer": regularizers.serialize(layer.gamma_regularizer),
        "beta_constraint": constraints.serialize(layer.beta_constraint),
        "gamma_constraint": constraints.serialize(layer.gamma_constraint),
    }


def _add_gamma_and_beta(layer, shape, scale, center):
    """Create ``gamma`` (when ``scale``) and ``beta`` (when ``center``) of ``shape``; the other is None."""
    layer.gamma = layer.add_weight(name="gamma", shape=shape, initializer=layer.gamma_initializer,
                                   regularizer=layer.gamma_regularizer, constraint=layer.gamma_constraint) \
        if scale else None
    layer.beta = layer.add_weight(name="beta", shape=shape, initializer=layer.beta_initializer,
                                  regularizer=layer.beta_regularizer, constraint=layer.beta_constraint) \
        if center else None


class BatchNormalization(Layer):
    """Normalizes each feature along ``axis`` with the batch's statistics during training and with moving
    averages of them at inference: ``gamma * (x - mean) / sqrt(variance + epsilon) + beta``.

    In training (``fit``, or ``training=True``) the batch's mean and (biased) variance are used, and the moving
    statistics become ``moving * momentum + batch * (1 - momentum)``, as in Keras. Outside training, or when the
    layer is frozen (``trainable=False``, as in Keras 3), the moving statistics are used and left unchanged.

    Args:
        axis: the features axis (default -1; negative values count from the end). ``axis=1`` normalizes the
            channels of channels_first images, or the second axis of any input.
        momentum: the moving averages' momentum (default 0.99).
        epsilon: added to the variance (default 1e-3).
        center: whether to add the learned offset ``beta``.
        scale: whether to multiply by the learned ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer: initializers
            (default zeros, ones, zeros, ones).
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: for ``beta`` and ``gamma``.
        synchronized: Keras's cross-replica statistics; only False is supported (as in Keras on torch).

    Input and output shape: the same, any rank >= 2.
    Weights: ``gamma``, ``beta`` (trainable), ``moving_mean``, ``moving_variance`` (non-trainable buffers), each
    of shape ``(input_shape[axis],)``.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, list) and len(axis) == 1:
            axis = axis[0]   # Keras 2 saved a built layer's axis as a one-element list
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(f"Layer '{self.name}' (BatchNormalization): `axis` must be an integer. "
                             f"Received: axis={axis!r}")
        if synchronized:
            raise ValueError("Argument synchronized=True is only supported with the TensorFlow backend.")
        if renorm:
            raise NotImplementedError("BatchNormalization(renorm=True) is not supported by kerastorch yet.")
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"Layer '{self.name}' (BatchNormalization): `momentum` must be a number in [0, 1] "
                             f"(the weight of the old moving statistics). Received: momentum={momentum!r}")
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        _set_offset_and_scale(self, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                              gamma_regularizer, beta_constraint, gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.synchronized = synchronized
        self.renorm = renorm
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"Layer '{self.name}' (BatchNormalization) expects inputs of rank >= 2. Received input "
                             f"shape {tuple(input_shape)}")
        (self._axis,) = _canonical_axes(self, self.axis, input_shape)
        shape = (input_shape[self._axis],)
        _add_gamma_and_beta(self, shape, self.scale, self.center)
        self.moving_mean = self.add_weight(name="moving_mean", shape=shape,
                                           initializer=self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=shape,
                                               initializer=self.moving_variance_initializer, trainable=False)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: shape[0]})
        self.built = True

    def call(self, inputs, training=None, mask=None):
        # F.batch_norm normalizes axis 1: a view with the features there (for NHWC, NCHW with channels_last
        # strides).
        x = inputs if self._axis == 1 else inputs.movedim(self._axis, 1)
        if not (training and self.trainable):
            outputs = F.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta, False, 0.0,
                                   self.epsilon)
            return outputs if self._axis == 1 else outputs.movedim(1, self._axis)
        count = x.numel() // x.shape[1]
        if mask is not None or count < 2:
            mean, variance = self._moments(inputs, mask)
            outputs = self._normalize(inputs, mean, variance)
        else:
            # The fused kernel with momentum 1 leaves the batch's mean and unbiased variance in the tensors given
            # as running statistics; Keras's moving average uses the biased variance.
            mean = torch.zeros_like(self.moving_mean)
            variance = torch.ones_like(self.moving_variance)
            outputs = F.batch_norm(x, mean, variance, self.gamma, self.beta, True, 1.0, self.epsilon)
            outputs = outputs if self._axis == 1 else outputs.movedim(1, self._axis)
            variance = variance * ((count - 1) / count)
        with torch.no_grad():
            self.moving_mean.mul_(self.momentum).add_(mean.detach() * (1.0 - self.momentum))
            self.moving_variance.mul_(self.momentum).add_(variance.detach() * (1.0 - self.momentum))
        return outputs

    def _moments(self, inputs, mask):
        """The batch's mean and biased variance per feature, over the unmasked positions when ``mask`` (the
        inputs' shape without the last axis) is given."""
        axes = [d for d in range(inputs.dim()) if d != self._axis]
        if mask is None:
            variance, mean = torch.var_mean(inputs, dim=axes, correction=0)
            return mean, variance
        weights = mask.unsqueeze(-1).to(inputs.dtype).expand_as(inputs)
        total = weights.sum(dim=axes, keepdim=True) + backend.epsilon()
        mean = (inputs * weights).sum(dim=axes, keepdim=True) / total
        variance = (((inputs - mean) * weights) ** 2).sum(dim=axes, keepdim=True) / total
        return mean.flatten(), variance.flatten()

    def _normalize(self, inputs, mean, variance):
        shape = [1] * inputs.dim()
        shape[self._axis] = -1
        scale = torch.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            scale = scale * self.gamma
        outputs = (inputs - mean.view(shape)) * scale.view(shape)
        return outputs + self.beta.view(shape) if self.beta is not None else outputs

    def compute_output_shape(self, input_shape):
        return _same_shape_if_axes_fit(self, input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            **_offset_and_scale_config(self),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }

    def extra_repr(self):
        return f"name={self.name!r}, axis={self.axis}, momentum={self.momentum}, epsilon={self.epsilon}"


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` (default the last): ``gamma * (x - mean) / sqrt(variance + epsilon)
    + beta``, with the mean and variance of that sample, in training and inference alike.

    Args:
        axis: an int or a list of ints, the axes to normalize over (negative values count from the end).
        epsilon: added to the variance (default 1e-3).
        center, scale: whether to learn ``beta`` and ``gamma``.
        rms_scaling: Keras's deprecated option: scale by the variance only (no centering, no ``beta``).
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer, beta_constraint,
            gamma_constraint: for ``beta`` and ``gamma``.

    Input and output shape: the same, any. Weights: ``gamma`` and ``beta`` of the normalized axes' shape.
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, rms_scaling=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, (int, list, tuple)) or isinstance(axis, bool):
            raise ValueError(f"Layer '{self.name}' (LayerNormalization): `axis` must be an int or a list of ints. "
                             f"Received: axis={axis!r}")
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.epsilon = epsilon
        self.rms_scaling = rms_scaling
        _set_offset_and_scale(self, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                              gamma_regularizer, beta_constraint, gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        self._axes = _canonical_axes(self, self.axis, input_shape)
        # As Keras: from here on the configuration lists the axes, sorted.
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        self._normalized_shape = tuple(input_shape[a] for a in self._axes)
        _add_gamma_and_beta(self, self._normalized_shape, self.scale or self.rms_scaling,
                            self.center and not self.rms_scaling)
        self.built = True

    def call(self, inputs):
        ndim = inputs.dim()
        trailing = list(range(ndim - len(self._axes), ndim))
        # F.layer_norm normalizes the last axes: a view that moves the normalized axes there, in order.
        x = inputs if self._axes == trailing else inputs.movedim(self._axes, trailing)
        if self.rms_scaling:
            variance = torch.var(x, dim=trailing, correction=0, keepdim=True)
            outputs = x * torch.rsqrt(variance + self.epsilon)
            outputs = outputs * self.gamma if self.gamma is not None else outputs
        else:
            outputs = F.layer_norm(x, self._normalized_shape, self.gamma, self.beta, self.epsilon)
        return outputs if self._axes == trailing else outputs.movedim(trailing, self._axes)

    def compute_output_shape(self, input_shape):
        return _same_shape_if_axes_fit(self, input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "rms_scaling": self.rms_scaling,
            **_offset_and_scale_config(self),
        }

    def extra_repr(self):
        return f"name={self.name!r}, axis={self.axis}, epsilon={self.epsilon}"


class GroupNormalization(Layer):
    """Splits the channels (``axis``) into ``groups`` groups and normalizes each sample's group over its
    channels and all other non-batch axes: ``gamma * (x - mean) / sqrt(variance + epsilon) + beta``.
    ``groups=-1`` (one channel per group) is instance normalization; ``groups=1`` is layer normalization over
    everything.

    Args:
        groups: the number of groups (default 32); it must divide the number of channels.
        axis: the channels axis (default -1).
        epsilon: added to the variance (default 1e-3).
        center, scale: whether to learn ``beta`` and ``gamma`` (one per channel).
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer, beta_constraint,
            gamma_constraint: for ``beta`` and ``gamma``.

    Input and output shape: the same, any rank >= 2.
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(groups, int) or isinstance(groups, bool) or (groups <= 0 and groups != -1):
            raise ValueError(f"Layer '{self.name}' (GroupNormalization): invalid value for argument `groups`, "
                             f"expected a positive integer (or -1 for instance normalization). Received: "
                             f"groups={groups!r}")
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        _set_offset_and_scale(self, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                              gamma_regularizer, beta_constraint, gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        (self._axis,) = _canonical_axes(self, self.axis, input_shape)
        channels = input_shape[self._axis]
        if self.groups == -1:
            self.groups = channels  # as Keras, whose configuration then shows the number of groups
        if channels < self.groups or channels % self.groups:
            raise ValueError(f"Layer '{self.name}' (GroupNormalization): the number of groups ({self.groups}) must "
                             f"divide the number of channels ({channels}) on axis {self.axis}. Received input shape "
                             f"{tuple(input_shape)}")
        _add_gamma_and_beta(self, (channels,), self.scale, self.center)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: channels})
        self.built = True

    def call(self, inputs):
        # F.group_norm takes the channels on axis 1, groups of consecutive channels as Keras makes them.
        x = inputs if self._axis == 1 else inputs.movedim(self._axis, 1)
        outputs = F.group_norm(x, self.groups, self.gamma, self.beta, self.epsilon)
        return outputs if self._axis == 1 else outputs.movedim(1, self._axis)

    def compute_output_shape(self, input_shape):
        return _same_shape_if_axes_fit(self, input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            **_offset_and_scale_config(self),
        }

    def extra_repr(self):
        return f"name={self.name!r}, groups={self.groups}, axis={self.axis}, epsilon={self.epsilon}"


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis``: ``x / sqrt(sum(x ** 2))`` (the inverse norm capped at
    1e12, so an all-zero sample stays zero).

    Args:
        axis: an int or a list of ints (default -1).

    Input and output shape: the same, any.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, (int, list, tuple)) or isinstance(axis, bool):
            raise ValueError(f"Layer '{self.name}' (UnitNormalization): `axis` must be an int or a list of ints. "
                             f"Received: axis={axis!r}")
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        inverse_norm = torch.rsqrt(torch.sum(inputs * inputs, dim=self.axis, keepdim=True))
        return inputs * torch.clamp(inverse_norm, max=1e12)

    def compute_output_shape(self, input_shape):
        return _same_shape_if_axes_fit(self, input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}

    def extra_repr(self):
        return f"name={self.name!r}, axis={self.axis}"


__all__ = ["BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization"]


__getattr__ = missing_attribute(__name__)
