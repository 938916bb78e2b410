"""keras.datasets loaders on fake files in Keras's formats: the arrays Keras's own loaders gave for the same files
(tests/golden/datasets, recorded by tools/golden_datasets.py), Keras 2's cache layout, offline failure, and the
restricted unpickler."""
import os
import pickle
import socket
import tarfile
import time

import numpy as np
import pytest

import fake_files
from golden_loader import golden_json, golden_npz
from kerastorch import datasets
from kerastorch.datasets import _files
from kerastorch.datasets.cifar import load_batch
from kerastorch.utils.file_utils import DownloadError, hash_file

GOLDEN = golden_npz("datasets/loaders.npz")
SEQUENCES = golden_json("datasets/sequences.json")


def closed_port_origin():
    """A base URL on 127.0.0.1 where nothing listens: any download is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("KERASTORCH_DATASETS_ORIGIN", closed_port_origin())


@pytest.fixture
def fake_cache(tmp_path, monkeypatch, offline):
    """A KERAS_HOME holding every fake file; the published hashes are the fakes' own, so the cache is trusted."""
    paths = fake_files.write_all(str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    published = {"mnist": "mnist.npz", "cifar10": "cifar-10-python.tar.gz", "cifar100": "cifar-100-python.tar.gz",
                 "imdb": "imdb.npz", "reuters": "reuters.npz", "boston_housing": "boston_housing.npz",
                 "california_housing": "california_housing.npz"}
    for key, name in published.items():
        monkeypatch.setitem(_files.PUBLISHED_HASHES, name, hash_file(paths[key]))
    for name in ("imdb_word_index.json", "reuters_word_index.json"):
        monkeypatch.setitem(_files.PUBLISHED_HASHES, name, hash_file(tmp_path / "datasets" / name, "md5"))
    return tmp_path


def assert_same_splits(name, splits):
    (x_train, y_train), (x_test, y_test) = splits
    for key, value in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test), ("y_test", y_test)):
        expected = GOLDEN[f"{name}/{key}"]
        assert value.dtype == expected.dtype and value.shape == expected.shape, key
        np.testing.assert_array_equal(value, expected, err_msg=key)


def test_mnist_matches_keras(fake_cache):
    assert_same_splits("mnist", datasets.mnist.load_data())


def test_fashion_mnist_matches_keras(fake_cache):
    assert_same_splits("fashion_mnist", datasets.fashion_mnist.load_data())


def test_cifar10_matches_keras_and_extracts_the_archive(fake_cache):
    assert_same_splits("cifar10", datasets.cifar10.load_data())
    assert os.path.isfile(fake_cache / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py" / "test_batch")


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_matches_keras_for_each_label_mode(fake_cache, label_mode):
    assert_same_splits(f"cifar100_{label_mode}", datasets.cifar100.load_data(label_mode=label_mode))


def test_cifar100_rejects_unknown_label_mode():
    with pytest.raises(ValueError, match="label_mode=medium"):
        datasets.cifar100.load_data(label_mode="medium")


def test_boston_housing_matches_keras_with_default_and_given_split(fake_cache):
    assert_same_splits("boston_housing", datasets.boston_housing.load_data())
    assert_same_splits("boston_housing_split_seed", datasets.boston_housing.load_data(test_split=0.3, seed=5))


@pytest.mark.parametrize("version", ["large", "small"])
def test_california_housing_matches_keras_for_each_version(fake_cache, version):
    assert_same_splits(f"california_housing_{version}", datasets.california_housing.load_data(version=version))


def test_housing_rejects_test_split_of_one():
    with pytest.raises(ValueError, match="Invalid `test_split` argument: 1"):
        datasets.boston_housing.load_data(test_split=1)


@pytest.mark.parametrize("module_name", ["imdb", "reuters"])
def test_sequence_datasets_match_keras_for_every_argument_case(fake_cache, module_name):
    module = getattr(datasets, module_name)
    cases = [key for key in SEQUENCES if key.startswith(module_name + "/") and "arguments" in SEQUENCES[key]]
    assert len(cases) >= 5
    for case in cases:
        expected = SEQUENCES[case]
        (x_train, y_train), (x_test, y_test) = module.load_data(**expected["arguments"])
        assert [list(s) for s in x_train] == expected["x_train"], case
        assert [list(s) for s in x_test] == expected["x_test"], case
        assert y_train.tolist() == expected["y_train"] and y_test.tolist() == expected["y_test"], case
        dtypes = [str(a.dtype) for a in (x_train, y_train, x_test, y_test)]
        assert dtypes == SEQUENCES["dtypes"][case], case


@pytest.mark.parametrize("module_name", ["imdb", "reuters"])
def test_get_word_index_matches_keras(fake_cache, module_name):
    assert getattr(datasets, module_name).get_word_index() == SEQUENCES[f"{module_name}/word_index"]


def test_reuters_label_names_match_keras():
    assert list(datasets.reuters.get_label_names()) == SEQUENCES["reuters/label_names"]


def test_keras2_cache_layout_for_cifar_is_read(tmp_path, monkeypatch, offline):
    # Keras 2 extracted cifar-10-python.tar.gz straight into datasets/.
    archive = fake_files.write_cifar10(str(tmp_path / "archive.tar.gz"))
    with tarfile.open(archive) as opened:
        opened.extractall(tmp_path / "datasets", filter="data")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert_same_splits("cifar10", datasets.cifar10.load_data())


@pytest.mark.parametrize("load", [datasets.mnist.load_data, datasets.fashion_mnist.load_data,
                                  datasets.cifar10.load_data, datasets.cifar100.load_data, datasets.imdb.load_data,
                                  datasets.imdb.get_word_index, datasets.reuters.load_data,
                                  datasets.boston_housing.load_data, datasets.california_housing.load_data])
def test_empty_cache_offline_fails_fast_naming_file_folder_and_url(tmp_path, monkeypatch, offline, load):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    started = time.monotonic()
    with pytest.raises(DownloadError) as error:
        load()
    assert time.monotonic() - started < 10
    message = str(error.value)
    assert str(tmp_path / "datasets") in message and os.environ["KERASTORCH_DATASETS_ORIGIN"] in message
    assert "could not be downloaded" in message


def test_a_cached_file_with_another_hash_is_downloaded_again(tmp_path, monkeypatch, offline):
    fake_files.write_mnist(str(tmp_path / "datasets"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(DownloadError, match="mnist.npz"):
        datasets.mnist.load_data()   # the real published hash: the fake is not trusted


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo should-never-run",))


def test_cifar_pickles_with_other_globals_are_refused(tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": _Boom(), b"labels": [1]}))
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load `(posix|os|nt).system`"):
        load_batch(str(path))


def test_safe_unpickler_reads_containers_and_arrays(tmp_path):
    content = {b"a": [1, 2.5, "s", b"b", (3,)], b"x": np.arange(6, dtype=np.uint8).reshape(2, 3)}
    path = tmp_path / "ok.pkl"
    path.write_bytes(pickle.dumps(content, protocol=4))
    loaded = _files.load_pickle(str(path))
    assert loaded[b"a"] == [1, 2.5, "s", b"b", (3,)]
    np.testing.assert_array_equal(loaded[b"x"], content[b"x"])
