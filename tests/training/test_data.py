"""The data adapter behind fit / evaluate / predict: what it accepts, how it batches, and where batches go."""
import warnings

import numpy as np
import pytest
import torch

from kerastorch import backend
from kerastorch.training.data import (DataHandler, class_weights_for, train_validation_split, warn_non_finite)
from kerastorch.utils import PyDataset

CPU = torch.device("cpu")


def rows(n, features=3):
    return np.arange(n * features, dtype="float64").reshape(n, features)


def collect(handler):
    return list(handler.epoch())


class Batches(PyDataset):
    """Batches of 4 rows of ``x`` and ``y``."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y
        self.epochs_ended = 0

    def __len__(self):
        return -(-len(self.x) // 4)

    def __getitem__(self, index):
        return self.x[index * 4:(index + 1) * 4], self.y[index * 4:(index + 1) * 4]

    def on_epoch_end(self):
        self.epochs_ended += 1


# ---- conversion -------------------------------------------------------------------------------------------------

def test_float64_arrays_become_floatx():
    (x, y, sample_weight), = collect(DataHandler(rows(4), rows(4, 1), np.ones(4), batch_size=4, device=CPU))
    assert x.dtype == y.dtype == sample_weight.dtype == torch.float32
    np.testing.assert_array_equal(x.numpy(), rows(4))


def test_float64_tensors_become_floatx():
    (x, _, _), = collect(DataHandler(torch.tensor(rows(4)), batch_size=4, device=CPU))
    assert x.dtype == torch.float32


@pytest.mark.parametrize("dtype, expected", [("int32", torch.int32), ("int64", torch.int64), ("uint8", torch.uint8),
                                             ("uint16", torch.int64), ("bool", torch.bool)])
def test_integer_and_bool_arrays_keep_an_integer_dtype(dtype, expected):
    labels = np.array([0, 1, 1, 0]).astype(dtype)
    (_, y, _), = collect(DataHandler(rows(4), labels, batch_size=4, device=CPU))
    assert y.dtype == expected
    np.testing.assert_array_equal(y.numpy().astype("int64"), [0, 1, 1, 0])


def test_non_numeric_arrays_are_rejected_by_name():
    with pytest.raises(ValueError, match="dtype <U1"):
        DataHandler(rows(2), np.array(["a", "b"]), device=CPU)


def test_dicts_and_lists_of_arrays_are_batched_together():
    x = {"a": rows(5), "b": [rows(5, 1), rows(5, 2)]}
    batches = collect(DataHandler(x, rows(5, 1), batch_size=2, device=CPU))
    assert len(batches) == 3
    x0, y0, _ = batches[0]
    assert set(x0) == {"a", "b"} and x0["a"].shape == (2, 3) and x0["b"][1].shape == (2, 2)
    np.testing.assert_array_equal(batches[2][0]["b"][0].numpy(), rows(5, 1)[4:])


# ---- batching ---------------------------------------------------------------------------------------------------

def test_arrays_come_in_order_with_the_last_partial_batch_kept():
    handler = DataHandler(rows(30), np.arange(30), batch_size=8, device=CPU)
    batches = collect(handler)
    assert [len(y) for _, y, _ in batches] == [8, 8, 8, 6]
    assert handler.steps == 4
    np.testing.assert_array_equal(torch.cat([y for _, y, _ in batches]).numpy(), np.arange(30))


def test_arrays_are_indexed_a_whole_batch_at_a_time():
    handler = DataHandler(rows(10), batch_size=4, shuffle=True, device=CPU)
    indices = list(handler.loader.sampler)
    # One index object per batch (a slice of a permutation), never one item per sample.
    assert len(indices) == 3
    assert all(isinstance(index, torch.Tensor) and index.ndim == 1 for index in indices)
    unshuffled = DataHandler(rows(10), batch_size=4, device=CPU)
    assert all(isinstance(index, slice) for index in unshuffled.loader.sampler)


def test_default_batch_size_is_32():
    handler = DataHandler(rows(70), device=CPU)
    assert [len(x) for x, _, _ in collect(handler)] == [32, 32, 6]


def test_shuffle_draws_a_new_order_each_epoch():
    backend.set_random_seed(0)
    handler = DataHandler(rows(20), np.arange(20), batch_size=6, shuffle=True, device=CPU)
    first = torch.cat([y for _, y, _ in handler.epoch()]).numpy()
    second = torch.cat([y for _, y, _ in handler.epoch()]).numpy()
    assert sorted(first) == sorted(second) == list(range(20))
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, np.arange(20))


def test_shuffle_follows_the_global_seed():
    orders = []
    for _ in range(2):
        backend.set_random_seed(42)
        handler = DataHandler(rows(20), np.arange(20), batch_size=6, shuffle=True, device=CPU)
        orders.append([torch.cat([y for _, y, _ in handler.epoch()]).tolist() for _ in range(2)])
    assert orders[0] == orders[1]


def test_shuffled_rows_stay_aligned_across_arrays():
    x = rows(12)
    for bx, by, bsw in DataHandler(x, np.arange(12), np.arange(12) * 2.0, batch_size=5, shuffle=True,
                                   device=CPU).epoch():
        np.testing.assert_array_equal(bx.numpy(), x[by.numpy()])
        np.testing.assert_array_equal(bsw.numpy(), by.numpy() * 2.0)


def test_steps_per_epoch_continues_the_pass_across_epochs():
    handler = DataHandler(rows(10), np.arange(10), batch_size=3, steps_per_epoch=2, device=CPU)
    first = [y.tolist() for _, y, _ in handler.epoch()]
    second = [y.tolist() for _, y, _ in handler.epoch()]
    assert first == [[0, 1, 2], [3, 4, 5]]
    # The pass has two batches left ([6, 7, 8] and [9]), then starts again.
    assert second == [[6, 7, 8], [9]]
    assert [y.tolist() for _, y, _ in handler.epoch()] == [[0, 1, 2], [3, 4, 5]]


def test_batch_size_must_be_a_positive_integer():
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            DataHandler(rows(4), batch_size=bad, device=CPU)


# ---- other sources ----------------------------------------------------------------------------------------------

def test_torch_dataset_is_batched_with_its_own_loader():
    dataset = torch.utils.data.TensorDataset(torch.tensor(rows(10), dtype=torch.float32), torch.arange(10))
    handler = DataHandler(dataset, batch_size=4, device=CPU)
    batches = collect(handler)
    assert handler.steps == 3
    assert [len(y) for _, y, _ in batches] == [4, 4, 2]
    assert batches[0][2] is None


def test_dataloader_is_used_as_given():
    dataset = torch.utils.data.TensorDataset(torch.tensor(rows(10), dtype=torch.float32), torch.arange(10),
                                             torch.ones(10))
    loader = torch.utils.data.DataLoader(dataset, batch_size=3)
    handler = DataHandler(loader, device=CPU)
    batches = collect(handler)
    assert handler.steps == 4 and [len(y) for _, y, _ in batches] == [3, 3, 3, 1]
    assert batches[0][2].tolist() == [1.0, 1.0, 1.0]


def test_generator_yields_x_y_and_sample_weight_tuples():
    def generate():
        for start in range(0, 9, 3):
            yield rows(9)[start:start + 3], np.arange(start, start + 3), np.full(3, 0.5)
    handler = DataHandler(generate(), device=CPU)
    assert handler.steps is None
    batches = collect(handler)
    assert len(batches) == 3
    x, y, sample_weight = batches[1]
    assert x.dtype == torch.float32 and y.tolist() == [3, 4, 5] and sample_weight.tolist() == [0.5] * 3


def test_generator_that_runs_out_warns_and_stops():
    handler = DataHandler(iter([(rows(2), np.arange(2))] * 3), steps_per_epoch=2, device=CPU)
    assert len(collect(handler)) == 2
    with pytest.warns(UserWarning, match="ran out of data"):
        assert len(collect(handler)) == 1
    assert handler.exhausted


def test_py_dataset_is_read_by_index_and_told_when_an_epoch_ends():
    dataset = Batches(rows(10), np.arange(10))
    handler = DataHandler(dataset, device=CPU)
    assert handler.steps == 3
    batches = collect(handler)
    assert [y.tolist() for _, y, _ in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert dataset.epochs_ended == 1


def test_py_dataset_shuffles_batch_order_when_asked():
    backend.set_random_seed(1)
    dataset = Batches(rows(40), np.arange(40))
    orders = [[int(y[0]) for _, y, _ in DataHandler(dataset, shuffle=True, device=CPU).epoch()] for _ in range(3)]
    assert all(sorted(order) == list(range(0, 40, 4)) for order in orders)
    assert any(order != list(range(0, 40, 4)) for order in orders)


@pytest.mark.parametrize("source", ["dataset", "loader", "generator", "pydataset"])
def test_sources_that_yield_targets_refuse_a_separate_y(source):
    tensors = torch.utils.data.TensorDataset(torch.zeros(4, 2), torch.zeros(4))
    x = {"dataset": tensors, "loader": torch.utils.data.DataLoader(tensors),
         "generator": iter([(rows(2), np.arange(2))]), "pydataset": Batches(rows(4), np.arange(4))}[source]
    with pytest.raises(ValueError, match="must not be given"):
        DataHandler(x, np.zeros(4), device=CPU)


def test_unrecognized_data_is_rejected_with_its_type():
    with pytest.raises(ValueError, match="Unrecognized data type.*str"):
        DataHandler("data.csv", device=CPU)
    with pytest.raises(ValueError, match="No data"):
        DataHandler(None, device=CPU)


# ---- checks -----------------------------------------------------------------------------------------------------

def test_different_lengths_are_a_cardinality_error():
    with pytest.raises(ValueError, match="Data cardinality is ambiguous") as error:
        DataHandler(rows(10), np.arange(9), device=CPU)
    assert "'x' sizes: 10" in str(error.value) and "'y' sizes: 9" in str(error.value)
    with pytest.raises(ValueError, match="'sample_weight' sizes: 4"):
        DataHandler(rows(10), np.arange(10), np.ones(4), device=CPU)


def test_validation_split_takes_the_last_fraction():
    (x, y, sample_weight), (val_x, val_y, val_sw) = train_validation_split((rows(10), np.arange(10), None), 0.2)
    assert y.tolist() == list(range(8)) and val_y.tolist() == [8, 9]
    np.testing.assert_array_equal(val_x, rows(10)[8:])
    assert sample_weight is None and val_sw is None


def test_validation_split_applies_to_every_array_of_a_structure():
    (x, _, _), (val_x, _, _) = train_validation_split(({"a": rows(4), "b": rows(4, 1)}, np.arange(4), None), 0.25)
    assert len(x["a"]) == len(x["b"]) == 3 and len(val_x["a"]) == len(val_x["b"]) == 1


@pytest.mark.parametrize("split", [1.0, -0.1, 1.5])
def test_validation_split_outside_zero_one_is_refused(split):
    with pytest.raises(ValueError, match=r"validation_split.*\[0, 1\)"):
        train_validation_split((rows(10), np.arange(10), None), split)


def test_validation_split_too_small_for_the_data_is_refused():
    with pytest.raises(ValueError, match="not sufficient to split"):
        train_validation_split((rows(3), np.arange(3), None), 0.7)


def test_non_finite_values_warn_with_the_array_name():
    x = {"image": rows(3), "extra": rows(3)}
    x["extra"][1, 1] = np.nan
    with pytest.warns(RuntimeWarning, match=r"'x\['extra'\]' contains NaN or inf"):
        warn_non_finite(x, "x")
    with pytest.warns(RuntimeWarning, match="'y' contains NaN or inf"):
        warn_non_finite(torch.tensor([1.0, float("inf")]), "y")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_non_finite([rows(3), np.arange(3)], "x")


# ---- class weights ----------------------------------------------------------------------------------------------

def class_weighted(y, class_weight, **kwargs):
    handler = DataHandler(rows(len(y)), y, batch_size=len(y), device=CPU, class_weight=class_weight, **kwargs)
    (_, _, sample_weight), = collect(handler)
    return sample_weight.tolist()


def test_class_weights_become_sample_weights_for_sparse_labels():
    assert class_weighted(np.array([0, 2, 1, 2]), {0: 0.5, 1: 2.0, 2: 3.0}) == [0.5, 3.0, 2.0, 3.0]
    assert class_weighted(np.array([[1.0], [0.0]]), {0: 0.5, 1: 2.0}) == [2.0, 0.5]


def test_class_weights_become_sample_weights_for_one_hot_labels():
    one_hot = np.eye(3)[[2, 0, 1]]
    assert class_weighted(one_hot, {0: 0.5, 1: 2.0, 2: 3.0}) == [3.0, 0.5, 2.0]


def test_classes_missing_from_class_weight_weigh_one():
    assert class_weighted(np.array([0, 1, 2, 3]), {1: 4.0}) == [1.0, 4.0, 1.0, 1.0]


def test_class_weights_apply_to_generator_batches():
    handler = DataHandler(iter([(rows(3), np.array([0, 1, 1]))]), device=CPU, class_weight={0: 0.5, 1: 3.0})
    (_, _, sample_weight), = collect(handler)
    assert sample_weight.tolist() == [0.5, 3.0, 3.0]


def test_class_weight_with_sample_weight_is_refused_as_keras_refuses_it():
    with pytest.raises(ValueError, match="cannot `class_weight` and `sample_weight`"):
        DataHandler(rows(3), np.array([0, 1, 1]), np.ones(3), device=CPU, class_weight={0: 0.5})
    handler = DataHandler(iter([(rows(3), np.array([0, 1, 1]), np.ones(3))]), device=CPU, class_weight={0: 0.5})
    with pytest.raises(ValueError, match="cannot `class_weight` and `sample_weight`"):
        collect(handler)


def test_class_weight_needs_a_single_output():
    with pytest.raises(ValueError, match="single output"):
        DataHandler(rows(3), [np.arange(3), np.arange(3)], device=CPU, class_weight={0: 0.5})


# ---- devices ----------------------------------------------------------------------------------------------------

def test_cpu_batches_are_neither_pinned_nor_copied_without_blocking():
    handler = DataHandler(rows(6), np.arange(6), batch_size=3, device=CPU)
    assert handler._non_blocking is False
    x, _, _ = next(iter(handler.epoch()))
    assert x.device == CPU
    dataset = torch.utils.data.TensorDataset(torch.zeros(4, 2), torch.zeros(4))
    assert DataHandler(dataset, device=CPU).loader.pin_memory is False


def test_cpu_path_never_asks_cuda(monkeypatch):
    def no_cuda(*args, **kwargs):
        raise AssertionError("the CPU path must not call into torch.cuda")
    monkeypatch.setattr(torch.cuda, "mem_get_info", no_cuda)
    monkeypatch.setattr(torch.Tensor, "pin_memory", no_cuda)
    for _ in DataHandler(rows(6), np.arange(6), batch_size=4, shuffle=True, device=CPU).epoch():
        pass


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_arrays_go_to_the_device_once_and_batches_are_indexed_there():
    handler = DataHandler(rows(64), np.arange(64), batch_size=16, shuffle=True, device="cuda")
    assert handler._non_blocking is True
    assert handler.targets.device.type == "cuda"
    for x, y, _ in handler.epoch():
        assert x.device.type == y.device.type == "cuda"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_dataset_batches_are_pinned_and_moved():
    dataset = torch.utils.data.TensorDataset(torch.zeros(8, 2), torch.zeros(8))
    handler = DataHandler(dataset, batch_size=4, device="cuda")
    assert handler.loader.pin_memory is True
    x, y, _ = next(iter(handler.epoch()))
    assert x.device.type == "cuda"


def test_steps_per_epoch_beyond_the_data_ends_the_epoch_early_then_starts_a_new_pass():
    handler = DataHandler(rows(10), np.arange(10), batch_size=4, steps_per_epoch=2, device=CPU)
    assert [len(y) for _, y, _ in handler.epoch()] == [4, 4]
    with pytest.warns(UserWarning, match="ran out of data"):
        assert [len(y) for _, y, _ in handler.epoch()] == [2]
    assert [y.tolist()[0] for _, y, _ in handler.epoch()] == [0, 4]
    assert not handler.exhausted


def test_a_spent_generator_is_exhausted_after_an_empty_pass():
    handler = DataHandler(iter([(rows(2), np.arange(2))]), device=CPU)
    assert len(collect(handler)) == 1
    with pytest.warns(UserWarning, match="ran out of data"):
        assert collect(handler) == []
    assert handler.exhausted
