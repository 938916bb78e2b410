"""The child process: one implementation, one workload, one repetition.

    python -m benchmarks.run_one --impl kerastorch --workload tiny --data tiny.npz [--weights tiny-init.npz]

prints one line ``BENCH-RESULT {json}`` (the last line of stdout): the timings, the final loss and accuracy, the
peak RSS of this process (VmHWM) and, on a GPU, torch's peak CUDA allocation. A failure prints the same line with
``"status": "failed"`` and the error, and exits with 1.
"""
import argparse
import json
import os
import resource
import sys
import traceback

RESULT_PREFIX = "BENCH-RESULT "


def _parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_one", description=__doc__.split("\n")[0])
    parser.add_argument("--impl", required=True)
    parser.add_argument("--workload", required=True)
    parser.add_argument("--data", required=True, help="npz file with x (and y)")
    parser.add_argument("--weights", help="npz file with the initial weights in Keras's order (w0, w1, ...)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1337)
    return parser.parse_args(argv)


def _peak_rss_mb():
    """This process's peak resident memory. Linux's VmHWM belongs to the address space that exec created, while
    getrusage's ru_maxrss also counts the parent's peak from before the fork (so a parent that made a large data
    set would show in every child)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_cuda_mb(impl):
    if impl == "tf-keras":
        return None
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    return torch.cuda.max_memory_allocated() / 2**20


def main(argv=None):
    args = _parse(argv)
    # Thread pools read these when the libraries load: set them before any import below.
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(name, str(args.threads))
    result = {"impl": args.impl, "workload": args.workload, "status": "ok"}
    try:
        import importlib

        import numpy as np

        from benchmarks import impls, workloads
        impl = impls.get(args.impl)
        workload = workloads.get(args.workload)
        with np.load(args.data) as archive:
            data = {key: archive[key] for key in archive.files}
        weights = None
        if args.weights:
            with np.load(args.weights) as archive:
                weights = [archive[f"w{i}"] for i in range(len(archive.files))]
        module = importlib.import_module(f"benchmarks.impls.{impl.module}")
        options = {"impl": args.impl, "threads": args.threads, "epochs": args.epochs, "calls": args.calls,
                   "seed": args.seed}
        result.update(module.run(workload, data, weights, options))
        result["cuda_max_allocated_mb"] = _peak_cuda_mb(args.impl)
    except Exception as error:   # reported in the table, not fatal to the harness
        result.update(status="failed", error=f"{type(error).__name__}: {error}".strip()[:500],
                      traceback=traceback.format_exc()[-3000:])
    result["peak_rss_mb"] = _peak_rss_mb()
    sys.stdout.flush()
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0 if result["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
