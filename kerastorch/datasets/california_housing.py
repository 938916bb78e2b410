"""``keras.datasets.california_housing``: 20,640 California districts, 8 features, median house value."""
import numpy as np

from kerastorch.datasets._files import check_test_split, dataset_file, shuffled_split


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """The California housing data, shuffled with ``seed`` and split as Keras splits it.

    Args:
        version: ``"large"`` (all rows) or ``"small"`` (the first 600).
        path: the file's name in ``$KERAS_HOME/datasets``.
        test_split: the fraction held out for testing, in [0, 1).
        seed: the shuffling seed (``np.random.RandomState``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float arrays.
    """
    check_test_split(test_split)
    if version not in ("small", "large"):
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: version={version}")
    with np.load(dataset_file(path, "california_housing.npz"), allow_pickle=False) as arrays:
        x, y = arrays["x"], arrays["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    return shuffled_split(x, y, test_split, seed)
