"""kerastorch.regularizers against Keras 3.15 (tests/golden/regularizers.json, tools/golden_regularizers.py)."""

import pytest
import torch

from kerastorch import regularizers
from golden_loader import golden_json

GOLDEN = golden_json("regularizers.json")
CASES = GOLDEN["regularizers"]
CLASS_CASES = [case for case in CASES if case["weight"] == "kernel"]


def case_id(case):
    return case["class_name"] + "".join(f"-{k}={v}" for k, v in case["kwargs"].items()) + "-" + case["weight"]


def build(case):
    return getattr(regularizers, case["class_name"])(**case["kwargs"])


def approx_config(config):
    # Keras stores L1's and OrthogonalRegularizer's factors as float32 tensors, so its configs read back
    # 0.009999999776482582 for 0.01: compare floats to float32 precision.
    return {k: pytest.approx(v, rel=1e-7) if isinstance(v, float) else v for k, v in config.items()}


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_penalty_matches_keras(case):
    weight = torch.tensor(GOLDEN["weights"][case["weight"]], dtype=torch.float32)
    penalty = build(case)(weight)
    assert isinstance(penalty, torch.Tensor) and penalty.dim() == 0 and penalty.dtype == torch.float32
    assert penalty.item() == pytest.approx(case["penalty"], rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("case", CLASS_CASES, ids=[case_id(c) for c in CLASS_CASES])
def test_config_and_serialize_match_keras(case):
    regularizer = build(case)
    assert regularizer.get_config() == approx_config(case["config"])
    serialized = regularizers.serialize(regularizer)
    assert {k: v for k, v in serialized.items() if k != "config"} == {
        k: v for k, v in case["serialized"].items() if k != "config"}
    restored = regularizers.deserialize(serialized)
    assert type(restored) is type(regularizer) and restored.get_config() == regularizer.get_config()


@pytest.mark.parametrize("name", sorted(GOLDEN["names"]["regularizers"]))
def test_string_names_resolve_as_in_keras(name):
    expected = GOLDEN["names"]["regularizers"][name]
    regularizer = regularizers.get(name)
    assert type(regularizer).__name__ == expected["class_name"]
    assert regularizer.get_config() == approx_config(expected["config"])


def test_l1_l2_name_uses_the_documented_factors():
    # Keras 3 documents `kernel_regularizer='l1_l2'` as l1=0.01, l2=0.01 (its own lookup only knows 'l1l2').
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}


def test_lowercase_aliases_are_the_classes_with_keras_defaults():
    assert regularizers.l2 is regularizers.L2 and regularizers.l2().l2 == 0.01
    assert regularizers.l1 is regularizers.L1 and regularizers.l1().l1 == 0.01
    assert regularizers.l1_l2 is regularizers.L1L2 and regularizers.l1_l2().get_config() == {"l1": 0.0, "l2": 0.0}


def test_get_passes_through_instances_callables_and_none():
    assert regularizers.get(None) is None
    instance = regularizers.L2(0.5)
    assert regularizers.get(instance) is instance
    assert type(regularizers.get(regularizers.L1)) is regularizers.L1
    custom = lambda w: 0.1 * w.abs().sum()  # noqa: E731
    assert regularizers.get(custom) is custom


def test_penalty_is_differentiable():
    weight = torch.ones(3, 2, requires_grad=True)
    regularizers.L1L2(l1=0.1, l2=0.2)(weight).backward()
    torch.testing.assert_close(weight.grad, torch.full((3, 2), 0.1 + 2 * 0.2))


def test_unknown_name_lists_valid_names_closest_first():
    with pytest.raises(ValueError, match=r"Unknown regularizer: 'l3'.*closest first: l[12], l[12], "):
        regularizers.get("l3")


@pytest.mark.parametrize("make,message", [
    (lambda: regularizers.L2(-0.1), r"Invalid value for argument l2: expected a non-negative float.*l2=-0.1"),
    (lambda: regularizers.L1(float("nan")), "Invalid value for argument l1"),
    (lambda: regularizers.L1L2(l1="big"), "Invalid value for argument l1"),
    (lambda: regularizers.OrthogonalRegularizer(mode="diagonal"), "Expected one of .*Received: mode='diagonal'"),
    (lambda: regularizers.OrthogonalRegularizer()(torch.ones(2, 2, 2)), "must have rank 2.*\\(2, 2, 2\\)"),
    (lambda: regularizers.get(0.5), "Could not interpret regularizer identifier: 0.5"),
])
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_serialize_none_and_functions_as_keras_does():
    assert regularizers.serialize(None) is None

    def penalty(w):
        return w.abs().sum()
    config = regularizers.serialize(penalty)
    assert config["class_name"] == "function" and config["config"] == "penalty"
    assert regularizers.deserialize(config, custom_objects={"penalty": penalty}) is penalty
