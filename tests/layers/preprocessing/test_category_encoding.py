"""CategoryEncoding against Keras 3.15 (tests/golden/layers/preprocessing/layers.json)."""
import numpy as np
import pytest
from preprocessing_golden import GOLDEN, array, case_id, run_case

from kerastorch.layers import CategoryEncoding

CASES = GOLDEN["category_encoding"]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) + str(i) for i, c in enumerate(CASES)])
def test_category_encoding_matches_keras(case):
    _, out = run_case(case)
    np.testing.assert_array_equal(out, array(case["out"]))


def test_category_encoding_sums_count_weights():
    out = CategoryEncoding(3, output_mode="count")(np.array([[0, 2, 2]]), count_weights=np.array([[0.5, 1., 2.]]))
    np.testing.assert_allclose(out.numpy(), [[0.5, 0.0, 3.0]])


def test_category_encoding_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match="output_mode"):
        CategoryEncoding(3, output_mode="int")
