"""StringLookup: strings to integer indices (or back)."""
import numpy as np

from kerastorch.layers.preprocessing.hashing import fingerprint64_bins
from kerastorch.layers.preprocessing.index_lookup import IndexLookup
from kerastorch.layers.preprocessing.preprocessing_layer import host_array


class StringLookup(IndexLookup):
    """Maps strings to indices of a vocabulary (given, or learned by ``adapt``).

    Args:
        max_tokens: the largest vocabulary size, special indices included (None: no limit).
        num_oov_indices: indices for tokens outside the vocabulary (0: such tokens are an error).
        mask_token: a token for padding, given index 0 in ``"int"`` mode (None: no mask).
        oov_token: the token ``invert`` returns for OOV indices.
        vocabulary: a list, array, or the path of a text file with one token per line.
        idf_weights: for ``"tf_idf"`` with a given vocabulary, each token's weight.
        invert: map indices back to strings.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        pad_to_max_tokens: in the encoded modes, make the output ``max_tokens`` wide.
        sparse: not supported (torch backend).
        encoding: the encoding of byte strings.

    Strings come as numpy arrays or lists (host data); the output is an int64 tensor (encoded modes: floats), or
    with ``invert`` a numpy array of strings.
    """

    _string_vocabulary = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 encoding="utf-8", name=None, salt=None, **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, **kwargs)

    def _prepare_inputs(self, inputs):
        return host_array(inputs, self.encoding).astype(object)

    def _oov_indices(self, values):
        return fingerprint64_bins(np.asarray(values, dtype=object), self.num_oov_indices)

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}
