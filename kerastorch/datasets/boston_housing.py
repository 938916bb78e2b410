"""``keras.datasets.boston_housing``: 506 Boston suburbs, 13 features, median house price (k$)."""
import numpy as np

from kerastorch.datasets._files import check_test_split, dataset_file, shuffled_split


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """The Boston housing data, shuffled with ``seed`` and split as Keras splits it.

    Args:
        path: the file's name in ``$KERAS_HOME/datasets``.
        test_split: the fraction held out for testing, in [0, 1).
        seed: the shuffling seed (``np.random.RandomState``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float64 arrays.
    """
    check_test_split(test_split)
    with np.load(dataset_file(path, "boston_housing.npz"), allow_pickle=False) as arrays:
        x, y = arrays["x"], arrays["y"]
    return shuffled_split(x, y, test_split, seed)
