"""Where the dataset loaders find their files: Keras's cache, in Keras's names and formats.

Each file is looked up in ``$KERAS_HOME/datasets`` (default ``~/.keras/datasets``) and checked against its
published hash, as Keras checks it; a missing or outdated file is downloaded through ``get_file`` when the network
allows, and otherwise a ``DownloadError`` names the file, the folder to put it in and the URL within seconds.

``KERASTORCH_DATASETS_ORIGIN`` (an environment variable) replaces the servers files are downloaded from with one
base URL (a mirror, or a closed port to test offline behaviour): the file ``mnist.npz`` is then fetched from
``$KERASTORCH_DATASETS_ORIGIN/mnist.npz``.

Pickled content (CIFAR's batches, the object arrays of imdb.npz and reuters.npz) is read by ``SafeUnpickler``,
which builds only dicts, lists, tuples, strings, bytes, numbers and numpy arrays, and refuses anything else.
"""
import io
import os
import pickle
import zipfile

import numpy as np

from kerastorch.utils.file_utils import get_file, keras_home

KERAS_DATASETS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CIFAR_ORIGIN = "https://www.cs.toronto.edu/~kriz/"

# The published hashes of Keras's dataset files (SHA-256, or MD5 for the word indexes), by file name.
PUBLISHED_HASHES = {
    "mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    "cifar-10-python.tar.gz": "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    "cifar-100-python.tar.gz": "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
    "imdb.npz": "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    "imdb_word_index.json": "bfafd718b763782e994055a2d397834f",
    "reuters.npz": "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
    "reuters_word_index.json": "4d44cc38712099c9e383dc6e5f11a921",
    "boston_housing.npz": "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
    "california_housing.npz": "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f",
}


def origin(published_name, default_base=KERAS_DATASETS_ORIGIN):
    """The URL of ``published_name``: on ``KERASTORCH_DATASETS_ORIGIN`` when set, else on Keras's server."""
    base = os.environ.get("KERASTORCH_DATASETS_ORIGIN") or default_base
    return base.rstrip("/") + "/" + published_name


def dataset_file(fname, published_name, default_base=KERAS_DATASETS_ORIGIN, cache_subdir="datasets",
                 extract=False):
    """The path of a dataset file in Keras's cache (downloaded when missing), checked against its published
    hash when it has one."""
    return get_file(fname=fname, origin=origin(published_name, default_base),
                    file_hash=PUBLISHED_HASHES.get(published_name), cache_subdir=cache_subdir, extract=extract)


def extracted_folder(dirname, inner, published_name, default_base, expected_member):
    """The folder of an extracted archive: Keras 3's layout (``datasets/<dirname>/<inner>``, beside the archive
    ``<dirname>_archive``), else Keras 2's (``datasets/<inner>``), else downloaded and extracted now."""
    datasets = os.path.join(keras_home(), "datasets")
    for candidate in (os.path.join(datasets, dirname, inner), os.path.join(datasets, inner)):
        if os.path.isfile(os.path.join(candidate, expected_member)):
            return candidate
    return os.path.join(dataset_file(dirname, published_name, default_base, extract=True), inner)


# ---- safe reading of pickled content -----------------------------------------------------------------------

# The only globals a pickle may name: what numpy needs to rebuild an array.
_ALLOWED_GLOBALS = frozenset({("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
                              ("numpy._core.multiarray", "_reconstruct")})


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that builds only containers, strings, bytes, numbers and numpy arrays.

    Any other class or function the pickle names is refused with an ``UnpicklingError`` that names it, before
    anything is called.
    """

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"Refusing to load `{module}.{name}` from a dataset file: only dicts, lists, "
                                     f"strings, bytes, numbers and numpy arrays are read. The file may be corrupted "
                                     f"or malicious.")


def load_pickle(path, encoding="bytes"):
    """The content of a pickle file, read by ``SafeUnpickler``."""
    with open(path, "rb") as file:
        return SafeUnpickler(file, encoding=encoding).load()


def _read_npy(buffer):
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:  # an object array: its payload is a pickle
        buffer.seek(0)
        version = np.lib.format.read_magic(buffer)
        if version == (1, 0):
            np.lib.format.read_array_header_1_0(buffer)
        elif version[0] in (2, 3):
            np.lib.format.read_array_header_2_0(buffer)
        else:
            raise ValueError(f"Unsupported .npy format version {version} in a dataset file.")
        return SafeUnpickler(buffer).load()


def load_npz(path):
    """The arrays of an .npz file, object arrays included (their pickles read by ``SafeUnpickler``)."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                arrays[member[:-4]] = _read_npy(io.BytesIO(archive.read(member)))
    return arrays


def check_test_split(test_split):
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 (exclusive of "
                         f"1).")


def shuffled_split(x, y, test_split, seed):
    """Keras's split of (x, y): shuffled with ``np.random.RandomState(seed)``, the last ``test_split`` held out."""
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    split_at = int(len(x) * (1 - test_split))
    return (np.array(x[:split_at]), np.array(y[:split_at])), (np.array(x[split_at:]), np.array(y[split_at:]))
