"""training/distributed.py on one process: when data parallelism is asked for, and how batches are shared."""
import pytest
import torch

from kerastorch import backend
from kerastorch.training import distributed


@pytest.fixture(autouse=True)
def no_launcher(monkeypatch):
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "KERASTORCH_DISTRIBUTED"):
        monkeypatch.delenv(name, raising=False)


def test_one_process_does_not_run_data_parallel():
    assert not distributed.requested()
    assert distributed.replicas_for(torch.device("cpu")) is None
    assert distributed.rank() == 0 and distributed.world_size() == 1 and distributed.is_chief()


def test_torchrun_environment_asks_for_data_parallel(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert distributed.requested()


@pytest.mark.parametrize("value", ["0", "false", "OFF", "no"])
def test_kerastorch_distributed_0_turns_it_off_under_torchrun(monkeypatch, value):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("KERASTORCH_DISTRIBUTED", value)
    assert not distributed.requested()
    assert distributed.replicas_for(torch.device("cpu")) is None


def test_a_world_size_that_is_not_a_number_is_refused(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(ValueError, match="WORLD_SIZE='two'"):
        distributed.requested()


def test_a_world_size_without_the_rest_of_torchrun_environment_says_how_to_start(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    for name in ("MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="torchrun --nproc_per_node"):
        distributed.replicas_for(torch.device("cpu"))


@pytest.mark.parametrize("size, world", [(8, 2), (5, 2), (1, 2), (0, 3), (7, 3), (2, 4)])
def test_shares_are_contiguous_cover_the_batch_and_differ_by_one_at_most(size, world):
    bounds = [distributed.share_bounds(size, r, world) for r in range(world)]
    assert bounds[0][0] == 0 and bounds[-1][1] == size
    assert all(bounds[r][1] == bounds[r + 1][0] for r in range(world - 1))
    lengths = [stop - start for start, stop in bounds]
    assert max(lengths) - min(lengths) <= 1 and lengths == sorted(lengths, reverse=True)


def test_writing_on_chief_writes_on_one_process():
    with distributed.writing_on_chief() as writes:
        assert writes


def test_the_local_rank_names_the_gpu_only_in_a_job_of_several_processes(monkeypatch):
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert backend.launcher_local_rank() is None
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert backend.launcher_local_rank() == 1
    monkeypatch.setenv("KERASTORCH_DISTRIBUTED", "0")
    assert backend.launcher_local_rank() is None
