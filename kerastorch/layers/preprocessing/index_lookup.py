"""The shared machinery of StringLookup and IntegerLookup: a vocabulary of tokens mapped to indices.

Index layout (Keras's): ``[mask token (int output only)] + [OOV indices] + vocabulary``. Lookups are vectorised:
the vocabulary is kept sorted once, and a whole batch is looked up with one ``searchsorted`` (numpy for host
strings, torch on the device for integers).
"""
import collections
import os

import numpy as np
import torch

from kerastorch import backend
from kerastorch.layers.preprocessing.preprocessing_layer import (OUTPUT_MODES, PreprocessingLayer, check_choice,
                                                                 encode_categorical, encoded_shape, host_array,
                                                                 standardize_output_mode)

_INT64_MAX = torch.iinfo(torch.int64).max


class _SortedTable:
    """``tokens`` (unique) and their positions, searchable for a whole array at once."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.order = np.argsort(tokens, kind="stable")
        self.sorted = tokens[self.order]
        self._device_tables = {}

    def positions(self, values):
        """The position in ``tokens`` of each value, -1 where absent (a numpy array or a torch tensor)."""
        if isinstance(values, torch.Tensor):
            table = self._device_tables.get(values.device)
            if table is None:
                table = (torch.as_tensor(self.sorted.astype(np.int64), device=values.device),
                         torch.as_tensor(self.order, dtype=torch.int64, device=values.device))
                self._device_tables[values.device] = table
            ordered, order = table
            if ordered.numel() == 0:
                return torch.full(values.shape, -1, dtype=torch.int64, device=values.device)
            where = torch.searchsorted(ordered, values.long()).clamp(max=ordered.numel() - 1)
            return torch.where(ordered[where] == values, order[where], -1)
        if self.sorted.size == 0:
            return np.full(values.shape, -1, dtype=np.int64)
        where = np.searchsorted(self.sorted, values).clip(max=self.sorted.size - 1)
        return np.where(self.sorted[where] == values, self.order[where], -1)


class IndexLookup(PreprocessingLayer):
    """Tokens to indices (or back, with ``invert``), as StringLookup and IntegerLookup describe."""

    _string_vocabulary = True
    # The tf-idf weights saved in a file are as long as its vocabulary (kerastorch.saving reads them as stored).
    _state_sized_by_file = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None, vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, **kwargs):
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        super().__init__(**kwargs)
        output_mode = standardize_output_mode(output_mode)
        check_choice(self.name, "output_mode", output_mode, OUTPUT_MODES)
        check_choice(self.name, "oov_method", oov_method, ("floormod", "farmhash"))
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"If pad_to_max_tokens is True, must set `max_tokens`. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"`num_oov_indices` must be greater than or equal to 0. Received: "
                             f"num_oov_indices={num_oov_indices}")
        if invert and output_mode != "int":
            raise ValueError(f"`output_mode` must be `'int'` when `invert` is true. Received: "
                             f"output_mode={output_mode}")
        if sparse:
            raise ValueError(f"Layer {self.name}: `sparse=True` is not supported by kerastorch (torch backend).")
        if salt is not None:
            raise ValueError(f"Layer {self.name}: `salt` (SipHash OOV buckets) is not supported by kerastorch; the "
                             f"default FarmHash (salt=None) is. Received: salt={salt}")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"`idf_weights` should only be set if `output_mode` is `'tf_idf'`. Received: "
                             f"idf_weights={idf_weights} and output_mode={output_mode}")
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError("When specifying the `vocabulary` argument, in TF-IDF output mode, the `idf_weights` "
                             "argument must also be provided.")
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = invert
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.oov_method = oov_method
        self.salt = salt
        self.input_vocabulary = vocabulary
        self.input_idf_weights = idf_weights
        self._frozen_vocab_size = vocabulary_size
        self._tokens = None          # the learned or given vocabulary, without the special tokens
        self.idf_weights = None
        self.reset_state()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ---- the index space -------------------------------------------------------------------------------------

    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self):
        """The number of indices, special ones included."""
        return self._token_start_index() + (0 if self._tokens is None else len(self._tokens))

    def get_vocabulary(self, include_special_tokens=True):
        """The token of each index (the mask and OOV tokens first unless ``include_special_tokens=False``)."""
        tokens = [] if self._tokens is None else self._tokens.tolist()
        if not include_special_tokens:
            return tokens
        return [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices + tokens

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    # ---- setting the vocabulary ------------------------------------------------------------------------------

    def _as_tokens(self, values):
        array = host_array(values)
        return array.astype(object) if self._string_vocabulary else array.astype(np.int64)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Use ``vocabulary`` (a list, an array, or the path of a file with one token per line); in
        ``"tf_idf"`` mode ``idf_weights`` gives each token's weight."""
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"`idf_weights` should only be set if output_mode is `'tf_idf'`. Received: "
                             f"output_mode={self.output_mode} and idf_weights={idf_weights}")
        if isinstance(vocabulary, str):
            with open(vocabulary, encoding="utf-8") as file:
                lines = file.read().splitlines()
            vocabulary = lines if self._string_vocabulary else [int(line) for line in lines if line]
        vocabulary = self._as_tokens(vocabulary)
        if vocabulary.ndim != 1:
            raise ValueError(f"Layer {self.name}: the vocabulary must be 1D. Received: shape {vocabulary.shape}")
        if vocabulary.size == 0:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary.tolist()}")
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        tokens = vocabulary[token_start:] if vocabulary[:token_start].tolist() == special else vocabulary
        repeated = [t for t, c in collections.Counter(tokens.tolist()).items() if c > 1]
        if repeated:
            raise ValueError(f"The passed vocabulary has at least one repeated term. Please uniquify your dataset. "
                             f"The repeated terms are: {repeated}")
        for token, role, applies in ((self.mask_token, "mask", True), (self.oov_token, "OOV", self.invert)):
            if token is not None and applies and token in tokens.tolist():
                raise ValueError(f"Found reserved {role} token at unexpected location in `vocabulary`. Note that "
                                 f"passed `vocabulary` does not need to include the OOV and mask tokens. Either "
                                 f"remove all mask and OOV tokens, or include them only at the start of the "
                                 f"vocabulary in precisely this order: {special}. Received: {role} token={token!r}")
        if self.max_tokens is not None and token_start + len(tokens) > self.max_tokens:
            raise ValueError(f"Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary "
                             f"size is {token_start + len(tokens)}; `max_tokens` is {self.max_tokens}.")
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            idf_weights = np.asarray(host_array(idf_weights), dtype=np.float64)
            if len(idf_weights) != len(vocabulary):
                raise ValueError(f"`idf_weights` must be the same length as vocabulary. len(idf_weights) is "
                                 f"{len(idf_weights)}; len(vocabulary) is {len(vocabulary)}")
            if len(vocabulary) == len(tokens) and token_start:
                # No document frequencies for the special indices: they get the average weight.
                idf_weights = np.concatenate([np.full(token_start, idf_weights.mean()), idf_weights])
            self._set_idf_weights(idf_weights)

    def _set_tokens(self, tokens):
        self._tokens = tokens
        self._table = _SortedTable(tokens)
        self._all_tokens = None

    def _set_idf_weights(self, idf_weights):
        if self.pad_to_max_tokens and self.max_tokens is not None and len(idf_weights) < self.max_tokens:
            idf_weights = np.pad(idf_weights, (0, self.max_tokens - len(idf_weights)))
        self.idf_weights = torch.as_tensor(idf_weights, dtype=backend.torch_dtype())

    # ---- adapt -----------------------------------------------------------------------------------------------

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from ``data``: tokens by decreasing count, ties by decreasing token, cut to
        ``max_tokens``; with ``"tf_idf"``, the inverse document frequencies too."""
        if self.input_vocabulary is not None:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
                             f"`vocabulary` argument or `set_vocabulary()` method.")
        if isinstance(data, (np.ndarray, torch.Tensor, list, tuple)):
            data = host_array(data)
            data = iter([data[:, None] if data.ndim == 1 else data])   # an array: one batch of one-token documents
        super().adapt(data, batch_size=batch_size, steps=steps)

    def reset_state(self):
        self._token_counts = collections.Counter()
        self._document_counts = collections.Counter()
        self._num_documents = 0

    def update_state(self, data):
        data = self._as_tokens(data)
        if data.ndim == 0:
            data = data.reshape(1)
        if data.ndim == 1:
            data = data[None]          # one document
        self.update_documents(data.reshape(data.shape[0], -1).tolist())

    def update_documents(self, documents):
        """Count the tokens of ``documents`` (lists of tokens, of any lengths): once over all of them, and per
        document for tf-idf's document frequencies."""
        flat = self._as_tokens([token for document in documents for token in document])
        if flat.size:
            tokens, counts = np.unique(flat, return_counts=True)
            self._token_counts.update(dict(zip(tokens.tolist(), counts.tolist())))
        if self.output_mode == "tf_idf":
            for document in documents:
                self._document_counts.update(set(document))
            self._num_documents += len(documents)

    def finalize_state(self):
        if self.input_vocabulary is not None or not self._token_counts:
            return
        for special in (self.mask_token, self.oov_token):
            self._token_counts.pop(special, None)
        tokens = self._as_tokens(list(self._token_counts.keys()))
        counts = np.array(list(self._token_counts.values()), dtype=np.int64)
        ranked = np.lexsort((tokens, counts))[::-1]
        if self.max_tokens:
            ranked = ranked[:self.max_tokens - self._token_start_index()]
        tokens = tokens[ranked]
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            documents = np.array([self._document_counts[t] for t in tokens.tolist()], dtype=np.float64)
            idf = np.log(1 + self._num_documents / (1 + documents)).astype(backend.floatx())
            self._set_idf_weights(np.concatenate([np.full(self._token_start_index(), idf.mean()), idf]))
        self.reset_state()

    # ---- calling ---------------------------------------------------------------------------------------------

    def _output_dtype(self):
        if self.invert:
            return "string" if self._string_vocabulary else "int64"
        return "int64" if self.output_mode == "int" else self.compute_dtype

    def _check_vocabulary(self):
        if self._tokens is None and self.output_mode != "int" and not self.pad_to_max_tokens:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, you "
                               f"must set the layer's vocabulary before calling it. Either pass a `vocabulary` "
                               f"argument to the layer, or call `adapt` with some sample data.")

    def _lookup(self, values):
        """Indices of ``values`` (a host array, or an integer tensor for IntegerLookup) as an int64 tensor."""
        on_device = isinstance(values, torch.Tensor)
        positions = self._table.positions(values) if self._tokens is not None else \
            (torch.full(values.shape, -1, device=values.device) if on_device else np.full(values.shape, -1))
        found = positions >= 0
        indices = positions + self._token_start_index()
        if self.num_oov_indices == 1:
            default = self._oov_start_index()
        elif self.num_oov_indices > 1:
            default = self._oov_indices(values) + self._oov_start_index()
        else:
            if not (found.all() if on_device else found.all()):
                missing = values[~found]
                raise ValueError(f"When `num_oov_indices=0` all inputs should be in vocabulary, found OOV values "
                                 f"{missing.tolist()[:10]}, consider setting `num_oov_indices=1`.")
            default = -1
        if on_device:
            result = torch.where(found, indices, default)
        else:
            result = torch.from_numpy(np.where(found, indices, default).astype(np.int64))
        if self.mask_token is not None:
            mask_value = 0 if self.output_mode == "int" else _INT64_MAX
            is_mask = values == self.mask_token
            is_mask = is_mask if on_device else torch.from_numpy(np.asarray(is_mask, dtype=bool))
            result = torch.where(is_mask, torch.as_tensor(mask_value, device=result.device), result)
        return result.to(self._output_device())

    def _oov_indices(self, values):
        raise NotImplementedError

    def _invert(self, indices):
        """The token of each index; unknown indices give the OOV token, index 0 the mask token."""
        if self._all_tokens is None:
            self._all_tokens = self._as_tokens(self.get_vocabulary())
        indices = host_array(indices).astype(np.int64)
        known = (indices >= self._token_start_index()) & (indices < len(self._all_tokens))
        tokens = np.where(known, self._all_tokens[np.clip(indices, 0, len(self._all_tokens) - 1)],
                          self._as_tokens([self.oov_token])[0])
        if self.mask_token is not None:
            tokens = np.where(indices == 0, self._as_tokens([self.mask_token])[0], tokens)
        return tokens

    def _prepare_inputs(self, inputs):
        return host_array(inputs)

    def call(self, inputs):
        self._check_vocabulary()
        if self.invert:
            tokens = self._invert(inputs)
            return tokens if self._string_vocabulary else torch.as_tensor(tokens, device=self._output_device())
        return self._encode(self._lookup(self._prepare_inputs(inputs)))

    def _encode(self, indices):
        """Looked-up indices in the layer's output mode (tf-idf: counts times the idf weights)."""
        if self.output_mode == "int":
            return indices
        encoded = encode_categorical(indices, "count" if self.output_mode == "tf_idf" else self.output_mode,
                                     self._depth(), self.compute_dtype)
        if self.output_mode == "tf_idf":
            if self.idf_weights.device != encoded.device:
                self.idf_weights = self.idf_weights.to(encoded.device)   # once, not at every call
            encoded = encoded * self.idf_weights.to(encoded.dtype)
        return encoded

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self._depth())

    # ---- saving ----------------------------------------------------------------------------------------------

    def save_own_variables(self, store):
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = self.idf_weights.detach().cpu()

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self.idf_weights = torch.as_tensor(np.asarray(store["idf_weights"]), dtype=backend.torch_dtype())

    def save_assets(self, dir_path):
        """An adapted vocabulary (special tokens first) as ``vocabulary.txt``, as Keras writes it; a given one is
        in the config."""
        if self.input_vocabulary is not None or self._tokens is None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as file:
            file.write("\n".join(str(token) for token in self.get_vocabulary()))

    def load_assets(self, dir_path):
        path = os.path.join(dir_path, "vocabulary.txt")
        if self.input_vocabulary is not None or not os.path.isfile(path):
            return
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = lines if self._string_vocabulary else [int(line) for line in lines]
        idf_weights = None if self.idf_weights is None else self.idf_weights.cpu().numpy()
        self.set_vocabulary(values, idf_weights=idf_weights)

    def get_config(self):
        # As Keras: a given vocabulary is in the config; an adapted one is saved as an asset (save_assets).
        vocabulary = self.input_vocabulary
        if isinstance(vocabulary, (np.ndarray, torch.Tensor)):
            vocabulary = host_array(vocabulary).tolist()
        idf_weights = self.input_idf_weights
        if isinstance(idf_weights, (np.ndarray, torch.Tensor)):
            idf_weights = host_array(idf_weights).tolist()
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token, "mask_token": self.mask_token,
                "output_mode": self.output_mode, "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                "idf_weights": idf_weights, "vocabulary": vocabulary,
                "vocabulary_size": self.vocabulary_size() if self._tokens is not None else self._frozen_vocab_size,
                "oov_method": self.oov_method, "salt": self.salt}

    def extra_repr(self):
        return f"vocabulary_size={self.vocabulary_size()}, output_mode={self.output_mode!r}"
