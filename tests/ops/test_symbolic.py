"""keras.ops on KerasTensors against Keras 3.15 (tests/golden/ops/*.json, recorded by tools/golden_ops.py): each
op's output shapes (None dimensions included) and dtypes, for inputs of known shape and with an unknown first
dimension."""
import pytest

from ops_golden import GROUPS, cases, check_symbolic


@pytest.mark.parametrize("key", ["symbolic", "symbolic_none"])
@pytest.mark.parametrize("group", GROUPS)
def test_output_spec_matches_keras(group, key, subtests=None):
    failures = []
    for param in cases(group, symbolic=key):
        case = param.values[0]
        try:
            check_symbolic(group, case, key)
        except Exception as error:  # noqa: BLE001 - collected, so one run lists every op that differs
            failures.append(f"{case['id']}: {type(error).__name__}: {str(error)[:300]}")
    assert not failures, f"{len(failures)} cases differ from Keras:\n" + "\n".join(failures)
