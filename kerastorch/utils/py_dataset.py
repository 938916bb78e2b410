"""`PyDataset`: a Python object that serves batches by index, as Keras's ``keras.utils.PyDataset``."""


class PyDataset:
    """Subclass it and define ``__len__`` (the number of batches) and ``__getitem__(index)`` (one batch, as
    ``x``, ``(x, y)`` or ``(x, y, sample_weight)``). ``on_epoch_end`` runs after each epoch.

    Args:
        workers, use_multiprocessing, max_queue_size: accepted for Keras compatibility; batches are read in the
            training process.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index) returning one batch.")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__() returning the number of batches.")

    def on_epoch_end(self):
        pass

    @property
    def num_batches(self):
        return len(self)


# Keras 2's name.
Sequence = PyDataset
