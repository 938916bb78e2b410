"""training/data.py's shares of each global batch, as seen by one rank of a job (the ranks' collectives replaced by
what they return when every rank holds the same values: each rank computes the same order itself here). The real
collectives run in tests/training/test_distributed_torchrun.py."""
import warnings

import numpy as np
import pytest
import torch

from kerastorch.training.data import DataHandler
from kerastorch.training.distributed import share_bounds
from kerastorch.utils import PyDataset


class RankView:
    """One rank of a job of ``world_size`` whose ranks agree on everything (what the collectives would return)."""

    def __init__(self, rank, world_size, shard_data=True):
        self.rank, self.world_size, self.shard_data = rank, world_size, shard_data

    def share(self, size):
        return share_bounds(size, self.rank, self.world_size)

    def broadcast_tensor(self, tensor, src=0):
        return tensor

    def all_true(self, flag):
        return flag


def epoch_of(handler, epoch=None):
    batches = []
    for x, y, _ in handler.epoch(epoch):
        batches.append((x.flatten().tolist(), handler.empty_share))
    return batches


def test_each_rank_takes_a_contiguous_share_of_every_global_batch():
    x = np.arange(10, dtype="float32")[:, None]
    shares = [epoch_of(DataHandler(x, x, batch_size=4, replicas=RankView(r, 2))) for r in range(2)]
    assert shares[0] == [([0, 1], False), ([4, 5], False), ([8], False)]
    assert shares[1] == [([2, 3], False), ([6, 7], False), ([9], False)]


def test_a_share_left_empty_by_a_small_last_batch_stands_in_with_one_sample():
    x = np.arange(5, dtype="float32")[:, None]
    shares = [epoch_of(DataHandler(x, x, batch_size=4, replicas=RankView(r, 3))) for r in range(3)]
    assert [len(s) for s in shares] == [2, 2, 2]
    assert shares[0][1] == ([4], False)
    assert shares[1][1] == ([4], True) and shares[2][1] == ([4], True)


def test_shuffled_shares_of_all_ranks_cover_each_epoch_once():
    x = np.arange(11, dtype="float32")[:, None]
    seen = []
    for r in range(2):
        torch.manual_seed(3)
        seen += [v for values, empty in epoch_of(DataHandler(x, x, batch_size=4, shuffle=True,
                                                             replicas=RankView(r, 2))) for v in values]
    assert sorted(seen) == list(range(11))


def test_a_torch_dataset_is_shared_by_global_batches():
    dataset = torch.utils.data.TensorDataset(torch.arange(7.0)[:, None], torch.arange(7.0)[:, None])
    shares = [epoch_of(DataHandler(dataset, batch_size=4, replicas=RankView(r, 2))) for r in range(2)]
    assert shares[0] == [([0, 1], False), ([4, 5], False)]
    assert shares[1] == [([2, 3], False), ([6], False)]


def test_a_users_dataloader_is_shared_by_its_own_batches():
    dataset = torch.utils.data.TensorDataset(torch.arange(6.0)[:, None], torch.arange(6.0)[:, None])
    loader = torch.utils.data.DataLoader(dataset, batch_size=3)
    shares = [epoch_of(DataHandler(loader, replicas=RankView(r, 2))) for r in range(2)]
    assert shares[0] == [([0, 1], False), ([3, 4], False)]
    assert shares[1] == [([2], False), ([5], False)]


def test_a_dataloader_with_a_distributed_sampler_is_used_as_it_is_with_set_epoch():
    dataset = torch.utils.data.TensorDataset(torch.arange(6.0)[:, None], torch.arange(6.0)[:, None])
    sampler = torch.utils.data.distributed.DistributedSampler(dataset, num_replicas=2, rank=1, shuffle=False)
    handler = DataHandler(torch.utils.data.DataLoader(dataset, batch_size=2, sampler=sampler),
                          replicas=RankView(1, 2))
    assert epoch_of(handler, epoch=4) == [([1, 3], False), ([5], False)]
    assert sampler.epoch == 4


class Tens(PyDataset):
    def __len__(self):
        return 5

    def __getitem__(self, index):
        values = np.full((2, 1), index, dtype="float32")
        return values, values


def test_a_pydataset_is_dealt_out_by_index():
    shares = [[values[0] for values, _ in epoch_of(DataHandler(Tens(), replicas=RankView(r, 2)))] for r in range(2)]
    assert shares == [[0, 2, 4], [1, 3, 0]]
    handler = DataHandler(Tens(), replicas=RankView(1, 2))
    assert [empty for _, empty in epoch_of(handler)] == [False, False, True]


def test_a_generator_warns_that_each_rank_reads_its_own():
    def batches():
        yield np.ones((2, 1), "float32"), np.ones((2, 1), "float32")
    with pytest.warns(UserWarning, match="each process reads its own batches"):
        DataHandler(batches(), replicas=RankView(0, 2))


def test_auto_shard_dataset_false_reads_each_ranks_data_whole():
    x = np.arange(4, dtype="float32")[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        handler = DataHandler(x, x, batch_size=4, replicas=RankView(1, 2, shard_data=False))
    assert epoch_of(handler) == [([0, 1, 2, 3], False)]
