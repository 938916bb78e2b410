"""The input-pipeline benchmark: image files to a trained epoch, kerastorch against Keras 3 on TensorFlow.

    python -m benchmarks.input_pipeline [--images 2000] [--epochs 2] [--tf-python /work/tfvenv/bin/python]

The parent writes ``--images`` small PNG files (32x32 RGB, 4 classes, one folder each) once; each implementation
then runs in its own process the same Keras code: ``keras.utils.image_dataset_from_directory`` (batch 32, seed),
``.map`` through ``RandomFlip`` + ``RandomRotation`` and a ``Rescaling``, ``.prefetch(AUTOTUNE)``, and ``fit`` of
a small convnet. Reported: images per second of each epoch (decoding, augmentation and training together), the median of
``--repeats`` interleaved runs; the first epoch also pays for starting decoder workers (kerastorch) or tracing the
graph (TensorFlow).

Threads: the model's compute gets ``--threads`` threads in both (torch.set_num_threads; TensorFlow's intra/inter
op pools). Decoding is each library's own way: kerastorch's DataLoader worker processes (its default for 2,000
files), tf.data's private thread pool.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib

RESULT_PREFIX = "PIPELINE-RESULT "
CLASSES = 4
SIZE = 32


def _png(pixels, height, width):
    import struct
    raw = b"".join(b"\x00" + pixels[row * width * 3:(row + 1) * width * 3] for row in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def write_images(root, count, seed=1337):
    """``count`` PNG files of noisy class-coloured squares, in ``root/class_<k>/``."""
    import numpy as np
    rng = np.random.RandomState(seed)
    base = rng.randint(0, 256, (CLASSES, 1, 1, 3))
    for index in range(count):
        label = index % CLASSES
        image = np.clip(base[label] + rng.randint(-60, 60, (SIZE, SIZE, 3)), 0, 255).astype(np.uint8)
        folder = os.path.join(root, f"class_{label}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{index:05d}.png"), "wb") as file:
            file.write(_png(image.tobytes(), SIZE, SIZE))


def child(impl, root, epochs, threads):
    if impl == "kerastorch":
        import torch
        torch.set_num_threads(threads)
        import kerastorch as keras
        autotune = keras.data.AUTOTUNE
    else:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        import keras
        autotune = tf.data.AUTOTUNE
    keras.utils.set_random_seed(1337)
    dataset = keras.utils.image_dataset_from_directory(root, image_size=(SIZE, SIZE), batch_size=32, seed=1337,
                                                       verbose=False)
    augment = keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.1),
                                keras.layers.Rescaling(1 / 255.0)])
    dataset = dataset.map(lambda x, y: (augment(x, training=True), y)).prefetch(autotune)
    model = keras.Sequential([keras.Input((SIZE, SIZE, 3)), keras.layers.Conv2D(16, 3, activation="relu"),
                              keras.layers.MaxPooling2D(2), keras.layers.Conv2D(32, 3, activation="relu"),
                              keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                              keras.layers.Dense(CLASSES, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])

    class Timer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)
    timer = Timer()
    history = model.fit(dataset, epochs=epochs, verbose=0, callbacks=[timer])
    count = sum(len(files) for _, _, files in os.walk(root))
    return {"impl": impl, "epoch_seconds": timer.times, "images_per_second": [count / t for t in timer.times],
            "accuracy": float(history.history["accuracy"][-1]), "images": count}


def _run_child(impl, root, args, repo):
    python = sys.executable if impl == "kerastorch" else args.tf_python
    environment = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3",
                       OMP_NUM_THREADS=str(args.threads), PYTHONPATH=repo)
    command = [python, "-m", "benchmarks.input_pipeline", "--child", impl, "--root", root, "--epochs",
               str(args.epochs), "--threads", str(args.threads)]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=repo)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if not lines:
        return {"impl": impl, "status": "failed", "error": done.stderr[-2000:]}
    return dict(json.loads(lines[-1][len(RESULT_PREFIX):]), status="ok")


def _summary(impl, runs):
    """The median images/s of each epoch over the runs that succeeded."""
    import statistics
    good = [run for run in runs if run["status"] == "ok"]
    if not good:
        return {"impl": impl, "status": "failed", "error": runs[-1].get("error", "")}
    rates = [statistics.median(run["images_per_second"][i] for run in good)
             for i in range(len(good[0]["images_per_second"]))]
    return {"impl": impl, "status": "ok", "images_per_second": rates, "accuracy": good[-1]["accuracy"],
            "runs": good}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.input_pipeline", description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tf-python", default="/work/tfvenv/bin/python")
    parser.add_argument("--impls", default="kerastorch,tf-keras")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per implementation (medians)")
    parser.add_argument("--out", help="write the results as JSON here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(RESULT_PREFIX + json.dumps(child(args.child, args.root, args.epochs, args.threads)), flush=True)
        return 0
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runs = []
    with tempfile.TemporaryDirectory(prefix="pipeline-") as root:
        write_images(root, args.images)
        for _ in range(args.repeats):
            for impl in args.impls.split(","):
                runs.append(_run_child(impl, root, args, repo))
    results = [_summary(impl, [run for run in runs if run["impl"] == impl]) for impl in args.impls.split(",")]
    print(f"| implementation | {' | '.join(f'epoch {i + 1} images/s' for i in range(args.epochs))} | accuracy |")
    print("|---|" + "---|" * (args.epochs + 1))
    for result in results:
        if result["status"] != "ok":
            print(f"| {result['impl']} | failed: {result['error'][-300:]!r} |")
            continue
        rates = " | ".join(f"{rate:,.0f}" for rate in result["images_per_second"])
        print(f"| {result['impl']} | {rates} | {result['accuracy']:.3f} |")
    if args.out:
        with open(args.out, "w") as file:
            json.dump({"images": args.images, "threads": args.threads, "repeats": args.repeats, "results": results},
                      file, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
