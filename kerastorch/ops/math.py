"""``keras.ops.math`` on torch: segment reductions, top-k, log-sum-exp, FFTs and STFTs, and a few special functions.

Complex results are ``(real, imag)`` pairs of float tensors, and complex inputs are such pairs, as in Keras.
"""
import math

import torch

from kerastorch import dtypes
from kerastorch._porting import missing_attribute
from kerastorch.keras_tensor import KerasTensor
from kerastorch.ops._dispatch import arguments, elementwise, keras_op, shape_of, to_tensor, to_tensors

_op = keras_op("math")
_elementwise = keras_op("math", spec=elementwise)


def _float(x):
    x = to_tensor(x)
    return x if x.is_floating_point() or x.is_complex() else x.to(dtypes.torch_dtype(None))


# ---- special functions -----------------------------------------------------------------------------------------

@_elementwise
def erf(x):
    """The error function, element-wise."""
    return torch.erf(_float(x))


@_elementwise
def erfc(x):
    """The complementary error function ``1 - erf(x)``, element-wise."""
    return torch.erfc(_float(x))


@_elementwise
def erfinv(x):
    """The inverse error function, element-wise."""
    return torch.erfinv(_float(x))


@_elementwise
def rsqrt(x):
    """``1 / sqrt(x)``, element-wise."""
    return torch.rsqrt(_float(x))


@_op
def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, computed stably."""
    x = _float(x)
    axis = tuple(range(x.ndim)) if axis is None else axis
    return torch.logsumexp(x, dim=axis, keepdim=keepdims)


@_op
def logdet(x):
    """The log of the determinant of the square matrices ``x`` (NaN for a negative determinant)."""
    return torch.logdet(_float(x))


@keras_op("math", class_name="CDist")
def cdist(x, y):
    """The Euclidean distances between the rows of ``x`` (``(..., n, d)``) and of ``y`` (``(..., m, d)``):
    ``(..., n, m)``."""
    x, y = to_tensors(x, y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(f"`cdist` inputs must have rank >= 2. Received shapes {tuple(x.shape)} and "
                         f"{tuple(y.shape)}")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(f"Last dimension of inputs to `cdist` must match. Received shapes {tuple(x.shape)} and "
                         f"{tuple(y.shape)}")
    difference = x.unsqueeze(-2) - y.unsqueeze(-3)
    return torch.sqrt(torch.sum(difference * difference, dim=-1))


# ---- segments and top-k ------------------------------------------------------------------------------------------

_SEGMENT_START = {"sum": 0.0, "prod": 1.0, "amax": -math.inf, "amin": math.inf}


def _segment(data, segment_ids, num_segments, reduction):
    data, segment_ids = to_tensors(data, segment_ids)
    if num_segments is None:
        num_segments = int(segment_ids.max()) + 1 if segment_ids.numel() else 0
    # Out-of-range ids (negative or >= num_segments) go to one extra row, dropped at the end.
    ids = torch.where((segment_ids >= 0) & (segment_ids < num_segments), segment_ids.long(), num_segments)
    ids = ids.reshape((-1,) + (1,) * (data.ndim - 1)).expand(data.shape)
    compute = data.dtype if data.is_floating_point() else torch.float32
    result = torch.full((num_segments + 1,) + tuple(data.shape[1:]), _SEGMENT_START[reduction], dtype=compute,
                        device=data.device)
    result = result.scatter_reduce(0, ids, data.to(compute), reduction)
    return result[:-1].to(data.dtype)


def _segment_spec(function, args, kwargs):
    a = arguments(function, args, kwargs)
    data = a["data"]
    return KerasTensor((a["num_segments"],) + tuple(shape_of(data)[1:]), data.dtype)


@keras_op("math", spec=_segment_spec)
def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """The sum of the rows of ``data`` in each segment (``segment_ids``: the segment of each row).

    Args:
        data: input tensor.
        segment_ids: 1-D int tensor of ``data.shape[0]`` segment ids; ids outside ``[0, num_segments)`` are dropped.
        num_segments: the number of segments (default: ``max(segment_ids) + 1``).
        sorted: whether ``segment_ids`` are sorted (ignored: any order works).
    """
    return _segment(data, segment_ids, num_segments, "sum")


@keras_op("math", spec=_segment_spec)
def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """The maximum of the rows of ``data`` in each segment (see ``segment_sum``)."""
    return _segment(data, segment_ids, num_segments, "amax")


@keras_op("math", spec=_segment_spec)
def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """The minimum of the rows of ``data`` in each segment (see ``segment_sum``)."""
    return _segment(data, segment_ids, num_segments, "amin")


@keras_op("math", spec=_segment_spec)
def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """The product of the rows of ``data`` in each segment (see ``segment_sum``)."""
    return _segment(data, segment_ids, num_segments, "prod")


@keras_op("math", call=("x",))
def top_k(x, k, sorted=True):
    """The ``k`` largest values of the last axis of ``x`` and their indices (int64, as Keras on torch)."""
    x = to_tensor(x)
    return tuple(torch.topk(x, k, dim=-1, sorted=sorted))


@keras_op("math", call=("targets", "predictions"))
def in_top_k(targets, predictions, k):
    """Whether each target class is among the ``k`` highest ``predictions`` of its row (ties count as in)."""
    targets, predictions = to_tensors(targets, predictions)
    kth = torch.topk(predictions, k, dim=-1).values[..., -1:]
    target_values = torch.take_along_dim(predictions, targets.long()[:, None], dim=-1)
    return (target_values >= kth)[:, 0]


@keras_op("math", call=("x",))
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of ``sequence_length`` samples every ``sequence_stride`` samples along the last axis:
    ``(..., num_sequences, sequence_length)``."""
    return to_tensor(x).unfold(-1, sequence_length, sequence_stride)


# ---- Fourier transforms --------------------------------------------------------------------------------------------

def _complex(x, name):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"{name}: input `x` should be a tuple of two tensors - real and imaginary. Received: x={x}")
    real, imag = to_tensors(*x)
    if real.shape != imag.shape:
        raise ValueError(f"{name}: both the real and imaginary parts should have the same shape. Received: "
                         f"x[0].shape = {tuple(real.shape)}, x[1].shape = {tuple(imag.shape)}")
    if not real.is_floating_point() or not imag.is_floating_point():
        raise ValueError(f"{name}: at least one tensor in input `x` is not of type float. Received dtypes "
                         f"{real.dtype} and {imag.dtype}.")
    return torch.complex(real, imag)


def _parts(z):
    return z.real.contiguous(), z.imag.contiguous()


@keras_op("math", class_name="FFT")
def fft(x):
    """The discrete Fourier transform along the last axis of the complex ``x = (real, imag)``."""
    return _parts(torch.fft.fft(_complex(x, "fft")))


@keras_op("math", class_name="FFT2")
def fft2(x):
    """The 2-D discrete Fourier transform over the last two axes of ``x = (real, imag)``."""
    return _parts(torch.fft.fft2(_complex(x, "fft2")))


@keras_op("math", class_name="IFFT2")
def ifft2(x):
    """The inverse 2-D discrete Fourier transform over the last two axes of ``x = (real, imag)``."""
    return _parts(torch.fft.ifft2(_complex(x, "ifft2")))


@keras_op("math", class_name="RFFT")
def rfft(x, fft_length=None):
    """The Fourier transform of the real ``x`` along its last axis: ``(real, imag)`` of ``fft_length // 2 + 1``
    bins."""
    return _parts(torch.fft.rfft(_float(x), n=fft_length, dim=-1))


@keras_op("math", class_name="IRFFT")
def irfft(x, fft_length=None):
    """The inverse of ``rfft``: a real signal of ``fft_length`` samples from ``x = (real, imag)``."""
    return torch.fft.irfft(_complex(x, "irfft"), n=fft_length, dim=-1)


def _window(window, sequence_length, dtype, device):
    if window is None:
        return torch.ones(sequence_length, dtype=dtype, device=device)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f'If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. '
                             f"Received: window={window}")
        make = torch.hann_window if window == "hann" else torch.hamming_window
        return make(sequence_length, periodic=True, dtype=dtype, device=device)
    window = to_tensor(window, device=device).to(dtype)
    if window.ndim != 1 or window.shape[-1] != sequence_length:
        raise ValueError(f"The shape of `window` must be equal to [sequence_length]. Received: window shape="
                         f"{tuple(window.shape)}")
    return window


@keras_op("math", class_name="STFT", call=("x",))
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """The short-time Fourier transform along the last axis: ``(real, imag)`` of shape
    ``(..., num_sequences, fft_length // 2 + 1)``.

    Args:
        x: float32 or float64 signals.
        sequence_length: the window length; sequence_stride: the hop between windows.
        fft_length: the FFT size (>= sequence_length).
        window: ``"hann"``, ``"hamming"``, a 1-D tensor of ``sequence_length``, or None.
        center: pad the signal by ``fft_length // 2`` on both sides (reflecting) first.
    """
    x = to_tensor(x)
    if dtypes.standardize_dtype(x.dtype) not in ("float32", "float64"):
        raise TypeError(f"Invalid input type. Expected `float32` or `float64`. Received: input type={x.dtype}")
    if fft_length < sequence_length:
        raise ValueError(f"`fft_length` must equal or larger than `sequence_length`. Received: "
                         f"sequence_length={sequence_length}, fft_length={fft_length}")
    win = _window(window, sequence_length, x.dtype, x.device)
    batch, samples = x.shape[:-1], x.shape[-1]
    z = torch.stft(x.reshape(-1, samples), n_fft=fft_length, hop_length=sequence_stride,
                   win_length=sequence_length, window=win, center=center, return_complex=True)
    z = z.reshape(batch + z.shape[-2:]).transpose(-2, -1)
    return _parts(z)


@keras_op("math", class_name="ISTFT", call=("x",))
def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """The inverse of ``stft``: signals from ``x = (real, imag)`` of shape ``(..., num_sequences, bins)``.

    Args: as ``stft``, and ``length``: the number of samples to return (default: all that the frames cover).
    """
    z = _complex(x, "istft")
    dtype = z.real.dtype
    win = None if window is None else _window(window, sequence_length, dtype, z.device)
    batch = z.shape[:-2]
    if sequence_length == fft_length and center and win is not None:
        frames = z.reshape((-1,) + z.shape[-2:]).transpose(-2, -1)
        out = torch.istft(frames, n_fft=fft_length, hop_length=sequence_stride, win_length=sequence_length,
                          window=win, center=True, length=length, return_complex=False)
        return out.reshape(batch + out.shape[-1:])
    frames = torch.fft.irfft(z, n=fft_length, dim=-1)   # (..., num_sequences, fft_length)
    num_sequences = frames.shape[-2]
    if win is not None:
        left = (fft_length - sequence_length) // 2
        win = torch.nn.functional.pad(win, (left, fft_length - sequence_length - left))
        # Divide by the overlapped squared window, folded to one hop: the window-sum of a steady signal.
        overlaps = -(-fft_length // sequence_stride)
        squared = torch.nn.functional.pad(win * win, (0, overlaps * sequence_stride - fft_length))
        denominator = squared.reshape(overlaps, sequence_stride).sum(0).repeat(overlaps)[:fft_length]
        frames = frames * (win / denominator)
    output_length = sequence_stride * (num_sequences - 1) + fft_length
    flat = frames.reshape(-1, num_sequences, fft_length).transpose(1, 2)
    signal = torch.nn.functional.fold(flat, output_size=(1, output_length), kernel_size=(1, fft_length),
                                      stride=(1, sequence_stride)).reshape(batch + (output_length,))
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = output_length - fft_length // 2
    else:
        end = output_length
    return signal[..., start:end]


@_op
def view_as_complex(x):
    """A complex tensor from ``x`` of shape ``(..., 2)`` (real and imaginary parts)."""
    x = to_tensor(x)
    if x.shape[-1] != 2:
        raise ValueError(f"Last dimension of input must be size 2 (real and imaginary). Received shape: "
                         f"{tuple(x.shape)}")
    return torch.view_as_complex(x.contiguous())


@_op
def view_as_real(x):
    """A real tensor of shape ``(..., 2)`` from the complex ``x``."""
    x = to_tensor(x)
    if not x.is_complex():
        raise ValueError(f"Input must be a complex tensor. Received dtype {x.dtype}")
    return torch.view_as_real(x)


__all__ = sorted(name for name, value in list(globals().items()) if hasattr(value, "operation_class"))

__getattr__ = missing_attribute(__name__)
