"""Record real Keras 3's console output and callback behaviour as fixtures for the callback and progbar tests.

Run with the reference Keras (3.15.1 on torch):

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_console.py [--skip-processes]

Writes under tests/golden/ (console_callbacks.json in callbacks/, the rest in training/):

- console_replay.json: scripted sessions of ``keras.utils.Progbar`` and ``ProgbarLogger`` under a fake clock
  (each call is made at a given time), with the exact bytes Keras printed. The tests replay the same calls at the
  same times through kerastorch and compare byte for byte.
- console_callbacks.json: EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, ModelCheckpoint, CSVLogger,
  TerminateOnNaN and CallbackList driven with synthetic logs, and what each did (messages, stop flags, learning
  rates, files, CSV text, restored weights).
- console_<scenario>.txt: what real ``fit``/``evaluate``/``predict`` print with stdout piped into a file, for
  verbose 0, 1 and 2, running the Keras program tests/golden/training/console_scenarios.py (the tests run the same
  program through ``kerastorch run``). Timings vary, so tests compare these by format.
"""
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src.callbacks.progbar_logger import ProgbarLogger  # noqa: E402
from keras.src.utils import progbar as progbar_module  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "training")
CALLBACKS_GOLDEN = os.path.join(os.path.dirname(GOLDEN), "callbacks")
NAN, INF = float("nan"), float("inf")


class FakeClock:
    """Stands in for the ``time`` module inside keras.src.utils.progbar: ``time()`` returns ``now``."""

    def __init__(self):
        self.now = 0.0

    def time(self):
        return self.now


CLOCK = FakeClock()
progbar_module.time = CLOCK


def captured(fn):
    """(what fn printed to stdout, its return value)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = fn()
    return buffer.getvalue(), result


# ---- Progbar sessions ----------------------------------------------------------------------------------------

def progbar_session(name, init, calls, dynamic=True):
    """Run ``keras.utils.Progbar(**init)`` created at time ``init_t`` through ``calls``:
    ``[t, "update"|"add", args, kwargs]`` each, and record what it printed. ``dynamic=False`` makes it draw as
    it does where it cannot redraw in place (Windows without a terminal)."""
    init = dict(init)
    init_t = init.pop("init_t", 0.0)

    def run():
        CLOCK.now = init_t
        bar = keras.utils.Progbar(**init)
        bar._dynamic_display = dynamic
        for t, method, args, kwargs in calls:
            CLOCK.now = t
            getattr(bar, method)(*args, **kwargs)

    output, _ = captured(run)
    return {"kind": "progbar", "name": name, "init": dict(init, init_t=init_t), "calls": calls,
            "dynamic": dynamic, "output": output}


def steps(times, values_at, target=None, finalize_last=False):
    """Update calls at ``times`` for steps 1, 2, ...; ``values_at(step)`` gives the values list."""
    calls = []
    for step, t in enumerate(times, start=1):
        kwargs = {}
        if finalize_last and step == len(times):
            kwargs["finalize"] = True
        calls.append([t, "update", [step, values_at(step)], kwargs])
    return calls


def progbar_sessions():
    sessions = []
    # Averaged (stateless) metrics, updates closer than the 0.05 s interval skipped, finalized at the target.
    sessions.append(progbar_session(
        "averaged_10_steps", {"target": 10},
        steps([0.01 * k + 0.03 * (k % 3) for k in range(1, 11)],
              lambda s: [["loss", 1.0 / s], ["acc", 0.1 * s]])))
    # Stateful metrics shown as given; a metric that appears later.
    sessions.append(progbar_session(
        "stateful_mixed", {"target": 5, "stateful_metrics": ["acc"]},
        steps([0.1, 0.3, 0.5, 0.7, 1.1],
              lambda s: [["loss", 2.0 - 0.3 * s], ["acc", 0.2 * s]] + ([["extra", 3.0]] if s > 2 else []))))
    # Number formats: tiny, negative, zero, NaN, inf, large; the line shrinks, so it is padded with spaces.
    values = [[["v", 12345.6789], ["w", -0.5]], [["v", 1e-5], ["w", -1e-5]], [["v", 0.0], ["w", 0.001]],
              [["v", NAN], ["w", INF]], [["v", -INF], ["w", 0.0011]], [["v", 1.0], ["w", 2.0]]]
    sessions.append(progbar_session(
        "value_formats", {"target": 6, "stateful_metrics": ["v", "w"]},
        [[0.1 * (i + 1), "update", [i + 1, v], {}] for i, v in enumerate(values)]))
    # Slow steps: ETA in h:mm:ss and m:ss, time per step in seconds.
    sessions.append(progbar_session(
        "eta_hours", {"target": 1000},
        [[2.0, "update", [1, [["loss", 0.5]]], {}], [30.0, "update", [2, [["loss", 0.4]]], {}],
         [50.0, "update", [5, [["loss", 0.3]]], {}], [400.0, "update", [990, [["loss", 0.2]]], {}],
         [401.0, "update", [999, []], {}], [401.5, "update", [1000, []], {}]]))
    # Fast steps: microseconds per step; width 30 and another unit name.
    sessions.append(progbar_session(
        "fast_steps_width30", {"target": 20000, "width": 30, "unit_name": "sample"},
        [[0.001, "update", [1, []], {}], [0.06, "update", [5000, []], {}], [0.2, "update", [20000, []], {}]]))
    # Unknown target: a counter, elapsed time, finalized explicitly.
    sessions.append(progbar_session(
        "unknown_target", {"target": None},
        steps([0.1, 0.2, 0.3, 0.4], lambda s: [["loss", 0.1 * s]], finalize_last=True)))
    sessions.append(progbar_session(
        "zero_target", {"target": 0},
        [[0.1, "update", [1, [["loss", 1.0]]], {}], [0.2, "update", [2, []], {"finalize": True}]]))
    # verbose=2: one line at the end; negative and tiny averages use scientific notation there.
    sessions.append(progbar_session(
        "verbose2", {"target": 4, "verbose": 2},
        steps([0.1, 0.2, 0.3, 0.5], lambda s: [["loss", -0.25 * s], ["tiny", 1e-4], ["acc", 0.5]])))
    sessions.append(progbar_session(
        "verbose2_stateful", {"target": 3, "verbose": 2, "stateful_metrics": ["loss"]},
        steps([1.5, 3.0, 4.5], lambda s: [["loss", 0.5 * s]])))
    # add(): increments the count.
    sessions.append(progbar_session(
        "add", {"target": 6},
        [[0.1, "add", [2, [["loss", 1.0]]], {}], [0.3, "add", [2, [["loss", 3.0]]], {}],
         [0.6, "add", [2, [["loss", 5.0]]], {}]]))
    # stateless_metrics: only the named ones are averaged.
    sessions.append(progbar_session(
        "stateless_named", {"target": 3, "stateless_metrics": ["avg"]},
        steps([0.1, 0.2, 0.3], lambda s: [["avg", float(s)], ["last", float(s)]])))
    sessions.append(progbar_session(
        "not_dynamic", {"target": 4}, steps([0.1, 0.2, 0.3, 0.4], lambda s: [["loss", 1.0 / s]]), dynamic=False))
    # verbose=0 prints nothing.
    sessions.append(progbar_session(
        "verbose0", {"target": 3, "verbose": 0}, steps([0.1, 0.2, 0.3], lambda s: [["loss", 1.0]])))
    return sessions


# ---- ProgbarLogger sessions (as fit / evaluate / predict drive it) --------------------------------------------

def logger_session(name, params, calls):
    """Drive Keras's ProgbarLogger with ``calls`` = ``[t, hook, args, logs]`` each. Logs are given with keys in
    any order; CallbackList hands callbacks the keys sorted (pythonify_logs), so they are sorted here."""

    def run():
        logger = ProgbarLogger()
        logger.set_params(params)
        for t, hook, args, logs in calls:
            CLOCK.now = t
            if logs is not None:
                logs = dict(sorted(logs.items()))
            getattr(logger, hook)(*args, logs)

    output, _ = captured(run)
    return {"kind": "logger", "name": name, "params": params, "calls": calls, "output": output}


def fit_calls(epochs, steps, times_per_step=0.02, validation=True, start=1.0, learning_rate=False):
    """The hook calls fit makes for ``epochs`` epochs of ``steps`` batches (plus silent validation)."""
    calls, t = [[start, "on_train_begin", [], None]], start
    for epoch in range(epochs):
        calls.append([t, "on_epoch_begin", [epoch], None])
        for batch in range(steps):
            t += times_per_step * (1 + batch % 2)
            calls.append([t, "on_train_batch_begin", [batch], None])
            calls.append([t, "on_train_batch_end", [batch],
                          {"loss": 1.0 / (batch + 1 + epoch), "accuracy": 0.1 * (batch + 1)}])
        logs = {"loss": 0.75 - 0.1 * epoch, "accuracy": 0.6 + 0.05 * epoch}
        if validation:
            calls.append([t, "on_test_begin", [], None])
            for batch in range(2):
                t += 0.01
                calls.append([t, "on_test_batch_end", [batch], {"loss": 0.9, "accuracy": 0.5}])
            calls.append([t, "on_test_end", [], {"loss": 0.8, "accuracy": 0.55}])
            logs.update({"val_loss": 0.8 - 0.05 * epoch, "val_accuracy": 0.55})
        if learning_rate:
            logs["learning_rate"] = 0.0010000000474974513
        t += 0.01
        calls.append([t, "on_epoch_end", [epoch], logs])
    calls.append([t, "on_train_end", [], None])
    return calls


def test_calls(steps, start=1.0, step_time=0.03):
    calls, t = [[start, "on_test_begin", [], None]], start
    for batch in range(steps):
        t += step_time
        calls.append([t, "on_test_batch_end", [batch], {"loss": 0.5 + 0.01 * batch, "mae": 0.25}])
    calls.append([t + 0.001, "on_test_end", [], {"loss": 0.55, "mae": 0.25}])
    return calls


def predict_calls(steps, start=1.0, step_time=0.03):
    calls, t = [[start, "on_predict_begin", [], None]], start
    for batch in range(steps):
        t += step_time
        calls.append([t, "on_predict_batch_end", [batch], {"outputs": [[0.5]]}])
    calls.append([t + 0.001, "on_predict_end", [], None])
    return calls


def logger_sessions():
    sessions = []
    for verbose in (1, 2, "auto"):
        sessions.append(logger_session(f"fit_verbose{verbose}", {"verbose": verbose, "epochs": 2, "steps": 12},
                                       fit_calls(2, 12)))
    sessions.append(logger_session("fit_one_epoch", {"verbose": 1, "epochs": 1, "steps": 3},
                                   fit_calls(1, 3, validation=False)))
    sessions.append(logger_session("fit_unknown_steps", {"verbose": 1, "epochs": 2, "steps": None},
                                   fit_calls(2, 4, times_per_step=0.03)))
    sessions.append(logger_session("fit_unknown_steps_verbose2", {"verbose": 2, "epochs": 2, "steps": None},
                                   fit_calls(2, 4, times_per_step=0.03)))
    sessions.append(logger_session("fit_learning_rate_logged", {"verbose": 2, "epochs": 2, "steps": 3},
                                   fit_calls(2, 3, learning_rate=True)))
    sessions.append(logger_session("fit_slow_steps", {"verbose": 1, "epochs": 1, "steps": 3},
                                   fit_calls(1, 3, times_per_step=1.5, validation=False)))
    for verbose in (1, 2):
        sessions.append(logger_session(f"evaluate_verbose{verbose}", {"verbose": verbose, "epochs": 1, "steps": 7},
                                       test_calls(7)))
        sessions.append(logger_session(f"predict_verbose{verbose}", {"verbose": verbose, "epochs": 1, "steps": 7},
                                       predict_calls(7)))
    sessions.append(logger_session("evaluate_unknown_steps", {"verbose": 1, "epochs": 1, "steps": None},
                                   test_calls(3)))
    return sessions


# ---- callbacks driven with synthetic logs -----------------------------------------------------------------------

def tiny_model():
    """Dense(1) on one input; its kernel and bias are set to the epoch number so restores can be traced."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


def set_marker(model, value):
    model.set_weights([np.full((1, 1), value, "float32"), np.full((1,), value, "float32")])


def drive_epochs(callback, model, epoch_logs, batches=0, batch_logs=None):
    """fit's sequence of hooks with the given epoch logs; returns per-epoch records and the printed text."""
    records = []

    def run():
        model.stop_training = False
        callback.set_model(model)
        callback.set_params({"verbose": 1, "epochs": len(epoch_logs), "steps": batches or None})
        callback.on_train_begin({})
        for epoch, logs in enumerate(epoch_logs):
            callback.on_epoch_begin(epoch, {})
            for batch in range(batches):
                callback.on_train_batch_begin(batch, {})
                callback.on_train_batch_end(batch, dict(batch_logs[epoch][batch]) if batch_logs else {})
                if model.stop_training:
                    break
            set_marker(model, float(epoch))
            logs = dict(logs)
            callback.on_epoch_end(epoch, logs)
            records.append({"epoch": epoch, "stop_training": bool(model.stop_training), "logs_after": logs,
                            "learning_rate": float(np.asarray(model.optimizer.learning_rate))})
            if model.stop_training:
                break
        callback.on_train_end({})

    error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            try:
                run()
            except (ValueError, RuntimeError) as raised:
                error = {"type": type(raised).__name__, "message": str(raised)}
    return {"records": records, "output": buffer.getvalue(), "warnings": keras_warnings(caught),
            "final_marker": float(model.get_weights()[0][0, 0]), "error": error}


def keras_warnings(caught):
    """The warnings the callbacks gave (without numpy's __array__ notices from Keras's torch backend)."""
    return [str(w.message) for w in caught if "__array__" not in str(w.message)]


def val_losses(*values):
    return [{"loss": 1.0, "val_loss": v} for v in values]


def early_stopping_cases():
    cases = []
    configs = [
        ({}, val_losses(1.0, 0.9, 0.95, 0.8, 0.85)),
        ({"patience": 2, "verbose": 1}, val_losses(1.0, 0.9, 0.95, 0.97, 0.99, 0.5)),
        ({"patience": 1, "min_delta": 0.1, "verbose": 1}, val_losses(1.0, 0.95, 0.7, 0.65, 0.6)),
        ({"patience": 1, "restore_best_weights": True, "verbose": 1}, val_losses(1.0, 0.5, 0.7, 0.8, 0.2)),
        ({"patience": 3, "restore_best_weights": True, "verbose": 1}, val_losses(1.0, 0.5, 0.4, 0.45)),
        ({"monitor": "acc", "mode": "max", "patience": 1, "verbose": 1},
         [{"acc": a} for a in (0.5, 0.6, 0.6, 0.55, 0.7)]),
        ({"monitor": "acc", "mode": "min", "patience": 0}, [{"acc": a} for a in (0.5, 0.6, 0.4)]),
        ({"baseline": 0.5, "patience": 2, "verbose": 1}, val_losses(0.9, 0.8, 0.7, 0.4, 0.45, 0.42)),
        ({"baseline": 0.5, "patience": 1, "restore_best_weights": True, "verbose": 1}, val_losses(0.9, 0.8, 0.7)),
        ({"start_from_epoch": 2, "patience": 0, "verbose": 1}, val_losses(1.0, 2.0, 3.0, 2.5, 2.6)),
        ({"monitor": "loss", "patience": 0}, [{"loss": 1.0}, {"loss": 1.0}, {"loss": 0.5}]),
        ({"monitor": "val_missing"}, val_losses(1.0, 0.9)),
        ({"monitor": "val_missing", "mode": "min"}, val_losses(1.0, 0.9)),
        ({"mode": "sideways", "patience": 0}, val_losses(1.0, 1.1)),
        ({"patience": 0, "restore_best_weights": True, "verbose": 1}, val_losses(1.0, NAN, 0.5)),
    ]
    for kwargs, logs in configs:
        model = tiny_model()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            callback = keras.callbacks.EarlyStopping(**kwargs)
        result = drive_epochs(callback, model, logs)
        result["warnings"] = keras_warnings(caught) + result["warnings"]
        result.update(kwargs=kwargs, epoch_logs=logs, stopped_epoch=callback.stopped_epoch,
                      best_epoch=callback.best_epoch, best=callback.best, wait=callback.wait)
        cases.append(result)
    return cases


def reduce_lr_cases():
    cases = []
    configs = [
        ({"patience": 1, "verbose": 1}, val_losses(1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5)),
        ({"patience": 0, "factor": 0.5, "cooldown": 2, "verbose": 1}, val_losses(*([1.0] * 7))),
        ({"patience": 0, "factor": 0.2, "min_lr": 0.005, "verbose": 1}, val_losses(*([1.0] * 6))),
        ({"patience": 1, "min_delta": 0.1, "monitor": "acc", "mode": "max"},
         [{"acc": a} for a in (0.5, 0.55, 0.58, 0.7, 0.75, 0.78)]),
        ({"monitor": "val_missing"}, val_losses(1.0)),
        ({"monitor": "val_missing", "mode": "max"}, val_losses(1.0)),
    ]
    for kwargs, logs in configs:
        model = tiny_model()
        callback = keras.callbacks.ReduceLROnPlateau(**kwargs)
        result = drive_epochs(callback, model, logs)
        result.update(kwargs=kwargs, epoch_logs=logs)
        cases.append(result)
    try:
        keras.callbacks.ReduceLROnPlateau(factor=1.0)
    except ValueError as error:
        cases.append({"kwargs": {"factor": 1.0}, "error": str(error)})
    return cases


SCHEDULES = {
    "halve_after_first": lambda epoch, lr: lr if epoch < 1 else lr * 0.5,
    "by_epoch_only": lambda epoch: 0.1 / (epoch + 1),
    "numpy_float32": lambda epoch, lr: np.float32(0.05),
    "int_result": lambda epoch, lr: 1,
}


def scheduler_cases():
    cases = []
    for name, schedule in SCHEDULES.items():
        for verbose in (0, 1):
            model = tiny_model()
            callback = keras.callbacks.LearningRateScheduler(schedule, verbose=verbose)
            result = drive_epochs(callback, model, [{"loss": 1.0}] * 3)
            result.update(schedule=name, verbose=verbose)
            cases.append(result)
    return cases


def terminate_on_nan_cases():
    cases = []
    for raise_error in (False, True):
        model = tiny_model()
        callback = keras.callbacks.TerminateOnNaN(raise_error=raise_error)
        batch_logs = [[{"loss": 0.5}, {"loss": 0.4}, {"loss": NAN}, {"loss": 0.3}]]
        result = drive_epochs(callback, model, [{"loss": NAN}], batches=4, batch_logs=batch_logs)
        result.update(raise_error=raise_error)
        cases.append(result)
    model = tiny_model()
    result = drive_epochs(keras.callbacks.TerminateOnNaN(), model, [{"loss": 1.0}], batches=2,
                          batch_logs=[[{"loss": INF}, {"loss": 1.0}]])
    result.update(raise_error=False, note="inf")
    cases.append(result)
    return cases


def csv_logger_cases(workdir):
    cases = []
    configs = [
        ({}, [[{"loss": 0.5, "accuracy": 0.25}, {"loss": 0.25, "accuracy": 0.5}]]),
        ({}, [[{"val_loss": 0.7, "loss": 0.5, "zeta": 1.0}, {"loss": 0.25, "val_loss": 0.6, "zeta": 2.0}]]),
        ({"separator": ";"}, [[{"loss": 0.5, "mae": 0.125}]]),
        ({"append": True}, [[{"loss": 0.5}], [{"loss": 0.25}, {"loss": 0.125}]]),
        ({}, [[{"loss": 0.5, "seq": [1, 2], "name": "x"}, {"loss": 0.25}]]),
    ]
    for index, (kwargs, trainings) in enumerate(configs):
        path = os.path.join(workdir, f"log{index}.csv")
        for epoch_logs in trainings:
            drive_epochs(keras.callbacks.CSVLogger(path, **kwargs), tiny_model(), epoch_logs)
        with open(path, newline="") as f:
            cases.append({"kwargs": kwargs, "trainings": trainings, "text": f.read()})
    return cases


def model_checkpoint_cases(workdir):
    cases = []
    configs = [
        ({"filepath": "{epoch:02d}-{val_loss:.2f}.weights.h5", "save_weights_only": True, "verbose": 1},
         val_losses(0.5, 0.25, 0.125), 0),
        ({"filepath": "best.weights.h5", "save_weights_only": True, "save_best_only": True, "verbose": 1},
         val_losses(0.5, 0.75, 0.25, 0.25), 0),
        ({"filepath": "acc{epoch}.weights.h5", "save_weights_only": True, "save_best_only": True,
          "monitor": "acc", "mode": "max", "verbose": 1}, [{"acc": a} for a in (0.5, 0.75, 0.7)], 0),
        ({"filepath": "thr.weights.h5", "save_weights_only": True, "save_best_only": True,
          "initial_value_threshold": 0.3, "verbose": 1}, val_losses(0.5, 0.25, 0.4), 0),
        ({"filepath": "b{epoch}-{batch}.weights.h5", "save_weights_only": True, "save_freq": 3, "verbose": 1},
         val_losses(0.5, 0.25), 4),
        ({"filepath": "missing.weights.h5", "save_weights_only": True, "save_best_only": True},
         [{"loss": 1.0}], 0),
    ]
    for index, (kwargs, logs, batches) in enumerate(configs):
        directory = os.path.join(workdir, f"ckpt{index}")
        os.makedirs(directory)
        kwargs = dict(kwargs, filepath=os.path.join(directory, kwargs["filepath"]))
        callback = keras.callbacks.ModelCheckpoint(**kwargs)
        model = tiny_model()
        batch_logs = [[{"loss": 1.0}] * batches for _ in logs] if batches else None
        saved = []
        original_save_weights = model.save_weights

        def recording_save_weights(filepath, overwrite=True, _original=original_save_weights, **_):
            saved.append([os.path.basename(filepath), float(model.get_weights()[0][0, 0])])
            _original(filepath, overwrite=overwrite)

        model.save_weights = recording_save_weights
        result = drive_epochs(callback, model, logs, batches=batches, batch_logs=batch_logs)
        kwargs["filepath"] = os.path.basename(kwargs["filepath"])
        result.update(kwargs=kwargs, epoch_logs=logs, batches=batches, saved=saved,
                      files=sorted(os.listdir(directory)),
                      output=result["output"].replace(directory + os.sep, "<DIR>/"))
        cases.append(result)
    errors = []
    for kwargs in ({"filepath": "w.h5", "save_weights_only": True}, {"filepath": "model.txt"},
                   {"filepath": "m.keras", "save_freq": "batch"}):
        try:
            keras.callbacks.ModelCheckpoint(**kwargs)
        except ValueError as error:
            errors.append({"kwargs": kwargs, "error": str(error)})
    return {"cases": cases, "errors": errors}


class Recorder(keras.callbacks.Callback):
    """Remembers the logs each hook received."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(["on_train_batch_end", batch, {k: _jsonable(v) for k, v in logs.items()}])

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(["on_epoch_end", epoch, {k: _jsonable(v) for k, v in logs.items()}])


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return {"ndarray": value.tolist()}
    return value


def callback_list_cases():
    import torch
    recorder = Recorder()
    history = keras.callbacks.History()
    model = tiny_model()
    order = {}
    for name, kwargs in {
        "defaults": {"callbacks": [recorder]},
        "history_given": {"callbacks": [history, recorder]},
    }.items():
        cb_list = keras.callbacks.CallbackList(add_history=True, add_progbar=True, model=model,
                                               verbose=1, epochs=1, steps=1, **kwargs)
        order[name] = [type(c).__name__ for c in cb_list.callbacks]
        order[name + "_history_is_model_history"] = model.history is cb_list._history
    cb_list = keras.callbacks.CallbackList([recorder], model=model, verbose=0, epochs=1, steps=1)
    cb_list.on_train_batch_end(0, {"zeta": torch.tensor(1.5), "alpha": torch.tensor(2.0),
                                   "nested": {"inner_b": torch.tensor(3.0), "inner_a": 4.0},
                                   "vector": torch.tensor([1.0, 2.0]), "text": "hello"})
    cb_list.on_epoch_end(0, {"loss": np.float32(0.5), "acc": 1})
    return {"order": order, "seen": recorder.seen, "params": recorder.params}


# ---- real fit / evaluate / predict with stdout piped ------------------------------------------------------------

SCENARIO_PROGRAM = os.path.join(GOLDEN, "console_scenarios.py")
# Scenarios (``<name>_v<verbose>``) of tests/golden/training/console_scenarios.py recorded with stdout piped.
SCENARIOS = ["fit_v0", "fit_v1", "fit_v2", "fit_vauto", "fit_one_epoch_v1", "fit_cosine_v1", "fit_cosine_v2",
             "fit_generator_v1", "fit_callbacks_v2", "evaluate_v0", "evaluate_v1", "evaluate_v2", "predict_v0",
             "predict_v1", "predict_v2"]


def capture_scenarios():
    """Run all scenarios in one real-Keras process with stdout piped, and split its output per scenario."""
    env = dict(os.environ, KERAS_BACKEND="torch", PYTHONWARNINGS="ignore")
    completed = subprocess.run([sys.executable, SCENARIO_PROGRAM, *SCENARIOS], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, check=True)
    for part in completed.stdout.split(b"=====SCENARIO ")[1:]:
        scenario, _, output = part.partition(b"\n")
        path = os.path.join(GOLDEN, f"console_{scenario.decode()}.txt")
        with open(path, "wb") as f:
            f.write(output)
        print(f"wrote {path} ({len(output)} bytes)")


def main():
    with open(os.path.join(GOLDEN, "console_replay.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "sessions": progbar_sessions() + logger_sessions()}, f,
                  indent=1)
    with tempfile.TemporaryDirectory() as workdir:
        callbacks = {
            "keras_version": keras.__version__,
            "early_stopping": early_stopping_cases(),
            "reduce_lr_on_plateau": reduce_lr_cases(),
            "learning_rate_scheduler": scheduler_cases(),
            "terminate_on_nan": terminate_on_nan_cases(),
            "csv_logger": csv_logger_cases(workdir),
            "model_checkpoint": model_checkpoint_cases(workdir),
            "callback_list": callback_list_cases(),
        }
    with open(os.path.join(CALLBACKS_GOLDEN, "console_callbacks.json"), "w") as f:
        json.dump(callbacks, f, indent=1)
    if "--skip-processes" not in sys.argv:
        capture_scenarios()


if __name__ == "__main__":
    main()
