"""TextVectorization: raw strings to token indices or document vectors, inside a model."""
import re

import numpy as np
import torch

from kerastorch.layers.preprocessing.preprocessing_layer import (OUTPUT_MODES, PreprocessingLayer, check_choice,
                                                                 host_array, standardize_output_mode)
from kerastorch.layers.preprocessing.string_lookup import StringLookup
from kerastorch import registry

# The ASCII punctuation Keras strips (its regular expression's character class).
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~\']')
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")


def _function_config(value):
    """A ``standardize``/``split`` argument for a config: a built-in name, or a registered function's name
    (``keras.saving.register_keras_serializable``), in Keras's function form."""
    if value is None or isinstance(value, str):
        return value
    return {"module": "builtins", "class_name": "function", "config": registry.get_registered_name(value),
            "registered_name": "function"}


def _function_from_config(value):
    if isinstance(value, dict):
        name = value.get("config")
        function = registry.get_registered_object(name)
        if function is None:
            raise ValueError(f"TextVectorization: cannot find the function {name!r} of a saved config. Register it "
                             f"with `keras.saving.register_keras_serializable()` (or pass it in `custom_objects`).")
        return function
    return value


class TextVectorization(PreprocessingLayer):
    """Standardizes, splits and n-grams strings, then maps the tokens to indices of a vocabulary (learned by
    ``adapt`` or given).

    Args:
        max_tokens: the largest vocabulary, the padding index 0 and the OOV index 1 included.
        standardize: ``"lower_and_strip_punctuation"``, ``"lower"``, ``"strip_punctuation"``, None, or a
            function of a numpy array of strings to one.
        split: ``"whitespace"``, ``"character"``, None (each input is one token), or a function of a string to its
            tokens.
        ngrams: None, an int n (all n-grams up to n) or a tuple of n-gram sizes.
        output_mode: ``"int"`` (index sequences), ``"multi_hot"``, ``"count"`` or ``"tf_idf"`` (one vector per
            text); ``"one_hot"`` with ``split=None``.
        output_sequence_length: in ``"int"`` mode, pad (with 0) or cut every sequence to this length (else to the
            batch's longest).
        pad_to_max_tokens: in the vector modes, make the output ``max_tokens`` wide.
        vocabulary, idf_weights: a given vocabulary (list or file path) and its tf-idf weights.
        ragged, sparse: not supported (torch has neither); must be False.
        encoding: the encoding of byte strings.

    Input shape: ``(batch,)`` or ``(batch, 1)`` strings (a numpy array or list).
    Output shape: ``(batch, output_sequence_length)`` int64 in ``"int"`` mode, else ``(batch, depth)`` floats.
    """

    _state_sized_by_file = True   # its lookup's tf-idf weights

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None, **kwargs):
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        super().__init__(name=name, **kwargs)
        output_mode = standardize_output_mode(output_mode)
        if not (standardize is None or callable(standardize)):
            check_choice(self.name, "standardize", standardize, _STANDARDIZE)
        if not (split is None or callable(split)):
            check_choice(self.name, "split", split, _SPLIT)
        check_choice(self.name, "output_mode", output_mode, OUTPUT_MODES)
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (ngrams is None or isinstance(ngrams, int) or
                (isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}")
        if output_mode == "int" and not (output_sequence_length is None or isinstance(output_sequence_length, int)):
            raise ValueError(f"`output_sequence_length` must be either None or an integer when `output_mode` is "
                             f"'int'. Received: output_sequence_length={output_sequence_length}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(f"`output_sequence_length` must not be set if `output_mode` is not 'int'. Received "
                             f"output_sequence_length={output_sequence_length}.")
        if sparse or ragged:
            raise ValueError(f"Layer {self.name}: `sparse=True` and `ragged=True` are not supported by kerastorch "
                             f"(torch has no ragged or sparse string tensors).")
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._ragged = ragged
        self._lookup_layer = StringLookup(max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
                                          pad_to_max_tokens=pad_to_max_tokens, mask_token="",
                                          output_mode=output_mode, encoding=encoding,
                                          vocabulary_size=vocabulary_size, name=f"{self.name}_string_lookup")

    # ---- the vocabulary --------------------------------------------------------------------------------------

    def get_vocabulary(self, include_special_tokens=True):
        """The token of each index: ``""`` (padding) and ``"[UNK]"`` first unless ``include_special_tokens=False``."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary of ``data``: an array or list of strings, or an iterable of batches of them (a
        kerastorch Dataset, a generator)."""
        if isinstance(data, (np.ndarray, torch.Tensor, list, tuple)):
            data = iter([host_array(data, self._encoding)])
        super().adapt(data, batch_size=batch_size, steps=steps)

    def reset_state(self):
        if "_lookup_layer" in self.__dict__.get("_modules", {}):
            self._lookup_layer.reset_state()

    def update_state(self, data):
        tokens = self._tokenize(data)
        if self._split is None:
            self._lookup_layer.update_state(tokens)
            return
        self._lookup_layer.update_documents(tokens)

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    # ---- text to tokens --------------------------------------------------------------------------------------

    def _standardized(self, texts):
        if callable(self._standardize):
            # As Keras on the torch backend: the function receives a numpy array of unicode strings.
            return np.asarray(self._standardize(texts.astype(str)), dtype=object)
        lower = self._standardize in ("lower", "lower_and_strip_punctuation")
        strip = self._standardize in ("strip_punctuation", "lower_and_strip_punctuation")
        result = [t.lower() if lower else t for t in texts.reshape(-1).tolist()]
        if strip:
            result = [_PUNCTUATION.sub("", t) for t in result]
        return np.asarray(result, dtype=object).reshape(texts.shape)

    def _ngrammed(self, tokens):
        if self._ngrams is None:
            return tokens
        return [" ".join(tokens[i:i + n]) for n in self._ngrams for i in range(len(tokens) - n + 1)]

    def _tokenize(self, inputs):
        """The standardized texts (``split=None``: an array of tokens), else a list of token lists, one per text."""
        texts = host_array(inputs, self._encoding).astype(object)
        texts = self._standardized(texts)
        if self._split is None:
            return texts
        if texts.ndim > 1:
            if texts.shape[-1] != 1:
                raise ValueError(f"When using `TextVectorization` to tokenize strings, the input rank must be 1 or "
                                 f"the last shape dimension must be 1. Received: inputs.shape={texts.shape} with "
                                 f"rank={texts.ndim}")
            texts = texts.reshape(texts.shape[:-1])
        if texts.ndim == 0:
            texts = texts.reshape(1)
        if self._split == "whitespace":
            split = str.split
        elif self._split == "character":
            split = list
        else:
            split = self._split
        return [self._ngrammed(list(split(t))) for t in texts.tolist()]

    # ---- calling ---------------------------------------------------------------------------------------------

    def _output_dtype(self):
        return "int64" if self._output_mode == "int" else self.compute_dtype

    def call(self, inputs):
        lookup = self._lookup_layer
        tokens = self._tokenize(inputs)
        if self._split is None:
            return lookup(tokens)
        lengths = [len(row) for row in tokens]
        flat = np.asarray([t for row in tokens for t in row], dtype=object)
        indices = lookup._lookup(flat) if flat.size else torch.zeros(0, dtype=torch.int64,
                                                                      device=self._output_device())
        device = indices.device
        rows = torch.repeat_interleave(torch.arange(len(tokens), device=device),
                                       torch.as_tensor(lengths, device=device))
        starts = np.cumsum([0] + lengths[:-1])
        columns = torch.as_tensor(np.arange(flat.size) - np.repeat(starts, lengths), device=device)
        width = self._output_sequence_length if self._output_mode == "int" else None
        if width is None:
            width = max(lengths, default=0)
        kept = columns < width
        # Padding is index 0 in "int" mode; elsewhere -1, which the encodings leave out.
        padding = 0 if self._output_mode == "int" else -1
        matrix = torch.full((len(tokens), width), padding, dtype=torch.int64, device=device)
        matrix[rows[kept], columns[kept]] = indices[kept]
        return lookup._encode(matrix)

    def compute_output_shape(self, input_shape):
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        depth = self._lookup_layer._depth() if self._lookup_layer._tokens is not None or \
            self._lookup_layer.pad_to_max_tokens else None
        return (input_shape[0], depth)

    # ---- saving ----------------------------------------------------------------------------------------------

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)

    def get_config(self):
        lookup_config = self._lookup_layer.get_config()
        standardize, split = self._standardize, self._split
        return {**super().get_config(), "max_tokens": self._lookup_layer.max_tokens,
                "standardize": _function_config(standardize), "split": _function_config(split),
                "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": self._lookup_layer.pad_to_max_tokens, "sparse": False, "ragged": False,
                "vocabulary": lookup_config["vocabulary"], "idf_weights": lookup_config["idf_weights"],
                "encoding": self._encoding, "vocabulary_size": self.vocabulary_size()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("standardize", "split"):
            config[key] = _function_from_config(config.get(key))
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return super().from_config(config)

    def extra_repr(self):
        return f"output_mode={self._output_mode!r}, vocabulary_size={self.vocabulary_size()}"
