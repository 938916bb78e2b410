"""Acceptance of data-parallel training: real ``torchrun --nproc_per_node=2`` jobs (gloo on the CPU) run unmodified
Keras-style scripts (tests/training/distributed_scripts.py), compared with the same script run as one process.

Each launch costs seconds, so one launch checks many things; a timeout guards every launch (a rank waiting
forever in a collective would otherwise hang the suite).
"""
import csv
import fcntl
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from distributed_scripts import BACKUP_SCRIPT, FIT_SCRIPT

pytestmark = pytest.mark.slow

ROOT = pathlib.Path(__file__).resolve().parents[2]
TORCHRUN = pathlib.Path(sys.executable).with_name("torchrun")
LAUNCH_TIMEOUT = 150


def _environment():
    env = dict(os.environ)
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "KERASTORCH_DISTRIBUTED"):
        env.pop(name, None)
    env.update(OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT), KERASTORCH_DEVICE="cpu", PYTHONWARNINGS="ignore")
    return env


def _command(script, processes):
    if processes == 1:
        return [sys.executable, str(script)]
    return [str(TORCHRUN), "--standalone", f"--nproc_per_node={processes}", "--log-dir", str(script.parent / "logs"),
            "--tee", "3", str(script)]


def _start(tmp_path, source, processes, name, env=None, **options):
    """Start ``source`` as a script (one process, or a torchrun job, in a session of its own so that the whole
    job can be killed); returns (out folder, process)."""
    script = tmp_path / f"{name}.py"
    script.write_text(source)
    out = tmp_path / name
    out.mkdir(exist_ok=True)
    options = options or dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return out, subprocess.Popen(_command(script, processes) + [str(out)], cwd=tmp_path, env=env or _environment(),
                                 start_new_session=True, **options)


def _finish(process):
    """Wait for a process started by ``_start`` (within the timeout); returns its standard output."""
    try:
        stdout, stderr = process.communicate(timeout=LAUNCH_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    assert process.returncode == 0, stdout[-3000:] + stderr[-6000:]
    return stdout


def _run(tmp_path, source, processes, name, env=None):
    out, process = _start(tmp_path, source, processes, name, env)
    return out, _finish(process)


@pytest.fixture(scope="session")
def fit_runs(tmp_path_factory, worker_id):
    """The fit script as one process and as a job of two, run side by side; ``(single, job, job's output)``.

    Run once per test session: with pytest-xdist, the first worker to get here runs them under a file lock in the
    workers' shared temporary folder, and the others read its results."""
    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    tmp_path = shared / "distributed_fit"
    with open(shared / "distributed_fit.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (tmp_path / "output.txt").exists():
            tmp_path.mkdir(exist_ok=True)
            (single, one), (job, two) = (_start(tmp_path, FIT_SCRIPT, 1, "single"),
                                         _start(tmp_path, FIT_SCRIPT, 2, "job"))
            _finish(one)
            (tmp_path / "output.txt").write_text(_finish(two))
    return tmp_path / "single", tmp_path / "job", (tmp_path / "output.txt").read_text()


def _load(folder, rank):
    with open(folder / f"{rank}.json") as file:
        return np.load(folder / f"{rank}.npz"), json.load(file)


def test_final_weights_are_identical_on_both_ranks(fit_runs):
    _, job, _ = fit_runs
    (arrays_0, _), (arrays_1, _) = _load(job, "0"), _load(job, "1")
    assert sorted(arrays_0.files) == sorted(arrays_1.files)
    for key in arrays_0.files:
        np.testing.assert_array_equal(arrays_0[key], arrays_1[key], err_msg=key)


@pytest.mark.parametrize("prefix", ["mlp_", "dataset_", "loader_", "predict", "heads_", "lazy_", "ownstep_"])
def test_two_processes_match_one_process_with_the_same_global_batch(fit_runs, prefix):
    single, job, _ = fit_runs
    (one, _), (two, _) = _load(single, "single"), _load(job, "0")
    keys = [key for key in one.files if key.startswith(prefix)]
    assert keys
    for key in keys:
        np.testing.assert_allclose(two[key], one[key], atol=1e-5, rtol=0, err_msg=key)


def test_mixed_float16_loss_scaling_sees_the_averaged_gradients(fit_runs):
    single, job, _ = fit_runs
    (one, _), (two, _) = _load(single, "single"), _load(job, "0")
    keys = [key for key in one.files if key.startswith("fp16_")]
    assert "fp16_loss_scale" in keys
    for key in keys:
        # float16 sums of shares round differently from the sum of the whole batch.
        np.testing.assert_allclose(two[key], one[key], atol=5e-5, rtol=0, err_msg=key)


def test_history_and_evaluate_are_identical_on_both_ranks_and_match_one_process(fit_runs):
    single, job, _ = fit_runs
    one, rank_0, rank_1 = _load(single, "single")[1], _load(job, "0")[1], _load(job, "1")[1]
    assert rank_0["history"] == rank_1["history"]
    assert rank_0["ownstep_history"] == rank_1["ownstep_history"]
    assert rank_0["evaluate"] == rank_1["evaluate"]
    for key, values in one["history"].items():
        np.testing.assert_allclose(rank_0["history"][key], values, rtol=1e-5, atol=1e-6, err_msg=key)
    for key, value in one["evaluate"].items():
        np.testing.assert_allclose(rank_0["evaluate"][key], value, rtol=1e-5, atol=1e-6, err_msg=key)


def test_early_stopping_stops_both_ranks_at_the_same_epoch(fit_runs):
    single, job, _ = fit_runs
    epochs = [len(_load(folder, rank)[1]["history"]["loss"]) for folder, rank in
              ((single, "single"), (job, "0"), (job, "1"))]
    assert epochs == [3, 3, 3]


def test_a_stop_decided_mid_epoch_on_one_rank_stops_every_rank_after_that_batch(fit_runs):
    single, job, _ = fit_runs
    steps = [_load(folder, rank)[1]["stopped_after_steps"] for folder, rank in
             ((single, "single"), (job, "0"), (job, "1"))]
    assert steps == [3, 3, 3]


def test_progress_and_checkpoint_messages_are_printed_once(fit_runs):
    _, _, output = fit_runs
    assert output.count("Epoch 1/6") == 1
    assert output.count("finished saving model to") == 3


def test_each_checkpoint_and_the_csv_are_written_once_and_load(fit_runs):
    import kerastorch
    _, job, _ = fit_runs
    assert sorted(p.name for p in job.glob("ckpt-*.keras")) == ["ckpt-1.keras", "ckpt-2.keras", "ckpt-3.keras"]
    for path in job.glob("*.keras"):
        kerastorch.saving.load_model(path)
    with open(job / "log.csv") as file:
        rows = list(csv.DictReader(file))
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    history = _load(job, "0")[1]["history"]
    np.testing.assert_allclose([float(row["val_loss"]) for row in rows], history["val_loss"], rtol=1e-6)
    model = kerastorch.saving.load_model(job / "final.keras")
    weights = _load(job, "0")[0]
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_array_equal(weight, weights[f"mlp_{i}"])
    assert not list(job.glob("*.tmp*"))


@pytest.mark.parametrize("kind", ["dataset", "loader"])
def test_a_dataset_and_a_users_dataloader_are_split_between_the_ranks(fit_runs, kind):
    single, job, _ = fit_runs
    seen_0, seen_1 = _load(job, "0")[1][f"{kind}_seen"], _load(job, "1")[1][f"{kind}_seen"]
    seen_single = _load(single, "single")[1][f"{kind}_seen"]
    # 2 epochs of 49 samples in batches of 8: 4 + 4 samples per batch, and the last batch's one sample is rank 0's
    # (rank 1's share is empty: it reads that same sample only to stand in for it, and trains on nothing).
    assert len(seen_single) == 98 and len(seen_0) == len(seen_1) == 50
    for epoch in range(2):
        epoch_0, epoch_1 = seen_0[epoch * 25:(epoch + 1) * 25], seen_1[epoch * 25:(epoch + 1) * 25]
        assert not set(epoch_0[:24]) & set(epoch_1[:24])
        assert sorted(epoch_0 + epoch_1[:24]) == list(range(49))
        assert epoch_1[24] == epoch_0[24]


def test_a_loader_with_its_own_distributed_sampler_gets_set_epoch(fit_runs):
    _, job, _ = fit_runs
    rank_0, rank_1 = _load(job, "0")[1], _load(job, "1")[1]
    assert rank_0["sampler_epoch"] == rank_1["sampler_epoch"] == 2
    # DistributedSampler gives each rank its own (padded) half: 25 samples each per epoch.
    assert len(rank_0["sampler_seen"]) == len(rank_1["sampler_seen"]) == 75
    assert set(rank_0["sampler_seen"][:25]) | set(rank_1["sampler_seen"][:25]) == set(range(49))


def test_a_generator_warns_that_each_rank_reads_its_own(fit_runs):
    _, job, _ = fit_runs
    assert any("each process reads its own batches" in message
               for message in _load(job, "0")[1]["generator_warnings"])
    single = _load(fit_runs[0], "single")[1]
    assert not any("process" in message for message in single["generator_warnings"])


def test_keras_distribution_lists_a_device_per_process(fit_runs):
    single, job, _ = fit_runs
    assert _load(job, "1")[1]["list_devices"] == ["cpu:0", "cpu:1"]
    assert _load(job, "1")[1]["replicas"] == 2
    assert _load(single, "single")[1]["list_devices"] == ["cpu:0"]
    assert _load(single, "single")[1]["replicas"] == 1
    assert _load(job, "0")[1]["same_distribution"]


def test_backup_and_restore_after_kill_of_the_whole_job_resumes_to_the_same_weights(tmp_path):
    """Also: the resumed job makes its own process group, which kerastorch uses and leaves alone."""
    single, one = _start(tmp_path, BACKUP_SCRIPT, 1, "single")
    env = _environment()
    env["STALL"] = "1"
    out, job = _start(tmp_path, BACKUP_SCRIPT, 2, "job", env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + LAUNCH_TIMEOUT
        while not (out / "stalled").exists():
            assert job.poll() is None, "the job ended before it stalled"
            assert time.monotonic() < deadline, "the job never reached epoch 3"
            time.sleep(0.2)
    finally:
        os.killpg(job.pid, signal.SIGKILL)
        job.wait()
    _finish(one)
    assert (out / "backup").is_dir()
    assert not (out / "0.npz").exists()
    env = _environment()
    env["OWN_GROUP"] = "1"
    _run(tmp_path, BACKUP_SCRIPT, 2, "job", env=env)
    one = np.load(single / "single.npz")
    rank_0, rank_1 = np.load(out / "0.npz"), np.load(out / "1.npz")
    for key in one.files:
        np.testing.assert_array_equal(rank_0[key], rank_1[key])
        np.testing.assert_allclose(rank_0[key], one[key], atol=1e-5, rtol=0)
    with open(out / "0.json") as file:
        resumed = json.load(file)
    assert len(resumed["loss"]) == 2  # epochs 3 and 4 only
    assert resumed["group_kept"]
    assert not (out / "backup").exists()
