"""``keras.datasets.cifar100``: 60,000 32x32 colour images in 100 fine (20 coarse) classes."""
import os

import numpy as np

from kerastorch import backend
from kerastorch.datasets._files import CIFAR_ORIGIN, extracted_folder
from kerastorch.datasets.cifar import load_batch


def load_data(label_mode="fine"):
    """CIFAR-100, from Keras's cache (the extracted ``cifar-100-python.tar.gz``).

    Args:
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape (50000, 32, 32, 3) and (10000, 32, 32, 3)
        (channels first when ``image_data_format()`` is ``"channels_first"``), int64 labels of shape (n, 1).
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.')
    folder = extracted_folder("cifar-100-python-target", "cifar-100-python", "cifar-100-python.tar.gz",
                              CIFAR_ORIGIN, "test")
    x_train, y_train = load_batch(os.path.join(folder, "train"), label_key=f"{label_mode}_labels")
    x_test, y_test = load_batch(os.path.join(folder, "test"), label_key=f"{label_mode}_labels")
    y_train, y_test = np.reshape(y_train, (len(y_train), 1)), np.reshape(y_test, (len(y_test), 1))
    if backend.image_data_format() == "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
