"""image_dataset_from_directory, text_dataset_from_directory, timeseries_dataset_from_array and split_dataset
against Keras 3 on TensorFlow (tests/golden/data, recorded by tools/golden_data.py over the trees of
fake_tree.py): the same files in the same order and splits, labels, class names and pixel values.

Pixel tolerance: PNG, BMP and GIF decode to the same bytes, and bilinear, nearest, area, crop and pad resizing
match TensorFlow's to float32 rounding (atol 1e-3); the one JPEG decodes with a different IDCT than TensorFlow's,
off by at most 5 levels (atol 6 for that file only).
"""
import os

import numpy as np
import pytest
import torch

import fake_tree
import kerastorch as keras
from golden_loader import golden_json, golden_npz
from kerastorch.data import AUTOTUNE
from kerastorch.utils import (image_dataset_from_directory, split_dataset, text_dataset_from_directory,
                              timeseries_dataset_from_array)

RECORD = golden_json("data/loaders.json")
ARRAYS = golden_npz("data/loaders.npz")


@pytest.fixture(scope="module")
def image_root(tmp_path_factory):
    return fake_tree.write_image_tree(tmp_path_factory.mktemp("trees") / "images")


@pytest.fixture(scope="module")
def text_root(tmp_path_factory):
    return fake_tree.write_text_tree(tmp_path_factory.mktemp("texts") / "texts")


def gather(dataset, batched):
    elements = list(dataset)
    labelled = isinstance(elements[0], tuple)
    join = torch.cat if batched else torch.stack
    x = join([e[0] if labelled else e for e in elements]).numpy()
    return x, (join([e[1] for e in elements]).numpy() if labelled else None)


def cases(prefix):
    return sorted(key[len(prefix):] for key in RECORD if key.startswith(prefix))


@pytest.mark.parametrize("case", cases("images/"))
def test_image_dataset_matches_keras(image_root, case):
    expected = RECORD[f"images/{case}"]
    arguments = dict(expected["arguments"])
    dataset = image_dataset_from_directory(image_root, verbose=False, **arguments)
    assert fake_tree.relative(dataset.file_paths, image_root) == expected["file_paths"]
    assert dataset.class_names == expected["class_names"]
    x, y = gather(dataset, arguments.get("batch_size", 32) is not None)
    golden_x = ARRAYS[f"images/{case}/x"]
    assert x.dtype == golden_x.dtype and x.shape == golden_x.shape
    jpeg = np.array([path.endswith(".jpg") for path in expected["file_paths"]])
    np.testing.assert_allclose(x[~jpeg].astype("float32"), golden_x[~jpeg].astype("float32"), atol=1e-3)
    np.testing.assert_allclose(x[jpeg].astype("float32"), golden_x[jpeg].astype("float32"), atol=6)
    if "y_dtype" in expected:
        assert y.dtype == np.dtype(expected["y_dtype"])
        np.testing.assert_array_equal(y, ARRAYS[f"images/{case}/y"])
    else:
        assert y is None


@pytest.mark.parametrize("case", cases("split/"))
def test_same_seed_puts_the_same_files_in_the_same_split_as_keras(image_root, case):
    expected = RECORD[f"split/{case}"]
    result = image_dataset_from_directory(image_root, image_size=(4, 4), verbose=False, **expected["arguments"])
    parts = result if isinstance(result, list) else [result]
    assert len(parts) == len(expected["parts"])
    for part, golden in zip(parts, expected["parts"]):
        assert fake_tree.relative(part.file_paths, image_root) == golden["file_paths"]
        assert part.class_names == golden["class_names"]
        assert sum(len(x) for x, _ in part) == golden["count"] == len(part.file_paths)


def test_shuffled_labels_follow_their_images(image_root):
    arguments = dict(image_size=(4, 4), batch_size=None, verbose=False)
    label_of = {x.numpy().tobytes(): int(y) for x, y in image_dataset_from_directory(image_root, shuffle=False,
                                                                                 **arguments)}
    assert len(label_of) == 10
    shuffled = list(image_dataset_from_directory(image_root, seed=3, **arguments))
    assert [label_of[x.numpy().tobytes()] for x, _ in shuffled] == [int(y) for _, y in shuffled]


def test_each_epoch_is_a_fresh_permutation_of_the_same_files(image_root):
    dataset = image_dataset_from_directory(image_root, image_size=(4, 4), seed=1, batch_size=None, verbose=False)
    first, second = [x.sum().item() for x, _ in dataset], [x.sum().item() for x, _ in dataset]
    assert sorted(first) == sorted(second) and first != second


@pytest.mark.parametrize("case", cases("text/"))
def test_text_dataset_matches_keras(text_root, case):
    expected = RECORD[f"text/{case}"]
    arguments = dict(expected["arguments"])
    result = text_dataset_from_directory(text_root, verbose=False, **arguments)
    parts = result if isinstance(result, list) else [result]
    for part, golden in zip(parts, expected["parts"]):
        elements = list(part.unbatch() if arguments.get("batch_size", 32) else part)
        texts = [str(text) for text, _ in elements]
        assert part.class_names == golden["class_names"] and len(elements) == golden["count"]
        if "texts" in golden:
            assert texts == golden["texts"]
            assert [label.tolist() for _, label in elements] == golden["labels"]
        else:
            assert sorted(texts) == golden["texts_sorted"]


@pytest.mark.parametrize("case", cases("timeseries/"))
def test_timeseries_dataset_matches_keras(case):
    expected = RECORD[f"timeseries/{case}"]
    arguments = expected["arguments"]
    data, targets = np.arange(40, dtype="float64").reshape(20, 2) * 1.5, np.arange(100, 120)
    dataset = timeseries_dataset_from_array(data, targets, **arguments)
    elements = list(dataset)
    batched = arguments.get("batch_size", 128) is not None
    x, y = gather(dataset, batched)
    if arguments.get("shuffle"):
        order = np.argsort(y)
        x, y = x[order], y[order]
    np.testing.assert_array_equal(x, ARRAYS[f"timeseries/{case}/x"])
    np.testing.assert_array_equal(y, ARRAYS[f"timeseries/{case}/y"])
    assert str(x.dtype) == expected["x_dtype"] and str(y.dtype) == expected["y_dtype"]
    if batched:
        assert [len(e[0]) for e in elements] == expected["batch_sizes"]


@pytest.mark.parametrize("case", cases("split_dataset/"))
def test_split_dataset_matches_keras(case):
    features, labels = np.arange(30, dtype="float32").reshape(10, 3), np.arange(10)
    left, right = split_dataset((features, labels), **RECORD[f"split_dataset/{case}"]["arguments"])
    for side, part in (("left", left), ("right", right)):
        x, y = gather(part, batched=False)
        np.testing.assert_array_equal(x, ARRAYS[f"split_dataset/{case}/{side}/x"])
        np.testing.assert_array_equal(y, ARRAYS[f"split_dataset/{case}/{side}/y"])


def test_split_dataset_of_a_batched_dataset_keeps_its_batch_size():
    dataset = keras.data.Dataset.from_tensor_slices(np.arange(10)).batch(3)
    left, right = split_dataset(dataset, left_size=0.6)
    assert [len(b) for b in left] == [3, 3] and [len(b) for b in right] == [3, 1]


def test_decoding_in_worker_processes_gives_the_same_batches(image_root):
    arguments = dict(image_size=(5, 5), shuffle=False, batch_size=4, verbose=False)
    inline = gather(image_dataset_from_directory(image_root, num_workers=0, **arguments), True)
    workers = gather(image_dataset_from_directory(image_root, num_workers=2, **arguments), True)
    np.testing.assert_array_equal(inline[0], workers[0])
    np.testing.assert_array_equal(inline[1], workers[1])


# ---- bad input ---------------------------------------------------------------------------------------------

def test_missing_directory_is_named(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        image_dataset_from_directory(str(tmp_path / "nowhere"))


def test_empty_directory_says_no_images_found(tmp_path):
    with pytest.raises(ValueError, match="No images found in directory"):
        image_dataset_from_directory(str(tmp_path), verbose=False)
    with pytest.raises(ValueError, match="No text files found in directory"):
        text_dataset_from_directory(str(tmp_path), verbose=False)


def test_validation_split_without_seed_is_refused(image_root):
    with pytest.raises(ValueError, match="you must provide a `seed` argument"):
        image_dataset_from_directory(image_root, validation_split=0.2, subset="training")


def test_subset_without_validation_split_is_refused(image_root):
    with pytest.raises(ValueError, match="If `subset` is set, `validation_split` must be set"):
        image_dataset_from_directory(image_root, subset="training", seed=1)


def test_unknown_label_mode_is_refused(image_root):
    with pytest.raises(ValueError, match="label_mode=sparse"):
        image_dataset_from_directory(image_root, label_mode="sparse")
    with pytest.raises(ValueError, match="label_mode=sparse"):
        text_dataset_from_directory(image_root, label_mode="sparse")


def test_binary_label_mode_needs_two_classes(image_root):
    with pytest.raises(ValueError, match="exactly 2 class_names"):
        image_dataset_from_directory(image_root, label_mode="binary", verbose=False)


def test_class_names_must_be_subfolders(image_root):
    with pytest.raises(ValueError, match="did not match the names of the subdirectories"):
        image_dataset_from_directory(image_root, class_names=["cats", "fish"], verbose=False)


def test_corrupt_image_raises_naming_its_path(tmp_path):
    folder = tmp_path / "tree" / "only"
    folder.mkdir(parents=True)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    dataset = image_dataset_from_directory(str(tmp_path / "tree"), image_size=(4, 4), verbose=False)
    with pytest.raises(ValueError, match=r"Could not decode the image file .*broken\.png"):
        list(dataset)


# ---- training ------------------------------------------------------------------------------------------------

def test_a_model_trains_from_a_mapped_cached_prefetched_directory_dataset(image_root):
    dataset = image_dataset_from_directory(image_root, image_size=(8, 8), batch_size=4, seed=0, verbose=False)
    dataset = dataset.map(lambda x, y: (x / 255.0, y)).cache().prefetch(AUTOTUNE)
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(dataset, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert dataset.class_names == ["birds", "cats", "dogs"]


def test_split_dataset_takes_a_torch_dataset():
    tensors = torch.utils.data.TensorDataset(torch.arange(10.0)[:, None], torch.arange(10))
    left, right = split_dataset(tensors, right_size=3)
    assert [int(y) for _, y in left] == list(range(7)) and [int(y) for _, y in right] == [7, 8, 9]
