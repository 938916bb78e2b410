"""Activation layers: ReLU, LeakyReLU, ELU, Softmax (the layer forms of kerastorch.activations)."""
from kerastorch import activations
from kerastorch.layers.layer import Layer


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
