"""Hashing and HashedCrossing: values (and crosses of values) to hash bins, with TensorFlow's stable hash.

Keras hashes with TensorFlow's ``Fingerprint64`` (FarmHash's ``farmhashna::Hash64``) of each value's bytes
(integers as their decimal strings), so a model gives the same bins on any platform. It is computed here in pure
Python once per distinct value of a batch.
"""
import numpy as np
import torch

from kerastorch.layers.preprocessing.preprocessing_layer import (PreprocessingLayer, check_choice,
                                                                 encode_categorical, host_array)

_MASK = (1 << 64) - 1
_K0, _K1, _K2 = 0xc3a5c85c97cb3127, 0xb492b66fbe98f273, 0x9ae16a3b2f90404f
_CROSS_MUL = 0xc6a4a7935bd1e995
_CROSS_KEY = 0xDECAFCAFFE   # tf.sparse.cross_hashed's default hash key


def _fetch64(data, offset):
    return int.from_bytes(data[offset:offset + 8], "little")


def _fetch32(data, offset):
    return int.from_bytes(data[offset:offset + 4], "little")


def _rotate(value, shift):
    return ((value >> shift) | (value << (64 - shift))) & _MASK


def _shift_mix(value):
    return value ^ (value >> 47)


def _hash_len16(u, v, mul):
    a = ((u ^ v) * mul) & _MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _hash_len0to16(data):
    length = len(data)
    if length >= 8:
        mul = _K2 + length * 2
        a = (_fetch64(data, 0) + _K2) & _MASK
        b = _fetch64(data, length - 8)
        c = (_rotate(b, 37) * mul + a) & _MASK
        d = ((_rotate(a, 25) + b) * mul) & _MASK
        return _hash_len16(c, d, mul)
    if length >= 4:
        mul = _K2 + length * 2
        a = _fetch32(data, 0)
        return _hash_len16((length + (a << 3)) & _MASK, _fetch32(data, length - 4), mul)
    if length > 0:
        y = (data[0] + (data[length >> 1] << 8)) & 0xFFFFFFFF
        z = (length + (data[length - 1] << 2)) & 0xFFFFFFFF
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _hash_len17to32(data):
    length = len(data)
    mul = _K2 + length * 2
    a = (_fetch64(data, 0) * _K1) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, length - 8) * mul) & _MASK
    d = (_fetch64(data, length - 16) * _K2) & _MASK
    return _hash_len16((_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK,
                       (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK, mul)


def _hash_len33to64(data):
    length = len(data)
    mul = _K2 + length * 2
    a = (_fetch64(data, 0) * _K2) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, length - 8) * mul) & _MASK
    d = (_fetch64(data, length - 16) * _K2) & _MASK
    y = (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK
    z = _hash_len16(y, (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK, mul)
    e = (_fetch64(data, 16) * mul) & _MASK
    f = _fetch64(data, 24)
    g = ((y + _fetch64(data, length - 32)) * mul) & _MASK
    h = ((z + _fetch64(data, length - 24)) * mul) & _MASK
    return _hash_len16((_rotate((e + f) & _MASK, 43) + _rotate(g, 30) + h) & _MASK,
                       (e + _rotate((f + a) & _MASK, 18) + g) & _MASK, mul)


def _weak_hash_len32_with_seeds(data, offset, a, b):
    w, x, y, z = (_fetch64(data, offset + 8 * i) for i in range(4))
    a = (a + w) & _MASK
    b = _rotate((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rotate(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def fingerprint64(data):
    """TensorFlow's ``Fingerprint64`` of ``data`` (bytes): FarmHash's ``farmhashna::Hash64``."""
    length = len(data)
    if length <= 16:
        return _hash_len0to16(data)
    if length <= 32:
        return _hash_len17to32(data)
    if length <= 64:
        return _hash_len33to64(data)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v = (0, 0)
    w = (0, 0)
    x = (x * _K2 + _fetch64(data, 0)) & _MASK
    end = ((length - 1) // 64) * 64
    last64 = end + ((length - 1) & 63) - 63
    offset = 0
    while True:
        x = (_rotate((x + y + v[0] + _fetch64(data, offset + 8)) & _MASK, 37) * _K1) & _MASK
        y = (_rotate((y + v[1] + _fetch64(data, offset + 48)) & _MASK, 42) * _K1) & _MASK
        x ^= w[1]
        y = (y + v[0] + _fetch64(data, offset + 40)) & _MASK
        z = (_rotate((z + w[0]) & _MASK, 33) * _K1) & _MASK
        v = _weak_hash_len32_with_seeds(data, offset, (v[1] * _K1) & _MASK, (x + w[0]) & _MASK)
        w = _weak_hash_len32_with_seeds(data, offset + 32, (z + w[1]) & _MASK,
                                        (y + _fetch64(data, offset + 16)) & _MASK)
        z, x = x, z
        offset += 64
        if offset == end:
            break
    mul = _K1 + ((z & 0xff) << 1)
    offset = last64
    w = ((w[0] + ((length - 1) & 63)) & _MASK, w[1])
    v = ((v[0] + w[0]) & _MASK, v[1])
    w = ((w[0] + v[0]) & _MASK, w[1])
    x = (_rotate((x + y + v[0] + _fetch64(data, offset + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rotate((y + v[1] + _fetch64(data, offset + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w[1] * 9) & _MASK
    y = (y + v[0] * 9 + _fetch64(data, offset + 40)) & _MASK
    z = (_rotate((z + w[0]) & _MASK, 33) * mul) & _MASK
    v = _weak_hash_len32_with_seeds(data, offset, (v[1] * mul) & _MASK, (x + w[0]) & _MASK)
    w = _weak_hash_len32_with_seeds(data, offset + 32, (z + w[1]) & _MASK, (y + _fetch64(data, offset + 16)) & _MASK)
    z, x = x, z
    return _hash_len16((_hash_len16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _MASK,
                       (_hash_len16(v[1], w[1], mul) + x) & _MASK, mul)


def _value_bytes(value, encoding="utf-8"):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode(encoding)
    return str(int(value)).encode()   # TensorFlow hashes numbers as their decimal strings


def _fingerprints(values):
    """``Fingerprint64`` of each value of a host array (Python ints in an object array), computed once per
    distinct value."""
    values = np.asarray(values, dtype=object)
    distinct, inverse = np.unique(values.reshape(-1), return_inverse=True)
    prints = np.array([fingerprint64(_value_bytes(v)) for v in distinct.tolist()] + [None], dtype=object)[:-1]
    return prints[inverse].reshape(values.shape)


def fingerprint64_bins(values, num_bins):
    """``Fingerprint64(value) % num_bins`` for each value of a host array."""
    return (_fingerprints(values) % num_bins).astype(np.int64)


def _cross_fingerprint(first, second):
    """TensorFlow's ``FingerprintCat64``: the fingerprint of a pair of fingerprints."""
    result = first ^ _CROSS_MUL
    result ^= (_shift_mix((second * _CROSS_MUL) & _MASK) * _CROSS_MUL) & _MASK
    result = (result * _CROSS_MUL) & _MASK
    result = (_shift_mix(result) * _CROSS_MUL) & _MASK
    return _shift_mix(result)


def _hashable_values(inputs):
    array = host_array(inputs)
    if array.dtype.kind == "f":
        array = array.astype(np.int64)   # Keras casts floats to int64 before hashing
    return array


class Hashing(PreprocessingLayer):
    """Maps strings or integers to ``num_bins`` bins by TensorFlow's stable ``Fingerprint64`` hash.

    Args:
        num_bins: the number of bins (the mask's bin 0 included, when ``mask_value`` is set).
        mask_value: a value that goes to bin 0; the others then go to bins 1 .. num_bins - 1.
        salt: SipHash salt (not supported: Keras's keyed hash is TensorFlow's SipHash).
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: not supported; must be False.

    Input: strings (a numpy array or list) or integers. Output: an int64 tensor of bins, or its encoding.
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        kwargs.pop("dtype", None)
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"The `num_bins` for `Hashing` cannot be `None` or non-positive values. Received: "
                             f"num_bins={num_bins}.")
        check_choice(self.name, "output_mode", output_mode, ("int", "one_hot", "multi_hot", "count"))
        if salt is not None:
            raise ValueError(f"Layer {self.name}: `salt` (SipHash) is not supported by kerastorch; use the default "
                             f"FarmHash (salt=None).")
        if sparse:
            raise ValueError(f"Layer {self.name}: `sparse=True` is not supported by kerastorch (torch backend).")
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.salt = salt
        self.output_mode = output_mode
        self.sparse = sparse

    def _output_dtype(self):
        return "int64" if self.output_mode == "int" else self.compute_dtype

    def call(self, inputs):
        values = _hashable_values(inputs)
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values.reshape(values.shape[:-1])
        bins = self.num_bins
        masked = self.mask_value is not None and bins > 1
        hashed = fingerprint64_bins(values, bins - 1 if masked else bins)
        if masked:
            hashed = np.where(values == self.mask_value, 0, hashed + 1)
        indices = torch.as_tensor(hashed, dtype=torch.int64, device=self._output_device())
        return encode_categorical(indices, self.output_mode, self.num_bins, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return tuple(input_shape[:-1]) + (self.num_bins,) if input_shape else (self.num_bins,)

    def extra_repr(self):
        return f"num_bins={self.num_bins}, output_mode={self.output_mode!r}"

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode, "sparse": self.sparse}


class HashedCrossing(PreprocessingLayer):
    """Crosses two or more categorical features: each sample's tuple of values goes to one of ``num_bins`` bins
    (TensorFlow's ``sparse.cross_hashed``).

    Args:
        num_bins: the number of bins.
        output_mode: ``"int"`` or ``"one_hot"``.
        sparse: not supported; must be False.

    Input: a tuple of features, each of shape ``(batch,)`` or ``(batch, 1)`` (strings or integers).
    Output: bins of shape ``(batch,)`` / ``(batch, 1)`` (``"int"``) or ``(batch, num_bins)``.
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        super().__init__(name=name, **kwargs)
        check_choice(self.name, "output_mode", output_mode, ("int", "one_hot"))
        if sparse:
            raise ValueError(f"Layer {self.name}: `sparse=True` is not supported by kerastorch (torch backend).")
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse

    def _output_dtype(self):
        return "int64" if self.output_mode == "int" else self.compute_dtype

    def call(self, inputs):
        if not isinstance(inputs, (tuple, list)) or len(inputs) < 2:
            raise ValueError(f"`HashedCrossing` should be called on a list or tuple of at least two inputs. "
                             f"Received: inputs={inputs}")
        features = [_hashable_values(x) for x in inputs]
        shape = features[0].shape
        if any(f.shape != shape for f in features) or len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(f"All `HashedCrossing` inputs should have the same shape, (batch,) or (batch, 1). "
                             f"Received: shapes {[f.shape for f in features]}")
        # TensorFlow's cross hashes a string feature by its Fingerprint64, an integer feature by its own bits.
        columns = [_fingerprints(f.reshape(-1)).tolist() if f.dtype == object else
                   [v & _MASK for v in f.reshape(-1).astype(np.int64).tolist()] for f in features]
        crossed = []
        for row in zip(*columns):
            value = _CROSS_KEY
            for fingerprint in row:
                value = _cross_fingerprint(value, fingerprint)
            crossed.append(value % self.num_bins)
        indices = torch.as_tensor(np.asarray(crossed, dtype=np.int64).reshape(shape), device=self._output_device())
        return encode_categorical(indices, self.output_mode, self.num_bins, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        return first[:1] + (self.num_bins,)

    def compute_output_spec(self, *args, **kwargs):
        from kerastorch.keras_tensor import KerasTensor
        return KerasTensor(self.compute_output_shape([tuple(t.shape) for t in args[0]]), self._output_dtype())

    def extra_repr(self):
        return f"num_bins={self.num_bins}, output_mode={self.output_mode!r}"

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse}
