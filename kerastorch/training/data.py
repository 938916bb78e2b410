"""One adapter from whatever `fit`, `evaluate` and `predict` accept to batches of tensors on the model's device.

Accepted: numpy arrays and torch tensors (alone, or in lists, tuples and dicts), a torch ``Dataset``, a
``DataLoader``, a Python generator or iterator, a ``kerastorch.utils.PyDataset``, and a ``kerastorch.data.Dataset``
(tf.data's API: an ``IterableDataset`` whose elements are batches, served as an iterator that starts again each
epoch, its length its cardinality). Each yields ``(x, y, sample_weight)`` tuples (y and sample_weight may be None).

In-memory arrays become tensors once and are served by a ``DataLoader`` whose sampler yields a whole batch of
indices at a time (a slice, or a slice of one ``randperm`` per epoch): one indexing op per array per batch, never
a per-sample collate. On CUDA, arrays that fit go to the device once and are indexed there; otherwise batches are
pinned and copied without blocking.
"""
import collections
import math
import warnings

import numpy as np
import torch

from kerastorch import backend
from kerastorch.keras_tensor import flatten, map_structure

CPU = torch.device("cpu")


def unpack_x_y_sample_weight(data):
    """Keras's convention for one batch: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
                     f"found a tuple of {len(data)} elements.")


def is_array(value):
    return isinstance(value, (np.ndarray, torch.Tensor))


def is_array_structure(value):
    """True for an array, or a list/tuple/dict whose leaves are all arrays."""
    if value is None:
        return False
    if is_array(value):
        return True
    if isinstance(value, (list, tuple, dict)):
        leaves = flatten(value)
        return bool(leaves) and all(is_array(leaf) or isinstance(leaf, (int, float)) for leaf in leaves) and \
            any(is_array(leaf) for leaf in leaves)
    return False


def is_string_array(value):
    """A numpy array of strings (``str``, ``bytes`` or objects): text for the preprocessing layers, which stays a
    host array (torch has no string tensors)."""
    return isinstance(value, np.ndarray) and value.dtype.kind in "USO"


def strings_as_array(value):
    """A list or tuple of Python strings (``model.fit(["a text", ...], y)``) as one numpy array; anything else as
    it is."""
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (str, bytes)) for v in value):
        return np.asarray(value, dtype=object)
    return value


def to_tensor(value, name="x"):
    """An array as a tensor, on the CPU: float64 becomes floatx as Keras casts it; ints and bools are kept."""
    if isinstance(value, torch.Tensor):
        if value.is_floating_point() and value.dtype == torch.float64:
            return value.to(backend.torch_dtype())
        return value
    array = np.asarray(value)
    if array.dtype.kind == "f":
        return torch.from_numpy(np.ascontiguousarray(array, dtype=backend.floatx()))
    if array.dtype.kind in "iu":
        if array.dtype == np.uint16 or array.dtype == np.uint32 or array.dtype == np.uint64:
            array = array.astype(np.int64)
        return torch.from_numpy(np.ascontiguousarray(array))
    if array.dtype.kind == "b":
        return torch.from_numpy(np.ascontiguousarray(array))
    raise ValueError(f"Unsupported data in '{name}': expected numeric arrays, received an array of dtype "
                     f"{array.dtype}.")


def _named_leaves(structure, name):
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in _named_leaves(structure[key], f"{name}[{key!r}]")]
    if isinstance(structure, (list, tuple)):
        return [leaf for i, item in enumerate(structure) for leaf in _named_leaves(item, f"{name}[{i}]")]
    return [(name, structure)]


def warn_non_finite(structure, name):
    """Warn, naming the array, when a float array holds NaN or inf. Arrays are checked once, before training."""
    for leaf_name, leaf in _named_leaves(structure, name):
        if isinstance(leaf, np.ndarray) and leaf.dtype.kind == "f":
            finite = np.isfinite(leaf).all()
        elif isinstance(leaf, torch.Tensor) and leaf.is_floating_point():
            finite = bool(torch.isfinite(leaf).all())
        else:
            continue
        if not finite:
            warnings.warn(f"The input '{leaf_name}' contains NaN or inf values; training on it will give NaN "
                          f"losses.", RuntimeWarning, stacklevel=4)


def check_cardinality(x, y, sample_weight):
    sizes = {}
    for label, structure in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        if structure is None:
            continue
        lengths = [int(leaf.shape[0]) for leaf in flatten(structure) if hasattr(leaf, "shape") and leaf.ndim]
        if lengths:
            sizes[label] = lengths
    distinct = {n for lengths in sizes.values() for n in lengths}
    if len(distinct) > 1:
        detail = "\n".join(f"'{label}' sizes: {', '.join(str(n) for n in lengths)}"
                           for label, lengths in sizes.items())
        raise ValueError("Data cardinality is ambiguous. Make sure all arrays contain the same number of "
                         f"samples.\n{detail}")
    return distinct.pop() if distinct else 0


def check_has_samples(structure, name):
    """Raise when in-memory data holds no samples: an empty array would fail deep in autograd, or give an empty
    or zero result, instead."""
    for leaf_name, leaf in _named_leaves(structure, name):
        if hasattr(leaf, "shape") and leaf.ndim and int(leaf.shape[0]) == 0:
            raise ValueError(f"`{name}` has no samples: '{leaf_name}' has shape {tuple(leaf.shape)}. Expected "
                             f"arrays with at least one sample along the first axis.")


def check_steps(steps, name):
    """``steps``, ``steps_per_epoch`` or ``validation_steps``: None or a positive integer."""
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps <= 0):
        raise ValueError(f"`{name}` must be a positive integer or None. Received: {name}={steps!r}")


def check_validation_freq(validation_freq):
    """An int >= 1 (validate every that many epochs), or a collection of 1-based epoch numbers."""
    def positive_int(value):
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1
    if isinstance(validation_freq, (list, tuple, set, range)):
        valid = all(positive_int(epoch) for epoch in validation_freq)
    else:
        valid = positive_int(validation_freq)
    if not valid:
        raise ValueError(f"`validation_freq` must be a positive integer (validate every that many epochs) or a "
                         f"collection of epoch numbers from 1. Received: validation_freq={validation_freq!r}")


def train_validation_split(arrays, validation_split):
    """Split arrays into (train, validation): validation is the last ``validation_split`` fraction, taken before
    any shuffling, as Keras takes it."""
    if not 0 <= validation_split < 1:
        raise ValueError(f"`validation_split` must be a float in [0, 1). Received: validation_split="
                         f"{validation_split}")
    leaves = [leaf for leaf in flatten(arrays) if leaf is not None]
    num_samples = int(leaves[0].shape[0])
    split_at = int(math.floor(num_samples * (1.0 - validation_split)))
    if split_at == 0 or split_at == num_samples:
        raise ValueError(f"Training data contains {num_samples} samples, which is not sufficient to split it "
                         f"into a validation and training set as specified by `validation_split={validation_split}`."
                         f" Either provide more data, or a different value for the `validation_split` argument.")

    def head(a):
        return None if a is None else a[:split_at]

    def tail(a):
        return None if a is None else a[split_at:]
    return map_structure(head, arrays), map_structure(tail, arrays)


def _gather_pinned(array, index):
    """``array[index]`` gathered straight into page-locked memory, so that the batch's copy to the GPU runs
    without blocking. torch's caching host allocator reuses the buffer only once that copy has finished, so no
    batch overwrites one still in flight, and nothing is pinned again per batch."""
    out = torch.empty((index.numel(),) + tuple(array.shape[1:]), dtype=array.dtype, pin_memory=True)
    return torch.index_select(array, 0, index, out=out)


class _ArrayBatches(torch.utils.data.Dataset):
    """A dataset whose items are whole batches: ``batches[index]`` indexes every array with a slice or an index
    tensor at once. With ``pinned`` (the arrays are in page-locked memory), a shuffled batch is gathered into
    page-locked memory too (a slice of a pinned array is pinned already)."""

    def __init__(self, arrays, pinned=False):
        self.arrays = arrays
        self._gather = _gather_pinned if pinned else lambda a, index: torch.index_select(a, 0, index)

    def __getitem__(self, index):
        if isinstance(index, torch.Tensor):
            gather = self._gather
            return map_structure(lambda a: None if a is None else a[index.cpu().numpy()] if is_string_array(a)
                                 else gather(a, index), self.arrays)
        return map_structure(lambda a: None if a is None else a[index], self.arrays)

    def __len__(self):
        return int(flatten(self.arrays)[0].shape[0])


class _BatchIndexSampler(torch.utils.data.Sampler):
    """Yields one index per batch: a slice when not shuffling, else a slice of a fresh permutation.

    With ``replicas`` (a data-parallel run) each global batch is cut into the ranks' shares and this rank's
    share is yielded, as ``(index, empty)``: every rank draws the permutation (so their generators advance
    alike) and takes rank 0's. An empty share (a last batch smaller than the number of ranks) is yielded as the
    batch's first sample with ``empty=True``: the trainer builds from it when it must, and trains on nothing.
    """

    def __init__(self, num_samples, batch_size, shuffle, device, replicas=None):
        self.num_samples = num_samples
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.device = device
        self.replicas = replicas

    def __len__(self):
        return math.ceil(self.num_samples / self.batch_size)

    def __iter__(self):
        if self.shuffle:
            # Drawn on the CPU from torch's global generator, so set_random_seed makes epochs reproducible.
            permutation = torch.randperm(self.num_samples)
            if self.replicas is not None:
                permutation = self.replicas.broadcast_tensor(permutation)
            permutation = permutation.to(self.device, non_blocking=True)
            yield from permutation.split(self.batch_size)
        else:
            for start in range(0, self.num_samples, self.batch_size):
                yield slice(start, min(start + self.batch_size, self.num_samples))

    def shares(self):
        """``(index, empty)`` per batch: this rank's share of each global batch (the whole batch on one
        process)."""
        for index in self:
            if self.replicas is None:
                yield index, False
                continue
            size = index.stop - index.start if isinstance(index, slice) else int(index.shape[0])
            start, stop = self.replicas.share(size)
            if stop == start:
                yield (slice(index.start, index.start + 1) if isinstance(index, slice) else index[:1]), True
            elif isinstance(index, slice):
                yield slice(index.start + start, index.start + stop), False
            else:
                yield index[start:stop], False


class _ShardedBatchSampler(torch.utils.data.Sampler):
    """A batch sampler over this rank's shares of another batch sampler's (global) batches, for a map-style
    Dataset in a data-parallel run. Each epoch's batches are drawn on every rank and rank 0's are used, so all
    ranks agree on the order whatever their seeds. An empty share is yielded as the batch's first index, and
    noted in ``empty`` (in order: the DataLoader serves batches in the order they are sampled)."""

    def __init__(self, batch_sampler, replicas):
        self.batch_sampler = batch_sampler
        self.replicas = replicas
        self.empty = collections.deque()

    def __len__(self):
        return len(self.batch_sampler)

    def __iter__(self):
        batches = [list(batch) for batch in self.batch_sampler]
        sizes = torch.tensor([len(batch) for batch in batches], dtype=torch.int64)
        flat = torch.tensor([i for batch in batches for i in batch], dtype=torch.int64)
        sizes = self.replicas.broadcast_tensor(sizes)
        flat = self.replicas.broadcast_tensor(flat)
        self.empty.clear()
        for batch in flat.split(sizes.tolist()):
            start, stop = self.replicas.share(int(batch.shape[0]))
            self.empty.append(stop == start)
            yield (batch[:1] if stop == start else batch[start:stop]).tolist()


def _identity(batch):
    return batch


def move_to_device(structure, device, non_blocking=False):
    """Every array of ``structure`` as a tensor on ``device`` (numpy arrays converted as ``to_tensor`` does)."""
    def move(value):
        if isinstance(value, torch.Tensor) and value.device != device:
            return value.to(device, non_blocking=non_blocking)
        if is_string_array(value):
            return value
        if isinstance(value, np.ndarray):
            return to_tensor(value).to(device, non_blocking=non_blocking)
        return value
    return map_structure(move, structure)


class DataHandler:
    """Batches for one call of fit/evaluate/predict.

    Args:
        x, y, sample_weight: the user's data (see the module docstring).
        batch_size: the batch size for arrays and Datasets (default 32).
        shuffle: shuffle arrays each epoch (``"batch"`` is taken as True).
        steps_per_epoch: steps per epoch; an iterator then continues across epochs.
        device: where batches go.
        class_weight: a dict class index -> weight, turned into sample weights.
        names: how errors name x, y and sample_weight (validation data is ``validation_data[0]``, ...).
        replicas: a ``training.distributed.Replicas`` in a data-parallel run: ``batch_size`` is then the
            global batch, and each epoch yields this rank's share of every global batch (see ``shards``).

    In a data-parallel run every rank runs the same number of steps. Arrays, Datasets and DataLoaders without
    their own ``DistributedSampler`` are cut into shares of each global batch, in an order all ranks agree on;
    a DataLoader with a ``DistributedSampler`` is used as it is, with ``set_epoch`` at each epoch; a PyDataset is
    dealt out by index (each step takes one of its batches per rank); a generator is read by every rank on its
    own (with a warning), the ranks agreeing at each step whether all still have a batch. ``empty_share`` is
    True while the batch just yielded stands for an empty share (it holds one sample to build from).
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False, steps_per_epoch=None,
                 device=None, class_weight=None, names=("x", "y", "sample_weight"), replicas=None):
        self.device = torch.device(device) if device is not None else backend.device()
        # Each process's data is its own part when the distribution says so: read whole, steps agreed on.
        self._every_replica = replicas
        self._agree_on_steps = replicas is not None and not replicas.shard_data
        replicas = replicas if replicas is not None and replicas.shard_data else None
        self.replicas = replicas
        self.empty_share = False
        self._passes = 0
        self.steps_per_epoch = steps_per_epoch
        self.class_weight = None if class_weight is None else _checked_class_weight(class_weight, y, sample_weight)
        self._class_weight_tables = {}
        self._iterator = None
        self._steps_seen = 0
        non_blocking = self.device.type == "cuda"
        self._non_blocking = non_blocking
        x = strings_as_array(x)
        if is_array_structure(x):
            check_has_samples(x, names[0])
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                       or batch_size <= 0):
            raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")

        if is_array_structure(x):
            self.kind = "arrays"
            self.num_samples = check_cardinality(x, y, sample_weight)
            arrays = tuple(map_structure(lambda a, n=name, s=strings: None if a is None else
                                         a if s and is_string_array(a) else to_tensor(a, n), structure)
                           for structure, name, strings in zip((x, y, sample_weight), names, (True, False, False)))
            if self.class_weight is not None and y is not None:
                # In memory, class weights become sample weights once, as Keras turns them.
                arrays = (arrays[0], arrays[1], class_weights_for(arrays[1], self._class_weight_table(CPU)))
                self.class_weight = None
            arrays, pinned = self._place(arrays)
            self.batch_size = batch_size or 32
            sampler = _BatchIndexSampler(self.num_samples, self.batch_size, bool(shuffle), arrays_device(arrays),
                                         replicas)
            self.loader = torch.utils.data.DataLoader(
                _ArrayBatches(arrays, pinned), sampler=sampler, batch_size=None, collate_fn=_identity,
                pin_memory=False)
            self.batches_per_pass = len(sampler)
        elif isinstance(x, torch.utils.data.DataLoader):
            self._reject_y(y, sample_weight, "a DataLoader")
            self.kind = "loader"
            self.loader = self._shard_loader(x) if replicas is not None else x
            self.batch_size = x.batch_size
            self.batches_per_pass = _length_or_none(x)
        elif isinstance(x, torch.utils.data.Dataset) and not isinstance(x, torch.utils.data.IterableDataset) \
                and not _is_py_dataset(x):
            self._reject_y(y, sample_weight, "a Dataset")
            self.kind = "dataset"
            self.batch_size = batch_size or 32
            if replicas is None:
                self.loader = torch.utils.data.DataLoader(x, batch_size=self.batch_size, shuffle=bool(shuffle),
                                                          pin_memory=non_blocking)
            else:
                # The global batches one process would draw (a RandomSampler from the global generator), shared.
                order = torch.utils.data.RandomSampler(x) if shuffle else torch.utils.data.SequentialSampler(x)
                batches = torch.utils.data.BatchSampler(order, self.batch_size, drop_last=False)
                self.loader = torch.utils.data.DataLoader(x, batch_sampler=_ShardedBatchSampler(batches, replicas),
                                                          pin_memory=non_blocking)
            self.batches_per_pass = len(self.loader)
        elif _is_py_dataset(x):
            self._reject_y(y, sample_weight, "a PyDataset")
            self.kind = "pydataset"
            self.loader = x
            self.batch_size = None
            self.batches_per_pass = len(x) if replicas is None else math.ceil(len(x) / replicas.world_size)
            self._shuffle_pydataset = bool(shuffle)
        elif isinstance(x, torch.utils.data.IterableDataset) or hasattr(x, "__next__") or \
                (hasattr(x, "__iter__") and not isinstance(x, (str, bytes, dict, list, tuple))):
            self._reject_y(y, sample_weight, "a generator")
            self.kind = "iterator"
            self.loader = x
            self.batch_size = None
            self.batches_per_pass = _length_or_none(x) if not hasattr(x, "__next__") else None
            if replicas is not None:
                self._agree_on_steps = True
                warnings.warn(f"Data-parallel run over {replicas.world_size} processes: each process reads its "
                              f"own batches from this {type(x).__name__} (kerastorch cannot split a stream of "
                              f"batches). Make each rank's generator or dataset yield its own part of the data "
                              f"(torch.distributed.get_rank()), or pass arrays, a map-style torch Dataset, a "
                              f"DataLoader or a PyDataset, which are split into shares of each global batch.",
                              stacklevel=4)
        elif x is None:
            raise ValueError("No data given: pass `x` (and `y`), a Dataset, a DataLoader or a generator.")
        else:
            raise ValueError(f"Unrecognized data type: x={x!r} (of type {type(x).__name__}). Expected numpy "
                             f"arrays, torch tensors, lists or dicts of them, a torch Dataset or DataLoader, a "
                             f"generator, or a kerastorch.utils.PyDataset.")

    @staticmethod
    def _reject_y(y, sample_weight, what):
        if y is not None or sample_weight is not None:
            raise ValueError(f"When `x` is {what}, it must yield the targets itself: `y` and `sample_weight` must "
                             f"not be given. Received: y={type(y).__name__}, sample_weight="
                             f"{type(sample_weight).__name__}")

    def _place(self, arrays):
        """On CUDA, put arrays that fit comfortably on the device once; else pin them (once) for async copies.
        Returns the arrays and whether they were pinned."""
        if self.device.type != "cuda":
            return (move_to_device(arrays, self.device, False) if self.device.type != "cpu" else arrays), False
        tensors = [t for t in flatten(arrays) if isinstance(t, torch.Tensor)]
        total = sum(t.numel() * t.element_size() for t in tensors)
        free, _ = torch.cuda.mem_get_info(self.device)
        if total < free // 4:
            return move_to_device(arrays, self.device, False), False
        return map_structure(lambda t: t.pin_memory() if isinstance(t, torch.Tensor) and not t.is_cuda
                             else t, arrays), True

    @property
    def steps(self):
        """Steps in one epoch, or None when unknown (an iterator without ``steps_per_epoch``)."""
        if self.steps_per_epoch is not None:
            return self.steps_per_epoch
        return self.batches_per_pass

    def _shard_loader(self, loader):
        """A user's DataLoader in a data-parallel run: as it is when its sampler is a ``DistributedSampler``
        (``set_epoch`` is called each epoch); else, for a map-style dataset, the same loader over this rank's
        shares of its batches; an iterable-style loader is read by every rank on its own, with a warning."""
        samplers = (loader.sampler, getattr(loader.batch_sampler, "sampler", None))
        if any(isinstance(s, torch.utils.data.distributed.DistributedSampler) for s in samplers):
            return loader
        if isinstance(loader.dataset, torch.utils.data.IterableDataset) or loader.batch_sampler is None:
            self._agree_on_steps = True
            warnings.warn(f"Data-parallel run over {self.replicas.world_size} processes: this DataLoader has an "
                          f"iterable-style dataset (or no batch sampler), so each process reads its own batches "
                          f"from it. Shard the dataset per rank yourself, or use a map-style Dataset.", stacklevel=5)
            return loader
        options = dict(num_workers=loader.num_workers, collate_fn=loader.collate_fn, pin_memory=loader.pin_memory,
                       timeout=loader.timeout, worker_init_fn=loader.worker_init_fn,
                       multiprocessing_context=loader.multiprocessing_context, generator=loader.generator,
                       persistent_workers=loader.persistent_workers)
        if loader.num_workers:
            options["prefetch_factor"] = loader.prefetch_factor
        return torch.utils.data.DataLoader(
            loader.dataset, batch_sampler=_ShardedBatchSampler(loader.batch_sampler, self.replicas), **options)

    def _new_pass(self, epoch=None):
        """One pass over the data, as ``(batch, empty)`` pairs (``empty``: the batch stands for an empty share)."""
        self._passes += 1
        batches = self._pass_batches(epoch)
        return self._agreed(batches) if self._agree_on_steps else batches

    def _pass_batches(self, epoch):
        if self.kind == "arrays":
            # The DataLoader's own iterator adds a profiler scope and a fetcher per batch; for whole-batch
            # indexing of in-memory tensors, going to its sampler and dataset directly does the same work.
            dataset = self.loader.dataset
            return ((dataset[index], empty) for index, empty in self.loader.sampler.shares())
        if self.kind == "pydataset":
            return self._pydataset_pass()
        sampler = getattr(self.loader, "batch_sampler", None)
        if isinstance(sampler, _ShardedBatchSampler):
            return ((batch, sampler.empty.popleft()) for batch in self.loader)
        if self._every_replica is not None and self.kind == "loader":
            for candidate in (self.loader.sampler, getattr(sampler, "sampler", None)):
                if isinstance(candidate, torch.utils.data.distributed.DistributedSampler):
                    candidate.set_epoch(self._passes - 1 if epoch is None else epoch)
        return ((batch, False) for batch in self.loader)

    def _pydataset_pass(self):
        order = torch.randperm(len(self.loader)) if self._shuffle_pydataset else torch.arange(len(self.loader))
        if self.replicas is None:
            yield from ((self.loader[i], False) for i in order.tolist())
            return
        # Dealt out by index: step s takes batch order[s * world + rank]; a rank past the end has an empty share.
        order = self.replicas.broadcast_tensor(order).tolist()
        world, rank = self.replicas.world_size, self.replicas.rank
        for step in range(self.batches_per_pass):
            position = step * world + rank
            if position < len(order):
                yield self.loader[order[position]], False
            else:
                yield self.loader[order[0]], True

    def _agreed(self, batches):
        """``batches`` for as long as every rank still has one (one small all-reduce per step)."""
        while True:
            try:
                item, has_batch = next(batches), True
            except StopIteration:
                item, has_batch = None, False
            if not self._every_replica.all_true(has_batch):
                if has_batch:
                    warnings.warn("Another process ran out of batches first: this process stops its pass here "
                                  "so that every process runs the same number of steps.", stacklevel=3)
                return
            yield item

    def _prepare(self, batch):
        if self.kind == "arrays":
            x, y, sample_weight = batch
        else:
            if batch is None:
                raise ValueError("When passing a Python generator to a Keras model, the generator must return a "
                                 "tuple, either (input,) or (inputs, targets) or (inputs, targets, "
                                 "sample_weights). Received: None")
            x, y, sample_weight = unpack_x_y_sample_weight(batch)
        x, y, sample_weight = move_to_device((x, y, sample_weight), self.device, self._non_blocking)
        if self.class_weight is not None and y is not None:
            if sample_weight is not None:
                raise ValueError("You cannot `class_weight` and `sample_weight` at the same time: the data yields "
                                 "sample weights, so fold the class weights into them.")
            sample_weight = class_weights_for(y, self._class_weight_table(y.device))
        return x, y, sample_weight

    def _class_weight_table(self, device):
        """``class_weight`` as a tensor indexed by class, made once per device."""
        if device not in self._class_weight_tables:
            size = max(self.class_weight) + 1
            self._class_weight_tables[device] = torch.tensor(
                [self.class_weight.get(c, 1.0) for c in range(size)], dtype=backend.torch_dtype(), device=device)
        return self._class_weight_tables[device]

    def epoch(self, index=None):
        """The batches of one epoch, as ``(x, y, sample_weight)`` tuples on the device.

        ``index`` is fit's epoch number, which a user's ``DistributedSampler`` gets through ``set_epoch``
        (defaults to the number of passes made so far).

        Without ``steps_per_epoch`` an epoch is one pass over the data. With it, an epoch takes that many batches
        from a pass that continues across epochs, as Keras's does: a pass that ends early ends the epoch early,
        with a warning, and the next epoch starts a new pass. A generator cannot start again: once it runs out,
        ``exhausted`` is set (and fit stops).
        """
        if self.steps_per_epoch is None:
            produced = 0
            for batch, self.empty_share in self._new_pass(index):
                produced += 1
                yield self._prepare(batch)
            if produced == 0 and self._single_pass:
                self._ran_out()
        else:
            if self._iterator is None:
                self._iterator, self._steps_seen = self._new_pass(index), 0
            for _ in range(self.steps_per_epoch):
                try:
                    batch, self.empty_share = next(self._iterator)
                except StopIteration:
                    self._iterator = None
                    self._ran_out()
                    break
                self._steps_seen += 1
                yield self._prepare(batch)
            if self.batches_per_pass is not None and self._steps_seen >= self.batches_per_pass:
                self._iterator = None
        if self.kind == "pydataset":
            self.loader.on_epoch_end()

    @property
    def _single_pass(self):
        """True for a generator or iterator, which is exhausted after one pass."""
        return self.kind == "iterator" and iter(self.loader) is self.loader

    def _ran_out(self):
        warnings.warn("Your input ran out of data; interrupting training. Make sure that your dataset or generator "
                      "can generate at least `steps_per_epoch * epochs` batches.", stacklevel=4)
        if self._single_pass:
            self.exhausted = True

    exhausted = False
    # Set by the trainer once this data's targets have been checked against the model's outputs.
    checked = False

    @property
    def targets(self):
        """All of ``y`` when the data is in memory (for checks made once, before any batch), else None."""
        return self.loader.dataset.arrays[1] if self.kind == "arrays" else None


def arrays_device(arrays):
    for leaf in flatten(arrays):
        if isinstance(leaf, torch.Tensor):
            return leaf.device
    return torch.device("cpu")


def _length_or_none(value):
    try:
        return len(value)
    except TypeError:
        return None


def _is_py_dataset(value):
    from kerastorch.utils.py_dataset import PyDataset
    return isinstance(value, PyDataset)


def _checked_class_weight(class_weight, y, sample_weight):
    """``class_weight`` as {int class: float weight}, or a ValueError for what Keras refuses with it."""
    if not isinstance(class_weight, dict):
        raise ValueError(f"`class_weight` must be a dict mapping class indices to weights. Received: "
                         f"class_weight={class_weight!r}")
    if sample_weight is not None:
        raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("`class_weight` is only supported for Models with a single output.")
    return {int(k): float(v) for k, v in class_weight.items()}


def class_weights_for(y, table):
    """Per-sample weights for sparse or one-hot labels ``y``, from ``table[class] = weight``. Labels beyond the
    table weigh 1, as classes missing from Keras's ``class_weight`` do."""
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("`class_weight` is only supported for Models with a single output.")
    if y.ndim >= 2 and y.shape[-1] > 1:
        labels = y.argmax(dim=-1)
    else:
        labels = y.reshape(y.shape[0], -1)[:, 0] if y.ndim >= 2 else y
        labels = labels.round().long() if labels.is_floating_point() else labels.long()
    in_table = (labels >= 0) & (labels < table.shape[0])
    return torch.where(in_table, table[labels.clamp(0, table.shape[0] - 1)], torch.ones((), dtype=table.dtype,
                                                                                        device=table.device))


# ---- the arguments of fit / evaluate / train_on_batch, parsed before any batch ----------------------------------

def check_epochs(epochs):
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"`epochs` must be a non-negative integer. Received: epochs={epochs!r}")


def warn_non_finite_inputs(x, y, x_name="x", y_name="y"):
    """Warn once per call, naming the array, when in-memory inputs or targets hold NaN or inf."""
    if is_array_structure(x):
        warn_non_finite(x, x_name)
    if is_array_structure(y):
        warn_non_finite(y, y_name)


def unpack_validation_data(validation_data):
    """``validation_data`` as ``(x, y, sample_weight)``: a 2- or 3-tuple, or data that yields its own targets.
    Arrays alone (an array, a dict of arrays) hold no targets, so they are refused: validating on them would
    log a loss of 0."""
    if isinstance(validation_data, (tuple, list)):
        if len(validation_data) == 2:
            return validation_data[0], validation_data[1], None
        if len(validation_data) == 3:
            return tuple(validation_data)
        raise ValueError(f"When passing a tuple as `validation_data`, it must contain 2 (x_val, y_val) or 3 "
                         f"(x_val, y_val, val_sample_weight) items. Received a tuple of {len(validation_data)} "
                         f"items.")
    if is_array_structure(validation_data):
        raise ValueError(f"`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, "
                         f"val_sample_weight), or a Dataset, DataLoader or generator that yields its targets. "
                         f"Received: arrays without targets (a {type(validation_data).__name__}).")
    return validation_data, None, None


def fit_data(x, y, sample_weight, validation_split=0.0, validation_data=None):
    """fit's data and validation data, checked: ``((x, y, sample_weight), validation)``, where validation is
    ``(x, y, sample_weight)`` or None.

    ``validation_split`` takes the last fraction of in-memory arrays (before shuffling, as Keras does) when no
    ``validation_data`` is given; non-finite values in in-memory arrays are warned about, naming the array.

    Args:
        x, y, sample_weight: fit's data.
        validation_split: a float in [0, 1).
        validation_data: None, ``(x, y)``, ``(x, y, sample_weight)``, or data that yields its targets.
    """
    if validation_split and not 0 <= validation_split < 1:
        raise ValueError(f"`validation_split` must be a float in [0, 1). Received: validation_split="
                         f"{validation_split}")
    x = strings_as_array(x)
    warn_non_finite_inputs(x, y)
    if validation_split and validation_data is None:
        if not is_array_structure(x):
            raise ValueError("`validation_split` is only supported for Tensors or NumPy arrays. Found: "
                             f"x={type(x).__name__}. Pass `validation_data` instead.")
        (x, y, sample_weight), validation = train_validation_split((x, y, sample_weight), validation_split)
        return (x, y, sample_weight), validation
    if validation_data is None:
        return (x, y, sample_weight), None
    validation = unpack_validation_data(validation_data)
    warn_non_finite_inputs(validation[0], validation[1], "validation_data[0]", "validation_data[1]")
    return (x, y, sample_weight), validation


def validation_due(epoch, validation_freq):
    """Whether fit validates after ``epoch`` (0-based): every ``validation_freq`` epochs for an int, after the
    listed (1-based) epochs for a collection."""
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def num_samples(x):
    """The number of samples in x (the first axis of its first array): one batch for train_on_batch."""
    leaves = [leaf for leaf in flatten(x) if hasattr(leaf, "shape")]
    if not leaves:
        return np.asarray(x).shape[0]
    return int(leaves[0].shape[0])


# ---- targets and weights matched to the model's outputs --------------------------------------------------------

def flatten_targets(y, names):
    """Targets (or per-output sample weights) as one entry per output, in the order of ``names``.

    Args:
        y: one target, a list/tuple with one per output, or a dict keyed by output name.
        names: the output names (``[None]`` for a single output).
    """
    if isinstance(y, dict):
        missing = [n for n in names if n not in y]
        if missing:
            raise ValueError(f"The target dictionary is missing entries for outputs {missing}. Received "
                             f"keys: {list(y)}")
        return [y[n] for n in names]
    if len(names) == 1:
        return [y]
    ys = flatten(y)
    if len(ys) != len(names):
        raise ValueError(f"The model has {len(names)} outputs but received {len(ys)} targets.")
    return ys


def per_output_sample_weights(sample_weight, names):
    """One sample weight per output: a dict/list of them matched to ``names``, else the same for all."""
    if isinstance(sample_weight, (dict, list, tuple)) and len(names) > 1:
        return flatten_targets(sample_weight, names)
    return [sample_weight] * len(names)


def per_output(spec, names, what, single_output_name=None):
    """A per-output list from a single value, a list (one per output), or a dict keyed by output name.

    Args:
        spec: compile's ``loss``, ``loss_weights`` or ``metrics`` argument.
        names: the output names (``[None]`` for a single output).
        what: the argument's name, for errors.
        single_output_name: a single output's own name (its layer's), which a dict may be keyed by, or None.
    """
    if isinstance(spec, dict) and names == [None]:
        expected = [single_output_name] if single_output_name is not None else []
        if list(spec) != expected:
            raise ValueError(f"Expected keys {expected} in {what} dict, but found {what}.keys()={list(spec)}. The "
                             f"model has a single output; give one {what} for it, or a dict keyed by the output's "
                             f"name.")
        return [spec[single_output_name]]
    if isinstance(spec, dict):
        unknown = set(spec) - set(names)
        if unknown:
            raise ValueError(f"Unknown entries in {what} dictionary: {sorted(unknown)}. Only expected the "
                             f"following keys: {names}")
        return [spec.get(name) for name in names]
    if isinstance(spec, (list, tuple)) and len(names) > 1:
        if len(spec) != len(names):
            raise ValueError(f"`{what}` should have one entry per output: the model has {len(names)} "
                             f"outputs, but {what} has {len(spec)} entries.")
        return list(spec)
    return [spec] * len(names)
