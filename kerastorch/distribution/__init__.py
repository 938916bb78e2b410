"""``keras.distribution`` on torch: data parallelism over the processes of a torchrun job.

Keras 3's torch backend raises on this module; kerastorch makes its data-parallel part work. One replica runs
per process (``torchrun --nproc_per_node=N train.py``), on the CPU or on the process's own GPU
(``cuda:LOCAL_RANK``); fit, evaluate and predict are data-parallel whenever the job has several processes, with or
without ``set_distribution(DataParallel())``, and ``DataParallel(auto_shard_dataset=False)`` says that each
process's data is its own part already. Model parallelism (``ModelParallel``, layouts that shard weights) is not
provided.
"""
import contextlib
import math
import os
import warnings

import numpy as np
import torch

from kerastorch import backend
from kerastorch._porting import missing_attribute
from kerastorch.training import distributed as _distributed

DEFAULT_BATCH_DIM_NAME = "batch"
_DEVICE_TYPES = ("cpu", "gpu", "tpu")


def _default_device_type():
    return "gpu" if torch.cuda.is_available() else "cpu"


def _processes():
    if _distributed.group_active():
        return torch.distributed.get_world_size()
    return 1 if _distributed.disabled() else _distributed.launched_world_size()


def list_devices(device_type=None):
    """The devices available for distributed computation, as ``"cpu:0"``, ``"gpu:1"``, ...

    In a job of several processes the global devices are listed: one per process (each process of a torchrun
    job uses one CPU replica, or its own GPU). Devices of one type only are listed.

    Args:
        device_type: ``"cpu"`` or ``"gpu"``; defaults to ``"gpu"`` when CUDA is available, else ``"cpu"``.
    """
    if device_type is None:
        device_type = _default_device_type()
    if not isinstance(device_type, str) or device_type.lower() not in _DEVICE_TYPES:
        raise ValueError(f"Invalid `device_type`: expected one of {_DEVICE_TYPES} or None. Received: "
                         f"device_type={device_type!r}")
    device_type = device_type.lower()
    processes = _processes()
    if device_type == "cpu":
        count = processes
    elif device_type == "gpu":
        count = processes if processes > 1 and torch.cuda.is_available() else torch.cuda.device_count()
    else:
        count = 0
    return [f"{device_type}:{index}" for index in range(count)]


def get_device_count(device_type=None):
    """The number of devices ``list_devices(device_type)`` lists."""
    return len(list_devices(device_type))


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Join (or create) the job's process group, before any computation.

    Under torchrun nothing needs passing: its environment says everything (and the first fit would create the
    group anyway). Otherwise give the job's addresses (the first, ``"host:port"``, is the coordinator), the number
    of processes and this process's id, or set ``KERAS_DISTRIBUTION_JOB_ADDRESSES``,
    ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and ``KERAS_DISTRIBUTION_PROCESS_ID``.

    Args:
        job_addresses: comma-separated ``host:port`` addresses of the processes; the first is the coordinator.
        num_processes: the number of processes in the job.
        process_id: this process's id, from 0 (the coordinator) to ``num_processes - 1``.
    """
    if job_addresses is None:
        job_addresses = os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in os.environ:
        num_processes = int(os.environ["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in os.environ:
        process_id = int(os.environ["KERAS_DISTRIBUTION_PROCESS_ID"])
    if torch.distributed.is_initialized():
        return
    if job_addresses is not None or num_processes is not None or process_id is not None:
        if job_addresses is None or num_processes is None or process_id is None:
            raise ValueError(f"`initialize` needs all of job_addresses, num_processes and process_id (or none, under "
                             f"torchrun). Received: job_addresses={job_addresses!r}, num_processes={num_processes!r}"
                             f", process_id={process_id!r}")
        if not 0 <= int(process_id) < int(num_processes):
            raise ValueError(f"`process_id` must be in [0, num_processes). Received: process_id={process_id}, "
                             f"num_processes={num_processes}")
        coordinator = job_addresses.split(",")[0].strip()
        host, _, port = coordinator.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"The first of `job_addresses` must be the coordinator's 'host:port'. Received: "
                             f"job_addresses={job_addresses!r}")
        os.environ.update({"MASTER_ADDR": host, "MASTER_PORT": port, "WORLD_SIZE": str(int(num_processes)),
                           "RANK": str(int(process_id))})
        os.environ.setdefault("LOCAL_RANK", "0")
    if _distributed.launched_world_size() > 1 and not _distributed.disabled():
        _distributed.init_process_group_once(backend.device())


class DeviceMesh:
    """A grid of devices whose axes have names; data parallelism uses a 1D mesh over every replica.

    Args:
        shape: the mesh's shape (a tuple of ints).
        axis_names: one name per axis (``"batch"``).
        devices: the devices (``list_devices()`` by default), as many as the shape holds.
    """

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(f"Shape and axis_names cannot be empty. Received: shape={shape}, "
                             f"axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise ValueError(f"Shape and axis_names should have same size. Received: shape={shape}, "
                             f"axis_names={axis_names}")
        devices = np.array(list_devices() if devices is None else devices)
        if math.prod(shape) != devices.size:
            raise ValueError(f"Shape does not match the number of devices. Received: shape={shape}; "
                             f"devices.shape={devices.shape}")
        self._shape = tuple(shape)
        self._axis_names = list(axis_names)
        self._devices = devices.reshape(self._shape)

    @property
    def shape(self):
        return self._shape

    @property
    def axis_names(self):
        return self._axis_names

    @property
    def devices(self):
        return self._devices

    def __repr__(self):
        return f"<{type(self).__name__} shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """How a tensor is laid out on a mesh: one mesh axis name (or None, replicated) per tensor axis."""

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self.device_mesh = device_mesh

    @property
    def axes(self):
        return self._axes

    def __repr__(self):
        return f"<{type(self).__name__} axes={self.axes}, device_mesh={self.device_mesh}>"


class Distribution:
    """Base class of distributions: where variables and data go on a ``DeviceMesh``.

    Args:
        device_mesh: a ``DeviceMesh``.
        batch_dim_name: the mesh axis the batch is split along.
        auto_shard_dataset: split the data among the processes (False: each process's data is its part already).
    """

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = auto_shard_dataset
        self._num_processes = _processes()
        self._process_id = torch.distributed.get_rank() if _distributed.group_active() else \
            int(os.environ.get("RANK", "0")) if self._num_processes > 1 else 0

    @property
    def device_mesh(self):
        return self._device_mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def num_processes(self):
        """The number of processes in the job."""
        return self._num_processes

    @property
    def auto_shard_dataset(self):
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value):
        self._auto_shard_dataset = value

    @property
    def data_shard_id(self):
        """The data shard this process reads: its rank."""
        return self._process_id

    def get_data_layout(self, data_shape):
        raise NotImplementedError()

    def get_variable_layout(self, variable):
        raise NotImplementedError()

    def get_tensor_layout(self, path):
        raise NotImplementedError()

    @contextlib.contextmanager
    def scope(self):
        """``with distribution.scope():`` makes this the distribution inside the block."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def distribute_dataset(self, dataset):
        """Datasets are split by fit/evaluate/predict themselves: returned as they are."""
        return dataset

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"


class DataParallel(Distribution):
    """Data parallelism: every replica holds the whole model and trains on its share of each global batch.

    kerastorch runs one replica per process of a torchrun job (``torchrun --nproc_per_node=N train.py``); the
    job's processes make the mesh. Give ``device_mesh`` (1D) or ``devices``, or neither (``list_devices()``).

    Args:
        device_mesh: a ``DeviceMesh``; its first axis is the batch axis.
        devices: a list of devices, made into a 1D mesh.
        auto_shard_dataset: split the data among the processes; set False when each process's data is its part
            already (each process then reads its own data, and the gradients are still averaged).
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is not None and devices is not None:
            raise ValueError("Give `device_mesh` or `devices`, not both.")
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(f"Expect `mesh` to be an instance of `DeviceMesh`. Received: mesh={device_mesh} "
                                 f"(of type {type(device_mesh).__name__})")
            if device_mesh.devices.ndim != 1:
                warnings.warn(f"Expect the input mesh to be 1D, but received mesh.devices.ndim="
                              f"{device_mesh.devices.ndim}. The first axis will be used for data-parallel "
                              f"sharding.", stacklevel=2)
            batch_dim_name = device_mesh.axis_names[0]
        else:
            devices = np.array(list_devices() if not devices else devices)
            device_mesh = DeviceMesh((devices.size,), [DEFAULT_BATCH_DIM_NAME], devices)
            batch_dim_name = DEFAULT_BATCH_DIM_NAME
        super().__init__(device_mesh, batch_dim_name, auto_shard_dataset)
        replicas = device_mesh.devices.shape[0]
        if replicas > self.num_processes:
            warnings.warn(f"DataParallel over {replicas} devices in {self.num_processes} process(es): kerastorch runs "
                          f"one replica per process, so this process trains on {backend.device()} alone. Start "
                          f"`torchrun --nproc_per_node={replicas} script.py` to use them all.", stacklevel=2)

    @property
    def num_model_replicas(self):
        """One replica per process."""
        return self.num_processes

    def get_data_layout(self, data_shape):
        return TensorLayout([self.batch_dim_name] + [None] * (len(data_shape) - 1), self.device_mesh)

    def get_variable_layout(self, variable):
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        return None


class ModelParallel(Distribution):
    """Not provided: kerastorch distributes data (``DataParallel``), not weights."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("keras.distribution.ModelParallel is not provided by kerastorch: it runs data "
                                  "parallelism (DataParallel, or any torchrun job) only.")


def distribute_tensor(tensor, layout):
    """``tensor`` under ``layout``: data parallelism replicates every tensor, so it is returned as it is."""
    return tensor


def distribution():
    """The distribution set by ``set_distribution`` (None when none is)."""
    return _distributed.current_distribution()


def set_distribution(value):
    """Set the global distribution (a ``Distribution``, or None to clear it).

    Args:
        value: a ``DataParallel`` (or None).
    """
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(f"Expected a keras.distribution.Distribution (DataParallel) or None. Received: "
                         f"{value!r} of type {type(value).__name__}")
    _distributed.set_current_distribution(value)


__getattr__ = missing_attribute(__name__)
