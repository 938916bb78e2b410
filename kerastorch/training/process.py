"""Process-wide CPU settings that training changes, each scoped to a CPU ``fit`` and restored when it ends.

Two settings, both about the CPU's speed on a training workload:

- **glibc's malloc thresholds** (``keep_freed_memory_while_training``). PyTorch's CPU tensors come from
  ``malloc``. With glibc's defaults, once a step frees its activations the top of the heap (tens of MB for a small
  CNN at batch 128) goes back to the kernel, and the next step faults it back in, page by page, each page zeroed
  by the kernel: a quarter of a small CNN's training step went to that, as system time. PyTorch's CUDA caching
  allocator keeps freed blocks for the next step; this is the same idea for glibc's heap: blocks up to 32 MiB
  come from the heap instead of fresh mappings, and up to 1 GiB of free memory at the heap's top stays in the
  process. When the fit ends, glibc's default thresholds are set back and the kept memory is trimmed, so an
  application that trains once and then serves predictions does not hold on to it. Left alone on other
  platforms and C libraries (jemalloc or tcmalloc through ``LD_PRELOAD`` already cache), when the user set glibc's
  own ``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_`` (or the matching ``GLIBC_TUNABLES``), and when
  ``KERASTORCH_MALLOC_TUNING=0``.
- **Denormal flushing** (``flush_denormals_while_training``). TensorFlow (and so tf.keras) always flushes
  denormal floats to zero on the CPU. Optimizer state of weights whose gradients stop (Adam's first moment after a
  ReLU unit dies decays by 0.9 a step) drifts into the denormal range within an epoch or two, and arithmetic on
  denormals is many times slower on x86 CPUs: the mlp benchmark's second epoch took twice as long as its first.
  Values below 1.2e-38 becoming 0 changes no result at float32 tolerance. The previous mode is probed (torch has
  no getter) and restored.
"""
import contextlib
import ctypes
import os
import sys

import torch

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20   # the largest value glibc accepts
TRIM_THRESHOLD = 1 << 30
# glibc's defaults (malloc/malloc.c: DEFAULT_MMAP_THRESHOLD_MIN and DEFAULT_TRIM_THRESHOLD, both 128 KiB). glibc
# has no getter, and setting either by mallopt turns off its dynamic raising of the mmap threshold for the rest of
# the process; restoring the defaults is the closest to the untouched state there is.
DEFAULT_MMAP_THRESHOLD = 128 << 10
DEFAULT_TRIM_THRESHOLD = 128 << 10

_malloc = []       # the loaded mallopt/malloc_trim pair, or None where unavailable (looked up once)
_malloc_depth = [0]


def _user_has_malloc_settings():
    if os.environ.get("KERASTORCH_MALLOC_TUNING", "1").strip().lower() in ("0", "false", "no", "off"):
        return True
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return True
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    return "malloc.mmap_threshold" in tunables or "malloc.trim_threshold" in tunables


def _glibc_malloc():
    """glibc's ``(mallopt, malloc_trim)``, or None when this process does not run on glibc's malloc."""
    if not _malloc:
        functions = None
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(None)
                libc.gnu_get_libc_version   # glibc only: musl's malloc has no such settings
                mallopt, malloc_trim = libc.mallopt, libc.malloc_trim
                mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
                malloc_trim.argtypes = (ctypes.c_size_t,)
                functions = (mallopt, malloc_trim)
            except (OSError, AttributeError):
                functions = None
        _malloc.append(functions)
    return _malloc[0]


def malloc_tuning_active():
    """Whether the training malloc thresholds are in effect now (inside a CPU fit that applied them)."""
    return _malloc_depth[0] > 0


@contextlib.contextmanager
def keep_freed_memory_while_training():
    """Within the block, glibc keeps freed heap memory for the next step (see the module docstring); outside
    it, glibc's default thresholds hold. Nested blocks (a fit from a callback) keep the outer one's settings.
    Yields whether the settings are in effect."""
    functions = None if _user_has_malloc_settings() else _glibc_malloc()
    if functions is None:
        yield False
        return
    mallopt, malloc_trim = functions
    if _malloc_depth[0] == 0:
        # Both are set: setting either one turns off glibc's own adjustment of the other.
        if not (mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)):
            _restore_malloc_defaults(mallopt, malloc_trim)
            yield False
            return
    _malloc_depth[0] += 1
    try:
        yield True
    finally:
        _malloc_depth[0] -= 1
        if _malloc_depth[0] == 0:
            _restore_malloc_defaults(mallopt, malloc_trim)


def _restore_malloc_defaults(mallopt, malloc_trim):
    mallopt(_M_MMAP_THRESHOLD, DEFAULT_MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
    malloc_trim(0)   # give back now what the training thresholds kept, not at the next large free


def _flushing_denormals():
    return bool(torch.tensor(1e-39) * 2 == 0)


@contextlib.contextmanager
def flush_denormals_while_training():
    """Within the block, the CPU flushes denormal floats to zero (see the module docstring); the previous mode
    is restored after it. Where the CPU cannot flush (no SSE3), nothing changes."""
    was_flushing = _flushing_denormals()
    changed = torch.set_flush_denormal(True)
    try:
        yield changed
    finally:
        if changed:
            torch.set_flush_denormal(was_flushing)


@contextlib.contextmanager
def cpu_training_settings(device):
    """Both settings for a fit on ``device``; nothing changes for a fit on another device."""
    if device.type != "cpu":
        yield
        return
    with flush_denormals_while_training(), keep_freed_memory_while_training():
        yield
