"""The progress bar and ProgbarLogger against real Keras 3's console output.

tests/golden/training/console_replay.json holds scripted sessions of Keras's Progbar and ProgbarLogger run under a fake
clock, with the exact bytes Keras printed; here the same calls at the same times go through kerastorch and
must print the same bytes. tests/golden/training/console_*.txt hold what real fit/evaluate/predict printed with stdout
piped by the Keras program tests/golden/training/console_scenarios.py; kerastorch runs the same program through
``kerastorch run``, and as timings vary from run to run the two are compared by format.
All fixtures come from tools/golden_console.py.
"""
import io
import os
import re
import subprocess
import sys

import pytest
import torch

from kerastorch.callbacks import CallbackList, ProgbarLogger
from kerastorch.training import progbar
from kerastorch.training.progbar import Progbar, format_eta, format_time_per_unit, format_value, print_msg
from golden_loader import REPO_ROOT, golden_json, golden_path, golden_text

GOLDEN_DIR = str(golden_path("training/console_replay.json").parent)
SESSIONS = golden_json("training/console_replay.json")["sessions"]
PROGBAR_SESSIONS = [s for s in SESSIONS if s["kind"] == "progbar"]
LOGGER_SESSIONS = [s for s in SESSIONS if s["kind"] == "logger"]


class FakeClock:
    def __init__(self):
        self.now = 0.0


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar, "_now", lambda: fake.now)
    return fake


def as_tensors(values):
    """``[[name, value], ...]`` with each value as a 0-dim float64 tensor (exact, like the golden floats)."""
    return [[name, torch.tensor(value, dtype=torch.float64)] for name, value in values]


def replay_progbar(session, clock, tensors=False):
    init = dict(session["init"])
    clock.now = init.pop("init_t")
    bar = Progbar(**init)
    bar._dynamic_display = session["dynamic"]
    for t, method, args, kwargs in session["calls"]:
        clock.now = t
        if tensors and len(args) > 1:
            args = [args[0], as_tensors(args[1])]
        getattr(bar, method)(*args, **kwargs)


@pytest.mark.parametrize("session", PROGBAR_SESSIONS, ids=[s["name"] for s in PROGBAR_SESSIONS])
def test_progbar_prints_what_keras_prints(session, clock, capsys):
    replay_progbar(session, clock)
    assert capsys.readouterr().out == session["output"]


@pytest.mark.parametrize("session", PROGBAR_SESSIONS, ids=[s["name"] for s in PROGBAR_SESSIONS])
def test_progbar_prints_the_same_from_tensor_values(session, clock, capsys):
    replay_progbar(session, clock, tensors=True)
    assert capsys.readouterr().out == session["output"]


def replay_logger(session, clock, tensors=True):
    """Drive a CallbackList holding only the progress bar, as the engine does: batch logs as tensors."""
    callbacks = CallbackList(add_progbar=True, **session["params"])
    for t, hook, args, logs in session["calls"]:
        clock.now = t
        if tensors and logs is not None and hook.endswith("batch_end") and "outputs" not in logs:
            logs = {key: torch.tensor(value, dtype=torch.float64) for key, value in logs.items()}
        getattr(callbacks, hook)(*args, logs)


@pytest.mark.parametrize("session", LOGGER_SESSIONS, ids=[s["name"] for s in LOGGER_SESSIONS])
def test_progbar_logger_prints_what_keras_prints(session, clock, capsys):
    replay_logger(session, clock)
    assert capsys.readouterr().out == session["output"]


def test_progbar_logger_reads_device_values_only_when_it_redraws(clock, capsys, monkeypatch):
    reads = []
    real_to_host_numbers = progbar.to_host_numbers

    def counting(values):
        reads.append(len(values))
        return real_to_host_numbers(values)

    monkeypatch.setattr(progbar, "to_host_numbers", counting)
    monkeypatch.setattr(torch.Tensor, "item", lambda self: pytest.fail("a batch value was read with .item()"))
    callbacks = CallbackList(add_progbar=True, verbose=1, epochs=1, steps=1000)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    loss = torch.tensor(0.5)
    for batch in range(1000):
        clock.now += 0.001  # 1 ms per step: 1 s in all, so about 20 redraws at one per 0.05 s
        callbacks.on_train_batch_begin(batch)
        callbacks.on_train_batch_end(batch, {"loss": loss * batch, "accuracy": loss})
    callbacks.on_epoch_end(0, {"loss": 0.25, "accuracy": 0.5})
    redraws = capsys.readouterr().out.count("\r")
    assert 15 <= redraws <= 23
    assert len(reads) == redraws  # one transfer per redraw, none in between


def test_logs_of_several_devices_are_read_device_by_device():
    values = [torch.tensor(1.5), 2.0, torch.tensor([1.0, 3.0], dtype=torch.float16), "text"]
    assert progbar.to_host_numbers(values) == [1.5, 2.0, 2.0, "text"]


def test_verbose_auto_means_one_and_other_values_are_refused_before_training():
    logger = ProgbarLogger()
    logger.set_params({"verbose": "auto", "epochs": 3, "steps": 5})
    assert (logger.verbose, logger.epochs, logger.target) == (1, 3, 5)
    with pytest.raises(ValueError, match="must be 'auto', 0, 1 or 2. Received: verbose=3"):
        CallbackList(add_progbar=True, verbose=3, epochs=1, steps=1)


def test_time_and_value_formats():
    # Keras's rules (keras/src/utils/progbar.py), checked on their boundaries.
    assert format_time_per_unit(0, "step") == " 0s/step"
    assert format_time_per_unit(1.0, "step") == " 1s/step"
    assert format_time_per_unit(0.0015, "step") == " 2ms/step"
    assert format_time_per_unit(0.001, "step") == " 1ms/step"
    assert format_time_per_unit(0.0009, "sample") == " 900us/sample"
    assert format_eta(59.9) == "59s"
    assert format_eta(61) == "1:01"
    assert format_eta(3601) == "1:00:01"
    assert format_value(0.15923) == "0.1592"
    assert format_value(-0.5) == "-0.5000"
    assert format_value(-0.5, signed_threshold=True) == "-5.0000e-01"
    assert format_value(0.001) == "1.0000e-03"


def test_progbar_rejects_both_metric_lists_and_bad_verbose():
    with pytest.raises(ValueError, match="Only one of `stateful_metrics` or `stateless_metrics`"):
        Progbar(10, stateful_metrics=["a"], stateless_metrics=["b"])
    with pytest.raises(ValueError, match="verbose=3"):
        Progbar(10, verbose=3)


def test_print_msg_falls_back_to_equal_signs_when_stdout_cannot_encode_the_bar(monkeypatch):
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    monkeypatch.setattr(sys, "stdout", stream)
    print_msg("3/3 ━━━ done é")
    stream.flush()
    assert raw.getvalue() == b"3/3 === done \n"


# ---- real fit / evaluate / predict, compared by format --------------------------------------------------------

SCENARIO_PROGRAM = os.path.join(GOLDEN_DIR, "console_scenarios.py")  # a Keras program, run unmodified
SCENARIOS = sorted(name[len("console_"):-len(".txt")] for name in os.listdir(GOLDEN_DIR)
                   if name.startswith("console_") and name.endswith(".txt"))

_BAR = re.compile(r"\x1b\[1m *(\d+)/(\d+)\x1b\[0m (?:\x1b\[32m(━+)\x1b\[0m)?\x1b\[37m(━*)\x1b\[0m")
_NORMALIZERS = [
    (re.compile(r"\x08+"), ""),
    (re.compile(r" +(?=\r|\n|$)"), ""),  # the padding that erases a longer previous line
    (_BAR, "<BAR>"),
    (re.compile(r" *\d+/Unknown"), "<COUNT>/Unknown"),
    (re.compile(r"\x1b\[1m(\d+:)*\d+s?\x1b\[0m"), "<TIME>"),
    (re.compile(r"\d+(s|ms|us)/step"), "<PER>/step"),
    (re.compile(r"^(\d+)/(\d+) - \d+s - ", re.M), r"\1/\2 - <TIME> - "),
    (re.compile(r"-?\d+\.\d{4}e[+-]\d+|-?nan|-?inf"), "<SCI>"),
    (re.compile(r"-?\d+\.\d{4}\b"), "<FIX>"),
    (re.compile(r"to \d[\d.e-]*\."), "to <RATE>."),
]


def console_shape(text):
    """The output's format with timings and values replaced by their kind; of each redrawn line only the last
    state is kept (how many intermediate redraws happen depends on speed), after checking each bar's fill."""
    for match in _BAR.finditer(text):
        current, total, done, left = int(match[1]), int(match[2]), match[3] or "", match[4]
        assert len(done) == int(20 * current / total) and len(done) + len(left) == 20, match[0]
    for pattern, replacement in _NORMALIZERS:
        text = pattern.sub(replacement, text)
    return [line.split("\r")[-1] for line in text.split("\n")]


@pytest.fixture(scope="module")
def kerastorch_console():
    """What kerastorch prints for each scenario of the Keras program, all run in one process, stdout piped."""
    completed = subprocess.run([sys.executable, "-m", "kerastorch", "run", SCENARIO_PROGRAM, *SCENARIOS],
                               capture_output=True,
                               env=dict(os.environ, PYTHONWARNINGS="ignore"), timeout=300,
                               cwd=str(REPO_ROOT))
    assert completed.returncode == 0, completed.stderr.decode()[-3000:]
    outputs = {}
    for part in completed.stdout.decode("utf-8").split("=====SCENARIO ")[1:]:
        scenario, _, output = part.partition("\n")
        outputs[scenario] = output
    return outputs


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_fit_evaluate_predict_print_in_keras_format(scenario, kerastorch_console):
    expected = golden_text(f"training/console_{scenario}.txt")
    assert console_shape(kerastorch_console[scenario]) == console_shape(expected)
