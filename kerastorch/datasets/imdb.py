"""``keras.datasets.imdb``: 50,000 movie reviews as word-index sequences, labelled positive (1) or negative (0)."""
import json

import numpy as np

from kerastorch.datasets._files import dataset_file, load_npz
from kerastorch.datasets._sequences import drop_long, limit_vocabulary, shift_and_mark


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """The IMDB reviews, from Keras's cache file ``imdb.npz``, processed as Keras processes them.

    Args:
        path: the file's name in ``$KERAS_HOME/datasets``.
        num_words: keep the ``num_words`` most frequent words (indices below it); None keeps all.
        skip_top: drop (or mark out of vocabulary) the ``skip_top`` most frequent words.
        maxlen: keep only the sequences shorter than this.
        seed: the shuffling seed (``np.random.RandomState``; train first, then test).
        start_char: the index put at the start of every sequence (None: none).
        oov_char: the index that replaces dropped words (None: they are removed).
        index_from: added to every word index.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of ints, and int64 labels.
    """
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    arrays = load_npz(dataset_file(path, "imdb.npz"))
    rng = np.random.RandomState(seed)
    splits = []
    for x_key, y_key in (("x_train", "y_train"), ("x_test", "y_test")):
        indices = np.arange(len(arrays[x_key]))
        rng.shuffle(indices)
        splits.append((shift_and_mark(arrays[x_key][indices], start_char, index_from), arrays[y_key][indices]))
    (x_train, labels_train), (x_test, labels_test) = splits
    if maxlen:
        x_train, labels_train = drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
                             f"Increase maxlen.")
    sequences = limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    split_at = len(x_train)
    return ((np.array(sequences[:split_at], dtype="object"), labels[:split_at]),
            (np.array(sequences[split_at:], dtype="object"), labels[split_at:]))


def get_word_index(path="imdb_word_index.json"):
    """The dict word -> index of the IMDB sequences (before ``index_from`` is added)."""
    with open(dataset_file(path, "imdb_word_index.json")) as file:
        return json.load(file)
