"""Learning-rate schedules give Keras 3's values at each step and round-trip through their configs."""

import numpy as np
import pytest

from kerastorch.optimizers import schedules
from golden_loader import golden_json

GOLDEN = golden_json("optimizers/optimizers.json")
SCHEDULE_CASES = GOLDEN["schedules"]


def case_id(case):
    return case["spec"]["class_name"] + "-" + "-".join(f"{k}={v}" for k, v in sorted(case["spec"]["config"].items()))


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=case_id)
def test_values_match_keras(case):
    schedule = schedules.deserialize(case["spec"])
    values = [schedule(step) for step in GOLDEN["schedule_steps"]]
    assert all(isinstance(value, float) for value in values)
    # Keras computes in float32: compare relatively, with an absolute floor for values near zero.
    np.testing.assert_allclose(values, case["values"], rtol=2e-6, atol=1e-8)


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=case_id)
def test_serialize_matches_keras(case):
    schedule = schedules.deserialize(case["spec"])
    assert schedules.serialize(schedule) == case["serialized"]
    assert schedules.deserialize(schedules.serialize(schedule)).get_config() == schedule.get_config()


def test_schedule_accepts_numpy_steps():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert schedule(np.int64(10)) == pytest.approx(0.05)


@pytest.mark.parametrize("cls, argument", [
    (schedules.ExponentialDecay, "decay_steps"), (schedules.PolynomialDecay, "decay_steps"),
    (schedules.InverseTimeDecay, "decay_steps"), (schedules.CosineDecay, "decay_steps"),
    (schedules.CosineDecayRestarts, "first_decay_steps")])
def test_non_positive_decay_steps_is_an_error(cls, argument):
    arguments = {"initial_learning_rate": 0.1, argument: 0}
    if cls in (schedules.ExponentialDecay, schedules.InverseTimeDecay):
        arguments["decay_rate"] = 0.5
    with pytest.raises(ValueError, match=f"{argument}=0"):
        cls(**arguments)


def test_piecewise_lengths_must_agree():
    with pytest.raises(ValueError, match="1 less than the length of values"):
        schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5])


def test_unknown_schedule_name_lists_valid_names():
    with pytest.raises(ValueError, match="ExponentialDecay"):
        schedules.deserialize({"class_name": "ExponentialDecy", "config": {}})


def test_base_class_requires_call():
    with pytest.raises(NotImplementedError):
        schedules.LearningRateSchedule()(0)
