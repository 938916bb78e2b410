"""IntegerLookup: integer tokens to contiguous indices (or back)."""
import numpy as np
import torch

from kerastorch.layers.preprocessing.hashing import fingerprint64_bins
from kerastorch.layers.preprocessing.index_lookup import IndexLookup


class IntegerLookup(IndexLookup):
    """Maps integers to indices of a vocabulary (given, or learned by ``adapt``).

    Args:
        max_tokens: the largest vocabulary size, special indices included (None: no limit).
        num_oov_indices: indices for values outside the vocabulary; with more than one, a value goes to
            ``value % num_oov_indices``.
        mask_token: a value for padding, given index 0 in ``"int"`` mode (None: no mask).
        oov_token: the value ``invert`` returns for OOV indices (default -1).
        vocabulary: a list, array, or the path of a text file with one value per line.
        idf_weights, invert, output_mode, pad_to_max_tokens, sparse: as StringLookup's.
        vocabulary_dtype: ``"int64"`` (the only one torch needs).

    Input: an integer tensor (or array). Output: an int64 tensor (encoded modes: floats).
    """

    _string_vocabulary = False

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, name=None, **kwargs):
        if vocabulary_dtype not in ("int64", "int32"):
            raise ValueError(f"IntegerLookup: `vocabulary_dtype` must be 'int64' or 'int32'. Received: "
                             f"vocabulary_dtype={vocabulary_dtype!r}")
        if max_tokens is not None and max_tokens <= 0:
            raise ValueError(f"If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. Received: "
                             f"max_tokens={max_tokens}")
        self.vocabulary_dtype = vocabulary_dtype
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, sparse=sparse, pad_to_max_tokens=pad_to_max_tokens, name=name,
                         **kwargs)

    def _prepare_inputs(self, inputs):
        if isinstance(inputs, torch.Tensor):
            return inputs.to(self._output_device()).long()
        return torch.as_tensor(np.asarray(inputs, dtype=np.int64), device=self._output_device())

    def _oov_indices(self, values):
        if self.oov_method == "farmhash":
            bins = fingerprint64_bins(values.cpu().numpy(), self.num_oov_indices)
            return torch.as_tensor(bins, device=values.device)
        return torch.remainder(values, self.num_oov_indices)

    def get_config(self):
        return {**super().get_config(), "vocabulary_dtype": self.vocabulary_dtype}
