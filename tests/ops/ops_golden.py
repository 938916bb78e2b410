"""The cases of tests/golden/ops/<group>.json/.npz (recorded by tools/golden_ops.py): decoding and checking.

A case is one call of a keras.ops function, with Keras 3's outputs (values and dtypes) on real inputs and its
output shapes and dtypes on KerasTensors of the inputs' shapes (first dimension known, then None).
"""
import functools

import numpy as np
import pytest
import torch

from golden_loader import golden_json, golden_npz
from kerastorch import ops
from kerastorch.keras_tensor import KerasTensor

GROUPS = ("unary", "binary", "reductions", "arrays", "math", "linalg")
# Keras's float32 numbers are matched within 1e-6 (absolute and relative); float16 within its own precision.
TOLERANCES = {"float32": 1e-6, "float16": 1e-3, "float64": 1e-12, "complex64": 1e-6}


@functools.lru_cache(maxsize=None)
def load(group):
    record = golden_json(f"ops/{group}.json")
    return record, golden_npz(f"ops/{group}.npz")


def unpack(buffers, reference):
    dtype, offset, shape = reference
    size = int(np.prod(shape))
    return buffers[dtype][offset:offset + size].reshape(shape)


def cases(group, *, symbolic=None):
    """pytest params of the group's cases (``symbolic``: only those Keras could infer with that key). Cases that
    Keras on torch refused (its torch kernels lack bool or int8 support, say) are not compared: kerastorch may
    compute them; refusals of bad input have tests of their own."""
    record, _ = load(group)
    selected = [c for c in record["cases"] if "error" not in c and (symbolic is None or "shapes" in c.get(
        symbolic, {}))]
    return [pytest.param(c, id=c["id"]) for c in selected]


def decode(value, make):
    if isinstance(value, list):
        return [decode(v, make) for v in value]
    if isinstance(value, dict):
        if "input" in value:
            return make(value["input"])
        if "tuple" in value:
            return tuple(decode(v, make) for v in value["tuple"])
        if "slice" in value:
            return slice(*value["slice"])
        if "ellipsis" in value:
            return Ellipsis
        if "float" in value:
            return float(value["float"])
    return value


def call(group, case, make):
    function = getattr(getattr(ops, case["ns"]), case["op"])
    args = decode(case["args"], make)
    kwargs = {k: decode(v, make) for k, v in case["kwargs"].items()}
    return function(*args, **kwargs)


def real_input(group):
    record, buffers = load(group)
    return lambda name: unpack(buffers, record["inputs"][name]).copy()


def symbolic_input(group, unknown_batch):
    record, _ = load(group)

    def make(name):
        dtype, _, shape = record["inputs"][name]
        shape = list(shape)
        if unknown_batch and shape:
            shape[0] = None
        return KerasTensor(shape, dtype)

    return make


def leaves(result):
    if isinstance(result, (list, tuple)):
        return [leaf for item in result for leaf in leaves(item)]
    return [result]


# Where Keras on torch gives numbers that NumPy (and Keras on JAX) do not, kerastorch follows NumPy: these cases
# are compared with NumPy's own function on the same inputs instead.
NUMPY_SEMANTICS = {
    "count_nonzero_1": "Keras on torch transposes the result of a reduction over one axis of a 3-D input",
    "cross_2": "for two 2-vectors Keras on torch returns a (n, 2) tensor, NumPy (and Keras's own spec) the z part",
    "pad_3": "Keras on torch pads mode='symmetric' as 'edge' (it maps it to torch's 'replicate')",
}
# Where Keras's symbolic shapes contradict the shapes the same op returns on real tensors, kerastorch's spec
# follows the real result (what the graph computes): the spec of known shapes is compared with Keras's eager
# shapes. (Where only the dtypes disagree, check_symbolic compares with the eager dtypes.)
SPEC_SHAPE_FOLLOWS_EAGER = {
    "corrcoef": "Keras's spec keeps the input's shape; the result is (rows, rows)",
    "rot90": "Keras's spec swaps the axes for any k; k=2 keeps the shape",
    "slogdet": "Keras's spec gives a scalar sign for a batch of matrices",
}
# Cases whose spec with an unknown first dimension Keras gets wrong (here the result is the known-shape spec).
UNKNOWN_DIM_SPEC_WRONG = {"cross_3": "Keras drops the vector axis of cross(axis=0) when the other axis is unknown"}
# ndim is a Python int on KerasTensors too (Keras's spec is a float tensor of shape (ndim,)).
NOT_GRAPH_OPS = {"ndim"}


def numpy_reference(group, case):
    function = getattr(np, case["op"])
    args = decode(case["args"], real_input(group))
    kwargs = {k: decode(v, real_input(group)) for k, v in case["kwargs"].items()}
    return function(*args, **kwargs)


def check_numbers(group, case):
    """The op on the case's inputs gives Keras's values and dtypes (or refuses what Keras refused)."""
    _, buffers = load(group)
    result = call(group, case, real_input(group))
    outputs = leaves(result)
    if case["op"] == "nonzero":
        outputs = [torch.stack(outputs)]   # Keras on torch stacks the index tensors; NumPy and its spec do not
    if case["id"] in NUMPY_SEMANTICS:
        expected = numpy_reference(group, case)
        np.testing.assert_allclose(outputs[0].cpu().numpy(), expected, rtol=1e-6, atol=1e-6)
        return
    assert len(outputs) == len(case["outputs"]), f"{case['id']}: {len(outputs)} outputs, Keras gave " \
                                                 f"{len(case['outputs'])}"
    for got, expected in zip(outputs, case["outputs"]):
        if "python" in expected:
            assert not isinstance(got, torch.Tensor) and got == expected["python"]
            continue
        assert isinstance(got, torch.Tensor), f"{case['id']}: not a tensor: {got!r}"
        assert str(got.dtype).replace("torch.", "") == expected["dtype"]
        want = unpack(buffers, expected["value"])
        have = got.detach().cpu().numpy()
        assert have.shape == want.shape
        tolerance = TOLERANCES.get(expected["dtype"])
        if tolerance is None:
            np.testing.assert_array_equal(have, want)
        else:
            np.testing.assert_allclose(have, want, rtol=tolerance, atol=tolerance, equal_nan=True)


def check_symbolic(group, case, key):
    """The op on KerasTensors gives Keras's output shapes and dtypes."""
    if case["op"] in NOT_GRAPH_OPS or (key == "symbolic_none" and (
            case["op"] in SPEC_SHAPE_FOLLOWS_EAGER or case["id"] in UNKNOWN_DIM_SPEC_WRONG)):
        return
    result = call(group, case, symbolic_input(group, key == "symbolic_none"))
    outputs = leaves(result)
    assert all(isinstance(t, KerasTensor) for t in outputs)
    operation = outputs[0]._keras_history.operation
    if case[key].get("class_name"):
        # The node's operation has Keras's class name and config keys, so a functional config written by Keras
        # finds it and gives it the arguments it takes.
        assert type(operation).__name__ == case[key]["class_name"]
    if case[key].get("config_keys"):
        assert sorted(operation.get_config()) == case[key]["config_keys"]
    if case["op"] in SPEC_SHAPE_FOLLOWS_EAGER:
        _, buffers = load(group)
        assert [list(t.shape) for t in outputs] == [o["value"][2] for o in case["outputs"]]
    else:
        assert [list(t.shape) for t in outputs] == case[key]["shapes"]
    expected_dtypes = case[key]["dtypes"]
    eager_dtypes = [o.get("dtype") for o in case["outputs"]]
    if len(eager_dtypes) == len(expected_dtypes) and eager_dtypes != expected_dtypes:
        # Keras's spec and its own eager result disagree (erf of int32, say): the spec follows the result.
        expected_dtypes = eager_dtypes
    assert [t.dtype for t in outputs] == expected_dtypes
