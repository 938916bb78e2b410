"""keras.ops.numpy against Keras 3.15 on torch (tests/golden/ops/{unary,binary,reductions,arrays}.*, recorded by
tools/golden_ops.py): values within 1e-6 (float32) and equal result dtypes, on float32, float16, int and bool
inputs with broadcasting."""
import pytest

from ops_golden import cases, check_numbers


@pytest.mark.parametrize("case", cases("unary"))
def test_unary_op_matches_keras(case):
    check_numbers("unary", case)


@pytest.mark.parametrize("case", cases("binary"))
def test_binary_op_matches_keras(case):
    check_numbers("binary", case)


@pytest.mark.parametrize("case", cases("reductions"))
def test_reduction_matches_keras(case):
    check_numbers("reductions", case)


@pytest.mark.parametrize("case", cases("arrays"))
def test_array_op_matches_keras(case):
    check_numbers("arrays", case)
