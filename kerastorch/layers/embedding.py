"""Embedding: integer indices to dense vectors, one ``F.embedding`` lookup."""
import warnings

import torch
import torch.nn.functional as F

from kerastorch import constraints, initializers, regularizers
from kerastorch.layers._conv_utils import positive_int
from kerastorch.layers.layer import Layer

_INDEX_DTYPES = (torch.int32, torch.int64)


class Embedding(Layer):
    """Turns non-negative integer indices into dense vectors: row ``i`` of ``embeddings`` for index ``i``.

    Args:
        input_dim: the size of the vocabulary (the largest index plus one).
        output_dim: the size of each vector.
        embeddings_initializer: initializer of ``embeddings`` (default ``"uniform"``: uniform in [-0.05, 0.05]).
        embeddings_regularizer, activity_regularizer: penalties added to ``losses``.
        embeddings_constraint: applied after each optimizer step.
        mask_zero: index 0 is padding: the output carries the mask ``inputs != 0``, which the following layers
            (an LSTM, ``GlobalAveragePooling1D``, the loss and the metrics) honour. Index 0 is then no word, so
            ``input_dim`` is the vocabulary size plus one.
        weights: an initial ``(input_dim, output_dim)`` matrix (or a list holding it).
        input_length: Keras 2's fixed sequence length. Keras 3 warns and ignores it; here it also declares the
            input ``(None, input_length)`` of a Sequential model, as Keras 2 did, when no input shape is given.

    Input shape: ``(batch, ...)`` of integers (any int dtype; floats holding integers are truncated to int, as
        Keras casts them). Each index must lie in ``[0, input_dim)``: one outside is a ValueError naming it.
    Output shape: ``(batch, ..., output_dim)``.
    Weights: ``embeddings`` of shape ``(input_dim, output_dim)``.

    The range check costs nothing on the CPU: ``F.embedding`` checks there already, and its error is re-raised
    as a ValueError (the offending index is looked up only then). On an accelerator, where an out-of-range index
    is a device-side assert that kills the process's CUDA context, eager calls reduce the indices to their
    minimum and maximum once (one fused ``aminmax`` and one host sync per call); under ``torch.compile`` or
    tracing the check is skipped.

    >>> layer = Embedding(1000, 64, mask_zero=True)
    >>> out = layer(np.array([[4, 20, 0]]))
    >>> out.shape, out._keras_mask
    (torch.Size([1, 3, 64]), tensor([[ True,  True, False]]))
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 **kwargs):
        input_length = kwargs.pop("input_length", None)
        if input_length is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        if kwargs.pop("quantization_config", None) is not None:
            raise NotImplementedError("Embedding(quantization_config=...) is not supported by kerastorch.")
        super().__init__(**kwargs)
        self.input_dim = positive_int(input_dim, "input_dim", self)
        self.output_dim = positive_int(output_dim, "output_dim", self)
        if lora_rank:
            raise NotImplementedError("Embedding(lora_rank=...) is not supported by kerastorch yet.")
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        # Indices are never cast to the compute dtype (a float input is turned into indices in `call`).
        self.autocast = False
        self.input_length = input_length
        # Keras 2: `input_length` fixed the input of a Sequential model; the declaration is not part of the config.
        self._declared_by_input_length = input_length is not None and self._batch_input_shape is None
        if self._declared_by_input_length:
            self._batch_input_shape = (None, input_length)
        if weights is not None:
            self.build()
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1 else [weights])

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(name="embeddings", shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        if inputs.dtype not in _INDEX_DTYPES:
            inputs = inputs.to(torch.int32)
        if inputs.device.type != "cpu" and inputs.numel() and not torch.compiler.is_compiling() \
                and not torch.jit.is_tracing():
            low, high = torch.aminmax(inputs)
            if low < 0 or high >= self.input_dim:   # the one host sync of an accelerator's call
                self._raise_out_of_range(inputs)
        try:
            return F.embedding(inputs, self.embeddings)
        except IndexError:
            # The CPU kernel's own check; only a failing call pays for finding the index.
            self._raise_out_of_range(inputs)
            raise

    def _raise_out_of_range(self, inputs):
        bad = inputs[(inputs < 0) | (inputs >= self.input_dim)]
        index = int(bad[0]) if bad.numel() else None
        raise ValueError(f"Layer '{self.name}' (Embedding) received index {index}, which is out of range: indices "
                         f"must be in [0, input_dim) = [0, {self.input_dim}) (input_dim={self.input_dim}). "
                         f"{bad.numel()} of the {inputs.numel()} indices of the input (shape "
                         f"{tuple(inputs.shape)}) are out of range.")

    def compute_mask(self, inputs, previous_mask):
        if not self.mask_zero:
            return None
        return inputs != 0

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        config = super().get_config()
        if self._declared_by_input_length:
            config.pop("batch_input_shape", None)
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        })
        return config

    def extra_repr(self):
        extra = ", mask_zero=True" if self.mask_zero else ""
        return f"name={self.name!r}, input_dim={self.input_dim}, output_dim={self.output_dim}{extra}"
