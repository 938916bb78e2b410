"""``keras.datasets``: Keras's small datasets, read from Keras's own cache (``$KERAS_HOME/datasets``).

Each module has ``load_data`` returning the arrays Keras's loader returns (same dtypes, shapes and order); see
``kerastorch.datasets._files`` for where files are looked for and how they are downloaded.
"""
from kerastorch._porting import missing_attribute
from kerastorch.datasets import (boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist,
                                 reuters)

__getattr__ = missing_attribute(__name__)
