"""Discretization: continuous features as the index of the bin they fall in."""
import numpy as np
import torch

from kerastorch.layers.preprocessing.preprocessing_layer import (PreprocessingLayer, check_choice,
                                                                 encode_categorical, encoded_shape)


def _summarize(values, epsilon):
    """A quantile summary of ``values``: about ``1 / epsilon`` evenly spaced order statistics (row 0) and the
    number of values each stands for (row 1)."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size * epsilon, 1)
    kept = values[int(step - 1)::int(step)]
    return np.stack([kept, np.full_like(kept, step)])


def _compress(summary, epsilon):
    """A summary re-sampled at cumulative-weight fractions ``epsilon, 2 epsilon, ..., 1`` (when it holds more
    points than that), so merged summaries stay small."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    cumulative_fraction = cumulative / cumulative[-1]
    points = np.interp(fractions, cumulative_fraction, summary[0])
    cumulative = np.interp(fractions, cumulative_fraction, cumulative)
    weights = np.diff(cumulative, prepend=0.0)
    return np.stack((points, weights)).astype("float32")


def _merge(first, second, epsilon):
    merged = np.concatenate((first, second), axis=1)
    return _compress(merged[:, np.argsort(merged[0])], epsilon)


class Discretization(PreprocessingLayer):
    """Buckets values by ``bin_boundaries`` (bin ``i`` holds ``boundaries[i-1] <= x < boundaries[i]``), or by
    ``num_bins`` quantile boundaries learned by ``adapt``.

    Args:
        bin_boundaries: the sorted boundaries (``len + 1`` bins).
        num_bins: the number of bins ``adapt`` computes boundaries for.
        epsilon: the error tolerance of ``adapt``'s quantiles (about ``1 / epsilon`` points are kept).
        output_mode: ``"int"`` (bin indices), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: accepted for Keras compatibility; must be False.

    Input shape: any. Output shape: the input's (``"int"``), else as CategoryEncoding's.
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 dtype=None, name=None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)
        check_choice(self.name, "output_mode", output_mode, ("int", "one_hot", "multi_hot", "count"))
        if sparse:
            raise ValueError("Discretization: `sparse=True` is not supported by kerastorch (torch backend).")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"Both `num_bins` and `bin_boundaries` should not be set. Received: "
                             f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self._boundaries = None
        self.reset_state()

    def adapt(self, data, batch_size=None, steps=None):
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with `bin_boundaries`, "
                             "use `num_bins` instead.")
        super().adapt(data, batch_size=batch_size, steps=steps)

    def update_state(self, data):
        data = data.detach().cpu().numpy() if isinstance(data, torch.Tensor) else np.asarray(data)
        self.summary = _merge(_summarize(data.astype("float32"), self.epsilon), self.summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is not None:
            self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()
            self._boundaries = None

    def reset_state(self):
        if self.num_bins is not None:
            self.summary = np.array([[], []], dtype="float32")

    def _output_dtype(self):
        return "int32" if self.output_mode == "int" else self.compute_dtype

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at construction time or call "
                             "`adapt(dataset)` before you can start using the `Discretization` layer.")
        if not isinstance(inputs, torch.Tensor):
            inputs = torch.as_tensor(np.asarray(inputs), device=self._output_device())
        if self._boundaries is None or self._boundaries.device != inputs.device:
            self._boundaries = torch.tensor(self.bin_boundaries, dtype=torch.float32, device=inputs.device)
        values = inputs if inputs.is_floating_point() else inputs.to(torch.float32)
        indices = torch.bucketize(values.to(self._boundaries.dtype), self._boundaries, right=True)
        if self.output_mode == "int":
            return indices.to(torch.int32)
        return encode_categorical(indices, self.output_mode, len(self.bin_boundaries) + 1, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        return encoded_shape(input_shape, self.output_mode, depth)

    def get_config(self):
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": self.sparse}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None) if config.get("num_bins") is not None else None
        layer = super().from_config(config)
        if boundaries is not None:
            layer.bin_boundaries = list(boundaries)
        return layer

    def extra_repr(self):
        return f"bin_boundaries={self.bin_boundaries}" if self.num_bins is None else f"num_bins={self.num_bins}"
