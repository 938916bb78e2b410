"""``python -m benchmarks``: run the workloads on every implementation and write the report.

Each run is a separate child process (``python -m benchmarks.run_one``), so that one library's imports, thread
pools, caches and memory never affect another's numbers. Repetitions are interleaved (A, B, C, A, B, C, ...) so
that a burst of load on a shared machine hits every implementation alike rather than one of them. Every child gets
the same data file, the same initial weights and the same number of compute threads.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks import impls as impl_registry
from benchmarks import report, workloads
from benchmarks.run_one import RESULT_PREFIX

REPO_ROOT = Path(__file__).resolve().parent.parent

# Where this project's development machine keeps interpreters with the reference libraries (not committed):
# keras==3.15.1 with torch, and keras==3.15.1 with tensorflow-cpu.
FALLBACK_KERAS_PYTHON = "/work/kvenv/bin/python"
FALLBACK_TF_PYTHON = "/work/tfvenv/bin/python"


def _parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="bench-out", help="output folder (default: bench-out)")
    parser.add_argument("--quick", action="store_true",
                        help="reduced sample counts, 2 epochs, 1 repeat, no kerastorch-jit: a few minutes on 2 cores")
    parser.add_argument("--workloads", help="comma-separated; default: " + ",".join(
        w.name for w in workloads.CPU_WORKLOADS) + ", plus the GPU set when CUDA is available: " + ",".join(
        w.name for w in workloads.GPU_WORKLOADS))
    parser.add_argument("--impls", help="comma-separated; default: all (" + ",".join(impl_registry.IMPLS) + ")")
    parser.add_argument("--repeats", type=int, help="repetitions of each run (default 3, 1 with --quick)")
    parser.add_argument("--threads", type=int, default=1,
                        help="compute threads for every implementation (default 1, see benchmarks/README.md)")
    parser.add_argument("--epochs", type=int, help="override the workloads' epochs (default 3)")
    parser.add_argument("--samples", type=int, help="override the workloads' sample counts (fit workloads)")
    parser.add_argument("--keras-python", help="interpreter with keras and torch, for keras3-torch")
    parser.add_argument("--tf-python", help="interpreter with keras and tensorflow, for tf-keras")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a child run is stopped")
    parser.add_argument("--seed", type=int, default=workloads.SEED)
    return parser.parse_args(argv)


def _split(value):
    return [item.strip() for item in value.split(",") if item.strip()]


def _cuda_available():
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def _works(python, code, env_extra):
    """Whether ``python -c code`` succeeds (an interpreter check: it imports the libraries a child needs)."""
    if not python or not (shutil.which(python) or Path(python).exists()):
        return False
    env = dict(os.environ, **env_extra)
    try:
        return subprocess.run([python, "-c", code], env=env, capture_output=True, timeout=300).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def resolve_interpreter(kind, explicit):
    """The interpreter for the "keras" or "tf" children: the one given, else this one when it has the
    libraries, else the development machine's venv. Returns (python or None, note)."""
    code, env, fallback, flag = {
        "keras": ("import keras, torch", {"KERAS_BACKEND": "torch"}, FALLBACK_KERAS_PYTHON, "--keras-python"),
        "tf": ("import keras, tensorflow", {"KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"},
               FALLBACK_TF_PYTHON, "--tf-python"),
    }[kind]
    candidates = [explicit] if explicit else [sys.executable, fallback]
    for python in candidates:
        if _works(python, code, env):
            return python, None
    tried = ", ".join(str(c) for c in candidates)
    return None, f"skipped: no interpreter that can `{code}` (tried {tried}); pass {flag}"


def _sample_count(workload, args):
    if workload.task == "predict":
        return workload.samples
    if args.samples:
        return args.samples
    return workload.quick_samples if args.quick else workload.samples


def _write_inputs(workload, samples, folder, seed):
    """The data (and initial weights) files that every child of this workload loads."""
    data_path = folder / f"{workload.name}-data.npz"
    np.savez(data_path, **workloads.make_data(workload, samples, seed))
    weights = workloads.initial_weights(workload, seed)
    weights_path = None
    if weights is not None:
        weights_path = folder / f"{workload.name}-init.npz"
        np.savez(weights_path, **{f"w{i}": array for i, array in enumerate(weights)})
    return data_path, weights_path


def _run_child(python, impl, workload, data_path, weights_path, options, timeout):
    command = [python, "-m", "benchmarks.run_one", "--impl", impl.name, "--workload", workload.name,
               "--data", str(data_path), "--threads", str(options["threads"]), "--epochs", str(options["epochs"]),
               "--calls", str(options["calls"]), "--seed", str(options["seed"])]
    if weights_path is not None:
        command += ["--weights", str(weights_path)]
    threads = str(options["threads"])
    env = dict(os.environ, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads,
               **impl.env)
    if options["threads"] > 1:
        # GNU OpenMP's threads spin while they wait; on a machine shared with other work that made a torch
        # training loop at batch 10 about 20x slower here. Passive waiting removes that artefact.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    start = time.perf_counter()
    try:
        completed = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                                   timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "error": f"timed out after {timeout:g} s"}
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX):])
            break
    else:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
        result = {"status": "failed", "error": f"exit code {completed.returncode}: " + " | ".join(tail)}
    result["process_seconds"] = time.perf_counter() - start
    return result


def timed_value(result, workload, clock=""):
    """The run's number: the median of the epochs after the first (the first includes warm-up: allocation,
    tracing, compilation), or of the timed predict calls. With a single epoch, that epoch.

    Args:
        result: a child's result.
        workload: its Workload.
        clock: "" for wall-clock seconds, "cpu_" for the process's CPU seconds.
    """
    if workload.task == "predict":
        return statistics.median(result[f"call_{clock}times"])
    times = result[f"epoch_{clock}times"]
    return statistics.median(times[1:] if len(times) > 1 else times)


def machine_info(threads):
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "threads": threads, "python": platform.python_version(),
            "platform": platform.platform(), "gpu": None}
    try:
        import torch
        info["torch"] = torch.__version__
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    try:
        info["git_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                                            capture_output=True, text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        info["git_commit"] = None
    return info


def _versions(runs):
    """Each implementation's library versions, as its child reported them."""
    found = {}
    for run in runs:
        if run.get("versions"):
            found.setdefault(run["impl"], run["versions"])
    return found


def _plan(args):
    cuda = _cuda_available()
    if args.workloads:
        chosen = [workloads.get(name) for name in _split(args.workloads)]
    else:
        chosen = list(workloads.CPU_WORKLOADS) + (list(workloads.GPU_WORKLOADS) if cuda else [])
    if args.impls:
        impls = [impl_registry.get(name) for name in _split(args.impls)]
    else:
        impls = [impl for name, impl in impl_registry.IMPLS.items() if not (args.quick and name == "kerastorch-jit")]
    return chosen, impls


def main(argv=None):
    args = _parse(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    chosen, impls = _plan(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    pythons, skip_notes = {"self": sys.executable}, {}
    for kind in ("keras", "tf"):
        if any(impl.interpreter == kind for impl in impls):
            explicit = args.keras_python if kind == "keras" else args.tf_python
            pythons[kind], note = resolve_interpreter(kind, explicit)
            for impl in impls:
                if impl.interpreter == kind and note:
                    skip_notes[impl.name] = note
    notes = []
    if args.quick and not args.impls:
        notes.append("kerastorch-jit is not run under --quick (torch.compile's warm-up takes tens of seconds).")

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    started = datetime.datetime.now(datetime.timezone.utc)
    runs, workload_info = [], []
    data_folder = out / ".data"
    data_folder.mkdir(exist_ok=True)
    try:
        for workload in chosen:
            samples = _sample_count(workload, args)
            # Under --quick, 2 epochs: the first is warm-up, the second is timed.
            epochs = args.epochs or (2 if args.quick else workload.epochs)
            calls = workload.quick_calls if args.quick else workload.calls
            workload_info.append({"name": workload.name, "description": workload.description, "task": workload.task,
                                  "unit": workload.unit, "baseline": workload.baseline, "samples": samples,
                                  "batch_size": workload.batch_size, "epochs": epochs if workload.task == "fit"
                                  else None, "calls": calls if workload.task == "predict" else None,
                                  "shared_init": workload.shared_init, "mixed_precision": workload.mixed_precision})
            applicable = [impl for impl in impls if impl_registry.applies(impl, workload)]
            for impl in applicable:
                if impl.name in skip_notes:
                    runs.append({"workload": workload.name, "impl": impl.name, "status": "skipped",
                                 "note": skip_notes[impl.name]})
            runnable = [impl for impl in applicable if impl.name not in skip_notes]
            if not runnable:
                continue
            print(f"{workload.name}: {samples} samples, batch {workload.batch_size}", file=sys.stderr, flush=True)
            data_path, weights_path = _write_inputs(workload, samples, data_folder, args.seed)
            options = {"threads": args.threads, "epochs": epochs, "calls": calls, "seed": args.seed}
            for repeat in range(repeats):
                for impl in runnable:
                    result = _run_child(pythons[impl.interpreter], impl, workload, data_path, weights_path, options,
                                        args.timeout)
                    result.update(workload=workload.name, impl=impl.name, repeat=repeat)
                    if result["status"] == "ok":
                        result["seconds"] = timed_value(result, workload)
                        result["cpu_seconds"] = timed_value(result, workload, "cpu_")
                        shown = f"{result['seconds']:.4f} {workload.unit}"
                    else:
                        shown = "FAILED: " + result["error"]
                    print(f"  [{repeat + 1}/{repeats}] {impl.name:15s} {shown}", file=sys.stderr, flush=True)
                    runs.append(result)
            data_path.unlink()
            if weights_path is not None:
                weights_path.unlink()
    finally:
        shutil.rmtree(data_folder, ignore_errors=True)

    results = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(args.threads),
        "load_average_at_start": list(load) if load else None,
        "settings": {"quick": args.quick, "repeats": repeats, "threads": args.threads, "seed": args.seed,
                     "impls": [impl.name for impl in impls], "interpreters": pythons},
        "workloads": workload_info,
        "versions": _versions(runs),
        "runs": runs,
        "notes": notes,
    }
    results["summary"] = report.summarize(results)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    written = report.write_report(results, out)
    if "chart.png" not in written:
        print("chart.png not written: matplotlib is not installed (pip install -e .[plot])", file=sys.stderr)
    print("wrote " + ", ".join(str(out / name) for name in ["results.json"] + written), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
