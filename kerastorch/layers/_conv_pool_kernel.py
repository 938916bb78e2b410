"""A fused CPU kernel for a model's first convolution followed by 2x2 max pooling (the classic MNIST/CIFAR stem).

With a handful of input channels (grayscale or RGB images), such a convolution is not compute-bound: its cost is
the passes over its output, which is 32-64 channels at full resolution (11 MB for 128 28x28 images and 32
filters). Unfused, that tensor is written by the convolution, read by the pooling, zero-filled and scattered by
the pooling's backward and read again by the convolution's backward. Fused, the forward keeps each 2x2 window's
four convolution outputs in registers and writes only the pooled value and which of the four won (one byte),
and the backward adds each pooled gradient into the weight gradient from the input patch of the position that
won: the 11 MB tensor and its gradient never exist.

Semantics are torch's: the window's first maximum wins (a later NaN wins, as in torch's max pooling kernel), so
gradients are routed as ``MaxPooling2D`` routes them. Values agree with the unfused path to float32 rounding
(the sums run in another order). The backward gives the weight and bias gradients only: the fused path is used
only when the input needs no gradient (a model's input).

The kernel is C (``_conv_pool_kernel.c``, shipped as package data), compiled once per machine with the system's C
compiler (as torch.compile compiles its C++) into ``~/.cache/kerastorch/kernels`` and loaded with ctypes; without a
compiler, or with ``KERASTORCH_NATIVE_KERNELS=0``, the unfused torch path runs instead. A failed build is recorded
in that folder and warned about once, not retried by every process.

Only the trainer's execution plan (training/execution_plan.py) calls it; a plain ``model(x)`` never does.
"""
import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings

import torch

_SOURCE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_conv_pool_kernel.c")
_FLAGS = ["-O3", "-march=native", "-fopenmp", "-shared", "-fPIC", "-std=c11"]
CHANNEL_BLOCK = 16   # the kernels' B: the number of filters must be a multiple of it

_LOCK = threading.Lock()
_STATE = {}


def _cpu_signature():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return line
    except OSError:
        pass
    return platform.processor()


def _cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "kerastorch", "kernels")


def _disabled():
    return os.environ.get("KERASTORCH_NATIVE_KERNELS", "1").strip().lower() in ("0", "false", "no", "off")


def _compiler_version(compiler):
    try:
        return subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def _build(compiler, source, path):
    """Compile ``source`` into ``path`` with ``compiler``; returns None, or what went wrong."""
    folder = os.path.dirname(path)
    try:
        with tempfile.TemporaryDirectory(dir=folder) as build:
            built = os.path.join(build, "conv_pool.so")
            result = subprocess.run([compiler, *_FLAGS, source, "-o", built], capture_output=True, text=True,
                                    timeout=120)
            if result.returncode != 0 or not os.path.exists(built):
                return (f"`{compiler}` exited with status {result.returncode}: "
                        f"{(result.stderr or result.stdout).strip()[-2000:]}")
            os.replace(built, path)   # whole or not at all: another process may be loading it
    except (OSError, subprocess.SubprocessError) as error:
        return f"{type(error).__name__}: {error}"
    return None


def _remember_failure(marker, reason):
    """Write ``reason`` to ``marker`` (so that no later process tries the same build again) and warn once."""
    try:
        with open(marker, "w") as f:
            f.write(reason + "\n")
        where = f" This is remembered in {marker}; delete that file to try again."
    except OSError:
        where = ""
    warnings.warn(f"kerastorch could not build its fused convolution + pooling CPU kernel ({reason}); the "
                  f"plain torch path runs instead, with the same results.{where}", RuntimeWarning, stacklevel=4)


def _compile():
    """The library, compiled on first use (cached by source, flags, compiler and CPU), or None.

    A build that failed is remembered next to where its library would be (``conv_pool_<key>.failed``, the same
    key), so that it is warned about once and not retried by every new process; a new compiler, compiler
    version, CPU or kernel source gives a new key, and so a new try."""
    if _disabled() or not sys.platform.startswith("linux"):
        return None
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    version = _compiler_version(compiler) if compiler is not None else ""
    try:
        with open(_SOURCE_PATH) as f:
            source = f.read()
    except OSError:
        return None   # an installation without its package data
    key = hashlib.sha256("\n".join([source, " ".join(_FLAGS), compiler or "(no compiler)", version,
                                     _cpu_signature()]).encode()).hexdigest()[:24]
    folder = _cache_dir()
    path = os.path.join(folder, f"conv_pool_{key}.so")
    marker = os.path.join(folder, f"conv_pool_{key}.failed")
    if os.path.exists(marker):
        return None
    if not os.path.exists(path):
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError:
            return None   # no cache folder: nowhere to build, nor to remember anything
        if compiler is None:
            reason = "no C compiler found: neither $CC, `cc` nor `gcc`"
        else:
            reason = _build(compiler, _SOURCE_PATH, path)
        if reason is not None:
            _remember_failure(marker, reason)
            return None
    try:
        library = ctypes.CDLL(path)
    except OSError:
        return None
    pointer, integer = ctypes.c_void_p, ctypes.c_int
    for name in ("conv_pool_forward", "conv_pool_backward"):
        getattr(library, name).argtypes = [pointer] * 5 + [integer] * 8
    library.conv_pool_forward.restype = None
    library.conv_pool_backward.restype = integer
    return library


def library():
    """The compiled kernels, or None where they cannot be built here."""
    if "library" not in _STATE:
        with _LOCK:
            if "library" not in _STATE:
                _STATE["library"] = _compile()
    return _STATE["library"]


def _sizes(x, kernel):
    n, h, w, ci = x.shape
    kh, kw, _, co = kernel.shape
    return [n, h, w, ci, kh, kw, co, torch.get_num_threads()]


class ConvPool(torch.autograd.Function):
    """``max_pool2d(conv2d(x, kernel) + bias, 2)`` on NHWC float32 CPU tensors, fused; gradients for the kernel
    and bias only."""

    @staticmethod
    def forward(ctx, x, kernel, bias):
        n, h, w, _ = x.shape
        kh, kw, _, co = kernel.shape
        ho, wo = (h - kh + 1) // 2, (w - kw + 1) // 2
        out = torch.empty((n, ho, wo, co), dtype=torch.float32)
        won = torch.empty((n, ho, wo, co), dtype=torch.uint8)
        kernel_data = kernel.detach().contiguous()
        bias_data = bias.detach().contiguous() if bias is not None else None
        library().conv_pool_forward(x.data_ptr(), kernel_data.data_ptr(),
                                    bias_data.data_ptr() if bias_data is not None else None, out.data_ptr(),
                                    won.data_ptr(), *_sizes(x, kernel))
        ctx.save_for_backward(x, won)
        ctx.kernel_shape = tuple(kernel.shape)
        ctx.has_bias = bias is not None
        ctx.mark_non_differentiable(won)
        return out, won

    @staticmethod
    def backward(ctx, grad_out, _):
        x, won = ctx.saved_tensors
        grad_out = grad_out.contiguous()
        grad_kernel = torch.empty(ctx.kernel_shape, dtype=torch.float32)
        grad_bias = torch.empty((ctx.kernel_shape[-1],), dtype=torch.float32)
        failed = library().conv_pool_backward(x.data_ptr(), grad_out.data_ptr(), won.data_ptr(),
                                              grad_kernel.data_ptr(), grad_bias.data_ptr(), *_sizes(x, grad_kernel))
        if failed:
            raise MemoryError("The fused convolution + pooling backward could not allocate its per-thread sums.")
        return None, grad_kernel, grad_bias if ctx.has_bias else None


def conv_pool(x, kernel, bias):
    """The fused forward: pooled values (with autograd to ``kernel`` and ``bias``)."""
    return ConvPool.apply(x, kernel, bias)[0]
