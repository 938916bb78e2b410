"""keras.ops.linalg against Keras 3.15 on torch (tests/golden/ops/linalg.*, recorded by tools/golden_ops.py)."""
import pytest

from ops_golden import cases, check_numbers


@pytest.mark.parametrize("case", cases("linalg"))
def test_linalg_op_matches_keras(case):
    check_numbers("linalg", case)
