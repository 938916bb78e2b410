"""keras.ops core against Keras 3.15 on torch (tests/golden/ops/core.*, from tools/golden_ops_nn.py), and the
control-flow and gradient ops' behaviour."""
import numpy as np
import pytest
import torch

from ops_golden import cases, check_numbers, check_symbolic

import kerastorch as keras
from kerastorch import ops


@pytest.mark.parametrize("case", cases("core"))
def test_core_op_matches_keras(case):
    check_numbers("core", case)


@pytest.mark.parametrize("case", cases("core", symbolic="symbolic_none"))
def test_core_op_on_keras_tensors_gives_keras_shapes(case):
    check_symbolic("core", case, "symbolic_none")


def test_cond_picks_the_branch():
    assert ops.cond(torch.tensor(True), lambda: 1, lambda: 2) == 1
    assert ops.cond(False, lambda: 1, lambda: 2) == 2


def test_switch_clamps_the_index():
    branches = [lambda x: x + 1, lambda x: x * 10]
    assert ops.switch(5, branches, 2) == 20 and ops.switch(-1, branches, 2) == 3


def test_fori_loop_and_while_loop():
    assert int(ops.fori_loop(0, 5, lambda i, v: v + i, torch.tensor(0))) == 10
    assert ops.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s * 2), (0, 1)) == (4, 16)
    assert ops.while_loop(lambda x: x < 100, lambda x: x * 3, 1, maximum_iterations=2) == 9


def test_scan_gives_carry_and_stacked_outputs():
    carry, ys = ops.scan(lambda c, x: (c + x, c * x), torch.tensor(0.0), torch.arange(1.0, 5.0))
    assert float(carry) == 10.0
    torch.testing.assert_close(ys, torch.tensor([0.0, 2.0, 9.0, 24.0]))
    _, reversed_ys = ops.scan(lambda c, x: (c + x, c), torch.tensor(0.0), torch.arange(1.0, 5.0), reverse=True)
    torch.testing.assert_close(reversed_ys, torch.tensor([9.0, 7.0, 4.0, 0.0]))


def test_associative_scan_is_the_prefix_sum_in_any_direction():
    x = torch.arange(1.0, 8.0)
    torch.testing.assert_close(ops.associative_scan(torch.add, x), torch.cumsum(x, 0))
    torch.testing.assert_close(ops.associative_scan(torch.add, x, reverse=True), torch.cumsum(x.flip(0), 0).flip(0))
    pair = ops.associative_scan(lambda a, b: (a[0] * b[0], a[1] + b[1]), (x, x))
    torch.testing.assert_close(pair[0], torch.cumprod(x, 0))


def test_map_and_vectorized_map_apply_per_slice():
    x = torch.arange(6.0).reshape(3, 2)
    torch.testing.assert_close(ops.map(lambda row: row.sum(), x), x.sum(1))
    torch.testing.assert_close(ops.vectorized_map(lambda row: row * row.sum(), x), x * x.sum(1, keepdim=True))


def test_custom_gradient_replaces_the_gradient():
    @ops.custom_gradient
    def clipped_identity(x):
        return x, lambda *args, upstream: upstream.clamp(-0.5, 0.5)

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (clipped_identity(x) * 3).sum().backward()
    torch.testing.assert_close(x.grad, torch.tensor([0.5, 0.5]))


def test_stop_gradient_blocks_the_gradient():
    x = torch.tensor(2.0, requires_grad=True)
    (ops.stop_gradient(x) * x).backward()
    assert float(x.grad) == 2.0


def test_shape_dtype_is_tensor_and_convert_to_numpy():
    x = ops.convert_to_tensor([1, 2, 3])
    assert ops.is_tensor(x) and not ops.is_tensor(np.zeros(2)) and ops.dtype(x) == "int32"
    assert ops.shape(keras.Input((3,))) == (None, 3) and ops.shape(x) == (3,)
    assert isinstance(ops.convert_to_numpy(x), np.ndarray)
    with pytest.raises(ValueError, match="KerasTensor"):
        ops.convert_to_numpy(keras.Input((3,)))


def test_slice_with_wrong_rank_is_refused():
    with pytest.raises(ValueError, match="start_indices"):
        ops.slice(np.zeros((2, 3)), [0], [1])
