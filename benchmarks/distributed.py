"""The data-parallel benchmark: the mlp workload trained by 1 and by 2 CPU processes under torchrun.

    python -m benchmarks.distributed [--samples 60000] [--epochs 3] [--repeats 2] [--out benchmarks/results/distributed.json]

The parent writes the mlp workload's data and initial weights once (``workloads.make_data`` and
``initial_weights``, as the main benchmark does), then starts ``torchrun --standalone --nproc_per_node=N`` for N
= 1 and 2, interleaved ``--repeats`` times. Every rank runs the same unmodified Keras script (this module's
``child``): the workload's model built by the code the main benchmark uses (``impls/keras_api.build_model``), the
shared initial weights, Adam(1e-3) and ``fit(batch_size=128)``: the global batch, so each of 2 ranks computes 64
samples of every step and kerastorch averages the gradients over gloo. Each rank has ``--threads`` compute
threads (1), so 2 processes use twice the cores of one. Rank 0 reports the seconds of each epoch; samples per
second is the sample count over the median epoch after the first (which pays for allocation and the process
group's first collectives).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULT_PREFIX = "DISTRIBUTED-RESULT "
REPO_ROOT = Path(__file__).resolve().parent.parent
WORKLOAD = "mlp"


def child(data_path, weights_path, epochs, threads):
    """One rank's fit of the mlp workload; returns its epoch times and final logs (every rank computes them)."""
    import numpy as np
    import torch

    from benchmarks import workloads
    from benchmarks.impls.keras_api import build_model
    torch.set_num_threads(threads)
    import kerastorch as keras
    workload = workloads.get(WORKLOAD)
    with np.load(data_path) as archive:
        x, y = archive["x"], archive["y"]
    with np.load(weights_path) as archive:
        weights = [archive[f"w{i}"] for i in range(len(archive.files))]
    keras.utils.set_random_seed(1337)
    model, _ = build_model(keras, workload)
    model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss=workload.loss, metrics=["accuracy"])

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self._start)

    timer = EpochTimer()
    history = model.fit(x, y, batch_size=workload.batch_size, epochs=epochs, verbose=0, shuffle=True,
                        callbacks=[timer])
    return {"epoch_seconds": timer.times, "samples": int(x.shape[0]), "batch_size": workload.batch_size,
            "loss": float(history.history["loss"][-1]), "accuracy": float(history.history["accuracy"][-1]),
            "world_size": int(os.environ.get("WORLD_SIZE", "1"))}


def samples_per_second(run):
    """Samples over the median epoch after the first (the first when there is only one)."""
    seconds = run["epoch_seconds"][1:] or run["epoch_seconds"]
    return run["samples"] / statistics.median(seconds)


def _run_torchrun(processes, data_path, weights_path, epochs, threads, timeout):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), KERASTORCH_DEVICE="cpu",
               PYTHONPATH=str(REPO_ROOT) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH")
                                            else ""))
    env.pop("KERASTORCH_DISTRIBUTED", None)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
               "-m", "benchmarks.distributed", "--child", "--data", str(data_path), "--weights", str(weights_path),
               "--epochs", str(epochs), "--threads", str(threads)]
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or len(lines) != 1:
        return {"processes": processes, "status": "failed", "returncode": done.returncode,
                "error": (done.stderr or done.stdout)[-1500:]}
    run = json.loads(lines[0][len(RESULT_PREFIX):])
    run.update(processes=processes, status="ok", samples_per_second=samples_per_second(run))
    return run


def _summary(runs, counts):
    summary = {}
    for processes in counts:
        rates = [run["samples_per_second"] for run in runs if run["processes"] == processes and run["status"] == "ok"]
        summary[str(processes)] = {"samples_per_second": statistics.median(rates) if rates else None,
                                   "runs": len(rates)}
    one, two = summary.get("1", {}).get("samples_per_second"), summary.get("2", {}).get("samples_per_second")
    if one and two:
        summary["speedup_2_over_1"] = two / one
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.distributed", description=__doc__.split("\n")[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data")
    parser.add_argument("--weights")
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--processes", default="1,2", help="process counts, comma-separated")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per torchrun launch")
    parser.add_argument("--out", help="write the results JSON here")
    args = parser.parse_args(argv)

    if args.child:
        result = child(args.data, args.weights, args.epochs, args.threads)
        if int(os.environ.get("RANK", "0")) == 0:
            print(RESULT_PREFIX + json.dumps(result), flush=True)
        return 0

    import numpy as np

    from benchmarks import workloads
    from benchmarks.__main__ import machine_info
    workload = workloads.get(WORKLOAD)
    counts = [int(value) for value in args.processes.split(",") if value]
    runs = []
    load_at_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="kt-bench-distributed-") as folder:
        data_path, weights_path = Path(folder) / "mlp-data.npz", Path(folder) / "mlp-init.npz"
        np.savez(data_path, **workloads.make_data(workload, args.samples))
        np.savez(weights_path, **{f"w{i}": w for i, w in enumerate(workloads.initial_weights(workload))})
        for _ in range(args.repeats):
            for processes in counts:   # interleaved, so load from other work spreads over both counts
                run = _run_torchrun(processes, data_path, weights_path, args.epochs, args.threads, args.timeout)
                runs.append(run)
                print(json.dumps({k: v for k, v in run.items() if k != "error"}) if run["status"] == "ok"
                      else json.dumps(run), flush=True)
    record = {"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "machine": machine_info(args.threads),
              "load_average_at_start": load_at_start, "load_average_at_end": os.getloadavg(),
              "settings": {"workload": WORKLOAD, "samples": args.samples, "epochs": args.epochs,
                           "repeats": args.repeats, "threads_per_process": args.threads,
                           "global_batch": workload.batch_size, "backend": "gloo (CPU)"},
              "runs": runs, "summary": _summary(runs, counts)}
    print(json.dumps(record["summary"]))
    if args.out:
        Path(args.out).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return 0 if all(run["status"] == "ok" for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
