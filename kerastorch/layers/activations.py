"""Activation layers: ReLU, LeakyReLU, ELU, Softmax (the layer forms of kerastorch.activations) and PReLU."""
import torch.nn.functional as F

from kerastorch import activations, constraints, initializers, regularizers
from kerastorch.layers.layer import InputSpec, Layer


class _ActivationLayer(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_ActivationLayer):
    """``max(x, 0)`` with Keras's options: values below ``threshold`` become ``negative_slope * (x - threshold)``
    and outputs are capped at ``max_value``."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("max_value", max_value), ("negative_slope", negative_slope)):
            if value is not None and value < 0:
                raise ValueError(f"`{name}` of a ReLU layer must be >= 0. Received: {name}={value}")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(_ActivationLayer):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below (Keras 2's ``alpha=`` is accepted)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"`negative_slope` of a LeakyReLU layer must be >= 0. Received: "
                             f"negative_slope={negative_slope}")
        self.negative_slope = negative_slope

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_ActivationLayer):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_ActivationLayer):
    """Softmax along ``axis`` (it keeps its logits, so a following crossentropy runs fused)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axes = axis if isinstance(axis, (list, tuple)) else (axis,)
        if not axes or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
            raise ValueError(f"Layer '{self.name}' (Softmax): `axis` must be an integer or a list of integers. "
                             f"Received: axis={axis!r}")
        self.axis = axis

    def call(self, inputs, mask=None):
        # A shape check in Python (no device work): torch's own error names neither the layer nor the argument.
        rank = inputs.ndim
        for axis in self.axis if isinstance(self.axis, (list, tuple)) else (self.axis,):
            if not -rank <= axis < rank:
                raise ValueError(f"Layer '{self.name}' (Softmax): `axis` is out of range for its input. Received: "
                                 f"axis={self.axis} for an input of rank {rank} (shape {tuple(inputs.shape)}); "
                                 f"expected an axis in [{-rank}, {rank - 1}].")
        if mask is not None:
            inputs = inputs.masked_fill(~mask.bool(), -1e9)
        return activations.softmax(inputs, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class PReLU(Layer):
    """A leaky ReLU whose negative slopes are learned: ``x`` for ``x >= 0``, ``alpha * x`` below.

    Args:
        alpha_initializer: initializer of ``alpha`` (default zeros: a plain ReLU at first).
        alpha_regularizer: a penalty on ``alpha``, added to ``losses``.
        alpha_constraint: applied to ``alpha`` after each optimizer step.
        shared_axes: the axes (1 = the first after the batch) along which one slope is shared, e.g. ``[1, 2]``
            for one slope per channel of ``(batch, height, width, channels)`` feature maps.

    Input and output shape: the same, any. Weights: ``alpha`` of the input's shape without the batch axis,
    with 1 on each shared axis.
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if any(isinstance(a, bool) or not isinstance(a, int) or a < 1 for a in self.shared_axes):
                raise ValueError(f"Layer '{self.name}' (PReLU): `shared_axes` must be positive axes (1 is the first "
                                 f"axis after the batch). Received: shared_axes={shared_axes!r}")

    def build(self, input_shape):
        rank = len(input_shape)
        alpha_shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if axis >= rank:
                raise ValueError(f"Layer '{self.name}' (PReLU): shared axis {axis} is out of range for inputs of "
                                 f"rank {rank} (shape {tuple(input_shape)}). Received: shared_axes={self.shared_axes}")
            alpha_shape[axis - 1] = 1
        if None in alpha_shape:
            raise ValueError(f"Layer '{self.name}' (PReLU): every non-shared axis of the input must be known. "
                             f"Received input shape {tuple(input_shape)}; share the unknown axes with `shared_axes`.")
        self.alpha = self.add_weight(name="alpha", shape=alpha_shape, initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        shared = set(self.shared_axes or ())
        self.input_spec = InputSpec(ndim=rank, axes={i: input_shape[i] for i in range(1, rank) if i not in shared})
        self.built = True

    def call(self, inputs):
        # Keras's formula, which gives its gradients at 0 as well.
        return F.relu(inputs) - self.alpha * F.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint), "shared_axes": self.shared_axes}
