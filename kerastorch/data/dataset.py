"""``kerastorch.data.Dataset``: tf.data's Dataset API on torch tensors.

A Dataset is a recipe for an iterable of *elements*; an element is a torch tensor, or a tuple/dict of them (strings
stay numpy arrays, as no torch dtype holds them). Every method returns a new Dataset and nothing runs until the
Dataset is iterated, each iteration starting again from its sources (so a Dataset serves many epochs).

It is a ``torch.utils.data.IterableDataset``, so ``fit``, ``evaluate`` and ``predict`` take it directly (each
element one batch: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``) and a ``DataLoader`` can wrap it.

Speed: ``from_tensor_slices(...).shuffle(n).batch(b)`` over in-memory arrays indexes whole batches at once (one
gather per array per batch, never a per-sample collate); ``prefetch`` runs its input in a background thread;
the directory loaders decode files in ``DataLoader`` workers.
"""
import itertools
import queue
import random as _random
import threading
import types

import numpy as np
import torch

from kerastorch.keras_tensor import flatten, map_structure

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


def _to_element_leaf(value):
    """One leaf of an element: numbers become tensors (a numpy float64 array stays float64, as in tf.data, while
    Python floats become float32 as tf.constant makes them); strings stay numpy arrays."""
    if isinstance(value, torch.Tensor):
        return value
    array = np.asarray(value)
    if array.dtype.kind in "USO":
        return array
    if array.dtype == np.float64 and not isinstance(value, (np.ndarray, np.generic)):
        array = array.astype(np.float32)
    if array.dtype in (np.uint16, np.uint32, np.uint64):
        array = array.astype(np.int64)
    return torch.from_numpy(array if array.flags.c_contiguous and array.flags.writeable else array.copy())


def _row(leaf, i):
    """Slice ``i`` of a leaf, a tensor or a numpy array (kept an array, never a numpy scalar)."""
    return leaf[i] if isinstance(leaf, torch.Tensor) else np.asarray(leaf[i])


def _as_structure(value, lists_are_tuples=True):
    """Tuples and dicts are structures. A list is one array for ``from_tensor_slices``/``from_tensors`` (as tf.data
    converts it) and a tuple for what ``map`` functions and generators return (as tf.data's ``map`` takes it)."""
    if isinstance(value, list) and lists_are_tuples:
        return tuple(_as_structure(v) for v in value)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_as_structure(v, lists_are_tuples) for v in value)
    if isinstance(value, dict):
        return {k: _as_structure(v, lists_are_tuples) for k, v in value.items()}
    return value


def _leaves_of(tensors):
    """``tensors`` as an element: tuples and dicts kept, every other value (lists included) one leaf."""
    if isinstance(tensors, tuple) and not hasattr(tensors, "_fields"):
        return tuple(_leaves_of(v) for v in tensors)
    if isinstance(tensors, dict):
        return {k: _leaves_of(v) for k, v in tensors.items()}
    return _to_element_leaf(tensors)


def _is_string_leaf(leaf):
    return isinstance(leaf, np.ndarray) and leaf.dtype.kind in "USO"


def _stack(leaves):
    first = leaves[0]
    if isinstance(first, torch.Tensor):
        return torch.stack(leaves)
    return np.stack([np.asarray(leaf) for leaf in leaves])


def _stack_elements(elements):
    """A list of elements of one structure as one element whose leaves have a new first axis."""
    first = elements[0]
    if isinstance(first, tuple):
        return tuple(_stack_elements([e[i] for e in elements]) for i in range(len(first)))
    if isinstance(first, dict):
        return {key: _stack_elements([e[key] for e in elements]) for key in first}
    return _stack(elements)


def _index(leaf, index):
    if isinstance(leaf, torch.Tensor):
        return leaf[index] if not isinstance(index, torch.Tensor) else torch.index_select(leaf, 0, index)
    return leaf[index.numpy() if isinstance(index, torch.Tensor) else index]


def _leading_size(structure):
    leaves = flatten(structure)
    if not leaves:
        raise ValueError("Dataset.from_tensor_slices: received an empty structure; expected arrays or tensors.")
    return int(leaves[0].shape[0])


def _call(function, element):
    """tf.data's convention: a tuple element is passed as positional arguments, anything else as one."""
    return function(*element) if isinstance(element, tuple) else function(element)


def _cardinality_plus(a, b):
    if INFINITE_CARDINALITY in (a, b):
        return INFINITE_CARDINALITY
    if UNKNOWN_CARDINALITY in (a, b):
        return UNKNOWN_CARDINALITY
    return a + b


class Dataset(torch.utils.data.IterableDataset):
    """An iterable of elements built from a source and transformations (see the module docstring).

    Make one with ``Dataset.from_tensor_slices``, ``from_tensors``, ``from_generator``, ``range`` or ``zip``, or
    from files with ``kerastorch.utils.image_dataset_from_directory`` and its siblings.
    """

    def __init__(self, make_iterator, cardinality=UNKNOWN_CARDINALITY, slices=None, description="Dataset"):
        # make_iterator() returns a fresh iterator over the elements; `slices` is (arrays, order_fn) for a plain
        # from_tensor_slices dataset (possibly shuffled), which lets batch() gather whole batches at once.
        self._make_iterator = make_iterator
        self._cardinality = cardinality
        self._slices = slices
        self._description = description
        self.class_names = None
        self.file_paths = None

    # ---- sources --------------------------------------------------------------------------------------------

    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """Elements are the slices of ``tensors`` (an array, or a tuple/dict of arrays) along their first axis.

        Args:
            tensors: numpy arrays, torch tensors, lists (of numbers or strings), or tuples/dicts of them; all
                leaves must have the same first dimension.
        """
        arrays = _leaves_of(tensors)
        sizes = {int(leaf.shape[0]) if getattr(leaf, "ndim", 0) else None for leaf in flatten(arrays)}
        if None in sizes:
            raise ValueError("Dataset.from_tensor_slices: every array needs at least one dimension to slice; "
                             f"received a scalar in {type(tensors).__name__}.")
        if len(sizes) != 1:
            raise ValueError(f"Dataset.from_tensor_slices: all arrays must have the same first dimension. "
                             f"Received first dimensions {sorted(sizes)}.")
        size = sizes.pop()
        return Dataset._of_slices(arrays, size, lambda: range(size))

    @staticmethod
    def _of_slices(arrays, size, order):
        def make_iterator():
            for i in order():
                yield map_structure(lambda leaf, i=i: _row(leaf, i), arrays)
        return Dataset(make_iterator, size, slices=(arrays, size, order), description="TensorSliceDataset")

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of one element: ``tensors`` itself."""
        element = _leaves_of(tensors)
        return Dataset(lambda: iter([element]), 1, description="TensorDataset")

    @staticmethod
    def range(*args, dtype="int64", name=None):
        """Elements ``start, start + step, ...`` below ``stop``, as Python's ``range`` takes its arguments."""
        values = range(*args)
        torch_dtype = getattr(torch, str(dtype))
        return Dataset(lambda: (torch.tensor(v, dtype=torch_dtype) for v in values), len(values),
                       description="RangeDataset")

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None, output_signature=None,
                       name=None):
        """Elements are what ``generator()`` yields, called again for each iteration.

        Args:
            generator: a callable returning an iterator (not an iterator itself, which could serve one pass).
            output_types, output_shapes, output_signature: accepted for tf.data's signature; the elements'
                own dtypes and shapes are used.
            args: a tuple of arguments for ``generator``.
        """
        if not callable(generator):
            raise TypeError(f"Dataset.from_generator: `generator` must be a callable that returns an iterator "
                            f"(it is called once per iteration). Received: {type(generator).__name__}")
        arguments = tuple(args) if args is not None else ()

        def make_iterator():
            for element in generator(*arguments):
                yield map_structure(_to_element_leaf, _as_structure(element))
        return Dataset(make_iterator, UNKNOWN_CARDINALITY, description="FlatMapDataset")

    @staticmethod
    def zip(*datasets, name=None):
        """Elements are tuples (or dicts) of one element of each dataset, stopping at the shortest."""
        structure = datasets[0] if len(datasets) == 1 and isinstance(datasets[0], (tuple, list, dict)) else datasets
        if isinstance(structure, dict):
            keys = list(structure)
            members = [structure[k] for k in keys]
        else:
            keys, members = None, list(structure)
        for member in members:
            if not isinstance(member, Dataset):
                raise TypeError(f"Dataset.zip expects Datasets; received a {type(member).__name__}.")

        def make_iterator():
            for parts in zip(*members):
                yield dict(zip(keys, parts)) if keys is not None else tuple(parts)
        known = [m._cardinality for m in members if m._cardinality >= 0]
        if len(known) == len(members):
            cardinality = min(known)
        elif all(m._cardinality == INFINITE_CARDINALITY for m in members):
            cardinality = INFINITE_CARDINALITY
        else:
            cardinality = UNKNOWN_CARDINALITY
        return Dataset(make_iterator, cardinality, description="ZipDataset")

    # ---- iteration ------------------------------------------------------------------------------------------

    def __iter__(self):
        return self._make_iterator()

    def __len__(self):
        if self._cardinality == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if self._cardinality < 0:
            raise TypeError("The dataset length is unknown.")
        return self._cardinality

    def __bool__(self):
        return True

    def __repr__(self):
        return f"<{self._description} cardinality={self._cardinality}>"

    def cardinality(self):
        """The number of elements as a 0-d int64 tensor; ``INFINITE_CARDINALITY`` (-1) or
        ``UNKNOWN_CARDINALITY`` (-2) when not known."""
        return torch.tensor(self._cardinality, dtype=torch.int64)

    def as_numpy_iterator(self):
        """The elements with every tensor as a numpy array (strings as bytes, as tf.data gives them)."""
        def to_numpy(leaf):
            if isinstance(leaf, torch.Tensor):
                return leaf.detach().cpu().numpy()
            if _is_string_leaf(leaf) and leaf.dtype.kind == "U":
                return leaf.item().encode() if leaf.ndim == 0 else np.char.encode(leaf, "utf-8").astype(object)
            return leaf
        return (map_structure(to_numpy, element) for element in self)

    def _derived(self, make_iterator, cardinality, description):
        dataset = Dataset(make_iterator, cardinality, description=description)
        dataset.class_names, dataset.file_paths = self.class_names, self.file_paths
        return dataset

    # ---- transformations ------------------------------------------------------------------------------------

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        """Consecutive elements stacked into batches of ``batch_size`` (the last one smaller unless
        ``drop_remainder``)."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"Dataset.batch: `batch_size` must be a positive integer. Received: "
                             f"batch_size={batch_size!r}")
        cardinality = self._cardinality
        if cardinality >= 0:
            cardinality = cardinality // batch_size if drop_remainder else -(-cardinality // batch_size)
        if self._slices is not None:
            arrays, size, order = self._slices

            def gather_batches():
                indices = torch.as_tensor(np.fromiter(order(), dtype=np.int64, count=size))
                for start in range(0, size, batch_size):
                    index = indices[start:start + batch_size]
                    if drop_remainder and index.numel() < batch_size:
                        return
                    yield map_structure(lambda leaf: _index(leaf, index), arrays)
            return self._derived(gather_batches, cardinality, "BatchDataset")
        source = self

        def make_iterator():
            iterator = iter(source)
            while True:
                chunk = list(itertools.islice(iterator, batch_size))
                if not chunk or (drop_remainder and len(chunk) < batch_size):
                    return
                yield _stack_elements(chunk)
        return self._derived(make_iterator, cardinality, "BatchDataset")

    def unbatch(self, name=None):
        """Each element split along its first axis into that many elements (the inverse of ``batch``)."""
        source = self

        def make_iterator():
            for element in source:
                for i in range(_leading_size(element)):
                    yield map_structure(lambda leaf, i=i: _row(leaf, i), element)
        return self._derived(make_iterator, UNKNOWN_CARDINALITY, "UnbatchDataset")

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Elements are ``map_func(element)`` (a tuple element is passed as positional arguments)."""
        source = self

        def make_iterator():
            for element in source:
                yield _as_structure(_call(map_func, element))
        return self._derived(make_iterator, self._cardinality, "MapDataset")

    def filter(self, predicate, name=None):
        """Only the elements for which ``predicate(element)`` is true."""
        source = self

        def make_iterator():
            for element in source:
                if bool(_call(predicate, element)):
                    yield element
        return self._derived(make_iterator, UNKNOWN_CARDINALITY, "FilterDataset")

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Elements in a random order: each drawn uniformly from a buffer of the next ``buffer_size`` elements.

        A plain ``from_tensor_slices`` dataset whose buffer covers all of it is permuted as a whole (one
        ``randperm`` per iteration), so a following ``batch`` still gathers whole batches at once.
        """
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, int) or buffer_size == 0 or \
                buffer_size < AUTOTUNE:
            raise ValueError(f"Dataset.shuffle: `buffer_size` must be a positive integer. Received: "
                             f"buffer_size={buffer_size!r}")
        iteration = itertools.count()
        fixed_seed = seed if seed is not None else int(torch.randint(0, 2 ** 62, ()))

        def generator():
            # A seed gives the same order sequence every run; without one, each iteration draws from torch's
            # global generator, so set_random_seed makes it reproducible.
            if seed is None and reshuffle_each_iteration:
                return torch.Generator().manual_seed(int(torch.randint(0, 2 ** 62, ())))
            return torch.Generator().manual_seed(fixed_seed + (next(iteration) if reshuffle_each_iteration else 0))
        if self._slices is not None and (buffer_size == AUTOTUNE or buffer_size >= self._slices[1]):
            arrays, size, order = self._slices

            def permuted():
                base = np.fromiter(order(), dtype=np.int64, count=size)
                return iter(base[torch.randperm(size, generator=generator()).numpy()].tolist())
            dataset = Dataset._of_slices(arrays, size, permuted)
            dataset.class_names, dataset.file_paths = self.class_names, self.file_paths
            return dataset
        source = self
        capacity = max(buffer_size, 1)

        def make_iterator():
            rng = _random.Random(int(torch.randint(0, 2 ** 62, (), generator=generator()).item()))
            buffer = []
            for element in source:
                if len(buffer) < capacity:
                    buffer.append(element)
                    continue
                index = rng.randrange(capacity)
                yield buffer[index]
                buffer[index] = element
            rng.shuffle(buffer)
            yield from buffer
        return self._derived(make_iterator, self._cardinality, "ShuffleDataset")

    def cache(self, filename="", name=None):
        """Elements kept in memory after the first complete iteration, then replayed from there.

        ``filename`` is accepted for tf.data's signature; the cache is always in memory.
        """
        source = self
        stored = []
        complete = []

        def make_iterator():
            if complete:
                yield from stored
                return
            elements = []
            for element in source:
                elements.append(element)
                yield element
            if not complete:
                stored.extend(elements)
                complete.append(True)
        return self._derived(make_iterator, self._cardinality, "CacheDataset")

    def prefetch(self, buffer_size, name=None):
        """Elements produced ahead, in a background thread, up to ``buffer_size`` (``AUTOTUNE``: 2) ahead."""
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, int) or buffer_size < AUTOTUNE:
            raise ValueError(f"Dataset.prefetch: `buffer_size` must be a non-negative integer or AUTOTUNE. "
                             f"Received: buffer_size={buffer_size!r}")
        if buffer_size == 0:
            return self
        depth = 2 if buffer_size == AUTOTUNE else buffer_size
        source = self
        return self._derived(lambda: _prefetched(source, depth), self._cardinality, "PrefetchDataset")

    def take(self, count, name=None):
        """The first ``count`` elements (all of them when ``count`` is -1)."""
        if count < 0:
            return self
        source = self
        cardinality = count if self._cardinality == INFINITE_CARDINALITY else (
            min(count, self._cardinality) if self._cardinality >= 0 else UNKNOWN_CARDINALITY)
        return self._derived(lambda: itertools.islice(iter(source), count), cardinality, "TakeDataset")

    def skip(self, count, name=None):
        """All elements but the first ``count`` (all skipped when ``count`` is -1)."""
        source = self
        if count < 0:
            return self._derived(lambda: iter(()), 0, "SkipDataset")
        cardinality = max(self._cardinality - count, 0) if self._cardinality >= 0 else self._cardinality
        return self._derived(lambda: itertools.islice(iter(source), count, None), cardinality, "SkipDataset")

    def repeat(self, count=None, name=None):
        """The elements ``count`` times over (forever when ``count`` is None or -1)."""
        source = self
        forever = count is None or count < 0

        def make_iterator():
            passes = itertools.count() if forever else range(count)
            for _ in passes:
                yield from source
        if forever:
            cardinality = 0 if self._cardinality == 0 else INFINITE_CARDINALITY
        else:
            cardinality = self._cardinality * count if self._cardinality >= 0 else self._cardinality
        return self._derived(make_iterator, cardinality, "RepeatDataset")

    def concatenate(self, dataset, name=None):
        """This dataset's elements, then ``dataset``'s."""
        first = self
        return self._derived(lambda: itertools.chain(iter(first), iter(dataset)),
                             _cardinality_plus(self._cardinality, dataset._cardinality), "ConcatenateDataset")

    def enumerate(self, start=0, name=None):
        """Elements ``(index, element)``, the index counting from ``start``."""
        source = self
        return self._derived(
            lambda: ((torch.tensor(i, dtype=torch.int64), e) for i, e in enumerate(source, start)),
            self._cardinality, "EnumerateDataset")

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        return self.unbatch().batch(batch_size, drop_remainder)

    def options(self):
        return _Options()

    def with_options(self, options, name=None):
        return self


class _Options:
    """tf.data.Options: accepted and ignored (threading and sharding are torch's business here)."""

    def __init__(self):
        self.experimental_distribute = types.SimpleNamespace(auto_shard_policy=None)
        self.threading = types.SimpleNamespace(private_threadpool_size=None, max_intra_op_parallelism=None)


Options = _Options

_END = object()


def _prefetched(source, depth):
    """Iterate ``source`` in a daemon thread, ``depth`` elements ahead; stops when the consumer goes away."""
    items = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce():
        try:
            for element in source:
                while not stop.is_set():
                    try:
                        items.put((element, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put((_END, None))
        except BaseException as error:  # re-raised in the consumer
            items.put((_END, error))

    thread = threading.Thread(target=produce, daemon=True, name="kerastorch-prefetch")
    thread.start()
    try:
        while True:
            element, error = items.get()
            if element is _END:
                if error is not None:
                    raise error
                return
            yield element
    finally:
        stop.set()
