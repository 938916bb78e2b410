"""Hashing and HashedCrossing against Keras 3.15 (tests/golden/layers/preprocessing/layers.json): TensorFlow's
Fingerprint64 bins, computed without TensorFlow."""
import numpy as np
import pytest
from preprocessing_golden import GOLDEN, array, case_id, run_case

from kerastorch.layers import Hashing

CASES = GOLDEN["hashing"]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) + str(i) for i, c in enumerate(CASES)])
def test_hashing_matches_keras(case):
    _, out = run_case(case)
    np.testing.assert_array_equal(out, array(case["out"]))


def test_hashing_refuses_non_positive_bins():
    with pytest.raises(ValueError, match="num_bins"):
        Hashing(num_bins=0)
