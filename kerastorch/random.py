"""``keras.random``: seeded random tensors that stay on the device and trace under ``torch.compile``.

Every draw is a pure function of a 64-bit key and the element's position: the bits come from a counter-based
hash (SplitMix64's finalizer) computed with torch's integer kernels, so the same seed gives the same numbers on
any device, no ``torch.Generator`` (which ``torch.compile`` cannot trace) is involved and nothing is read back
to the host.

``seed`` is, as in Keras:

- an int: the draw is the same at every call with that seed;
- a ``SeedGenerator``: its state (an int64 tensor ``[seed, counter]``, a buffer of the module, so it follows
  ``model.to(device)`` and ``state_dict()``) gives the key and is advanced in place, so successive draws differ
  and restart from the same state reproduce them; this is the form to use inside a layer's ``call``;
- None: a fresh seed from Python's ``random`` (reproducible after ``keras.utils.set_random_seed``).

The numbers are not Keras's own (Keras's differ between its backends too); their distributions are.
"""
import math
import random as python_random

import numpy as np
import torch

from kerastorch import backend, global_state

__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal", "randint", "shuffle",
           "truncated_normal", "uniform"]

_MASK64 = (1 << 64) - 1


def _signed(value):
    """A uint64 constant as the int64 with the same bits (torch's integer arithmetic wraps around)."""
    value &= _MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


_GOLDEN = _signed(0x9E3779B97F4A7C15)
_MIX1 = _signed(0xBF58476D1CE4E5B9)
_MIX2 = _signed(0x94D049BB133111EB)


def _shift_right(x, bits):
    """Logical right shift of int64 bit patterns."""
    return (x >> bits) & ((1 << (64 - bits)) - 1)


def _mix(x):
    """SplitMix64's finalizer: every output bit depends on every input bit."""
    x = (x ^ _shift_right(x, 30)) * _MIX1
    x = (x ^ _shift_right(x, 27)) * _MIX2
    return x ^ _shift_right(x, 31)


class SeedGenerator(torch.nn.Module):
    """The state of a random stream: each draw seeded by it gets new numbers, and the stream is reproducible.

    Args:
        seed: an int (default: a random one, from Python's ``random``).
        name: the generator's name.

    Assign it to a layer attribute in ``__init__`` (``self.seed_generator = keras.random.SeedGenerator(1337)``)
    and pass it as ``seed=`` to the ``keras.random`` functions in ``call``; its ``state`` is a buffer of the layer.
    """

    def __init__(self, seed=None, name=None, **kwargs):
        super().__init__()
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to SeedGenerator: {kwargs}")
        if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed!r}")
        self._initial_seed = None if seed is None else int(seed)
        self.name = name or global_state.auto_name("SeedGenerator")
        start = _default_seed() if seed is None else int(seed)
        self.register_buffer("state", torch.tensor([start, 0], dtype=torch.int64, device=backend.device()))

    def next(self, ordered=True):
        """The key of the next draw (a 0-d int64 tensor); advances the state."""
        key = _mix(self.state[0] * _GOLDEN + _mix(self.state[1] + _GOLDEN))
        with torch.no_grad():
            self.state[1:].add_(1)
        return key

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def extra_repr(self):
        return f"seed={self._initial_seed}"


def _default_seed():
    return python_random.randint(1, int(1e9))


def _key(seed, device=None):
    """``(key, device)``: the 0-d int64 key of one draw and the device the draw is made on."""
    if isinstance(seed, SeedGenerator):
        key = seed.next()
        return key, key.device
    if seed is None:
        seed = _default_seed()
    elif not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"Argument `seed` must be an integer, a `keras.random.SeedGenerator` or None. "
                         f"Received: seed={seed!r}")
    device = backend.device() if device is None else device
    return _mix(torch.tensor(_signed(int(seed)), dtype=torch.int64, device=device)), device


def _bits(key, count, stream, device):
    """``count`` 64-bit hashes (int64) of ``key`` for the positions 0..count-1 of sub-stream ``stream``."""
    positions = torch.arange(count, dtype=torch.int64, device=device)
    return _mix(_mix(key + _signed(stream * _GOLDEN)) + positions * _MIX1)


def _unit_uniform(key, shape, device, dtype=torch.float32, stream=0):
    """Uniform numbers in [0, 1) of ``shape``: 24 random bits for float32 and below, 53 for float64."""
    count = math.prod(shape)
    bits = _bits(key, count, stream, device)
    if dtype == torch.float64:
        values = _shift_right(bits, 11).to(torch.float64) * 2.0 ** -53
    else:
        values = _shift_right(bits, 40).to(torch.float32) * 2.0 ** -24
    return values.reshape(shape)


def _shape(shape, function):
    try:
        return tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(f"`keras.random.{function}` needs a shape of ints. Received: shape={shape!r}") from None


def _float_dtype(dtype, function):
    torch_dtype = backend.torch_dtype(dtype)
    if not torch_dtype.is_floating_point:
        raise ValueError(f"`keras.random.{function}` requires a floating point `dtype`. Received: dtype={dtype}")
    return torch_dtype


def _compute_dtype(dtype):
    return torch.float64 if dtype == torch.float64 else torch.float32


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples from the uniform distribution on [minval, maxval)."""
    torch_dtype = _float_dtype(dtype, "uniform")
    key, device = _key(seed)
    values = _unit_uniform(key, _shape(shape, "uniform"), device, _compute_dtype(torch_dtype))
    return (values * (maxval - minval) + minval).to(torch_dtype)


def _standard_normal(key, shape, device, dtype, stream=0):
    """Standard normal numbers by the Box-Muller transform of two independent uniform streams."""
    u1 = 1.0 - _unit_uniform(key, shape, device, dtype, stream)       # (0, 1]: the log is finite
    u2 = _unit_uniform(key, shape, device, dtype, stream + 1)
    return torch.sqrt(-2.0 * torch.log(u1)) * torch.cos(2.0 * math.pi * u2)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from the normal distribution N(mean, stddev**2)."""
    torch_dtype = _float_dtype(dtype, "normal")
    key, device = _key(seed)
    values = _standard_normal(key, _shape(shape, "normal"), device, _compute_dtype(torch_dtype))
    return (values * stddev + mean).to(torch_dtype)


_TWO_SIGMA_CDF = 0.5 * (1.0 + math.erf(-2.0 / math.sqrt(2.0)))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from the normal distribution N(mean, stddev**2) restricted to within two standard deviations of
    the mean (by inverting the normal CDF on the matching interval of probabilities, so no value is redrawn)."""
    torch_dtype = _float_dtype(dtype, "truncated_normal")
    key, device = _key(seed)
    compute = _compute_dtype(torch_dtype)
    u = _unit_uniform(key, _shape(shape, "truncated_normal"), device, compute)
    probabilities = _TWO_SIGMA_CDF + u * (1.0 - 2.0 * _TWO_SIGMA_CDF)
    values = (math.sqrt(2.0) * torch.erfinv(2.0 * probabilities - 1.0)).clamp(-2.0, 2.0)
    return (values * stddev + mean).to(torch_dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from [minval, maxval)."""
    torch_dtype = backend.torch_dtype(dtype)
    if torch_dtype.is_floating_point or torch_dtype.is_complex or torch_dtype == torch.bool:
        raise ValueError(f"`keras.random.randint` requires an integer `dtype`. Received: dtype={dtype}")
    key, device = _key(seed)
    u = _unit_uniform(key, _shape(shape, "randint"), device, torch.float64)
    values = torch.floor(u * (maxval - minval)) + minval
    return torch.minimum(values, torch.as_tensor(maxval - 1, dtype=torch.float64)).to(torch_dtype)


def _as_tensor(value, device=None):
    if isinstance(value, torch.Tensor):
        return value if device is None else value.to(device)
    array = np.asarray(value)
    if array.dtype == np.float64:
        array = array.astype(backend.floatx())
    return torch.as_tensor(array, device=backend.device() if device is None else device)


def _gumbel(key, shape, device, dtype):
    u = _unit_uniform(key, shape, device, dtype)
    tiny = torch.finfo(dtype).tiny
    return -torch.log(-torch.log(u.clamp_min(tiny)))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class indices for each row of ``logits`` (batch, classes), drawn with the probabilities
    ``softmax(logits)`` (by the Gumbel-max trick: the argmax of logits plus Gumbel noise)."""
    logits = _as_tensor(logits)
    if logits.dim() != 2:
        raise ValueError(f"`logits` should be a 2-D tensor with shape [batch_size, num_classes]. Received: "
                         f"logits of shape {tuple(logits.shape)}")
    key, _ = _key(seed, logits.device)
    compute = _compute_dtype(logits.dtype)
    batch, classes = logits.shape
    noise = _gumbel(key, (batch, int(num_samples), classes), logits.device, compute)
    return (logits.to(compute)[:, None, :] + noise).argmax(dim=-1).to(backend.torch_dtype(dtype))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with each entry (or each slice along the axes where ``noise_shape`` is 1) zeroed with
    probability ``rate``; the kept ones are scaled by ``1 / (1 - rate)``."""
    inputs = _as_tensor(inputs)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                         f"Received: rate={rate}")
    if rate == 1.0:
        return torch.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    if noise_shape is None:
        noise_shape = tuple(inputs.shape)
    else:
        noise_shape = tuple(inputs.shape[i] if d is None else int(d) for i, d in enumerate(noise_shape))
    key, _ = _key(seed, inputs.device)
    keep = _unit_uniform(key, noise_shape, inputs.device) >= rate
    return torch.where(keep, inputs / (1.0 - rate), torch.zeros((), dtype=inputs.dtype, device=inputs.device))


def shuffle(x, axis=0, seed=None):
    """``x`` with its slices along ``axis`` permuted at random (independently for each index of the axes before
    ``axis``)."""
    x = _as_tensor(x)
    axis = axis % x.dim()
    key, _ = _key(seed, x.device)
    order = _unit_uniform(key, tuple(x.shape[:axis + 1]), x.device).argsort(dim=axis)
    order = order.reshape(order.shape + (1,) * (x.dim() - axis - 1)).expand(x.shape)
    return x.gather(axis, order)


# Rounds of Marsaglia and Tsang's proposal drawn at once: each is accepted with probability > 0.95, so all 12
# fail with probability < 1e-15 (then the mode of the distribution stands in).
_GAMMA_ROUNDS = 12


def _standard_gamma(key, shape, alpha, device, dtype, stream=0):
    """Gamma(alpha, 1) samples by Marsaglia and Tsang's method, vectorized over a fixed number of rounds; for
    alpha < 1, Gamma(alpha + 1) * U ** (1 / alpha)."""
    alpha = torch.broadcast_to(alpha.to(device=device, dtype=dtype), shape)
    boosted = torch.where(alpha < 1, alpha + 1, alpha)
    d = boosted - 1.0 / 3.0
    c = 1.0 / torch.sqrt(9.0 * d)
    rounds = (_GAMMA_ROUNDS,) + tuple(shape)
    x = _standard_normal(key, rounds, device, dtype, stream)
    u = 1.0 - _unit_uniform(key, rounds, device, dtype, stream + 2)
    v = (1.0 + c * x) ** 3
    accepted = (v > 0) & (torch.log(u) < 0.5 * x * x + d - d * v + d * torch.log(v.clamp_min(1e-30)))
    first = accepted.to(torch.int8).argmax(dim=0, keepdim=True)
    sample = d * torch.gather(v, 0, first)[0]
    sample = torch.where(accepted.any(dim=0), sample, d)
    small = 1.0 - _unit_uniform(key, tuple(shape), device, dtype, stream + 3)
    return torch.where(alpha < 1, sample * small ** (1.0 / alpha), sample)


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples from the gamma distribution of shape ``alpha`` and scale 1."""
    torch_dtype = _float_dtype(dtype, "gamma")
    key, device = _key(seed)
    compute = _compute_dtype(torch_dtype)
    sample = _standard_gamma(key, _shape(shape, "gamma"), _as_tensor(alpha, device), device, compute)
    return sample.to(torch_dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples from the beta distribution: X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta)."""
    torch_dtype = _float_dtype(dtype, "beta")
    key, device = _key(seed)
    compute = _compute_dtype(torch_dtype)
    shape = _shape(shape, "beta")
    x = _standard_gamma(key, shape, _as_tensor(alpha, device), device, compute, stream=0)
    y = _standard_gamma(key, shape, _as_tensor(beta, device), device, compute, stream=8)
    return (x / (x + y)).to(torch_dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples from the binomial distribution: successes in ``counts`` trials of probability ``probabilities``
    (each broadcast to ``shape``), as the sum of that many Bernoulli draws. Counts given as a tensor are read
    back once to know the largest."""
    torch_dtype = _float_dtype(dtype, "binomial")
    key, device = _key(seed)
    shape = _shape(shape, "binomial")
    counts = torch.broadcast_to(_as_tensor(counts, device), shape)
    probabilities = torch.broadcast_to(_as_tensor(probabilities, device), shape).to(torch.float64)
    trials = int(counts.max()) if counts.numel() else 0
    if trials <= 0:
        return torch.zeros(shape, dtype=torch_dtype, device=device)
    u = _unit_uniform(key, (trials,) + shape, device, torch.float64)
    used = torch.arange(trials, device=device).reshape((trials,) + (1,) * len(shape)) < counts
    successes = ((u < probabilities) & used).sum(dim=0)
    return successes.to(torch_dtype)
