"""Keras 2's ``keras.preprocessing.text``: Tokenizer, one_hot, hashing_trick, text_to_word_sequence.

Host-side text utilities (Python strings in, lists and numpy arrays out) whose outputs are Keras 2's (tf_keras)
for the same inputs.
"""
import collections
import hashlib
import json

import numpy as np

from kerastorch._porting import missing_attribute

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(input_text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """The words of ``input_text``: lowercased (``lower``), with every character of ``filters`` taken as a
    separator, split on ``split``, empty pieces dropped."""
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in input_text.split(split) if word]


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """Each word of ``text`` as an index in ``[1, n)`` from a hash (0 is kept free for padding).

    Args:
        hash_function: ``None`` (Python's ``hash``, which varies between processes unless ``PYTHONHASHSEED`` is
            set), ``"md5"`` (stable), or a function of a string to an int.
        analyzer: a function of the text to its words, instead of ``filters``/``lower``/``split``.
    """
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        def hash_function(word):
            return int(hashlib.md5(word.encode()).hexdigest(), 16)
    words = text_to_word_sequence(text, filters=filters, lower=lower, split=split) if analyzer is None \
        else analyzer(text)
    return [hash_function(word) % (n - 1) + 1 for word in words]


def one_hot(input_text, n, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """``hashing_trick`` with Python's ``hash``: each word as an index in ``[1, n)``."""
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower, split=split,
                         analyzer=analyzer)


class Tokenizer:
    """A vocabulary of words (or characters) ranked by frequency, and the conversions between texts, sequences of
    word indices and document-term matrices.

    Index 0 is never a word; with ``oov_token`` the token takes index 1 and stands for unknown words.

    Args:
        num_words: only the ``num_words - 1`` most frequent words are used in conversions (all are counted).
        filters: characters removed from texts (taken as separators).
        lower: lowercase texts.
        split: the word separator.
        char_level: every character is a token.
        oov_token: the token for words outside the vocabulary (kept out when None).
        analyzer: a function of a text to its tokens, instead of ``filters``/``lower``/``split``.
        document_count: the number of texts already seen (as ``to_json`` writes it).
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ", char_level=False,
                 oov_token=None, analyzer=None, **kwargs):
        if "nb_words" in kwargs:   # Keras 1's name
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments passed to Tokenizer: {kwargs}")
        self.word_counts = collections.OrderedDict()
        self.word_docs = collections.defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs = collections.defaultdict(int)
        self.word_index = {}
        self.index_word = {}
        self.analyzer = analyzer

    def _tokens(self, text):
        """A text's tokens: its characters (or the list's items) as they are, else its words."""
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower, split=self.split)

    def fit_on_texts(self, texts):
        """Count the words of ``texts`` (strings, or lists of tokens) and rank them: the most frequent first, ties
        in the order first seen."""
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1
        ranked = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + [word for word, _ in ranked]
        self.word_index = dict(zip(vocabulary, range(1, len(vocabulary) + 1)))
        self.index_word = {index: word for word, index in self.word_index.items()}
        for word, count in self.word_docs.items():
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences):
        """Count, for ``tfidf`` matrices, the documents each index appears in (for sequences of indices)."""
        self.document_count += len(sequences)
        for sequence in sequences:
            for index in set(sequence):
                self.index_docs[index] += 1

    def _oov_index(self):
        return self.word_index.get(self.oov_token)

    def texts_to_sequences(self, texts):
        """Each text as the list of its words' indices (see ``texts_to_sequences_generator``)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """Yields each text as a list of word indices: unknown words, and with ``num_words`` those ranked at or
        past it, become the ``oov_token``'s index, or are dropped without one."""
        oov_index = self._oov_index()
        for text in texts:
            sequence = []
            for token in self._tokens(text):
                index = self.word_index.get(token)
                if index is not None and not (self.num_words and index >= self.num_words):
                    sequence.append(index)
                elif oov_index is not None:
                    sequence.append(oov_index)
            yield sequence

    def sequences_to_texts(self, sequences):
        """Each sequence of indices as the text of its words joined by spaces."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        """Yields each sequence as a text: indices without a word are dropped (or become the ``oov_token``), as
        are those at or past ``num_words``."""
        oov_index = self._oov_index()
        for sequence in sequences:
            words = []
            for index in sequence:
                word = self.index_word.get(index)
                if word is not None and not (self.num_words and index >= self.num_words):
                    words.append(word)
                elif oov_index is not None:
                    words.append(self.index_word[oov_index])
            yield " ".join(words)

    def texts_to_matrix(self, texts, mode="binary"):
        """``sequences_to_matrix`` of the texts' sequences."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """A ``(len(sequences), num_words)`` matrix: per sequence and index, ``binary`` (present), ``count``,
        ``freq`` (count / length) or ``tfidf`` (``(1 + log count) * log(1 + documents / (1 + documents with the
        index))``). Indices at or past ``num_words`` are left out.
        """
        if mode not in _MODES:
            raise ValueError(f"Unknown vectorization mode: {mode!r}. Expected one of {_MODES}.")
        num_words = self.num_words
        if not num_words:
            if not self.word_index:
                raise ValueError(f"Specify a dimension (`num_words` argument), or fit on some text data first. "
                                 f"Received a Tokenizer with num_words={self.num_words} and an empty word_index, "
                                 f"asked for a {mode!r} matrix.")
            num_words = len(self.word_index) + 1
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data before using tfidf mode: it has seen "
                             "document_count=0 documents, and tf-idf needs document frequencies.")
        rows = np.repeat(np.arange(len(sequences)), [len(s) for s in sequences])
        columns = np.fromiter((j for s in sequences for j in s), dtype=np.int64, count=len(rows))
        inside = columns < num_words
        counts = np.zeros((len(sequences), num_words))
        np.add.at(counts, (rows[inside], columns[inside]), 1.0)
        if mode == "count":
            return counts
        if mode == "binary":
            return (counts > 0).astype(np.float64)
        if mode == "freq":
            lengths = np.array([len(s) for s in sequences], dtype=np.float64)
            return counts / np.maximum(lengths, 1)[:, None]
        documents = np.array([self.index_docs.get(j, 0) for j in range(num_words)], dtype=np.float64)
        idf = np.log(1 + self.document_count / (1 + documents))
        with np.errstate(divide="ignore"):
            tf = np.where(counts > 0, 1 + np.log(counts), 0.0)
        return tf * idf[None, :]

    def get_config(self):
        """The tokenizer's arguments and its counts (as JSON strings), as Keras 2 writes them."""
        return {"num_words": self.num_words, "filters": self.filters, "lower": self.lower, "split": self.split,
                "char_level": self.char_level, "oov_token": self.oov_token,
                "document_count": self.document_count, "word_counts": json.dumps(self.word_counts),
                "word_docs": json.dumps(self.word_docs), "index_docs": json.dumps(self.index_docs),
                "index_word": json.dumps(self.index_word), "word_index": json.dumps(self.word_index)}

    def to_json(self, **kwargs):
        """The tokenizer as a JSON string, for ``tokenizer_from_json``."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string):
    """The Tokenizer that ``Tokenizer.to_json`` wrote."""
    config = dict(json.loads(json_string).get("config"))
    word_counts = json.loads(config.pop("word_counts"))
    word_docs = json.loads(config.pop("word_docs"))
    index_docs = {int(k): v for k, v in json.loads(config.pop("index_docs")).items()}
    index_word = {int(k): v for k, v in json.loads(config.pop("index_word")).items()}
    word_index = json.loads(config.pop("word_index"))
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = collections.OrderedDict(word_counts)
    tokenizer.word_docs = collections.defaultdict(int, word_docs)
    tokenizer.index_docs = collections.defaultdict(int, index_docs)
    tokenizer.word_index = word_index
    tokenizer.index_word = index_word
    return tokenizer


__getattr__ = missing_attribute(__name__)
