"""``text_dataset_from_directory``: ``.txt`` files to a ``Dataset`` of string batches (numpy arrays of str)."""
import os

import numpy as np
import torch

from kerastorch.data.directory import (check_binary_classes, check_label_arguments, check_validation_split_arg,
                                       datasets_for_subset, index_directory)
from kerastorch.data.images import encoded_labels, loader_dataset


class TextFiles(torch.utils.data.Dataset):
    """Map-style dataset of file contents (at most ``max_length`` bytes, as tf.strings.substr cuts them)."""

    def __init__(self, paths, labels, max_length):
        self.paths, self.labels, self.max_length = list(paths), labels, max_length

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        with open(self.paths[index], "rb") as file:
            content = file.read() if self.max_length is None else file.read(self.max_length)
        text = np.asarray(content.decode("utf-8", errors="ignore"))
        return text if self.labels is None else (text, self.labels[index])


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """A ``Dataset`` of text batches (and labels) from the ``.txt`` files in a directory tree.

    Args:
        directory: the folder (with ``labels="inferred"``, one subfolder per class).
        labels: ``"inferred"``, None, or a list/tuple of integer labels in the files' sorted order.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or None (as for ``image_dataset_from_directory``).
        class_names: with inferred labels, the subfolders to use and their order.
        batch_size: texts per batch, or None for single texts.
        max_length: keep at most this many bytes of each file.
        shuffle, seed, validation_split, subset, follow_links, verbose: as for ``image_dataset_from_directory``.
        format: accepted for Keras's signature.

    Returns:
        A ``kerastorch.data.Dataset`` of ``(texts, labels)`` batches, texts a numpy array of str, with
        ``class_names`` and ``file_paths``; a list of two for ``subset="both"``.
    """
    check_label_arguments(labels, label_mode, class_names, format, "text samples")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, file_labels, class_names = index_directory(directory, labels, (".txt",), class_names, shuffle, seed,
                                                      follow_links, verbose)
    check_binary_classes(label_mode, class_names)
    num_classes = len(class_names) if class_names else 0

    def make(subset_paths, subset_labels, subset_shuffle, what):
        if not subset_paths:
            raise ValueError(f"No {what}text files found in directory {os.fspath(directory)}. Allowed format: .txt")
        encoded = None if label_mode is None else encoded_labels(subset_labels, label_mode, num_classes)
        dataset = loader_dataset(TextFiles(subset_paths, encoded, max_length), batch_size, subset_shuffle, seed,
                                 num_workers=0)
        dataset.class_names, dataset.file_paths = class_names, list(subset_paths)
        return dataset

    return datasets_for_subset(paths, file_labels, validation_split, subset, shuffle, verbose, make)
