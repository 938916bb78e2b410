"""Callbacks against real Keras 3, driven as the training engine drives them, and end to end through fit.

tests/golden/callbacks/console_callbacks.json (from tools/golden_console.py) holds what Keras's EarlyStopping,
ReduceLROnPlateau, LearningRateScheduler, TerminateOnNaN, CSVLogger, ModelCheckpoint and CallbackList did with
given logs: messages, warnings, stop flags, learning rates, files, restored weights. The same hooks with the
same logs go through kerastorch's callbacks here.
"""
import json
import os
import signal
import subprocess
import sys
import warnings
from collections.abc import Mapping

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import callbacks as callbacks_module
from kerastorch.callbacks import (BackupAndRestore, Callback, CallbackList, CSVLogger, EarlyStopping, History,
                                  LambdaCallback, LearningRateScheduler, ModelCheckpoint, ProgbarLogger,
                                  ReduceLROnPlateau, TensorBoard, TerminateOnNaN)
from kerastorch.saving import weights as weights_file
from kerastorch.training import progbar
from golden_loader import REPO_ROOT, golden_json

GOLDEN = golden_json("callbacks/console_callbacks.json")
ROOT = str(REPO_ROOT)


def tiny_model():
    """Dense(1) on one input, compiled with SGD(0.1), as in the golden runs."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


def set_marker(model, value):
    """Set every weight to ``value``, so that restored or saved weights tell which epoch they come from."""
    model.set_weights([np.full((1, 1), value, "float32"), np.full((1,), value, "float32")])


def marker(model):
    return float(model.get_weights()[0][0, 0])


def drive_epochs(callback, model, epoch_logs, batches=0, batch_logs=None, tensors=False):
    """fit's sequence of hooks with the given logs (the golden script's), recording the same things."""
    records = []
    error = None

    def run():
        model.stop_training = False
        callback.set_model(model)
        callback.set_params({"verbose": 1, "epochs": len(epoch_logs), "steps": batches or None})
        callback.on_train_begin({})
        for epoch, logs in enumerate(epoch_logs):
            callback.on_epoch_begin(epoch, {})
            for batch in range(batches):
                callback.on_train_batch_begin(batch, {})
                logs_of_batch = dict(batch_logs[epoch][batch]) if batch_logs else {}
                if tensors:
                    logs_of_batch = {key: torch.tensor(value) for key, value in logs_of_batch.items()}
                callback.on_train_batch_end(batch, logs_of_batch)
                if model.stop_training:
                    break
            set_marker(model, float(epoch))
            logs = dict(logs)
            callback.on_epoch_end(epoch, logs)
            records.append({"epoch": epoch, "stop_training": bool(model.stop_training), "logs_after": logs,
                            "learning_rate": float(np.float32(model.optimizer.learning_rate))})
            if model.stop_training:
                break
        callback.on_train_end({})

    import contextlib
    import io
    buffer = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(buffer):
        warnings.simplefilter("always")
        try:
            run()
        except (ValueError, RuntimeError) as raised:
            error = {"type": type(raised).__name__, "message": str(raised)}
    return {"records": records, "output": buffer.getvalue(), "warnings": [str(w.message) for w in caught],
            "final_marker": marker(model), "error": error}


def as_json(value):
    """A comparable form in which NaN equals NaN."""
    return json.dumps(value, sort_keys=True)


def assert_same_run(result, expected, compare_marker=True):
    assert result["output"] == expected["output"]
    assert result["warnings"] == expected["warnings"]
    assert as_json(result["records"]) == as_json(expected["records"])
    assert result["error"] == expected["error"]
    if compare_marker and expected["error"] is None:
        assert result["final_marker"] == expected["final_marker"]


# ---- Keras parity on synthetic logs -----------------------------------------------------------------------------

@pytest.mark.parametrize("case", GOLDEN["early_stopping"], ids=lambda case: as_json(case["kwargs"]))
def test_early_stopping_matches_keras(case):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        callback = EarlyStopping(**case["kwargs"])
    result = drive_epochs(callback, tiny_model(), case["epoch_logs"])
    result["warnings"] = [str(w.message) for w in caught] + result["warnings"]
    assert_same_run(result, case)
    assert (callback.stopped_epoch, callback.best_epoch, callback.wait) == \
        (case["stopped_epoch"], case["best_epoch"], case["wait"])
    assert as_json(callback.best) == as_json(case["best"])


@pytest.mark.parametrize("case", GOLDEN["reduce_lr_on_plateau"], ids=lambda case: as_json(case["kwargs"]))
def test_reduce_lr_on_plateau_matches_keras(case):
    if "epoch_logs" not in case:
        with pytest.raises(ValueError) as raised:
            ReduceLROnPlateau(**case["kwargs"])
        assert str(raised.value) == case["error"]
        return
    result = drive_epochs(ReduceLROnPlateau(**case["kwargs"]), tiny_model(), case["epoch_logs"])
    assert_same_run(result, case)


def test_reduce_lr_on_plateau_accepts_keras2_epsilon():
    with pytest.warns(DeprecationWarning, match="min_delta"):
        callback = ReduceLROnPlateau(epsilon=0.5)
    assert callback.min_delta == 0.5
    with pytest.raises(ValueError, match="Unrecognized arguments"):
        ReduceLROnPlateau(patiense=3)


SCHEDULES = {
    "halve_after_first": lambda epoch, lr: lr if epoch < 1 else lr * 0.5,
    "by_epoch_only": lambda epoch: 0.1 / (epoch + 1),
    "numpy_float32": lambda epoch, lr: np.float32(0.05),
    "int_result": lambda epoch, lr: 1,
}


@pytest.mark.parametrize("case", GOLDEN["learning_rate_scheduler"],
                         ids=lambda case: f"{case['schedule']}-verbose{case['verbose']}")
def test_learning_rate_scheduler_matches_keras(case):
    callback = LearningRateScheduler(SCHEDULES[case["schedule"]], verbose=case["verbose"])
    result = drive_epochs(callback, tiny_model(), [{"loss": 1.0}] * 3)
    assert_same_run(result, case)


@pytest.mark.parametrize("case", GOLDEN["terminate_on_nan"], ids=lambda case: as_json(case.get("note", case["raise_error"])))
def test_terminate_on_nan_matches_keras_on_host_values(case):
    loss = float("inf") if case.get("note") == "inf" else float("nan")
    if case.get("note") == "inf":
        epoch_logs, batches, batch_logs = [{"loss": 1.0}], 2, [[{"loss": loss}, {"loss": 1.0}]]
    else:
        epoch_logs, batches = [{"loss": loss}], 4
        batch_logs = [[{"loss": 0.5}, {"loss": 0.4}, {"loss": loss}, {"loss": 0.3}]]
    result = drive_epochs(TerminateOnNaN(raise_error=case["raise_error"]), tiny_model(), epoch_logs,
                          batches=batches, batch_logs=batch_logs)
    assert_same_run(result, case)


@pytest.mark.parametrize("case", GOLDEN["terminate_on_nan"][:2], ids=["stop", "raise"])
def test_terminate_on_nan_reads_device_losses_sparingly_and_names_the_first_bad_batch(case, monkeypatch):
    monkeypatch.setattr(torch.Tensor, "item", lambda self: pytest.fail("the loss was read at every batch"))
    nan = float("nan")
    batch_logs = [[{"loss": 0.5}, {"loss": 0.4}, {"loss": nan}, {"loss": nan}]]
    # The clock does not move: the recorded bad batch is read at the epoch end.
    monkeypatch.setattr(progbar, "_now", lambda: 0.0)
    result = drive_epochs(TerminateOnNaN(raise_error=case["raise_error"]), tiny_model(), [{"loss": nan}],
                          batches=4, batch_logs=batch_logs, tensors=True)
    assert result["output"] == case["output"]
    assert result["error"] == case["error"]
    assert as_json(result["records"]) == as_json(case["records"])


@pytest.mark.parametrize("case", GOLDEN["csv_logger"], ids=lambda case: as_json(case["kwargs"]))
def test_csv_logger_writes_what_keras_writes(case, tmp_path):
    path = tmp_path / "log.csv"
    for epoch_logs in case["trainings"]:
        drive_epochs(CSVLogger(path, **case["kwargs"]), tiny_model(), epoch_logs)
    with open(path, newline="") as f:
        assert f.read() == case["text"]


def _kerastorch_name(name):
    return name.replace(".weights.h5", ".weights.safetensors")


@pytest.mark.parametrize("case", GOLDEN["model_checkpoint"]["cases"], ids=lambda case: case["kwargs"]["filepath"])
def test_model_checkpoint_matches_keras(case, tmp_path):
    kwargs = dict(case["kwargs"], filepath=str(tmp_path / _kerastorch_name(case["kwargs"]["filepath"])))
    callback = ModelCheckpoint(**kwargs)
    model = tiny_model()
    saved = []
    real_save_weights = model.save_weights

    def recording_save_weights(filepath, overwrite=True):
        saved.append([os.path.basename(filepath), marker(model)])
        real_save_weights(filepath, overwrite=overwrite)

    model.save_weights = recording_save_weights
    batches = case["batches"]
    batch_logs = [[{"loss": 1.0}] * batches for _ in case["epoch_logs"]] if batches else None
    result = drive_epochs(callback, model, case["epoch_logs"], batches=batches, batch_logs=batch_logs)
    expected = dict(case, output=_kerastorch_name(case["output"]))
    result["output"] = result["output"].replace(str(tmp_path) + os.sep, "<DIR>/")
    assert_same_run(result, expected, compare_marker=False)
    assert sorted(os.listdir(tmp_path)) == [_kerastorch_name(name) for name in case["files"]]
    assert [name for name, _ in saved] == [_kerastorch_name(name) for name, _ in case["saved"]]
    for (_, value), (_, keras_value) in zip(saved, case["saved"]):
        if float(keras_value).is_integer():  # set by set_marker (else Keras's random initial weights)
            assert value == keras_value


@pytest.mark.parametrize("case", GOLDEN["model_checkpoint"]["errors"], ids=lambda case: case["kwargs"]["filepath"])
def test_model_checkpoint_rejects_what_keras_rejects(case):
    with pytest.raises(ValueError) as raised:
        ModelCheckpoint(**case["kwargs"])
    # Keras's text, except that the formats listed include kerastorch's own.
    message, keras_message = str(raised.value), case["error"]
    if "must end in" in keras_message:
        assert message.startswith(keras_message.split("must end in")[0] + "must end in")
        assert message.endswith(keras_message[keras_message.index("Received:"):])
    else:
        assert message.startswith(keras_message)


def test_callback_list_adds_history_and_progbar_in_keras_order():
    golden = GOLDEN["callback_list"]
    model = tiny_model()

    class Recorder(Callback):
        pass

    history = History()
    defaults = CallbackList([Recorder()], add_history=True, add_progbar=True, model=model, verbose=1, epochs=1,
                            steps=1)
    given = CallbackList([history, Recorder()], add_history=True, add_progbar=True, model=model, verbose=1,
                         epochs=1, steps=1)
    assert [type(c).__name__ for c in defaults.callbacks] == golden["order"]["defaults"]
    assert [type(c).__name__ for c in given.callbacks] == golden["order"]["history_given"]
    assert model.history is history


def test_callback_list_hands_keras_logs_to_callbacks_that_read_batch_logs():
    golden = GOLDEN["callback_list"]
    seen = []

    class Recorder(Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(["on_train_batch_end", batch, {k: _jsonable(v) for k, v in logs.items()}])

        def on_epoch_end(self, epoch, logs=None):
            seen.append(["on_epoch_end", epoch, {k: _jsonable(v) for k, v in logs.items()}])

    recorder = Recorder()
    callbacks = CallbackList([recorder], model=tiny_model(), verbose=0, epochs=1, steps=1)
    callbacks.on_train_batch_end(0, {"zeta": torch.tensor(1.5), "alpha": torch.tensor(2.0),
                                     "nested": {"inner_b": torch.tensor(3.0), "inner_a": 4.0},
                                     "vector": torch.tensor([1.0, 2.0]), "text": "hello"})
    callbacks.on_epoch_end(0, {"loss": np.float32(0.5), "acc": 1})
    assert seen == golden["seen"]
    assert [list(entry[2]) for entry in seen] == [list(entry[2]) for entry in golden["seen"]]  # key order
    assert recorder.params == golden["params"]


def _jsonable(value):
    return {"ndarray": value.tolist()} if isinstance(value, np.ndarray) else value


# ---- CallbackList and the engine's lazy logs --------------------------------------------------------------------

class CountingLogs(Mapping):
    """Batch logs like the engine's: each value is computed (and counted) when read."""

    def __init__(self, values):
        self.values = values
        self.reads = 0

    def __getitem__(self, key):
        self.reads += 1
        return self.values[key]

    def __iter__(self):
        return iter(sorted(self.values))

    def __len__(self):
        return len(self.values)


def test_batch_logs_are_read_only_when_the_bar_redraws(monkeypatch, capsys):
    now = [0.0]
    monkeypatch.setattr(progbar, "_now", lambda: now[0])
    logs = CountingLogs({"loss": torch.tensor(0.5), "accuracy": torch.tensor(0.25)})
    callbacks = CallbackList([EarlyStopping(), ModelCheckpoint("unused.weights.safetensors", save_weights_only=True)], add_history=True,
                             add_progbar=True, model=tiny_model(), verbose=1, epochs=1, steps=2000)
    callbacks.on_epoch_begin(0)
    for batch in range(2000):
        now[0] += 0.0005  # 1 s for the epoch: about 20 redraws
        callbacks.on_train_batch_begin(batch)
        callbacks.on_train_batch_end(batch, logs)
    redraws = capsys.readouterr().out.count("\r")
    assert 15 <= redraws <= 23
    assert logs.reads == 2 * redraws  # two values per redraw, nothing in between


def test_callbacks_that_override_batch_hooks_get_python_numbers():
    seen = []
    user_callback = LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(logs))
    callbacks = CallbackList([user_callback], add_progbar=True, verbose=1, epochs=1, steps=1)
    callbacks.on_train_batch_end(0, CountingLogs({"loss": torch.tensor(0.5)}))
    assert seen == [{"loss": 0.5}] and isinstance(seen[0]["loss"], float)


def test_keras2_on_batch_end_is_called_by_on_train_batch_end():
    calls = []

    class Keras2Style(Callback):
        def on_batch_end(self, batch, logs=None):
            calls.append((batch, logs))

    CallbackList([Keras2Style()]).on_train_batch_end(3, {"loss": torch.tensor(2.0)})
    assert calls == [(3, {"loss": 2.0})]


def test_callback_list_rejects_what_is_not_a_callback():
    with pytest.raises(ValueError, match="position 1: .*function"):
        CallbackList([History(), lambda logs: None])
    with pytest.raises(ValueError, match="must be a list"):
        CallbackList("EarlyStopping")
    nested = CallbackList([[History(), [ProgbarLogger()]]])
    assert [type(c).__name__ for c in nested.callbacks] == ["History", "ProgbarLogger"]


def test_history_records_epoch_logs_and_params():
    model = tiny_model()
    callbacks = CallbackList(add_history=True, model=model, verbose=0, epochs=2, steps=3)
    callbacks.on_train_begin()
    for epoch in range(2):
        callbacks.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 2.0})
    history = model.history
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [2.0, 2.0]}
    assert history.epoch == [0, 1]
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 3}


# ---- weights files ---------------------------------------------------------------------------------------------

def mlp():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(2)])


def test_weights_round_trip_under_stable_paths(tmp_path):
    import safetensors.torch
    source, target = mlp(), mlp()  # the second one's layers are named dense_2, dense_3
    path = str(tmp_path / "m.weights.safetensors")
    weights_file.save_weights(source, path)
    assert sorted(safetensors.torch.load_file(path)) == ["dense/bias", "dense/kernel", "dense_1/bias",
                                                         "dense_1/kernel"]
    weights_file.load_weights(target, path)
    for a, b in zip(source.get_weights(), target.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert os.listdir(tmp_path) == ["m.weights.safetensors"]  # no temporary file left


def test_loading_weights_of_another_shape_names_the_weight_and_both_shapes(tmp_path):
    path = str(tmp_path / "m.weights.safetensors")
    weights_file.save_weights(mlp(), path)
    other = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"'dense/kernel' has shape \(5, 4\) in the model but shape \(3, 4\)"):
        weights_file.load_weights(other, path)
    for a, b in zip(before, other.get_weights()):  # nothing was assigned
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="Skipping"):
        weights_file.load_weights(other, path, skip_mismatch=True)
    deeper = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(2),
                               keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"missing from the file: \['dense_2/kernel', 'dense_2/bias'\]"):
        weights_file.load_weights(deeper, path)
    with pytest.raises(ValueError, match=r"must end in `.weights.safetensors`. Received: filepath=m.h5"):
        weights_file.save_weights(mlp(), "m.h5")


def test_a_failed_write_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    import safetensors.torch
    path = str(tmp_path / "m.weights.safetensors")
    model = mlp()
    weights_file.save_weights(model, path)
    with open(path, "rb") as f:
        original = f.read()

    def crash(tensors, metadata=None):
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        weights_file.save_weights(model, path)
    with open(path, "rb") as f:
        assert f.read() == original
    assert os.listdir(tmp_path) == ["m.weights.safetensors"]


# ---- through fit --------------------------------------------------------------------------------------------------

def regression_data(samples=64):
    rng = np.random.RandomState(0)
    x = rng.rand(samples, 3).astype("float32")
    return x, x @ np.array([[1.0], [-2.0], [0.5]], "float32")


def compiled_mlp():
    keras.backend.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


def test_early_stopping_restores_the_best_weights_in_fit():
    model = compiled_mlp()
    scripted_val_loss = [1.0, 0.5, 0.8, 0.9, 0.95, 0.97]
    weights_at_epoch = []

    def script(epoch, logs):
        logs["val_loss"] = scripted_val_loss[epoch]  # callbacks share the logs dict: EarlyStopping sees this
        weights_at_epoch.append(model.get_weights())

    x, y = regression_data()
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0, callbacks=[
        LambdaCallback(on_epoch_end=script), EarlyStopping(patience=2, restore_best_weights=True)])
    assert history.epoch == [0, 1, 2, 3]
    assert history.history["val_loss"] == [1.0, 0.5, 0.8, 0.9]
    for restored, best in zip(model.get_weights(), weights_at_epoch[1]):
        np.testing.assert_array_equal(restored, best)


def test_auto_mode_follows_the_compiled_metrics_direction():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.RandomState(0).rand(16, 3).astype("float32")
    y = (x[:, 0] > 0.5).astype("int64")
    watching_accuracy, watching_loss = EarlyStopping(monitor="val_accuracy"), EarlyStopping(monitor="val_loss")
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[watching_accuracy, watching_loss])
    import operator
    assert watching_accuracy.monitor_op is operator.gt
    assert watching_loss.monitor_op is operator.lt
    with pytest.raises(ValueError, match="monitor=val_auc, but Keras isn't able"):
        model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[EarlyStopping(monitor="val_auc")])


def test_model_checkpoint_writes_each_epoch_and_the_files_load(tmp_path):
    model = compiled_mlp()
    x, y = regression_data()
    template = str(tmp_path / "ckpt-{epoch:02d}-{loss:.3f}.weights.safetensors")
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0,
                        callbacks=[ModelCheckpoint(template, monitor="loss", save_weights_only=True)])
    names = sorted(os.listdir(tmp_path))
    assert names == [f"ckpt-{epoch + 1:02d}-{loss:.3f}.weights.safetensors"
                     for epoch, loss in enumerate(history.history["loss"])]
    restored = compiled_mlp()
    restored.load_weights(str(tmp_path / names[-1]))
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_saves_whole_models_every_n_batches(tmp_path):
    model = compiled_mlp()
    x, y = regression_data()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0,  # 4 batches per epoch
              callbacks=[ModelCheckpoint(str(tmp_path / "m-{epoch}-{batch}.keras"), save_freq=3)])
    assert sorted(os.listdir(tmp_path)) == ["m-1-3.keras", "m-2-2.keras"]


def test_terminate_on_nan_stops_fit():
    model = compiled_mlp()
    x, y = regression_data()
    y[5] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the engine warns about the NaN in y
        history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[TerminateOnNaN()])
    assert history.epoch == [0]


def test_learning_rate_scheduler_sets_and_logs_the_rate_in_fit():
    model = compiled_mlp()
    x, y = regression_data()
    history = model.fit(x, y, epochs=3, verbose=0,
                        callbacks=[LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))])
    assert history.history["learning_rate"] == [float(np.float32(0.1 / (e + 1))) for e in range(3)]


# ---- BackupAndRestore -------------------------------------------------------------------------------------------

def test_backup_holds_weights_optimizer_state_and_epoch_and_restores_them(tmp_path):
    x, y = regression_data()
    model = compiled_mlp()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0,
              callbacks=[BackupAndRestore(tmp_path / "backup", delete_checkpoint=False)])
    assert os.listdir(tmp_path / "backup") == ["latest.backup.safetensors"]

    resumed = compiled_mlp()
    callback = BackupAndRestore(tmp_path / "backup")
    callback.set_model(resumed)
    callback.on_train_begin()
    assert resumed._initial_epoch == 2
    for a, b in zip(model.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.get_weights(), resumed.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
    callback.on_train_end()
    assert not os.path.exists(tmp_path / "backup")  # deleted once training completes
    assert resumed._initial_epoch is None


def test_backup_and_restore_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq=batch"):
        BackupAndRestore("/tmp/x", save_freq="batch")
    unbuilt = keras.Sequential([keras.layers.Dense(1)])
    callback = BackupAndRestore("/tmp/x")
    callback.set_model(unbuilt)
    with pytest.raises(ValueError, match="must be built"):
        callback.on_train_begin()


RESUMABLE_RUN = r'''
import os, signal, sys
import numpy as np
import kerastorch as keras

backup_dir, output, mode = sys.argv[1:4]


class KillMidEpoch(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 2 and batch == 2:
            os.kill(os.getpid(), signal.SIGKILL)


def train(backup_dir, output, kill):
    keras.backend.set_random_seed(0)
    rng = np.random.RandomState(0)
    x = rng.rand(120, 4).astype("float32")
    y = (x.sum(1) > 2).astype("int64")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dropout(0.3), keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = [keras.callbacks.BackupAndRestore(backup_dir)] + ([KillMidEpoch()] if kill else [])
    model.fit(x, y, epochs=5, batch_size=16, verbose=0, shuffle=True, callbacks=callbacks)
    np.savez(output, *model.get_weights(), *model.optimizer.get_weights())


if mode == "uninterrupted_then_killed":
    train(backup_dir + "_uninterrupted", output, kill=False)
    train(backup_dir, output + ".killed.npz", kill=True)
else:
    train(backup_dir, output, kill=False)
'''


@pytest.mark.slow
def test_a_run_killed_and_started_again_ends_like_an_uninterrupted_one(tmp_path):
    def run(output, mode):
        return subprocess.run([sys.executable, "-c", RESUMABLE_RUN, str(tmp_path / "backup"), str(tmp_path / output),
                               mode], cwd=ROOT, stderr=subprocess.PIPE, timeout=120)

    # One process trains uninterrupted, then trains again from the same seed and is killed in epoch 3.
    killed = run("uninterrupted.npz", "uninterrupted_then_killed")
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    assert os.listdir(tmp_path / "backup") == ["latest.backup.safetensors"]
    resumed = run("resumed.npz", "resume")
    assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
    assert not os.path.exists(tmp_path / "backup")
    expected, actual = np.load(tmp_path / "uninterrupted.npz"), np.load(tmp_path / "resumed.npz")
    assert len(expected.files) == len(actual.files) > 4  # the weights and the optimizer's state
    for name in expected.files:
        np.testing.assert_array_equal(actual[name], expected[name])


# ---- TensorBoard -------------------------------------------------------------------------------------------------

def test_tensorboard_without_the_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ImportError, match=r"pip install kerastorch\[tensorboard\]"):
        TensorBoard("logs")


def _read_events(log_dir):
    """Every scalar and histogram in a TensorBoard run directory, read back with TensorBoard's own reader."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    accumulator = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "histograms": 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    scalars = {tag: [(e.step, round(e.value, 6)) for e in accumulator.Scalars(tag)] for tag in tags["scalars"]}
    return scalars, set(tags["histograms"])


def test_tensorboard_writes_keras_tags(tmp_path):
    pytest.importorskip("tensorboard")
    callback = TensorBoard(tmp_path, histogram_freq=1, update_freq=2)
    model = tiny_model()
    callback.set_model(model)
    callback.on_train_begin()
    callback.on_epoch_begin(0)
    for batch in range(3):
        callback.on_train_batch_end(batch, {"loss": torch.tensor(0.5 + batch)})
    callback.on_test_end({"loss": 0.25})
    callback.on_epoch_end(0, {"loss": 1.5, "val_loss": 0.25})
    callback.on_train_end()
    train_scalars, train_histograms = _read_events(tmp_path / "train")
    validation_scalars, _ = _read_events(tmp_path / "validation")
    assert train_scalars == {"batch_loss": [(2, 1.5)], "epoch_loss": [(0, 1.5)], "epoch_learning_rate": [(0, 0.1)]}
    assert validation_scalars == {"evaluation_loss_vs_iterations": [(0, 0.25)], "epoch_loss": [(0, 0.25)]}
    assert train_histograms == {"dense/kernel/histogram", "dense/bias/histogram"}
    with pytest.raises(ValueError, match="profile_batch=2"):
        TensorBoard(tmp_path, profile_batch=2)


def test_tensorboard_through_fit_writes_epoch_logs(tmp_path):
    pytest.importorskip("tensorboard")
    model = tiny_model()
    model.compile("sgd", "mse")
    x = np.linspace(0, 1, 16, dtype="float32").reshape(-1, 1)
    model.fit(x, 2 * x, epochs=2, batch_size=8, verbose=0, validation_split=0.25,
              callbacks=[TensorBoard(tmp_path)])
    train_scalars, _ = _read_events(tmp_path / "train")
    validation_scalars, _ = _read_events(tmp_path / "validation")
    assert [step for step, _ in train_scalars["epoch_loss"]] == [0, 1]
    assert [step for step, _ in validation_scalars["epoch_loss"]] == [0, 1]


def test_callbacks_module_names_what_kerastorch_lacks():
    with pytest.raises(AttributeError, match="keras.callbacks.RemoteMonitor is not provided by kerastorch"):
        callbacks_module.RemoteMonitor
