"""Small fake files in the exact formats of Keras's dataset caches, made deterministically.

Shared by the recorder (tools/golden_datasets.py, which runs Keras's own loaders on them) and the tests (which run
kerastorch's on the same files). Every value is a fixed function of its position, so a file with fewer rows holds
exactly the first rows of a larger one: CIFAR-10's loader in Keras needs 10,000 rows per batch, the tests use a few.
"""
import gzip
import io
import json
import os
import pickle
import tarfile

import numpy as np


def pattern(shape, salt, modulus=256):
    """uint8-range values that depend on every index and on ``salt`` (not a linear ramp, so a transposition shows)."""
    grids = np.indices(shape, dtype=np.int64)
    mixed = sum((g + 1) * m for g, m in zip(grids, (2654435761, 40503, 9973, 131, 17)[:len(shape)]))
    return ((mixed * (salt + 3) + salt * 977) % modulus).astype(np.int64)


def write_mnist(folder, name="mnist.npz", train=12, test=5):
    os.makedirs(folder, exist_ok=True)
    np.savez_compressed(os.path.join(folder, name),
                        x_train=pattern((train, 28, 28), 1).astype(np.uint8),
                        y_train=(pattern((train,), 2) % 10).astype(np.uint8),
                        x_test=pattern((test, 28, 28), 3).astype(np.uint8),
                        y_test=(pattern((test,), 4) % 10).astype(np.uint8))
    return os.path.join(folder, name)


def _idx(data, magic):
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in data.shape)
    return gzip.compress(header + data.astype(np.uint8).tobytes(), mtime=0)


def write_fashion_mnist(folder, train=9, test=4):
    """The four gzip'd IDX files under ``folder`` (Keras's ``datasets/fashion-mnist``)."""
    os.makedirs(folder, exist_ok=True)
    parts = {"train-labels-idx1-ubyte.gz": _idx(pattern((train,), 5) % 10, 2049),
             "train-images-idx3-ubyte.gz": _idx(pattern((train, 28, 28), 6), 2051),
             "t10k-labels-idx1-ubyte.gz": _idx(pattern((test,), 7) % 10, 2049),
             "t10k-images-idx3-ubyte.gz": _idx(pattern((test, 28, 28), 8), 2051)}
    for name, payload in parts.items():
        with open(os.path.join(folder, name), "wb") as file:
            file.write(payload)
    return folder


def _tar_gz(path, members):
    with tarfile.open(path, "w:gz") as archive:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(payload), 0
            archive.addfile(info, io.BytesIO(payload))


def _cifar_pickle(data, labels, label_keys):
    # As the official files: a dict with bytes keys, the pixels a uint8 array of rows of 3072 (R, G, B planes).
    content = {b"batch_label": b"fake batch", b"data": data.astype(np.uint8), b"filenames": [b"x.png"] * len(data)}
    for key in label_keys:
        content[key] = [int(v) for v in labels[key]]
    return pickle.dumps(content, protocol=3)  # protocol 3 stores bytes as bytes (no globals)


def write_cifar10(archive_path, rows_per_batch=6):
    members = {}
    for i, name in enumerate(["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
                              "test_batch"]):
        data = pattern((rows_per_batch, 3072), 10 + i)
        labels = {b"labels": pattern((rows_per_batch,), 20 + i) % 10}
        members[f"cifar-10-batches-py/{name}"] = _cifar_pickle(data, labels, [b"labels"])
    os.makedirs(os.path.dirname(archive_path), exist_ok=True)
    _tar_gz(archive_path, members)
    return archive_path


def write_cifar100(archive_path, train=8, test=4):
    members = {}
    for i, (name, rows) in enumerate([("train", train), ("test", test)]):
        labels = {b"fine_labels": pattern((rows,), 30 + i) % 100, b"coarse_labels": pattern((rows,), 40 + i) % 20}
        members[f"cifar-100-python/{name}"] = _cifar_pickle(pattern((rows, 3072), 50 + i), labels,
                                                            [b"fine_labels", b"coarse_labels"])
    os.makedirs(os.path.dirname(archive_path), exist_ok=True)
    _tar_gz(archive_path, members)
    return archive_path


def _sequences(count, salt, longest=9, vocabulary=40):
    lengths = pattern((count,), salt) % longest + 1
    return [list(pattern((int(n),), salt * 7 + k) % vocabulary) for k, n in enumerate(lengths)]


def _object_array(lists):
    array = np.empty(len(lists), dtype=object)
    for i, item in enumerate(lists):
        array[i] = [int(v) for v in item]
    return array


def write_imdb(folder, train=10, test=6):
    os.makedirs(folder, exist_ok=True)
    np.savez(os.path.join(folder, "imdb.npz"),
             x_train=_object_array(_sequences(train, 60)), y_train=(pattern((train,), 61) % 2).astype(np.int64),
             x_test=_object_array(_sequences(test, 62)), y_test=(pattern((test,), 63) % 2).astype(np.int64))
    write_word_index(os.path.join(folder, "imdb_word_index.json"))
    return os.path.join(folder, "imdb.npz")


def write_reuters(folder, count=15):
    os.makedirs(folder, exist_ok=True)
    np.savez(os.path.join(folder, "reuters.npz"), x=_object_array(_sequences(count, 70)),
             y=(pattern((count,), 71) % 46).astype(np.int64))
    write_word_index(os.path.join(folder, "reuters_word_index.json"))
    return os.path.join(folder, "reuters.npz")


def write_word_index(path):
    words = {f"word{i}": i + 1 for i in range(12)}
    with open(path, "w") as file:
        json.dump(words, file)
    return path


def write_housing(folder, name, rows, features, salt):
    os.makedirs(folder, exist_ok=True)
    x = pattern((rows, features), salt).astype(np.float64) / 7.0
    y = pattern((rows,), salt + 1).astype(np.float64) / 3.0
    np.savez(os.path.join(folder, name), x=x, y=y)
    return os.path.join(folder, name)


def write_all(keras_home, cifar10_rows=6):
    """Every fake file under ``keras_home`` in Keras 3's cache layout; returns {name: path}."""
    datasets = os.path.join(keras_home, "datasets")
    return {
        "mnist": write_mnist(datasets),
        "fashion_mnist": write_fashion_mnist(os.path.join(datasets, "fashion-mnist")),
        "cifar10": write_cifar10(os.path.join(datasets, "cifar-10-batches-py-target_archive"), cifar10_rows),
        "cifar100": write_cifar100(os.path.join(datasets, "cifar-100-python-target_archive")),
        "imdb": write_imdb(datasets),
        "reuters": write_reuters(datasets),
        "boston_housing": write_housing(datasets, "boston_housing.npz", 23, 13, 80),
        "california_housing": write_housing(datasets, "california_housing.npz", 640, 8, 90),
    }
