"""Keras 2's optimizer API: ``lr``, ``decay`` per step, ``epsilon=None``, Nadam's ``schedule_decay``,
``keras.optimizers.legacy`` and the lowercase ``keras.optimizers.adam`` functions, checked step by step against
tf_keras's legacy optimizers (tests/golden/optimizers/keras2_decay.json, tools/golden_keras2_model_api.py)."""
import warnings

import numpy as np
import pytest
import torch

from kerastorch import backend, optimizers
from kerastorch.optimizers import legacy
from golden_loader import golden_json

DECAY = golden_json("optimizers/keras2_decay.json")

# tf.keras's legacy RMSprop adds epsilon under the square root (Keras 2.3.1 and Keras 3 add it after), which
# moves the first steps by a few 1e-6 at these gradients.
TOLERANCE = {"rmsprop_decay": 1e-5}


def run_steps(optimizer, case):
    variable = torch.tensor(case["initial"], dtype=torch.float32)
    after = []
    for grad in case["grads"]:
        optimizer.apply([torch.tensor(grad, dtype=torch.float32)], [variable])
        after.append(variable.numpy().copy())
    return after


def quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return function(*args, **kwargs)


@pytest.mark.parametrize("case_name", sorted(DECAY))
def test_legacy_optimizer_steps_match_tf_keras(case_name):
    case = DECAY[case_name]
    optimizer = quietly(getattr(legacy, case["class_name"]), **case["arguments"])
    for step, (got, expected) in enumerate(zip(run_steps(optimizer, case), case["after_each_step"])):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=TOLERANCE.get(case_name, 1e-6),
                                   err_msg=f"{case_name}, step {step + 1}")


@pytest.mark.parametrize("case_name", [name for name in sorted(DECAY) if DECAY[name]["class_name"] != "Nadam"])
def test_tf_keras_legacy_config_restores_the_same_steps(case_name):
    case = DECAY[case_name]
    optimizer = quietly(optimizers.deserialize, {"class_name": case["class_name"], "config": case["config"]})
    for got, expected in zip(run_steps(optimizer, case), case["after_each_step"]):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=TOLERANCE.get(case_name, 1e-6))


def test_tf_keras_legacy_nadam_config_keeps_keras_2_momentum_schedule():
    case = DECAY["nadam_schedule_decay"]
    optimizer = quietly(optimizers.deserialize, {"class_name": "Nadam", "config": case["config"]})
    assert optimizer.schedule_decay == pytest.approx(0.004)
    assert optimizer.learning_rate == pytest.approx(0.01)  # tf.keras's `decay` here is no learning-rate decay
    for got, expected in zip(run_steps(optimizer, case), case["after_each_step"]):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def step_sizes(optimizer, steps, variable=None):
    """How far each SGD step moves ``variable`` (a new one by default) with a gradient of 1: the rate that step
    applied."""
    variable = torch.zeros(1) if variable is None else variable
    sizes = []
    for _ in range(steps):
        before = float(variable)
        optimizer.apply([torch.ones(1)], [variable])
        sizes.append(before - float(variable))
    return sizes


def test_decay_is_applied_per_step_as_keras_2_did():
    optimizer = quietly(optimizers.SGD, lr=0.5, decay=0.25)
    assert step_sizes(optimizer, 3) == pytest.approx([0.5 / (1 + 0.25 * step) for step in range(3)])


def test_decayed_learning_rate_reads_and_sets_keras_2_lr():
    optimizer = quietly(optimizers.SGD, lr=0.5, decay=0.25)
    variable = torch.zeros(1)
    step_sizes(optimizer, 2, variable)
    assert float(optimizer.lr) == pytest.approx(0.5)   # Keras 2's optimizer.lr: the rate before the decay
    optimizer.learning_rate = 0.1                      # as ReduceLROnPlateau or K.set_value does
    assert step_sizes(optimizer, 1, variable) == pytest.approx([0.1 / (1 + 0.25 * 2)])


def test_decayed_optimizer_config_round_trips():
    optimizer = quietly(optimizers.Adam, lr=0.01, decay=0.2)
    assert optimizer.get_config()["decay"] == 0.2
    restored = quietly(optimizers.SGD.from_config, quietly(optimizers.SGD, lr=0.5, decay=0.25).get_config())
    assert step_sizes(restored, 2) == pytest.approx([0.5, 0.5 / 1.25])


def test_lr_warns_once_with_the_keras_3_name():
    with pytest.warns(DeprecationWarning, match="`lr` is deprecated: use `learning_rate`"):
        optimizers.RMSprop(lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        optimizers.RMSprop(lr=0.1)


def test_epsilon_none_is_the_backend_epsilon():
    with pytest.warns(DeprecationWarning, match="epsilon=None"):
        optimizer = optimizers.Adam(epsilon=None)
    assert optimizer.epsilon == backend.epsilon()
    optimizer.apply([torch.ones(2)], [torch.zeros(2)])


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam"])
def test_lowercase_keras_2_function_builds_the_optimizer(name):
    with pytest.warns(DeprecationWarning, match=f"`keras.optimizers.{name}` is deprecated"):
        optimizer = getattr(optimizers, name)(lr=0.05)
    assert type(optimizer).__name__.lower() == name
    assert float(optimizer.learning_rate) == pytest.approx(0.05)


def test_lowercase_name_is_still_the_module():
    from kerastorch.optimizers.adam import Adam
    assert optimizers.adam.Adam is Adam is optimizers.Adam


def test_legacy_namespace_holds_the_optimizers():
    assert legacy.Adam is optimizers.Adam and legacy.SGD is optimizers.SGD and legacy.Optimizer is optimizers.Optimizer


def test_legacy_nadam_defaults_to_keras_2_schedule_decay():
    assert legacy.Nadam().schedule_decay == 0.004
    assert optimizers.Nadam().schedule_decay is None


def test_missing_legacy_optimizer_is_named():
    with pytest.raises(AttributeError, match=r"^keras\.optimizers\.legacy\.Ftrl is not provided by kerastorch"):
        legacy.Ftrl  # noqa: B018


@pytest.mark.parametrize("identifier", ["adam", "Adam", "sgd", "SGD", "rmsprop", "RMSprop"])
def test_get_resolves_keras_2_names_in_any_case(identifier):
    assert type(optimizers.get(identifier)).__name__.lower() == identifier.lower()


def test_sgd_momentum_nesterov_and_clipnorm_are_in_the_config():
    config = quietly(optimizers.SGD, lr=0.01, momentum=0.9, nesterov=True, clipnorm=1.0).get_config()
    assert (config["momentum"], config["nesterov"], config["clipnorm"]) == (0.9, True, 1.0)


def test_k_set_value_on_lr_sets_the_learning_rate():
    from kerastorch import backend as K
    optimizer = quietly(optimizers.SGD, lr=0.1)
    K.set_value(optimizer.lr, 0.05)
    assert float(optimizer.learning_rate) == pytest.approx(0.05)
    assert K.get_value(optimizer.lr) == pytest.approx(0.05)
