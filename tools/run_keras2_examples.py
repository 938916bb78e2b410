"""Run Keras 2.3.1's example programs, unmodified, through ``kerastorch run``, on small generated data.

Run by hand (not part of ``make test``)::

    .venv/bin/python tools/run_keras2_examples.py [--examples DIR] [--only mnist_mlp,imdb_cnn] [--timeout S]
                                                  [--keep FOLDER]

For each example it makes a fresh Keras cache (``KERAS_HOME``) holding small files in Keras's own formats
(mnist.npz, CIFAR-10's python batches, imdb.npz and its word index, reuters.npz, the bAbI tasks archive, the
nietzsche text, the VGG16 "notop" weights file) and a working folder (with ``fra-eng/fra.txt`` for the seq2seq
examples), runs ``kerastorch run EXAMPLE.py`` there in a subprocess with a time limit, and prints a table: pass,
fail (with the first line of the error) or timeout (with the last line the program printed).

The examples' sizes and epochs are fixed in their source; the generated data is what keeps most of them short.
A few generate their own data (addition_rnn, conv_lstm, lstm_stateful) or loop over a fixed amount of work
(lstm_text_generation's sampling, conv_filter_visualization's 512 filters) and are expected to run out of time:
their row says how far they got.

The generated files are not Keras's published ones, so their hashes differ from the published hashes kerastorch
checks. The child process therefore starts with a few lines (``BOOTSTRAP``) that register the generated files'
own hashes, exactly as tests/datasets does, then calls ``kerastorch run``. ``KERASTORCH_DATASETS_ORIGIN`` and
``KERASTORCH_WEIGHTS_ORIGIN`` point at a closed local port, so nothing is ever downloaded.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import io

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "datasets"))

from fake_files import write_cifar10  # noqa: E402  (tests/datasets/fake_files.py: CIFAR's exact format)

DEFAULT_EXAMPLES = "/work/keras231_examples/examples"
CLOSED_PORT = "http://127.0.0.1:9"

# The acceptance list of issue 16, in the order the examples are run (lstm_seq2seq_restore reads what
# lstm_seq2seq saved, in the same working folder).
EXAMPLES = [
    "mnist_mlp", "mnist_cnn", "mnist_irnn", "mnist_hierarchical_rnn", "mnist_transfer_cnn", "mnist_siamese",
    "mnist_denoising_autoencoder", "variational_autoencoder", "variational_autoencoder_deconv", "imdb_lstm",
    "imdb_cnn", "imdb_cnn_lstm", "imdb_bidirectional_lstm", "imdb_fasttext", "reuters_mlp", "addition_rnn",
    "lstm_text_generation", "lstm_seq2seq", "lstm_seq2seq_restore", "lstm_stateful", "babi_rnn", "babi_memnn",
    "cifar10_cnn", "cifar10_resnet", "conv_lstm", "antirectifier", "conv_filter_visualization", "cnn_seq2seq",
    "mnist_sklearn_wrapper",  # not in the acceptance list: Keras 2's KerasClassifier under GridSearchCV
]

# Rows of generated mnist data per example (train, test): a handful of batches, fewer for the long RNNs.
# mnist_mlp and antirectifier reshape to (60000, 784) and (10000, 784): they get the real sizes;
# mnist_denoising_autoencoder shows 300 test images.
MNIST_ROWS = {"mnist_mlp": (60000, 10000), "antirectifier": (60000, 10000), "mnist_denoising_autoencoder": (200, 300),
              "mnist_irnn": (32, 16), "mnist_hierarchical_rnn": (64, 16), "variational_autoencoder": (128, 32),
              "variational_autoencoder_deconv": (128, 32)}
DEFAULT_MNIST_ROWS = (200, 100)

# Examples whose fixed amount of work (in their source) does not depend on the generated data: they get a shorter
# limit (--fixed-work-timeout), and their timeout row says why (the log shows how far they got). mnist_mlp and
# antirectifier finish in 4 to 8 minutes on two busy cores (--fixed-work-timeout 600); the others take hours.
FIXED_WORK = {
    "mnist_mlp": "reshapes to the full 60,000 rows; 20 epochs",
    "antirectifier": "reshapes to the full 60,000 rows; 40 epochs",
    "addition_rnn": "generates 50,000 questions; 200 iterations",
    "conv_lstm": "generates 1,200 movies; 300 epochs of four ConvLSTM2D layers",
    "lstm_text_generation": "samples 4 x 400 characters one predict at a time after each of 60 epochs",
    "conv_filter_visualization": "gradient ascent on 512 filters of VGG16 at up to 412x412",
}

# Three examples do not run on today's NumPy, Python or matplotlib under any Keras: conv_lstm uses `np.float`
# (removed in NumPy 1.24), babi_memnn splits on an optional regex group (`re.split(r'(\W+)?', ...)` yields None
# pieces since Python 3.7), and variational_autoencoder_deconv sets 31 ticks with 30 labels, which matplotlib
# refuses since 3.5. With --environment-fixes they run from a copy with exactly these replacements, and their row
# says so.
ENVIRONMENT_FIXES = {
    "variational_autoencoder_deconv": [("end_range = n * digit_size + start_range + 1",
                                        "end_range = (n - 1) * digit_size + start_range + 1")],
    "conv_lstm": [("dtype=np.float)", "dtype=float)")],
    "babi_memnn": [("re.split(r'(\\W+)?', sent)", "re.split(r'(\\W+)', sent)")],
}

# Run in the child before `kerastorch run`: trust the generated files' hashes (given as JSON in argv[1]).
BOOTSTRAP = """
import json, sys
hashes = json.loads(sys.argv[1])
from kerastorch.datasets import _files
_files.PUBLISHED_HASHES.update(hashes.get("datasets", {}))
from kerastorch.applications import weights
for network, tops in hashes.get("applications", {}).items():
    for top, (name, md5) in tops.items():
        weights.KERAS_WEIGHTS[network][top == "True"] = (name, md5)
from kerastorch.__main__ import main
sys.exit(main(["run"] + sys.argv[2:]))
"""


# ---- generated data in Keras's formats ------------------------------------------------------------------

def write_mnist(datasets, train, test, seed=0):
    """mnist.npz: uint8 images with a bright block whose place depends on the label, labels cycling 0..9."""
    rng = np.random.RandomState(seed)

    def images(count):
        labels = (np.arange(count) % 10).astype(np.uint8)
        x = rng.randint(0, 60, size=(count, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            row, col = 2 + 8 * (label // 4), 2 + 6 * (label % 4)
            x[i, row:row + 7, col:col + 6] = 250
        return x, labels

    (x_train, y_train), (x_test, y_test) = images(train), images(test)
    path = os.path.join(datasets, "mnist.npz")
    np.savez_compressed(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def _object_array(lists):
    array = np.empty(len(lists), dtype=object)
    for i, item in enumerate(lists):
        array[i] = [int(v) for v in item]
    return array


def _word_sequences(rng, count, vocabulary, longest):
    # As Keras's files: ids start at 1 (start mark) and words at index_from=3.
    return [[1] + list(rng.randint(4, vocabulary, size=rng.randint(5, longest))) for _ in range(count)]


def write_word_index(path, vocabulary):
    with open(path, "w") as file:
        json.dump({f"word{i}": i for i in range(1, vocabulary)}, file)


def write_imdb(datasets, train=64, test=32, seed=1):
    rng = np.random.RandomState(seed)
    np.savez(os.path.join(datasets, "imdb.npz"),
             x_train=_object_array(_word_sequences(rng, train, 300, 120)), y_train=np.arange(train) % 2,
             x_test=_object_array(_word_sequences(rng, test, 300, 120)), y_test=np.arange(test) % 2)
    write_word_index(os.path.join(datasets, "imdb_word_index.json"), 300)


def write_reuters(datasets, count=100, seed=2):
    rng = np.random.RandomState(seed)
    np.savez(os.path.join(datasets, "reuters.npz"), x=_object_array(_word_sequences(rng, count, 500, 60)),
             y=np.arange(count) % 46)
    write_word_index(os.path.join(datasets, "reuters_word_index.json"), 500)


_PEOPLE = ["Mary", "John", "Sandra", "Daniel"]
_PLACES = ["bathroom", "hallway", "kitchen", "garden", "office"]
_OBJECTS = ["football", "apple", "milk"]


def _babi_story_lines(rng, two_facts):
    """One bAbI story in the tasks' text format: numbered facts, questions as ``Q?\\tanswer\\tsupport``."""
    lines, where, number = [], {}, 0
    for _ in range(3):
        for _ in range(2):
            number += 1
            person, place = _PEOPLE[rng.randint(4)], _PLACES[rng.randint(5)]
            where[person] = (place, number)
            lines.append(f"{number} {person} went to the {place}.")
        if two_facts:
            number += 1
            person = list(where)[rng.randint(len(where))]
            thing = _OBJECTS[rng.randint(3)]
            lines.append(f"{number} {person} got the {thing} there.")
            place, moved = where[person]
            number += 1
            lines.append(f"{number} Where is the {thing}? \t{place}\t{moved} {number - 1}")
        else:
            person = list(where)[rng.randint(len(where))]
            place, moved = where[person]
            number += 1
            lines.append(f"{number} Where is {person}? \t{place}\t{moved}")
    return lines


def write_babi(datasets, stories=24, seed=3):
    """babi-tasks-v1-2.tar.gz with the two tasks the examples read (qa1 10k and qa2 1k), train and test."""
    rng = np.random.RandomState(seed)
    members = {}
    for folder, task, two_facts in (("en-10k", "qa1_single-supporting-fact", False),
                                    ("en", "qa2_two-supporting-facts", True)):
        for split in ("train", "test"):
            text = "\n".join(line for _ in range(stories) for line in _babi_story_lines(rng, two_facts)) + "\n"
            members[f"tasks_1-20_v1-2/{folder}/{task}_{split}.txt"] = text.encode()
    with tarfile.open(os.path.join(datasets, "babi-tasks-v1-2.tar.gz"), "w:gz") as archive:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))


def write_nietzsche(datasets, characters=520, seed=4):
    rng = np.random.RandomState(seed)
    words = ["the", "will", "to", "power", "truth", "is", "a", "woman", "what", "of", "good", "and", "evil"]
    text = ""
    while len(text) < characters:
        text += " ".join(words[i] for i in rng.randint(len(words), size=8)).capitalize() + ". "
    with open(os.path.join(datasets, "nietzsche.txt"), "w", encoding="utf-8") as file:
        file.write(text[:characters])


def write_fra_eng(workdir, pairs=100, seed=5):
    # lstm_seq2seq decodes the first 100 pairs; cnn_seq2seq predicts 100 encoder rows with one decoder row per
    # pair, which agree only when there are exactly 100 (with the real file it fails in Keras 2 too).
    rng = np.random.RandomState(seed)
    english = ["go", "run", "wait", "hello", "stop", "eat", "see"]
    french = ["va", "cours", "attends", "salut", "arrete", "mange", "vois"]
    lines = []
    for _ in range(pairs):
        picks = rng.randint(len(english), size=rng.randint(1, 3))
        lines.append(" ".join(english[i] for i in picks).capitalize() + ".\t"
                     + " ".join(french[i] for i in picks).capitalize() + " !")
    os.makedirs(os.path.join(workdir, "fra-eng"), exist_ok=True)
    with open(os.path.join(workdir, "fra-eng", "fra.txt"), "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


def write_vgg16_notop(models_dir, seed=6):
    """vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 in Keras 2's layout (layer_names, weight_names)."""
    import h5py
    rng = np.random.RandomState(seed)
    path = os.path.join(models_dir, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
    blocks, channels, previous = (2, 2, 3, 3, 3), (64, 128, 256, 512, 512), 3
    with h5py.File(path, "w") as file:
        names = []
        for block, (count, width) in enumerate(zip(blocks, channels), start=1):
            for conv in range(1, count + 1):
                name = f"block{block}_conv{conv}"
                names.append(name)
                group = file.create_group(name)
                kernel = (rng.standard_normal((3, 3, previous, width)) * np.sqrt(2.0 / (9 * previous)))
                group.create_dataset(f"{name}/kernel:0", data=kernel.astype(np.float32))
                group.create_dataset(f"{name}/bias:0", data=np.zeros(width, np.float32))
                group.attrs["weight_names"] = [f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()]
                previous = width
            pool = f"block{block}_pool"
            names.append(pool)
            file.create_group(pool).attrs["weight_names"] = np.array([], dtype="S1")
        file.attrs["layer_names"] = [n.encode() for n in names]
    return path


def make_keras_home(folder, example):
    """A Keras cache for ``example`` under ``folder``; returns the hashes the child must trust."""
    from kerastorch.utils.file_utils import hash_file
    datasets = os.path.join(folder, "datasets")
    os.makedirs(datasets, exist_ok=True)
    hashes = {"datasets": {}, "applications": {}}
    train, test = MNIST_ROWS.get(example, DEFAULT_MNIST_ROWS)
    hashes["datasets"]["mnist.npz"] = hash_file(write_mnist(datasets, train, test))
    write_imdb(datasets)
    write_reuters(datasets)
    for name in ("imdb.npz", "reuters.npz"):
        hashes["datasets"][name] = hash_file(os.path.join(datasets, name))
    for name in ("imdb_word_index.json", "reuters_word_index.json"):
        hashes["datasets"][name] = hash_file(os.path.join(datasets, name), "md5")
    # Keras 2's extracted CIFAR layout (datasets/cifar-10-batches-py/...), 6 rows a batch: one batch of 32.
    with tempfile.TemporaryDirectory() as scratch:
        archive = write_cifar10(os.path.join(scratch, "cifar.tar.gz"), rows_per_batch=6)
        with tarfile.open(archive) as tar:
            tar.extractall(datasets, filter="data")
    write_babi(datasets)
    write_nietzsche(datasets)
    if example == "conv_filter_visualization":
        models = os.path.join(folder, "models")
        os.makedirs(models, exist_ok=True)
        path = write_vgg16_notop(models)
        hashes["applications"]["vgg16"] = {"False": (os.path.basename(path), hash_file(path, "md5"))}
    return hashes


# ---- running ------------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def first_error(text):
    """The exception line of the last traceback in ``text`` (or its last non-empty line, progress bars included)."""
    text = _ANSI.sub("", text).replace("\r", "\n").replace("\x08", "")
    lines = [line for line in text.splitlines() if line.strip()]
    if "Traceback (most recent call last):" in text:
        tail = text[text.rindex("Traceback (most recent call last):"):].splitlines()
        for line in reversed(tail):
            if line and not line.startswith(" ") and not line.startswith("Traceback"):
                return line.strip()
    return lines[-1].strip() if lines else ""


def copy_with_fixes(path, folder, replacements):
    """A copy of the example at ``path`` in ``folder`` with ``replacements`` made (each must match)."""
    with open(path, encoding="utf-8") as file:
        source = file.read()
    for old, new in replacements:
        if old not in source:
            raise ValueError(f"{path} no longer contains {old!r}")
        source = source.replace(old, new)
    os.makedirs(folder, exist_ok=True)
    copy = os.path.join(folder, os.path.basename(path))
    with open(copy, "w", encoding="utf-8") as file:
        file.write(source)
    return copy


def run_example(path, keras_home, workdir, hashes, timeout, log_dir):
    name = os.path.splitext(os.path.basename(path))[0]
    env = dict(os.environ, KERAS_HOME=keras_home, KERASTORCH_DATASETS_ORIGIN=CLOSED_PORT,
               KERASTORCH_WEIGHTS_ORIGIN=CLOSED_PORT, MPLBACKEND="Agg", PYTHONPATH=ROOT,
               PYTHONUNBUFFERED="1", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    # One torch thread unless OMP_NUM_THREADS says otherwise: on a shared CPU, threads that wait for each other
    # at every op cost far more than they bring.
    command = [sys.executable, "-c", BOOTSTRAP, json.dumps(hashes), path]
    log_path = os.path.join(log_dir, name + ".log")
    start = time.monotonic()
    with open(log_path, "w") as log:
        try:
            completed = subprocess.run(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, timeout=timeout)
            status = "pass" if completed.returncode == 0 else "fail"
        except subprocess.TimeoutExpired:
            status = "timeout"
    seconds = time.monotonic() - start
    with open(log_path, errors="replace") as log:
        output = log.read()
    detail = "" if status == "pass" else first_error(output)
    return status, seconds, detail[:200], log_path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", default=DEFAULT_EXAMPLES, help="the folder of Keras 2.3.1's examples")
    parser.add_argument("--only", default="", help="comma-separated example names (default: the acceptance list)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per example")
    parser.add_argument("--fixed-work-timeout", type=float, default=120,
                        help="seconds for the examples of FIXED_WORK, which cannot finish in minutes")
    parser.add_argument("--environment-fixes", action="store_true",
                        help="run conv_lstm, babi_memnn and variational_autoencoder_deconv from copies fixed "
                             "for today's NumPy, Python and matplotlib (ENVIRONMENT_FIXES)")
    parser.add_argument("--keep", default=None, help="a folder to keep the logs, caches and outputs in")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or EXAMPLES
    base = args.keep or tempfile.mkdtemp(prefix="keras2_examples_")
    os.makedirs(base, exist_ok=True)
    workdir = os.path.join(base, "work")  # shared: lstm_seq2seq_restore reads lstm_seq2seq's s2s.h5
    logs = os.path.join(base, "logs")
    os.makedirs(logs, exist_ok=True)
    write_fra_eng(workdir)
    rows = []
    for name in names:
        keras_home = os.path.join(base, "homes", name)
        shutil.rmtree(keras_home, ignore_errors=True)
        hashes = make_keras_home(keras_home, name)
        path = os.path.join(args.examples, name + ".py")
        fixed = args.environment_fixes and name in ENVIRONMENT_FIXES
        if fixed:
            path = copy_with_fixes(path, os.path.join(base, "fixed"), ENVIRONMENT_FIXES[name])
        timeout = min(args.timeout, args.fixed_work_timeout) if name in FIXED_WORK else args.timeout
        status, seconds, detail, log_path = run_example(path, keras_home,
                                                        workdir, hashes, timeout, logs)
        if status == "timeout" and name in FIXED_WORK:
            detail = f"(expected: {FIXED_WORK[name]}) last output: {detail}"
        if fixed:
            status += " (env fix)"
        rows.append((name, status, seconds, detail))
        print(f"{name:32s} {status:8s} {seconds:7.1f}s  {detail}", flush=True)
    print()
    print(f"| example | result | seconds | first error / last output |\n|---|---|---|---|")
    for name, status, seconds, detail in rows:
        print(f"| {name} | {status} | {seconds:.0f} | {detail.replace('|', '/')} |")
    passed = sum(status.startswith("pass") for _, status, _, _ in rows)
    print(f"\n{passed} of {len(rows)} passed; logs in {logs}")
    if not args.keep:
        print("(run with --keep FOLDER to keep them after a rerun)")
    return 0 if passed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
