"""Keras 2's ``keras.preprocessing.sequence``: pad_sequences, make_sampling_table, skipgrams, TimeseriesGenerator.

These work on host data (lists and numpy arrays) before it reaches a model, as Keras's do; their outputs are
Keras 2's (tf_keras) for the same inputs.
"""
import json
import random

import numpy as np

from kerastorch._porting import missing_attribute
from kerastorch.utils.py_dataset import PyDataset
from kerastorch.utils.sequence_utils import pad_sequences  # noqa: F401  (Keras 2's path)


def make_sampling_table(size, sampling_factor=1e-5):
    """The probability of keeping each word of rank ``i`` (word2vec's subsampling, with Zipf's law for the word
    frequencies), for ``skipgrams``' ``sampling_table``.

    Args:
        size: the vocabulary size.
        sampling_factor: word2vec's ``t``.

    Returns:
        A float array of shape ``(size,)``.
    """
    euler_gamma = 0.577
    rank = np.arange(size, dtype=np.float64)
    rank[0] = 1
    # Zipf: the frequency of rank r is about 1 / (r (log r + gamma)); this is its inverse, to second order.
    inverse_frequency = rank * (np.log(rank) + euler_gamma) + 0.5 - 1.0 / (12.0 * rank)
    scaled = sampling_factor * inverse_frequency
    return np.minimum(1.0, scaled / np.sqrt(scaled))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True, categorical=False,
              sampling_table=None, seed=None):
    """Skip-gram couples of a sequence of word indices: ``([word, context], 1)`` for words within ``window_size``
    of each other, and ``([word, random word], 0)`` negative couples.

    Index 0 is padding and never appears. Randomness comes from Python's ``random`` module, as in Keras 2, so
    ``random.seed`` makes the result reproducible (``seed`` only fixes the shuffle).

    Args:
        sequence: a list of word indices.
        vocabulary_size: one more than the largest index.
        window_size: how far apart the two words of a positive couple may be.
        negative_samples: the number of negative couples per positive one.
        shuffle: shuffle the couples (and their labels alike).
        categorical: labels as ``[0, 1]`` / ``[1, 0]`` instead of 1 / 0.
        sampling_table: ``make_sampling_table``'s probabilities of keeping each word.
        seed: the seed of the shuffle.

    Returns:
        ``(couples, labels)``: two lists.
    """
    couples, labels = [], []
    positive_label = [0, 1] if categorical else 1
    negative_label = [1, 0] if categorical else 0
    for position, word in enumerate(sequence):
        if not word:
            continue
        if sampling_table is not None and sampling_table[word] < random.random():
            continue
        for other in range(max(0, position - window_size), min(len(sequence), position + window_size + 1)):
            if other != position and sequence[other]:
                couples.append([word, sequence[other]])
                labels.append(positive_label)
    if negative_samples > 0:
        count = int(len(labels) * negative_samples)
        words = [couple[0] for couple in couples]
        random.shuffle(words)
        couples += [[words[i % len(words)], random.randint(1, vocabulary_size - 1)] for i in range(count)]
        labels += [negative_label] * count
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(10e6))
        random.seed(seed)
        random.shuffle(couples)
        random.seed(seed)
        random.shuffle(labels)
    return couples, labels


class TimeseriesGenerator(PyDataset):
    """Batches of windows of a time series and the target that follows each window.

    Sample ``k`` ends just before row ``r_k`` (``data[r_k - length : r_k : sampling_rate]``) and its target is
    ``targets[r_k]``; rows start at ``start_index + length`` and go ``stride`` apart up to ``end_index``.

    Args:
        data: an indexable series (list or array) with time on axis 0.
        targets: the targets, as long as ``data``.
        length: the number of time steps a window spans.
        sampling_rate: take every ``sampling_rate``-th step inside a window.
        stride: the step between consecutive windows.
        start_index, end_index: the rows used (``end_index`` inclusive; the last row by default).
        shuffle: draw the rows of each batch at random instead of in order.
        reverse: windows in reverse time order.
        batch_size: windows per batch.
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0, end_index=None,
                 shuffle=False, reverse=False, batch_size=128):
        super().__init__()
        if len(data) != len(targets):
            raise ValueError(f"Data and targets have to be of same length. Data length is {len(data)} while target "
                             f"length is {len(targets)}")
        self.data = data
        self.targets = targets
        self.length = length
        self.sampling_rate = sampling_rate
        self.stride = stride
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = batch_size
        if self.start_index > self.end_index:
            raise ValueError(f"`start_index+length={self.start_index} > end_index={self.end_index}` is disallowed, "
                             f"as no part of the sequence would be left to be used as current step.")

    def __len__(self):
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(first, min(first + self.batch_size * self.stride, self.end_index + 1), self.stride)
        # One fancy index for the whole batch: row r's window is r - length, ..., r - 1 (every sampling_rate-th).
        steps = np.arange(-self.length, 0, self.sampling_rate)
        samples = np.asarray(self.data)[rows[:, None] + steps[None, :]]
        targets = np.asarray(self.targets)[rows]
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets

    def get_config(self):
        """The generator's arguments (data and targets as JSON lists), as Keras 2 writes them: ``start_index`` is
        written with ``length`` already added, as Keras 2 does."""
        data = self.data.tolist() if isinstance(self.data, np.ndarray) else self.data
        targets = self.targets.tolist() if isinstance(self.targets, np.ndarray) else self.targets
        return {"data": json.dumps(data), "targets": json.dumps(targets), "length": self.length,
                "sampling_rate": self.sampling_rate, "stride": self.stride,
                "start_index": self.start_index, "end_index": self.end_index,
                "shuffle": self.shuffle, "reverse": self.reverse, "batch_size": self.batch_size}

    def to_json(self, **kwargs):
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def timeseries_generator_from_json(json_string):
    """The TimeseriesGenerator that ``to_json`` wrote."""
    config = json.loads(json_string)["config"]
    config["data"] = np.asarray(json.loads(config["data"]))
    config["targets"] = np.asarray(json.loads(config["targets"]))
    return TimeseriesGenerator(**config)


__getattr__ = missing_attribute(__name__)
