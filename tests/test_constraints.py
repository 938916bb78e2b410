"""kerastorch.constraints against Keras 3.15 (tests/golden/regularizers.json, tools/golden_regularizers.py)."""

import numpy as np
import pytest
import torch

from kerastorch import constraints
from golden_loader import golden_json

GOLDEN = golden_json("regularizers.json")
CASES = GOLDEN["constraints"]


def case_id(case):
    return case["class_name"] + "".join(f"-{k}={v}" for k, v in case["kwargs"].items())


def build(case):
    return getattr(constraints, case["class_name"])(**case["kwargs"])


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_output_matches_keras(case):
    weight = torch.tensor(GOLDEN["weights"][case["weight"]], dtype=torch.float32)
    result = build(case)(weight)
    assert result.shape == weight.shape and result.dtype == torch.float32
    np.testing.assert_allclose(result.numpy(), np.array(case["output"], dtype="float32"), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_config_and_serialize_match_keras(case):
    constraint = build(case)
    assert constraint.get_config() == case["config"]
    assert constraints.serialize(constraint) == case["serialized"]
    restored = constraints.deserialize(case["serialized"])
    assert type(restored) is type(constraint) and restored.get_config() == constraint.get_config()


@pytest.mark.parametrize("name", sorted(GOLDEN["names"]["constraints"]))
def test_string_names_resolve_as_in_keras(name):
    expected = GOLDEN["names"]["constraints"][name]
    constraint = constraints.get(name)
    assert type(constraint).__name__ == expected["class_name"] and constraint.get_config() == expected["config"]


def test_max_norm_caps_column_norms():
    # From the definition: column norms above max_value come down to it, the others stay (up to epsilon).
    weight = torch.tensor([[3.0, 0.3], [4.0, 0.4]])
    result = constraints.MaxNorm(max_value=2.0)(weight)
    torch.testing.assert_close(result.norm(dim=0), torch.tensor([2.0, 0.5]), rtol=1e-5, atol=0)


def test_base_constraint_is_identity_and_get_passes_through():
    weight = torch.randn(3, 3)
    assert constraints.Constraint()(weight) is weight
    assert constraints.get(None) is None
    instance = constraints.NonNeg()
    assert constraints.get(instance) is instance
    assert type(constraints.get(constraints.UnitNorm)) is constraints.UnitNorm


def test_snake_case_aliases_are_the_classes():
    assert constraints.max_norm is constraints.MaxNorm and constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm and constraints.min_max_norm is constraints.MinMaxNorm


def test_unknown_name_lists_valid_names_closest_first():
    with pytest.raises(ValueError, match=r"Unknown constraint: 'maxnorm'.*closest first: max_norm"):
        constraints.get("maxnorm")


def test_uninterpretable_identifier_is_refused():
    with pytest.raises(ValueError, match="Could not interpret constraint identifier: 2"):
        constraints.get(2)
