"""Discretization against Keras 3.15 (tests/golden/layers/preprocessing/layers.json)."""
import numpy as np
import pytest
from preprocessing_golden import GOLDEN, array, case_id, run_case

from kerastorch.layers import Discretization

CASES = GOLDEN["discretization"]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_discretization_matches_keras(case):
    layer, out = run_case(case)
    if "bin_boundaries" in case:
        np.testing.assert_allclose(layer.bin_boundaries, case["bin_boundaries"], rtol=1e-6)
    np.testing.assert_array_equal(out, array(case["out"]))
    assert str(out.dtype) == case["out"]["dtype"]


def test_discretization_needs_boundaries_or_bins():
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        Discretization()


def test_discretization_with_boundaries_cannot_adapt():
    with pytest.raises(ValueError, match="use `num_bins` instead"):
        Discretization(bin_boundaries=[0.0]).adapt(np.zeros(3))
