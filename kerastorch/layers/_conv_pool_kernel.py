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

The kernel is C, compiled once per machine with the system's C compiler (as torch.compile compiles its C++) into
``~/.cache/kerastorch/kernels`` and loaded with ctypes; without a compiler, or with
``KERASTORCH_NATIVE_KERNELS=0``, the unfused torch path runs instead.
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

import torch

_SOURCE = r"""
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Channels go 16 at a time as GCC/Clang vectors (one AVX-512 register, two AVX2 ones): CO must be a multiple of
   16. Comparisons give lane masks (-1 or 0) that select with bitwise operations. */
typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));
typedef uint8_t vb __attribute__((vector_size(16)));
#define B 16

static inline vf load(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline void store(float *p, vf v) { memcpy(p, &v, sizeof v); }
static inline vf select(vi mask, vf yes, vf no) { return (vf)((mask & (vi)yes) | (~mask & (vi)no)); }

/* x: [N][H][W][CI], w: [KH][KW][CI][CO] (Keras's layout), b: [CO] or NULL.
   Convolution 'valid' with stride 1, then 2x2 max pooling with stride 2 ('valid').
   out: [N][HO][WO][CO] pooled values; won: [N][HO][WO][CO], the winning window position (2 * row + column). */
void conv_pool_forward(const float *x, const float *w, const float *b, float *out, uint8_t *won,
                       int N, int H, int W, int CI, int KH, int KW, int CO, int threads)
{
    const int HO = (H - KH + 1) / 2, WO = (W - KW + 1) / 2;
    #pragma omp parallel for num_threads(threads) schedule(static)
    for (int n = 0; n < N; n++) {
        for (int i = 0; i < HO; i++) {
            for (int j = 0; j < WO; j++) {
                const size_t at = (((size_t)n * HO + i) * WO + j) * CO;
                for (int cb = 0; cb < CO; cb += B) {
                    /* the window's four convolution outputs, accumulated side by side (independent chains) */
                    const vf start = b ? load(b + cb) : (vf){0};
                    vf acc[4] = {start, start, start, start};
                    for (int kh = 0; kh < KH; kh++) {
                        for (int kw = 0; kw < KW; kw++) {
                            const float *x0 = x + (((size_t)n * H + 2 * i + kh) * W + 2 * j + kw) * CI;
                            const float *x1 = x0 + CI, *x2 = x0 + (size_t)W * CI, *x3 = x2 + CI;
                            const float *wp = w + (size_t)(kh * KW + kw) * CI * CO + cb;
                            for (int ci = 0; ci < CI; ci++) {
                                const vf wv = load(wp + (size_t)ci * CO);
                                acc[0] += x0[ci] * wv;
                                acc[1] += x1[ci] * wv;
                                acc[2] += x2[ci] * wv;
                                acc[3] += x3[ci] * wv;
                            }
                        }
                    }
                    /* torch's rule, in window order: the first position, then any larger value or a NaN, wins */
                    vf best = acc[0];
                    vi arg = (vi){0};
                    for (int p = 1; p < 4; p++) {
                        const vi take = (vi)(acc[p] > best) | (vi)(acc[p] != acc[p]);
                        best = select(take, acc[p], best);
                        arg = (take & p) | (~take & arg);
                    }
                    store(out + at + cb, best);
                    const vb arg8 = __builtin_convertvector(arg, vb);
                    memcpy(won + at + cb, &arg8, sizeof arg8);
                }
            }
        }
    }
}

/* The weight and bias gradients from the pooled gradient g: [N][HO][WO][CO] and won. dw: [KH][KW][CI][CO],
   db: [CO], both written (not accumulated). Each thread sums its samples; the threads' sums are added in thread
   order, so the result does not depend on scheduling. */
int conv_pool_backward(const float *x, const float *g, const uint8_t *won, float *dw, float *db,
                       int N, int H, int W, int CI, int KH, int KW, int CO, int threads)
{
    const int HO = (H - KH + 1) / 2, WO = (W - KW + 1) / 2;
    const size_t nw = (size_t)KH * KW * CI * CO;
    if (threads < 1) threads = 1;
    float *partial = calloc((size_t)threads * (nw + CO), sizeof(float));
    if (partial == NULL) return 1;
    #pragma omp parallel num_threads(threads)
    {
        int t = 0;
        #ifdef _OPENMP
        t = omp_get_thread_num();
        #endif
        float *dwl = partial + (size_t)t * (nw + CO), *dbl = dwl + nw;
        #pragma omp for schedule(static)
        for (int n = 0; n < N; n++) {
            for (int i = 0; i < HO; i++) {
                for (int j = 0; j < WO; j++) {
                    const size_t at = (((size_t)n * HO + i) * WO + j) * CO;
                    for (int cb = 0; cb < CO; cb += B) {
                        const vf gr = load(g + at + cb);
                        vb won8;
                        memcpy(&won8, won + at + cb, sizeof won8);
                        const vi winner = __builtin_convertvector(won8, vi);
                        store(dbl + cb, load(dbl + cb) + gr);
                        vf gm[4];
                        for (int p = 0; p < 4; p++) gm[p] = (vf)((vi)(winner == p) & (vi)gr);
                        for (int kh = 0; kh < KH; kh++) {
                            for (int kw = 0; kw < KW; kw++) {
                                const float *x0 = x + (((size_t)n * H + 2 * i + kh) * W + 2 * j + kw) * CI;
                                const float *x1 = x0 + CI, *x2 = x0 + (size_t)W * CI, *x3 = x2 + CI;
                                float *dp = dwl + (size_t)(kh * KW + kw) * CI * CO + cb;
                                for (int ci = 0; ci < CI; ci++) {
                                    const vf sum = x0[ci] * gm[0] + x1[ci] * gm[1] + x2[ci] * gm[2] + x3[ci] * gm[3];
                                    store(dp + (size_t)ci * CO, load(dp + (size_t)ci * CO) + sum);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    memset(dw, 0, sizeof(float) * nw);
    memset(db, 0, sizeof(float) * CO);
    for (int t = 0; t < threads; t++) {
        const float *dwl = partial + (size_t)t * (nw + CO), *dbl = dwl + nw;
        for (size_t k = 0; k < nw; k++) dw[k] += dwl[k];
        for (int c = 0; c < CO; c++) db[c] += dbl[c];
    }
    free(partial);
    return 0;
}
"""
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


def _compile():
    """The library, compiled on first use (cached by source, flags, compiler and CPU), or None."""
    if os.environ.get("KERASTORCH_NATIVE_KERNELS", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    if not sys.platform.startswith("linux"):
        return None
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    try:
        version = subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    key = hashlib.sha256("\n".join([_SOURCE, " ".join(_FLAGS), version, _cpu_signature()]).encode()).hexdigest()
    folder = _cache_dir()
    path = os.path.join(folder, f"conv_pool_{key[:24]}.so")
    if not os.path.exists(path):
        try:
            os.makedirs(folder, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=folder) as build:
                source = os.path.join(build, "conv_pool.c")
                with open(source, "w") as f:
                    f.write(_SOURCE)
                built = os.path.join(build, "conv_pool.so")
                subprocess.run([compiler, *_FLAGS, source, "-o", built], check=True, capture_output=True,
                               timeout=120)
                os.replace(built, path)   # whole or not at all: another process may be loading it
        except (OSError, subprocess.SubprocessError):
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
