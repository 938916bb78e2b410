"""keras.ops.numpy against Keras 3.15 on torch (tests/golden/ops/{elementwise,reductions,arrays}.*, recorded by
tools/golden_ops.py): values within 1e-6 (float32) and equal result dtypes, on float32, float16, int and bool
inputs with broadcasting."""
import pytest

from ops_golden import cases, check_numbers


@pytest.mark.parametrize("case", cases("elementwise"))
def test_elementwise_op_matches_keras(case):
    check_numbers("elementwise", case)


@pytest.mark.parametrize("case", cases("reductions"))
def test_reduction_matches_keras(case):
    check_numbers("reductions", case)


@pytest.mark.parametrize("case", cases("arrays"))
def test_array_op_matches_keras(case):
    check_numbers("arrays", case)
