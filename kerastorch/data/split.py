"""``split_dataset``: two Datasets from arrays or a Dataset, split (and shuffled) as Keras does on TensorFlow."""
import random

import numpy as np
import torch

from kerastorch.data.dataset import Dataset
from kerastorch.keras_tensor import flatten, map_structure


def split_sizes(left_size, right_size, total_length):
    """``(left, right)`` integer sizes from ints (counts) or floats (fractions), checked as Keras checks them."""
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(f"Invalid `{name}` Type. Expected: int or float or None, Received: type({name})="
                            f"{type(size)}.")
    if left_size is None and right_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. Received: "
                         "left_size=None and right_size=None")
    if left_size == 0 and right_size == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. At least one of the split sizes must be "
                         "non-zero.")
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if (type(size) is int and not 0 < size < total_length) or (type(size) is float and not 0 < size < 1):
            raise ValueError(f"`{name}` should be either a positive integer smaller than {total_length}, or a float "
                             f"within the range `[0, 1]`. Received: {name}={size}")
    if type(left_size) is type(right_size) is float and left_size + right_size > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must be less than or equal "
                         "to 1.")
    left = round(left_size * total_length) if type(left_size) is float else left_size
    right = round(right_size * total_length) if type(right_size) is float else right_size
    left = total_length - right if left is None else left
    right = total_length - left if right is None else right
    if left + right > total_length:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than the {total_length}. "
                         f"Received: left_size + right_size = {left + right} and total_length = {total_length}")
    for side, size in (("left", left), ("right", right)):
        if size == 0:
            raise ValueError(f"With `dataset` of length={total_length}, `left_size`={left} and `right_size`={right}. "
                             f"Resulting {side} side dataset split will be empty. Adjust any of the aforementioned "
                             f"parameters")
    return int(left), int(right)


def _as_arrays(dataset):
    """``(arrays, batch_size)``: the samples of ``dataset`` stacked along a first axis."""
    if isinstance(dataset, (Dataset, torch.utils.data.Dataset)):
        batch_size = dataset._batch_size if isinstance(dataset, Dataset) else None
        if isinstance(dataset, Dataset):
            samples = list(dataset.unbatch() if batch_size is not None else dataset)
        elif isinstance(dataset, torch.utils.data.IterableDataset):
            samples = list(dataset)
        else:
            samples = [dataset[i] for i in range(len(dataset))]
        samples = [tuple(s) if isinstance(s, list) else s for s in samples]
        if not samples:
            raise ValueError("Received an empty dataset. Argument `dataset` must be a non-empty list/tuple of "
                             "`numpy.ndarray` objects or a Dataset.")
        first = samples[0]
        leaves = [[flatten(s)[i] for s in samples] for i in range(len(flatten(first)))]
        stacked = iter([torch.stack(column) if isinstance(column[0], torch.Tensor) else np.stack(column)
                        for column in leaves])
        return map_structure(lambda _: next(stacked), first), batch_size
    if isinstance(dataset, np.ndarray):
        return dataset, None
    if isinstance(dataset, (list, tuple)) and dataset:
        lengths = {len(a) for a in dataset if isinstance(a, np.ndarray)}
        if any(not isinstance(a, np.ndarray) for a in dataset) or len(lengths) != 1:
            raise ValueError(f"Expected a list/tuple of numpy arrays of the same length. Received: "
                             f"{[type(a).__name__ if not isinstance(a, np.ndarray) else a.shape for a in dataset]}")
        return tuple(dataset), None
    raise TypeError(f"The `dataset` argument must be either a Dataset, or a list/tuple of arrays. Received: "
                    f"dataset={dataset!r} of type {type(dataset)}")


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None, preferred_backend=None):
    """Split arrays or a Dataset into two Datasets.

    With ``shuffle``, samples are shuffled by Python's ``random`` seeded with ``seed`` before the split, as Keras
    does with TensorFlow, so the same seed gives the same two splits.

    Args:
        dataset: a ``kerastorch.data.Dataset``, a torch ``Dataset``, a numpy array, or a list/tuple of arrays of
            one length.
        left_size, right_size: an int (samples) or a float (fraction) for each side; one may be None (the rest).
        shuffle, seed: shuffle before splitting.
        preferred_backend: accepted for Keras's signature.

    Returns:
        ``(left, right)``: Datasets, batched as ``dataset`` was.
    """
    arrays, batch_size = _as_arrays(dataset)
    total = len(flatten(arrays)[0])
    left, right = split_sizes(left_size, right_size, total)
    order = list(range(total))
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.Random(seed).shuffle(order)
    order = np.asarray(order)

    def part(indices):
        subset = map_structure(lambda a: a[torch.as_tensor(indices)] if isinstance(a, torch.Tensor) else a[indices],
                               arrays)
        split = Dataset.from_tensor_slices(subset)
        return split.batch(batch_size) if batch_size is not None else split
    return part(order[:left]), part(order[total - right:])
