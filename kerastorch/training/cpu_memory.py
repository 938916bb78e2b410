"""Keep freed tensor memory in the process between training steps on the CPU (glibc's malloc settings).

PyTorch's CPU tensors come from ``malloc``. With glibc's defaults, once a step frees its activations the top of
the heap (tens of MB for a small CNN at batch 128) goes back to the kernel, and the next step faults it back in,
page by page, each page zeroed by the kernel: a quarter of a small CNN's training step went to that, as system
time. On the GPU, PyTorch's caching allocator keeps freed blocks for the next step; this is the same idea for
glibc's heap: blocks up to 32 MiB come from the heap instead of fresh mappings, and up to 1 GiB of free memory
at the heap's top stays in the process instead of being returned after each step.

Applied once per process, by the first ``fit``/``evaluate``/``predict`` that runs on the CPU, on Linux with
glibc. Left alone when the user set glibc's own ``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_`` (or the
matching ``GLIBC_TUNABLES``), and when ``KERASTORCH_MALLOC_TUNING=0``. Other allocators (jemalloc or tcmalloc
through ``LD_PRELOAD``) already cache and are not affected.
"""
import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20   # the largest value glibc accepts
TRIM_THRESHOLD = 1 << 30

_applied = []


def _user_has_settings():
    if os.environ.get("KERASTORCH_MALLOC_TUNING", "1").strip().lower() in ("0", "false", "no", "off"):
        return True
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return True
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    return "malloc.mmap_threshold" in tunables or "malloc.trim_threshold" in tunables


def keep_freed_memory():
    """Apply the settings (once); returns whether they are in effect."""
    if not _applied:
        _applied.append(_apply())
    return _applied[0]


def _apply():
    if not sys.platform.startswith("linux") or _user_has_settings():
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version   # glibc only: musl's malloc has no such settings
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    # Both are set: setting either one turns off glibc's own adjustment of the other.
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
