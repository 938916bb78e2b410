"""keras.ops.math against Keras 3.15 on torch (tests/golden/ops/math.*, recorded by tools/golden_ops.py)."""
import pytest

from ops_golden import cases, check_numbers


@pytest.mark.parametrize("case", cases("math"))
def test_math_op_matches_keras(case):
    check_numbers("math", case)
