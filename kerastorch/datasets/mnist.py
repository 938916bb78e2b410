"""``keras.datasets.mnist``: 70,000 28x28 grayscale digits."""
import numpy as np

from kerastorch.datasets._files import dataset_file


def load_data(path="mnist.npz"):
    """The MNIST digits, from Keras's cache file ``mnist.npz``.

    Args:
        path: the file's name in ``$KERAS_HOME/datasets``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28), (60000,),
        (10000, 28, 28) and (10000,).
    """
    with np.load(dataset_file(path, "mnist.npz"), allow_pickle=False) as arrays:
        return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
