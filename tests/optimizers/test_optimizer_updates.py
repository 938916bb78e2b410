"""Each optimizer configuration reproduces real Keras 3's variables step by step
(tests/golden/optimizers/optimizers.json, written by tools/golden_optimizers.py)."""
import contextlib
import warnings

import numpy as np
import pytest
import torch

from kerastorch import optimizers
from golden_loader import golden_json

GOLDEN = golden_json("optimizers/optimizers.json")
SHAPES = [tuple(shape) for shape in GOLDEN["shapes"]]


def make_optimizer(case):
    arguments = dict(case["arguments"])
    if isinstance(arguments.get("learning_rate"), dict):
        arguments["learning_rate"] = optimizers.schedules.deserialize(arguments["learning_rate"])
    optimizer = getattr(optimizers, case["class_name"])(**arguments)
    if case["exclude_bias"]:
        optimizer.exclude_from_weight_decay(var_names=["bias"])
    return optimizer


def make_variables():
    variables = []
    for values, shape, path in zip(GOLDEN["initial"], SHAPES, ["dense/kernel", "dense/bias"]):
        variable = torch.nn.Parameter(torch.tensor(values, dtype=torch.float32).reshape(shape))
        variable.path = path
        variables.append(variable)
    return variables


def as_tensors(step_gradients):
    return [None if g is None else torch.tensor(g, dtype=torch.float32).reshape(shape)
            for g, shape in zip(step_gradients, SHAPES)]


@contextlib.contextmanager
def warns_of_missing_gradient(expected):
    """Keras warns when a variable has no gradient; no other warning may appear."""
    if expected:
        with pytest.warns(UserWarning, match="Gradients do not exist"):
            yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def assert_matches_keras(variables, expected, context):
    for variable, values in zip(variables, expected):
        np.testing.assert_allclose(variable.detach().numpy().ravel(), values, rtol=1e-6, atol=1e-6,
                                   err_msg=context)


def check_apply_matches_keras(case_name, optimizer):
    case = GOLDEN["cases"][case_name]
    variables = make_variables()
    for step, (gradients, expected) in enumerate(zip(case["gradients"], case["variables"])):
        np.testing.assert_allclose(float(optimizer.learning_rate), case["learning_rates"][step], rtol=1e-6)
        with warns_of_missing_gradient(None in gradients):
            optimizer.apply(as_tensors(gradients), variables)
        assert_matches_keras(variables, expected, f"{case_name} after step {step + 1}")
    assert optimizer.iterations == case["iterations"]


@pytest.mark.parametrize("case_name", sorted(GOLDEN["cases"]))
def test_apply_matches_keras(case_name):
    check_apply_matches_keras(case_name, make_optimizer(GOLDEN["cases"][case_name]))


ADAM_CASES = sorted(name for name, case in GOLDEN["cases"].items() if case["class_name"] in ("Adam", "AdamW"))


@pytest.mark.parametrize("case_name", ADAM_CASES)
def test_adam_foreach_path_matches_keras_too(case_name):
    # float32 on the CPU takes torch's fused Adam kernel; the foreach path serves the other cases.
    optimizer = make_optimizer(GOLDEN["cases"][case_name])
    optimizer._fused_kernel_available = False
    check_apply_matches_keras(case_name, optimizer)


@pytest.mark.parametrize("case_name", sorted(GOLDEN["cases"]))
def test_step_from_grad_attributes_matches_keras(case_name):
    case = GOLDEN["cases"][case_name]
    optimizer, variables = make_optimizer(case), make_variables()
    for step, (gradients, expected) in enumerate(zip(case["gradients"], case["variables"])):
        for variable, gradient in zip(variables, as_tensors(gradients)):
            variable.grad = gradient
        optimizer.step(variables)
        assert_matches_keras(variables, expected, f"{case_name} after step {step + 1}")


def test_apply_gradients_pairs_match_keras():
    case = GOLDEN["cases"]["adam"]
    optimizer, variables = make_optimizer(case), make_variables()
    gradients = as_tensors(case["gradients"][0])
    assert optimizer.apply_gradients(zip(gradients, variables)) == 1
    assert_matches_keras(variables, case["variables"][0], "apply_gradients")


def test_float64_variables_follow_the_same_rule():
    case = GOLDEN["cases"]["nadam"]
    optimizer = make_optimizer(case)
    variables = [torch.nn.Parameter(v.detach().double()) for v in make_variables()]
    for gradients in case["gradients"]:
        optimizer.apply([g.double() for g in as_tensors(gradients)], variables)
    for variable, values in zip(variables, case["variables"][-1]):
        np.testing.assert_allclose(variable.detach().numpy().ravel(), values, rtol=1e-5, atol=1e-6)
