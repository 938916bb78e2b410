"""Data-parallel fit / evaluate / predict across the processes of a ``torchrun`` job.

A Keras script started by ``torchrun --nproc_per_node=N train.py`` runs data-parallel with no change: fit, evaluate
and predict see a process group (torchrun's environment, ``WORLD_SIZE > 1``, or one the user created), create it
at their first call when needed (NCCL on CUDA, gloo on the CPU), and then:

- rank 0's weights are broadcast when a loop starts, so every rank starts equal whatever its seed;
- each rank takes its share of every global batch (``batch_size`` is the global batch, as with tf.distribute);
  after the backward pass, every rank's gradients, each weighted by its share's sample count, are summed in one
  all-reduce and divided by the global count: the step equals the one-process step on the whole batch, also for
  a last partial batch or an empty share. This is an all-reduce of our own rather than a
  ``DistributedDataParallel`` wrapper: the step keeps running the user's model (execution plan, jit-compiled
  forward, hooks), shares of unequal size are weighted right, and an empty share needs no forward pass;
- metric states are all-reduced before the logs are read, so every rank logs the same values and callbacks
  (EarlyStopping, ModelCheckpoint(save_best_only), ReduceLROnPlateau) decide the same;
- rank 0 alone prints and writes files (``writing_on_chief``); the others wait at a barrier.

``KERASTORCH_DISTRIBUTED=0`` turns all of this off (each process then trains alone). A process group that
kerastorch created is destroyed when the process exits; a user's own is left alone.
"""
import atexit
import contextlib
import functools
import os

import torch
import torch.distributed as dist

from kerastorch import backend

SWITCH = backend.DISTRIBUTED_VARIABLE
disabled = backend.distributed_switched_off

_state = {"created_group": False, "writing_depth": 0, "distribution": None}


def current_distribution():
    """The ``keras.distribution`` set by ``set_distribution`` (None when none is)."""
    return _state["distribution"]


def set_current_distribution(value):
    """Record ``keras.distribution.set_distribution``'s value (its ``auto_shard_dataset`` decides whether the
    loops split the data)."""
    _state["distribution"] = value


def launched_world_size():
    """The number of processes torchrun (or another launcher) started, from ``$WORLD_SIZE`` (1 without one)."""
    value = os.environ.get("WORLD_SIZE", "").strip()
    try:
        return int(value) if value else 1
    except ValueError:
        raise ValueError(f"$WORLD_SIZE must be an integer (the number of processes). Received: WORLD_SIZE={value!r}")


def group_active():
    """True when a process group of more than one process exists and data parallelism is not switched off."""
    return not disabled() and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def requested():
    """True when loops should run data-parallel: a process group of several processes, or torchrun's environment
    (``WORLD_SIZE > 1``), and ``$KERASTORCH_DISTRIBUTED`` is not ``0``."""
    if disabled() or not dist.is_available():
        return False
    if dist.is_initialized():
        return dist.get_world_size() > 1
    return launched_world_size() > 1


def rank():
    """This process's rank in the active group (0 on one process)."""
    return dist.get_rank() if group_active() else 0


def world_size():
    """The number of processes in the active group (1 on one process)."""
    return dist.get_world_size() if group_active() else 1


def is_chief():
    """True on the process that prints and writes files: rank 0, or the only process."""
    return rank() == 0


def init_process_group_once(device):
    """Create the default process group from the launcher's environment, unless one exists: NCCL when ``device``
    is CUDA, gloo otherwise. A group created here is destroyed when the process exits."""
    if dist.is_initialized():
        return
    missing = [name for name in ("MASTER_ADDR", "MASTER_PORT", "RANK") if name not in os.environ]
    if missing:
        raise RuntimeError(f"WORLD_SIZE={os.environ.get('WORLD_SIZE')} asks for a data-parallel run, but "
                           f"{', '.join('$' + name for name in missing)} is not set. Start the script with "
                           f"`torchrun --nproc_per_node=N script.py`, or set {SWITCH}=0 to train each process "
                           f"alone.")
    backend = "nccl" if torch.device(device).type == "cuda" else "gloo"
    dist.init_process_group(backend=backend)
    _state["created_group"] = True
    atexit.register(destroy_own_process_group)


def destroy_own_process_group():
    """Destroy the default process group if kerastorch created it (a user's own group is left alone)."""
    if _state["created_group"] and dist.is_initialized():
        dist.destroy_process_group()
    _state["created_group"] = False


def replicas_for(device):
    """The ``Replicas`` a loop on ``device`` runs with, creating the process group if needed; None when the loop
    runs on one process."""
    if not requested():
        return None
    init_process_group_once(device)
    if dist.get_world_size() < 2:
        return None
    return Replicas(device)


@contextlib.contextmanager
def writing_on_chief():
    """``with writing_on_chief() as writes:`` -- ``writes`` is True on the process that writes files (rank 0, or
    the only one). In a process group, every process waits at a barrier at the end, so none reads a file that is
    being written. Nested uses (``save_model`` saving weights) write and wait once."""
    if not group_active() or _state["writing_depth"]:
        yield is_chief()
        return
    _state["writing_depth"] += 1
    try:
        yield dist.get_rank() == 0
    finally:
        _state["writing_depth"] -= 1
        dist.barrier()


def share_bounds(size, rank_, world):
    """``(start, stop)`` of rank ``rank_``'s share of a batch of ``size`` samples split into ``world`` contiguous
    parts whose sizes differ by one at most (the first ``size % world`` ranks take one more)."""
    base, extra = divmod(size, world)
    start = rank_ * base + min(rank_, extra)
    return start, start + base + (1 if rank_ < extra else 0)


class Replicas:
    """The processes of the default group, as one loop sees them.

    Args:
        device: the model's device: where the collectives' tensors live (NCCL needs CUDA tensors).
    """

    def __init__(self, device):
        self.device = torch.device(device)
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()
        # DataParallel(auto_shard_dataset=False): each process's data is its own part already.
        self.shard_data = getattr(current_distribution(), "auto_shard_dataset", True)
        # gloo reduces CPU tensors; NCCL only CUDA ones.
        self._comm_device = self.device if dist.get_backend() == "nccl" else torch.device("cpu")

    def __repr__(self):
        return f"Replicas(rank={self.rank}, world_size={self.world_size}, device={self.device})"

    def share(self, size):
        """``(start, stop)`` of this rank's share of a global batch of ``size`` samples."""
        return share_bounds(size, self.rank, self.world_size)

    # ---- collectives on lists of tensors, one per dtype -------------------------------------------------------

    def _flat(self, tensors):
        return torch.cat([t.detach().reshape(-1).to(self._comm_device) for t in tensors])

    @staticmethod
    def _copy_back(flat, tensors):
        offset = 0
        for t in tensors:
            n = t.numel()
            t.copy_(flat[offset:offset + n].view_as(t))
            offset += n

    @staticmethod
    def _by_dtype(tensors):
        groups = {}
        for t in tensors:
            groups.setdefault(t.dtype, []).append(t)
        return groups.values()

    @torch.no_grad()
    def broadcast_(self, tensors, src=0):
        """Overwrite ``tensors`` (in place) with rank ``src``'s values."""
        for group in self._by_dtype([t for t in tensors if t.numel()]):
            flat = self._flat(group)
            dist.broadcast(flat, src)
            self._copy_back(flat, group)

    def broadcast_tensor(self, tensor, src=0):
        """Rank ``src``'s ``tensor`` (same shape and dtype on every rank), on ``tensor``'s device."""
        moved = tensor.to(self._comm_device).clone()
        dist.broadcast(moved, src)
        return moved.to(tensor.device)

    def broadcast_numbers(self, logs):
        """``logs`` with every number replaced by rank 0's (the same keys on every rank); other values kept."""
        keys = [key for key, value in logs.items() if isinstance(value, (int, float))]
        if not keys:
            return logs
        values = self.broadcast_tensor(torch.tensor([float(logs[key]) for key in keys], dtype=torch.float64))
        return dict(logs, **dict(zip(keys, values.tolist())))

    @torch.no_grad()
    def broadcast_weights_(self, model):
        """Give every rank rank 0's weights (trainable and not): ranks start equal whatever their seeds."""
        state = [t for t in model.state_dict(keep_vars=True).values() if isinstance(t, torch.Tensor)]
        unique = list({id(t): t for t in state}.values())
        self.broadcast_([t.data for t in unique])

    @torch.no_grad()
    def all_reduce_gradients_(self, params, local_count):
        """Replace each parameter's ``.grad`` by the global batch's gradient (see ``average_gradients``)."""
        for p, grad in zip(params, self.average_gradients([p.grad for p in params], params, local_count)):
            p.grad = grad

    @torch.no_grad()
    def average_gradients(self, grads, variables, local_count):
        """The global batch's gradients from this rank's ``grads`` (one per variable, None for a missing one).

        Each rank's gradient is the gradient of its share's mean loss; weighting it by the share's sample count,
        summing over ranks and dividing by the global count gives the gradient of the global mean, also when the
        shares differ in size or one is empty (``local_count == 0``, no gradient). The count, and whether each
        variable got a gradient, travel in the same all-reduce as the gradients: one collective per dtype, no
        host sync. A variable that got no gradient on any rank keeps None (the optimizer skips it, as on one
        process). Gradients given are averaged in place.
        """
        had = [grad is not None for grad in grads]
        grads = [grad if grad is not None else torch.zeros_like(v) for grad, v in zip(grads, variables)]
        groups = {}
        for index, grad in enumerate(grads):
            groups.setdefault(grad.dtype, []).append(index)
        ranks_with_grad = [None] * len(grads)
        for indices in groups.values():
            group = [grads[i] for i in indices]
            # Half-precision gradients times a sample count could overflow: they are summed in float32.
            dtype = torch.float32 if group[0].dtype in (torch.float16, torch.bfloat16) else group[0].dtype
            tail = self._count_and_marks(dtype, local_count, tuple(had[i] for i in indices))
            size = sum(g.numel() for g in group)
            # One buffer, written once: the gradients (cast as they are copied), then the count and the marks.
            flat = torch.empty(size + tail.shape[0], dtype=dtype, device=self._comm_device)
            torch.cat([g.reshape(-1).to(self._comm_device) for g in group], out=flat[:size])
            flat[:size].mul_(float(local_count))
            flat[size:].copy_(tail)
            dist.all_reduce(flat)
            self._copy_back(flat[:size].div_(flat[size:size + 1].clamp_min(1)), group)
            for position, i in enumerate(indices):
                ranks_with_grad[i] = flat[size + 1 + position]
        if not all(had):
            # Rare (a weight outside this step's graph): reading the marks costs a host sync.
            grads = [grad if had[i] or float(ranks_with_grad[i]) > 0 else None for i, grad in enumerate(grads)]
        return grads

    @functools.lru_cache(maxsize=64)
    def _count_and_marks(self, dtype, local_count, marks):
        """``[local_count, mark, mark, ...]`` on the collectives' device, made once per pattern (no copy from the
        host at each step)."""
        return torch.tensor([float(local_count)] + [float(mark) for mark in marks], dtype=dtype,
                            device=self._comm_device)

    @torch.no_grad()
    def all_reduce_metrics_(self, metrics):
        """Combine every metric's state across ranks, in place, as its variables' ``aggregation`` says
        (``"sum"``: the total; ``"mean"``: the average; anything else: rank 0's), so each rank's ``result()``
        is the global one. Call once per loop, right before the logs are read."""
        summed, averaged, first = [], [], []
        for metric in metrics:
            for variable in getattr(metric, "variables", []):
                aggregation = getattr(variable, "aggregation", "sum")
                (summed if aggregation == "sum" else averaged if aggregation == "mean" else first).append(variable)
        for group in self._by_dtype([v.data for v in summed]):
            flat = self._flat(group)
            dist.all_reduce(flat)
            self._copy_back(flat, group)
        for group in self._by_dtype([v.data for v in averaged if v.is_floating_point()]):
            flat = self._flat(group)
            dist.all_reduce(flat)
            self._copy_back(flat.div_(self.world_size), group)
        self.broadcast_([v.data for v in first])

    @torch.no_grad()
    def broadcast_non_trainable_(self, model):
        """Give every rank rank 0's non-trainable weights (BatchNormalization's moving statistics, which each
        rank updates from its own shares), so every rank holds the same model at an epoch's end, as
        DistributedDataParallel's buffer broadcast does (exactly: an average would move frozen weights by
        rounding)."""
        weights = list({id(w): w for w in model.non_trainable_weights}.values())
        self.broadcast_([w.data for w in weights])

    def any_true(self, flag):
        """Whether ``flag`` is True on any rank (a host value; one small all-reduce)."""
        value = torch.tensor([1.0 if flag else 0.0], device=self._comm_device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def all_true(self, flag):
        """Whether ``flag`` is True on every rank."""
        return not self.any_true(not flag)

    def barrier(self):
        dist.barrier()

    # ---- predict: every rank's outputs in the global order -------------------------------------------------------

    def gather_outputs(self, local_batches):
        """predict's outputs of all ranks, in the global order, on the CPU.

        ``local_batches`` holds this rank's outputs of each step (a tensor, or a list/tuple/dict of tensors; the
        same structure and step count on every rank). Step ``s`` of the global order is rank 0's rows of step
        ``s``, then rank 1's, ...: each global batch's shares are contiguous and in rank order.
        """
        first = local_batches[0]
        if isinstance(first, torch.Tensor):
            return self._gather_leaf(local_batches)
        if isinstance(first, dict):
            return {key: self._gather_leaf([b[key] for b in local_batches]) for key in first}
        return [self._gather_leaf([b[i] for b in local_batches]) for i in range(len(first))]

    def _gather_leaf(self, batches):
        counts = torch.tensor([b.shape[0] for b in batches], dtype=torch.int64, device=self._comm_device)
        all_counts = [torch.empty_like(counts) for _ in range(self.world_size)]
        dist.all_gather(all_counts, counts)
        all_counts = torch.stack(all_counts).cpu()          # [world, steps]
        totals = all_counts.sum(dim=1)
        longest = int(totals.max())
        local = torch.cat(batches).to(self._comm_device)
        padded = local.new_zeros((longest,) + tuple(local.shape[1:]))
        padded[:local.shape[0]] = local
        gathered = [torch.empty_like(padded) for _ in range(self.world_size)]
        dist.all_gather(gathered, padded)
        # Rank r's rows of step s go after every row of earlier steps and of lower ranks in step s.
        step_starts = torch.cumsum(all_counts.sum(dim=0), 0) - all_counts.sum(dim=0)       # [steps]
        rank_offsets = torch.cumsum(all_counts, 0) - all_counts                             # [world, steps]
        pieces, positions = [], []
        for r in range(self.world_size):
            rows = int(totals[r])
            if rows == 0:
                continue
            starts = (step_starts + rank_offsets[r]).repeat_interleave(all_counts[r])
            within = torch.arange(rows) - (torch.cumsum(all_counts[r], 0) - all_counts[r]).repeat_interleave(
                all_counts[r])
            positions.append(starts + within)
            pieces.append(gathered[r][:rows].cpu())
        result = torch.empty((int(totals.sum()),) + tuple(local.shape[1:]), dtype=local.dtype)
        result[torch.cat(positions)] = torch.cat(pieces)
        return result
