"""Run the tutorial's seed programs (../shared/seed-cases) under real Keras 3 and record what they print.

Run by hand with Keras installed:  KERAS_BACKEND=torch python tools/golden_seed_cases.py [SEED_CASES_DIR]
Keras 3 no longer has the Keras 2 modules the tutorial imports (keras.layers.core, .convolutional, .pooling);
for this recording they are aliased to keras.layers, so Keras runs the programs unmodified.
The result, tests/golden/seed_cases.json, holds each program's stdout and, when it fails, the exception's type and
message. tests/test_seed_cases.py runs the same programs through `kerastorch run` and compares.
"""
import json
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
SHIM = """
import importlib, sys, types
import keras
for old in ("keras.layers.core", "keras.layers.convolutional", "keras.layers.pooling", "keras.layers.normalization"):
    sys.modules[old] = keras.layers
import runpy
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
# Programs whose output is deterministic enough to compare (s04/s05 print training logs with timings and random
# weights; s08 writes an image; s11 prints random shapes) are compared in full; the others by format.
CASES = sys.argv[2:] or ["s01_sequential", "s02_activation_layer", "s03_train", "s04_regularizer", "s05_validation_predict",
         "s06_conv_valid", "s07_maxpool", "s09_initializer", "s10_batchnorm", "s11_concepts"]


def main():
    seed_dir = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "seed-cases").resolve()
    env = dict(os.environ, KERAS_BACKEND="torch", COLUMNS="80", PYTHONWARNINGS="ignore")
    results = {}
    for name in CASES:
        script = seed_dir / f"{name}.py"
        proc = subprocess.run([sys.executable, "-c", SHIM, str(script)], capture_output=True, text=True, env=env,
                              cwd=seed_dir, timeout=600)
        error = None
        if proc.returncode:
            last = [line for line in proc.stderr.splitlines() if line.strip()]
            error_lines = [line for line in last if line.split(":")[0].endswith(("Error", "Exception"))]
            error = error_lines[-1] if error_lines else last[-1]
        results[name] = {"returncode": proc.returncode, "stdout": proc.stdout, "error": error,
                         "stderr_tail": proc.stderr.splitlines()[-12:] if proc.returncode else []}
        print(name, proc.returncode, error or "")
    out = HERE.parent / "tests" / "golden" / "seed_cases.json"
    if out.exists():
        results = {**json.loads(out.read_text()), **results}
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
