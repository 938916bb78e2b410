"""Record Keras's dataset loaders on fake files in Keras's own formats (run by hand with Keras 3 installed).

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_datasets.py

tests/datasets/fake_files.py writes the fake cache (mnist.npz, the CIFAR tar.gz archives of pickles, imdb.npz with
its word index, ...) into a temporary KERAS_HOME; Keras's loaders read it (their hash check is switched off here,
since the fakes are not the published files) and their outputs go to tests/golden/datasets/: arrays in
loaders.npz, the integer sequences of imdb/reuters in sequences.json. Keras's CIFAR-10 loader needs 10,000 rows per
batch, so it gets full-size fakes and the first rows of each batch are recorded (the tests' fakes hold just those
rows).
"""
import json
import os
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "datasets"))
OUT = ROOT / "tests" / "golden" / "datasets"
CIFAR10_TEST_ROWS = 6
SEQUENCE_CASES = {
    "default": {},
    "num_words_skip_top": {"num_words": 20, "skip_top": 3},
    "maxlen_seed": {"maxlen": 6, "seed": 7},
    "no_start_no_oov": {"start_char": None, "oov_char": None, "num_words": 25},
    "index_from_0": {"start_char": None, "index_from": 0},
}


def main():
    home = tempfile.mkdtemp(prefix="golden-datasets-")
    os.environ["KERAS_HOME"] = home
    import fake_files
    fake_files.write_all(home, cifar10_rows=10000)

    import numpy as np
    import keras
    from keras.src.utils import file_utils
    file_utils.validate_file = lambda *args, **kwargs: True  # the fakes are not the published files

    arrays = {}

    def put(name, splits):
        (x_train, y_train), (x_test, y_test) = splits
        for key, value in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test), ("y_test", y_test)):
            arrays[f"{name}/{key}"] = value

    put("mnist", keras.datasets.mnist.load_data())
    put("fashion_mnist", keras.datasets.fashion_mnist.load_data())
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    rows = np.concatenate([np.arange(b * 10000, b * 10000 + CIFAR10_TEST_ROWS) for b in range(5)])
    put("cifar10", ((x_train[rows], y_train[rows]), (x_test[:CIFAR10_TEST_ROWS], y_test[:CIFAR10_TEST_ROWS])))
    for mode in ("fine", "coarse"):
        put(f"cifar100_{mode}", keras.datasets.cifar100.load_data(label_mode=mode))
    put("boston_housing", keras.datasets.boston_housing.load_data())
    put("boston_housing_split_seed", keras.datasets.boston_housing.load_data(test_split=0.3, seed=5))
    for version in ("large", "small"):
        put(f"california_housing_{version}", keras.datasets.california_housing.load_data(version=version))

    sequences = {"dtypes": {}}
    for module_name in ("imdb", "reuters"):
        module = getattr(keras.datasets, module_name)
        cases = dict(SEQUENCE_CASES)
        if module_name == "reuters":
            cases["test_split"] = {"test_split": 0.4}
        for case, arguments in cases.items():
            (x_train, y_train), (x_test, y_test) = module.load_data(**arguments)
            sequences[f"{module_name}/{case}"] = {
                "arguments": arguments, "x_train": [list(map(int, s)) for s in x_train],
                "y_train": y_train.tolist(), "x_test": [list(map(int, s)) for s in x_test], "y_test": y_test.tolist()}
            sequences["dtypes"][f"{module_name}/{case}"] = [str(x_train.dtype), str(y_train.dtype),
                                                            str(x_test.dtype), str(y_test.dtype)]
        sequences[f"{module_name}/word_index"] = module.get_word_index()
    sequences["reuters/label_names"] = list(keras.datasets.reuters.get_label_names())

    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "loaders.npz", **arrays)
    (OUT / "sequences.json").write_text(json.dumps(sequences, sort_keys=True))
    print(f"wrote {len(arrays)} arrays and {len(sequences)} sequence entries, Keras {keras.__version__}")


if __name__ == "__main__":
    main()
