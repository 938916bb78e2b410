"""Files of a directory tree as (paths, labels, class names), ordered and split as Keras's directory loaders do.

Keras's order: class folders sorted by name (hidden ones skipped); within each, the files of ``os.walk`` (folders
sorted, files sorted) whose extension is allowed; then, when shuffling, paths and labels each shuffled by
``np.random.RandomState(seed).shuffle``. A validation split takes the last ``validation_split`` fraction of that
order, so with the same seed the same files land in the same split as in Keras.
"""
import os

import numpy as np


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """Keras's rules for ``validation_split``, ``subset`` and ``seed``."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError(f"If `subset` is set, `validation_split` must be set, and inversely. Received: "
                         f"validation_split={validation_split}, subset={subset!r}")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide a `seed` argument, "
                         "to make sure that there is no overlap between the training and validation subset. "
                         f"Received: validation_split={validation_split}, shuffle={shuffle}, seed=None")


def check_directory(directory):
    if not isinstance(directory, (str, os.PathLike)):
        raise ValueError(f"`directory` must be a path to a folder. Received: directory={directory!r}")
    if not os.path.isdir(directory):
        what = "is a file, not a folder" if os.path.exists(directory) else "does not exist"
        raise ValueError(f"The directory {os.fspath(directory)!r} {what}: expected a folder holding the files "
                         f"(with labels='inferred', one subfolder per class).")


def _files_of(folder, follow_links, formats):
    """Relative paths of the allowed files under ``folder``, in Keras's order (walked folders sorted, then files)."""
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                found.append(os.path.relpath(os.path.join(root, name), folder))
    return found


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None, follow_links=False,
                    verbose=True):
    """``(file_paths, labels, class_names)`` of the files under ``directory``.

    Args:
        directory: the folder.
        labels: ``"inferred"`` (one subfolder per class), a list/tuple of labels in the files' order, or None.
        formats: the allowed extensions, lowercase with the dot (``(".png", ".jpg")``).
        class_names: with inferred labels, the subfolders to use, in this order (a subset of them).
        shuffle, seed: shuffle paths and labels with ``np.random.RandomState(seed)`` (a random seed when None).
        follow_links: follow symbolic links to folders.
        verbose: print how many files and classes were found.
    """
    check_directory(directory)
    directory = os.fspath(directory)
    if labels == "inferred":
        subdirs = [name for name in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(f"The `class_names` passed did not match the names of the subdirectories of the "
                                 f"target directory. Expected: {subdirs} (or a subset of it), but received: "
                                 f"class_names={class_names}")
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError("When `labels=None` (no labels), argument `class_names` cannot be specified.")
            raise ValueError("When argument `labels` is specified, argument `class_names` cannot be specified (the "
                             "`class_names` will be the sorted list of labels).")
    filenames, file_labels = [], []
    for index, subdir in enumerate(subdirs):
        names = _files_of(os.path.join(directory, subdir), follow_links, formats)
        filenames += [os.path.join(subdir, name) if subdir else name for name in names]
        file_labels += [index] * len(names)

    if labels == "inferred":
        label_array = np.asarray(file_labels, dtype="int32")
        class_names = subdirs
    elif labels is None:
        label_array, class_names = None, None
    else:
        if len(labels) != len(filenames):
            raise ValueError(f"Expected the lengths of `labels` to match the number of files in the target "
                             f"directory. len(labels) is {len(labels)} while we found {len(filenames)} files in "
                             f"directory {directory}.")
        label_array = np.asarray(labels)
        class_names = [str(label) for label in sorted(set(labels))]
    if verbose:
        if label_array is None:
            print(f"Found {len(filenames)} files.")
        else:
            print(f"Found {len(filenames)} files belonging to {len(class_names)} classes.")
    file_paths = [os.path.join(directory, name) for name in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(file_paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return file_paths, label_array, class_names


def training_or_validation_split(samples, labels, validation_split, subset, verbose=True):
    """The ``subset`` (``"training"`` or ``"validation"``) part: validation is the last fraction."""
    if not validation_split:
        return samples, labels
    num_validation = int(validation_split * len(samples))
    if subset == "training":
        if verbose:
            print(f"Using {len(samples) - num_validation} files for training.")
        return samples[:-num_validation], None if labels is None else labels[:-num_validation]
    if subset == "validation":
        if verbose:
            print(f"Using {num_validation} files for validation.")
        return samples[-num_validation:], None if labels is None else labels[-num_validation:]
    raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')


def check_label_arguments(labels, label_mode, class_names, format, what):
    """Keras's checks of ``labels``, ``label_mode``, ``class_names`` and ``format``; ``what`` names the files
    (``"image files"``, ``"text samples"``)."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(f"`labels` argument should be a list/tuple of integer labels, of the same size as the "
                             f"number of {what} in the target directory. If you wish to infer the labels from the "
                             f"subdirectory names in the target directory, pass `labels=\"inferred\"`. If you wish "
                             f"to get a dataset that only contains {what} (no labels), pass `labels=None`. "
                             f"Received: labels={labels}")
        if class_names:
            raise ValueError(f"You can only pass `class_names` if `labels=\"inferred\"`. Received: labels={labels}, "
                             f"and class_names={class_names}")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f'`label_mode` argument must be one of "int", "categorical", "binary", or None. Received: '
                         f'label_mode={label_mode}')
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')


def check_binary_classes(label_mode, class_names):
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f'When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: '
                         f'class_names={class_names}')


def datasets_for_subset(paths, labels, validation_split, subset, shuffle, verbose, make):
    """``make(paths, labels, shuffle, what)`` for the requested subset, or ``[training, validation]`` for
    ``subset="both"`` (validation never shuffled, as in Keras)."""
    if subset == "both":
        train = training_or_validation_split(paths, labels, validation_split, "training", verbose)
        validation = training_or_validation_split(paths, labels, validation_split, "validation", verbose)
        return [make(*train, shuffle, "training "), make(*validation, False, "validation ")]
    paths, labels = training_or_validation_split(paths, labels, validation_split, subset, verbose)
    return make(paths, labels, shuffle, "")
