"""``keras.datasets.fashion_mnist``: 70,000 28x28 grayscale images of clothes, in 10 classes."""
import gzip
import os

import numpy as np

from kerastorch.datasets._files import dataset_file

_FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
          "t10k-images-idx3-ubyte.gz")


def _read(path, offset):
    with gzip.open(path, "rb") as file:
        return np.frombuffer(file.read(), np.uint8, offset=offset)


def load_data():
    """Fashion-MNIST, from the four gzip'd IDX files in ``$KERAS_HOME/datasets/fashion-mnist``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28), (60000,),
        (10000, 28, 28) and (10000,).
    """
    folder = os.path.join("datasets", "fashion-mnist")
    paths = [dataset_file(name, name, cache_subdir=folder) for name in _FILES]
    y_train, y_test = _read(paths[0], 8), _read(paths[2], 8)
    x_train = _read(paths[1], 16).reshape(len(y_train), 28, 28)
    x_test = _read(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
