"""``keras.datasets.cifar10``: 60,000 32x32 colour images in 10 classes."""
import os

import numpy as np

from kerastorch import backend
from kerastorch.datasets._files import CIFAR_ORIGIN, extracted_folder
from kerastorch.datasets.cifar import load_batch


def load_data():
    """CIFAR-10, from Keras's cache (the extracted ``cifar-10-python.tar.gz``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape (50000, 32, 32, 3) and (10000, 32, 32, 3)
        (channels first when ``image_data_format()`` is ``"channels_first"``), uint8 labels of shape (n, 1).
    """
    folder = extracted_folder("cifar-10-batches-py-target", "cifar-10-batches-py", "cifar-10-python.tar.gz",
                              CIFAR_ORIGIN, "test_batch")
    batches = [load_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([data for data, _ in batches]).astype("uint8")
    y_train = np.concatenate([np.asarray(labels) for _, labels in batches]).astype("uint8")
    x_test, y_test = load_batch(os.path.join(folder, "test_batch"))
    y_train = y_train.reshape(len(y_train), 1)
    y_test = np.reshape(y_test, (len(y_test), 1)).astype(y_train.dtype)
    if backend.image_data_format() == "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test.astype(x_train.dtype), y_test)
