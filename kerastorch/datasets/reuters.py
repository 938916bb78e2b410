"""``keras.datasets.reuters``: 11,228 Reuters newswires as word-index sequences, in 46 topics."""
import json

import numpy as np

from kerastorch.datasets._files import check_test_split, dataset_file, load_npz
from kerastorch.datasets._sequences import drop_long, limit_vocabulary, shift_and_mark

_LABEL_NAMES = ("cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee",
                "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx",
                "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
                "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
                "dlr", "gas", "silver", "wpi", "hog", "lead")


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """The Reuters newswires, from Keras's cache file ``reuters.npz``, processed and split as Keras does.

    Args:
        path: the file's name in ``$KERAS_HOME/datasets``.
        num_words, skip_top, maxlen, seed, start_char, oov_char, index_from: as for ``imdb.load_data``.
        test_split: the fraction held out for testing (the last ones after shuffling).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of ints, and int64 labels.
    """
    check_test_split(test_split)
    arrays = load_npz(dataset_file(path, "reuters.npz"))
    indices = np.arange(len(arrays["x"]))
    np.random.RandomState(seed).shuffle(indices)
    sequences, labels = shift_and_mark(arrays["x"][indices], start_char, index_from), arrays["y"][indices]
    if maxlen:
        sequences, labels = drop_long(maxlen, sequences, labels)
    sequences = limit_vocabulary(sequences, num_words, skip_top, oov_char)
    split_at = int(len(sequences) * (1 - test_split))
    return ((np.array(sequences[:split_at], dtype="object"), np.array(labels[:split_at])),
            (np.array(sequences[split_at:], dtype="object"), np.array(labels[split_at:])))


def get_word_index(path="reuters_word_index.json"):
    """The dict word -> index of the Reuters sequences (before ``index_from`` is added)."""
    with open(dataset_file(path, "reuters_word_index.json")) as file:
        return json.load(file)


def get_label_names():
    """The 46 topic names, indexed by label."""
    return _LABEL_NAMES
