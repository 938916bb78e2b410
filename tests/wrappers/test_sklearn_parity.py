"""kerastorch's Keras 3 scikit-learn wrappers give the facts Keras 3.15's give (tools/golden_sklearn_wrappers.py)."""
import pytest

pytest.importorskip("sklearn")

import kerastorch  # noqa: E402
from golden_loader import golden_json  # noqa: E402
from kerastorch import wrappers  # noqa: E402
from sklearn_facts import facts  # noqa: E402  (tests/wrappers/sklearn_facts.py, beside this file)

RECORDED = golden_json("wrappers/sklearn_facts.json")["facts"]


@pytest.fixture(scope="module")
def found():
    return facts(kerastorch, wrappers)


@pytest.mark.parametrize("group", sorted(RECORDED))
def test_wrapper_facts_match_keras(group, found):
    assert found[group] == RECORDED[group]
