"""CSVLogger: write each epoch's logs as a row of a CSV file."""
import collections.abc
import csv
import os

import numpy as np

from kerastorch.callbacks.callback import Callback


def _cell(value):
    """A log value as Keras writes it in a cell: strings as they are, sequences as ``"[1, 2]"``."""
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Stream each epoch's logs to a CSV file: an ``epoch`` column, then the logged values sorted by name.

    The columns are fixed at the first epoch; when that epoch has no ``val_`` values, ``val_`` columns are added
    for each value anyway (``NA`` until validation runs), as Keras does.

    Args:
        filename: the CSV file.
        separator: the column separator.
        append: add to an existing file (the header is written only if the file is empty) instead of
            overwriting it.

    Example:

    >>> model.fit(x, y, callbacks=[CSVLogger("training.log")])
    """

    _chief_only = True  # it prints or writes files: rank 0 alone does, in a data-parallel run

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as existing:
                    self.append_header = not existing.readline()
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            dialect = type("CSVLoggerDialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
