"""CategoryEncoding: integer category indices as one-hot, multi-hot or count vectors."""
import torch

from kerastorch.layers.preprocessing.preprocessing_layer import (PreprocessingLayer, check_choice,
                                                                 encode_categorical, encoded_shape,
                                                                 standardize_output_mode)


class CategoryEncoding(PreprocessingLayer):
    """Encodes integer features in ``[0, num_tokens)`` as dense vectors.

    Args:
        num_tokens: the number of categories (the output's last dimension).
        output_mode: ``"one_hot"`` (one vector per index; a trailing axis of 1 is replaced), ``"multi_hot"``
            (one vector per sample: which categories occur) or ``"count"`` (how often).
        sparse: accepted for Keras compatibility; must be False.

    Call arguments:
        inputs: an integer tensor of indices.
        count_weights: for ``"count"``, a weight per index (the counts become sums of weights).

    Input shape: ``(batch,)`` or ``(batch, n)``.
    Output shape: ``(batch, num_tokens)`` (``(batch, n, num_tokens)`` for ``"one_hot"`` with ``n > 1``).
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        output_mode = standardize_output_mode(output_mode)
        check_choice(self.name, "output_mode", output_mode, ("one_hot", "multi_hot", "count"))
        if num_tokens is None:
            raise ValueError("The `num_tokens` argument must be specified when using CategoryEncoding.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("CategoryEncoding: `sparse=True` is not supported by kerastorch (torch backend).")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse

    def call(self, inputs, count_weights=None):
        if not isinstance(inputs, torch.Tensor):
            inputs = torch.as_tensor(inputs, device=self._output_device())
        return encode_categorical(inputs, self.output_mode, self.num_tokens, self.compute_dtype, count_weights)

    def compute_output_shape(self, input_shape):
        if self.output_mode != "one_hot" and not input_shape:
            return (self.num_tokens,)
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode,
                "sparse": self.sparse}

    def extra_repr(self):
        return f"num_tokens={self.num_tokens}, output_mode={self.output_mode!r}"
