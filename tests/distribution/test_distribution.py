"""keras.distribution on one process (the two-process behaviour is checked by real torchrun jobs in
tests/training/test_distributed_torchrun.py)."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import distribution


@pytest.fixture(autouse=True)
def no_launcher(monkeypatch):
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "KERASTORCH_DISTRIBUTED"):
        monkeypatch.delenv(name, raising=False)
    yield
    distribution.set_distribution(None)


def test_list_devices_on_one_cpu_process_lists_cpu_0():
    assert distribution.list_devices("cpu") == ["cpu:0"]
    assert distribution.get_device_count("cpu") == 1


def test_list_devices_defaults_to_gpus_when_cuda_is_available():
    expected = [f"gpu:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else ["cpu:0"]
    assert distribution.list_devices() == expected


def test_list_devices_counts_the_processes_torchrun_started(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "3")
    assert distribution.list_devices("cpu") == ["cpu:0", "cpu:1", "cpu:2"]


def test_list_devices_rejects_an_unknown_device_type():
    with pytest.raises(ValueError, match="device_type='npu'"):
        distribution.list_devices("npu")


def test_data_parallel_on_one_process_is_a_one_replica_mesh_along_batch():
    parallel = distribution.DataParallel()
    assert parallel.device_mesh.shape == (len(distribution.list_devices()),)
    assert parallel.device_mesh.axis_names == ["batch"]
    assert parallel.batch_dim_name == "batch"
    assert parallel.num_model_replicas == 1
    assert parallel.num_processes == 1
    assert parallel.auto_shard_dataset


def test_data_parallel_lays_data_out_along_batch_and_replicates_variables():
    parallel = distribution.DataParallel(devices=["cpu:0"])
    assert parallel.get_data_layout((16, 3, 2)).axes == ("batch", None, None)
    assert parallel.get_variable_layout(keras.Variable(np.zeros((3, 4)))).axes == (None, None)
    assert parallel.get_tensor_layout("dense/kernel") is None


def test_data_parallel_over_more_devices_than_processes_warns_one_replica_per_process():
    with pytest.warns(UserWarning, match="one replica per process"):
        distribution.DataParallel(devices=["gpu:0", "gpu:1"])


def test_data_parallel_rejects_a_mesh_that_is_not_a_device_mesh():
    with pytest.raises(ValueError, match="DeviceMesh"):
        distribution.DataParallel(device_mesh="batch")


def test_device_mesh_needs_as_many_devices_as_its_shape_holds():
    with pytest.raises(ValueError, match="number of devices"):
        distribution.DeviceMesh((2,), ["batch"], devices=["cpu:0"])


def test_set_distribution_makes_it_the_distribution():
    assert distribution.distribution() is None
    parallel = distribution.DataParallel()
    distribution.set_distribution(parallel)
    assert distribution.distribution() is parallel
    distribution.set_distribution(None)
    assert distribution.distribution() is None


def test_a_distribution_scope_sets_it_inside_the_block_only():
    parallel = distribution.DataParallel()
    with parallel.scope():
        assert distribution.distribution() is parallel
    assert distribution.distribution() is None


def test_set_distribution_rejects_what_is_not_a_distribution():
    with pytest.raises(ValueError, match="Received: 'data_parallel'"):
        distribution.set_distribution("data_parallel")


def test_model_parallel_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="data parallelism"):
        distribution.ModelParallel(layout_map=None)


def test_fit_under_data_parallel_on_one_process_trains_as_without_it():
    def trained(with_distribution):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        model.compile(optimizer="sgd", loss="mse")
        x, y = np.ones((8, 3), "float32"), np.zeros((8, 2), "float32")
        if with_distribution:
            with distribution.DataParallel().scope():
                model.fit(x, y, batch_size=4, epochs=2, verbose=0)
        else:
            model.fit(x, y, batch_size=4, epochs=2, verbose=0)
        return model.get_weights()
    for a, b in zip(trained(True), trained(False)):
        np.testing.assert_array_equal(a, b)


def test_initialize_on_one_process_creates_no_process_group():
    distribution.initialize()
    assert not torch.distributed.is_initialized()


def test_initialize_needs_every_argument_when_one_is_given():
    with pytest.raises(ValueError, match="num_processes=None"):
        distribution.initialize(job_addresses="10.0.0.1:1234")


def test_initialize_rejects_a_process_id_out_of_range():
    with pytest.raises(ValueError, match="process_id=2"):
        distribution.initialize(job_addresses="10.0.0.1:1234,10.0.0.2:2345", num_processes=2, process_id=2)
