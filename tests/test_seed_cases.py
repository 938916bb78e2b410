"""The tutorial's programs (../shared/seed-cases) run unmodified through `kerastorch run` and print what Keras
prints. Expected output comes from real Keras 3 (tools/golden_seed_cases.py)."""
import os
import pathlib
import re

import pytest

from golden_loader import golden_json

ROOT = pathlib.Path(__file__).resolve().parents[1]
SEED_CASES = pathlib.Path(os.environ.get("KERASTORCH_SEED_CASES", ROOT.parent / "shared" / "seed-cases"))
GOLDEN = golden_json("seed_cases.json")

pytestmark = pytest.mark.skipif(not SEED_CASES.is_dir(), reason=f"seed cases not found at {SEED_CASES}")


@pytest.fixture
def run_seed(kerastorch_runner, tmp_path):
    """Runs a seed case as `kerastorch run SEED_CASE.py` in its own directory, as a fresh process."""
    return lambda name: kerastorch_runner.run(SEED_CASES / f"{name}.py", cwd=tmp_path)


@pytest.mark.parametrize("name", ["s01_sequential", "s02_activation_layer", "s09_initializer", "s06_conv_valid",
                                  "s07_maxpool", "s10_batchnorm"])
def test_summary_programs_print_what_keras_prints(name, run_seed):
    result = run_seed(name)
    assert result.returncode == 0, result.stderr
    assert result.stdout == GOLDEN[name]["stdout"]


def test_s03_mismatched_input_fails_with_keras_error(run_seed):
    result = run_seed("s03_train")
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
def test_training_programs_print_keras_log_format(name, run_seed):
    result = run_seed(name)
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


def test_s11_concepts_run(run_seed):
    result = run_seed("s11_concepts")
    assert result.returncode == 0, result.stderr
    keras_out = GOLDEN["s11_concepts"]["stdout"]
    assert result.stdout == keras_out
