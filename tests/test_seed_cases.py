"""The tutorial's programs (../shared/seed-cases) run unmodified through `kerastorch run` and print what Keras
prints. Expected output comes from real Keras 3 (tools/golden_seed_cases.py)."""
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SEED_CASES = ROOT.parent / "shared" / "seed-cases"
GOLDEN = json.loads((ROOT / "tests" / "golden" / "seed_cases.json").read_text())

pytestmark = pytest.mark.skipif(not SEED_CASES.is_dir(), reason=f"seed cases not found at {SEED_CASES}")


def run_seed(name, cwd):
    env = dict(os.environ, COLUMNS="80", PYTHONWARNINGS="ignore", KERASTORCH_DEVICE="cpu")
    return subprocess.run([sys.executable, "-m", "kerastorch", "run", str(SEED_CASES / f"{name}.py")],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


@pytest.mark.parametrize("name", ["s01_sequential", "s02_activation_layer", "s09_initializer", "s06_conv_valid",
                                  "s07_maxpool", "s10_batchnorm"])
def test_summary_programs_print_what_keras_prints(name, tmp_path):
    result = run_seed(name, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == GOLDEN[name]["stdout"]


def test_s03_mismatched_input_fails_with_keras_error(tmp_path):
    result = run_seed("s03_train", tmp_path)
    assert result.returncode == 1
    keras_message = next(line for line in GOLDEN["s03_train"]["stderr_tail"] if "is incompatible" in line)
    keras_message = re.sub(r"\x1b\[[0-9;]*m", "", keras_message).replace(" with name 'None'", "")
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line == f"ValueError: {keras_message}"


def _log_format(line):
    """A verbose=2 log line with its timings and metric values blanked: what must match Keras exactly."""
    line = re.sub(r"\d+s - \d+(?:ms|us|s)/step", "<time>", line)
    return re.sub(r"\d+\.\d{4}", "<value>", line)


@pytest.mark.parametrize("name", ["s04_regularizer", pytest.param("s05_validation_predict", marks=pytest.mark.slow)])
def test_training_programs_print_keras_log_format(name, tmp_path):
    result = run_seed(name, tmp_path)
    assert result.returncode == 0, result.stderr
    keras_lines = GOLDEN[name]["stdout"].splitlines()
    lines = result.stdout.splitlines()
    epoch_lines = [line for line in keras_lines if line.startswith("Epoch ") or "/step" in line]
    ours = [line for line in lines if line.startswith("Epoch ") or "/step" in line]
    assert len(ours) == len(epoch_lines)
    assert [_log_format(line) for line in ours] == [_log_format(line) for line in epoch_lines]
    if name == "s04_regularizer":
        assert lines[-1] == keras_lines[-1]   # sorted(history.history)
    else:
        assert lines[-3].startswith("(300, 2) [[")


def test_s11_concepts_run(tmp_path):
    result = run_seed("s11_concepts", tmp_path)
    assert result.returncode == 0, result.stderr
    keras_out = GOLDEN["s11_concepts"]["stdout"]
    assert result.stdout == keras_out
