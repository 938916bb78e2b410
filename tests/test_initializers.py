"""kerastorch.initializers against Keras 3.15 (tests/golden/initializers.json, tools/golden_initializers.py)."""
import math

import numpy as np
import pytest
import torch

from kerastorch import backend, initializers
from golden_loader import golden_json

GOLDEN = golden_json("initializers.json")
CASES = GOLDEN["cases"]
SHAPED_CASES = [(case, key) for case in CASES for key in case["shapes"]]
SEEDED_CASES = [(case, key) for case in CASES for key in case.get("seeded", {})]
# Keras leaves Identity's gain out of its config; kerastorch keeps it, so the config round-trips.
EXTRA_CONFIG = {"Identity": {"gain"}}


def case_id(case, key=""):
    return case["class_name"] + "".join(f"-{k}={v}" for k, v in case["kwargs"].items()) + key


def build(case, **extra):
    return getattr(initializers, case["class_name"])(**case["kwargs"], **extra)


@pytest.mark.parametrize("case,key", SHAPED_CASES, ids=[case_id(c, k) for c, k in SHAPED_CASES])
def test_statistics_match_keras(case, key):
    expected = case["shapes"][key]
    seeded = "seeded" in case
    # A different seed from the fixture's: this compares distributions, not random streams.
    values = build(case, **({"seed": 12345} if seeded else {}))(tuple(expected["shape"]))
    assert list(values.shape) == expected["shape"] and str(values.dtype) == "torch." + expected["dtype"]
    values = values.double().numpy()
    stats = expected["stats"]
    n, sigma = stats["n"], stats["std"]
    if not seeded:  # constants are exact
        for name in ("mean", "std", "min", "max"):
            assert getattr(values, name)() == pytest.approx(stats[name], rel=1e-6, abs=1e-9), name
        return
    # Two independent samples of n: their means differ by sigma * sqrt(2 / n) (one standard error) and their
    # standard deviations by at most sigma * sqrt(1 / n) (the normal case; uniform is tighter). Allow 6 of each.
    assert abs(values.mean() - stats["mean"]) <= 6 * sigma * math.sqrt(2 / n)
    assert abs(values.std() - sigma) <= 6 * sigma * math.sqrt(1 / n)
    if expected["limit"] is not None:
        low, high = expected["limit"]
        outside = np.mean((values < low) | (values > high))
        # Uniform draws never leave [low, high]; Keras's truncated normal keeps an outside draw with p ~ 4e-6.
        assert outside <= 1e-4
        # ... and the samples reach the bounds: 1% of the range from each end holds >= 0.2% of the mass, so
        # missing it in 4608 draws has probability below e^-9.
        margin = 0.01 * (high - low)
        assert values.min() <= low + margin and values.max() >= high - margin


@pytest.mark.parametrize("case,key", SEEDED_CASES, ids=[case_id(c, k) for c, k in SEEDED_CASES])
def test_integer_seed_draws_the_same_values_as_keras(case, key):
    expected = np.array(case["seeded"][key], dtype="float32")
    values = build(case, seed=7)(tuple(expected.shape))
    np.testing.assert_allclose(values.numpy(), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_serialize_matches_keras(case):
    ours = initializers.serialize(build(case))
    keras = case["serialized"]
    extra = EXTRA_CONFIG.get(case["class_name"], set())
    assert {k: v for k, v in ours.items() if k != "config"} == {k: v for k, v in keras.items() if k != "config"}
    assert {k: v for k, v in ours["config"].items() if k not in extra} == keras["config"]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_config_round_trips(case):
    initializer = build(case)
    restored = initializers.deserialize(initializers.serialize(initializer))
    assert type(restored) is type(initializer) and restored.get_config() == initializer.get_config()
    assert initializer.clone().get_config() == initializer.get_config()


@pytest.mark.parametrize("name", sorted(GOLDEN["names"]))
def test_string_names_resolve_as_in_keras(name):
    expected = GOLDEN["names"][name]
    initializer = initializers.get(name)
    if "keras_error" in expected:
        # Keras 3.15 cannot build Constant from its name; kerastorch builds Constant(0.0).
        assert type(initializer) is initializers.Constant and initializer.value == 0.0
        return
    assert type(initializer).__name__ == expected["class_name"]
    extra = EXTRA_CONFIG.get(expected["class_name"], set())
    assert {k: v for k, v in initializer.get_config().items() if k not in extra} == expected["config"]


def test_fans_follow_keras_conv_kernel_convention():
    # (kh, kw, in, out): the receptive field kh * kw multiplies both fans.
    assert initializers.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert initializers.compute_fans((7, 5)) == (7, 5)
    assert initializers.compute_fans((4,)) == (4, 4)
    assert initializers.compute_fans(()) == (1, 1)


def test_same_seed_gives_identical_values_and_different_seeds_differ():
    for cls in (initializers.GlorotUniform, initializers.HeNormal, initializers.Orthogonal,
                initializers.RandomNormal, initializers.TruncatedNormal, initializers.RandomUniform):
        first, again, other = cls(seed=3)((8, 6)), cls(seed=3)((8, 6)), cls(seed=4)((8, 6))
        assert torch.equal(first, again), cls.__name__
        assert not torch.equal(first, other), cls.__name__
        instance = cls(seed=3)
        assert torch.equal(instance((8, 6)), instance((8, 6))), cls.__name__  # as Keras: a seed fixes the values


def test_unseeded_draws_follow_the_global_seed():
    initializer = initializers.GlorotUniform()
    backend.set_random_seed(11)
    first = initializer((5, 5))
    second = initializer((5, 5))
    backend.set_random_seed(11)
    assert torch.equal(initializer((5, 5)), first)
    assert not torch.equal(first, second)


def test_dtype_argument_and_floatx():
    assert initializers.GlorotUniform(seed=1)((2, 3), dtype="float64").dtype == torch.float64
    assert initializers.Zeros()((2, 3), dtype=torch.float16).dtype == torch.float16
    assert initializers.Ones()((2,), dtype="int32").dtype == torch.int32
    backend.set_floatx("float64")
    try:
        assert initializers.HeNormal(seed=1)((2, 3)).dtype == torch.float64
    finally:
        backend.set_floatx("float32")


def test_constant_accepts_arrays_that_broadcast():
    values = initializers.Constant([1.0, 2.0, 3.0])((2, 3))
    assert torch.equal(values, torch.tensor([[1.0, 2.0, 3.0]] * 2))
    assert initializers.Constant(np.array([1.0, 2.0])).get_config() == {"value": [1.0, 2.0]}


def test_orthogonal_is_orthogonal():
    # From the definition: with fewer rows than columns the rows are orthonormal, otherwise the columns.
    wide = initializers.Orthogonal(gain=2.0, seed=1)((4, 9)).double()
    torch.testing.assert_close(wide @ wide.T, 4 * torch.eye(4, dtype=torch.float64), atol=1e-5, rtol=0)
    tall = initializers.Orthogonal(seed=1)((3, 3, 4, 5)).reshape(36, 5).double()
    torch.testing.assert_close(tall.T @ tall, torch.eye(5, dtype=torch.float64), atol=1e-5, rtol=0)


def test_get_accepts_classes_callables_arrays_and_none():
    assert initializers.get(None) is None
    assert type(initializers.get(initializers.HeUniform)) is initializers.HeUniform
    instance = initializers.LecunNormal(seed=2)
    assert initializers.get(instance) is instance
    value = np.arange(6, dtype="float32").reshape(2, 3)
    assert torch.equal(initializers.get(value)((2, 3)), torch.from_numpy(value))
    with pytest.raises(ValueError, match=r"Expected `shape` to be \(2, 3\)"):
        initializers.get(value)((3, 2))
    config = {"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out", "distribution": "normal"}}
    restored = initializers.get(config)
    assert restored.distribution == "truncated_normal" and restored.mode == "fan_out"


def test_unknown_name_lists_valid_names_closest_first():
    with pytest.raises(ValueError, match=r"Unknown initializer: 'glorot_unifrom'.*closest first: glorot_uniform"):
        initializers.get("glorot_unifrom")


@pytest.mark.parametrize("make,message", [
    (lambda: initializers.VarianceScaling(scale=0), "Argument `scale` must be positive"),
    (lambda: initializers.VarianceScaling(mode="fan_sum"), "Invalid `mode` argument: 'fan_sum'"),
    (lambda: initializers.VarianceScaling(distribution="cauchy"), "Invalid `distribution` argument: 'cauchy'"),
    (lambda: initializers.RandomNormal(seed="seven"), "`seed` argument should be an integer"),
    (lambda: initializers.Identity()((2, 3, 4)), "only be used for 2D matrices"),
    (lambda: initializers.Orthogonal()((5,)), "at least two-dimensional"),
    (lambda: initializers.get(3.5), "Could not interpret initializer identifier: 3.5"),
])
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()
