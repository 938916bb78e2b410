"""The optimizer API the training engine and Keras users rely on: arguments, learning rate, step count,
constraints, state, configs and name lookup."""
import copy
import json
import pickle

import numpy as np
import pytest
import torch

from kerastorch import optimizers
from kerastorch.optimizers import schedules
from golden_loader import golden_json

GOLDEN = golden_json("optimizers/optimizers.json")


def make_variables():
    torch.manual_seed(0)
    return [torch.nn.Parameter(torch.randn(3, 2)), torch.nn.Parameter(torch.randn(4))]


def set_grads(variables, seed):
    generator = torch.Generator().manual_seed(1000 + seed)
    for variable in variables:
        variable.grad = torch.randn(variable.shape, generator=generator)


# ---- arguments -------------------------------------------------------------------------------------------------

def test_keras2_lr_argument_warns_and_sets_the_learning_rate():
    with pytest.warns(DeprecationWarning, match="use `learning_rate`"):
        optimizer = optimizers.Adam(lr=0.02)
    assert optimizer.learning_rate == pytest.approx(0.02)


def test_keras2_decay_argument_divides_each_step_rate():
    with pytest.warns(DeprecationWarning, match="InverseTimeDecay"):
        optimizer = optimizers.SGD(learning_rate=0.1, decay=0.5)
    variable = torch.zeros(1)
    for _ in range(2):
        optimizer.apply([torch.ones(1)], [variable])
    before = variable.clone()
    optimizer.apply([torch.ones(1)], [variable])
    # Keras 2: lr / (1 + decay * iterations), with 2 iterations done; `learning_rate` stays Keras 2's `lr`.
    assert float(before - variable) == pytest.approx(0.1 / (1 + 0.5 * 2))
    assert optimizer.learning_rate == pytest.approx(0.1)


def test_unknown_argument_is_an_error():
    with pytest.raises(ValueError, match="not recognized.*momentun"):
        optimizers.SGD(momentun=0.9)


@pytest.mark.parametrize("arguments", [{"use_ema": True}, {"gradient_accumulation_steps": 2}])
def test_unsupported_arguments_say_so(arguments):
    with pytest.raises(NotImplementedError, match=next(iter(arguments))):
        optimizers.Adam(**arguments)


def test_only_one_clipping_argument():
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.Adam(clipnorm=1.0, clipvalue=0.5)


@pytest.mark.parametrize("bad", ["fast", None, [0.1]])
def test_bad_learning_rate_names_what_was_received(bad):
    with pytest.raises(ValueError, match="learning_rate="):
        optimizers.SGD(learning_rate=bad)


def test_adamw_requires_a_weight_decay():
    with pytest.raises(ValueError, match="weight_decay=None"):
        optimizers.AdamW(weight_decay=None)


def test_sgd_momentum_range():
    with pytest.raises(ValueError, match="momentum=1.5"):
        optimizers.SGD(momentum=1.5)


def test_automatic_names_are_snake_case_and_unique():
    first, second = optimizers.RMSprop(), optimizers.RMSprop()
    assert first.name.startswith("rm_sprop") and second.name.startswith("rm_sprop")
    assert first.name != second.name
    assert optimizers.Adam(name="mine").name == "mine"


# ---- learning rate and iterations ------------------------------------------------------------------------------

def test_learning_rate_reads_and_sets_as_a_float():
    optimizer = optimizers.Adam(learning_rate=0.01)
    assert isinstance(optimizer.learning_rate, float) and optimizer.learning_rate == 0.01
    optimizer.learning_rate = 0.5
    assert optimizer.learning_rate == 0.5
    optimizer.lr = 0.25  # Keras 2's name
    assert optimizer.lr == 0.25 and optimizer.learning_rate == 0.25
    optimizer.learning_rate.assign(0.125)  # Keras 3 callbacks write this
    assert optimizer.learning_rate == 0.125
    assert optimizer.learning_rate.numpy() == np.float32(0.125)


def test_set_learning_rate_is_used_by_the_next_step():
    variables = make_variables()
    before = variables[1].detach().clone()
    optimizer = optimizers.SGD(learning_rate=0.1)
    optimizer.learning_rate = 0.5
    set_grads(variables, 0)
    optimizer.step(variables)
    torch.testing.assert_close(variables[1].detach(), before - 0.5 * variables[1].grad)


def test_schedule_learning_rate_follows_iterations_and_cannot_be_set_to_a_float():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    optimizer = optimizers.SGD(learning_rate=schedule)
    variables = make_variables()
    assert optimizer.learning_rate == pytest.approx(0.1)
    set_grads(variables, 0)
    optimizer.step(variables)
    assert optimizer.learning_rate == pytest.approx(0.05)
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.01


def test_learning_rate_copies_are_plain_floats():
    value = optimizers.SGD(learning_rate=0.5).learning_rate
    assert type(copy.deepcopy(value)) is float and pickle.loads(pickle.dumps(value)) == 0.5


def test_callable_learning_rate_is_called_each_step():
    rates = iter([0.5, 0.25])
    optimizer = optimizers.SGD(learning_rate=lambda: next(rates))
    assert optimizer.learning_rate == 0.5
    assert optimizer.learning_rate == 0.25


def test_iterations_count_steps():
    optimizer = optimizers.Adam()
    variables = make_variables()
    assert optimizer.iterations == 0
    for seed in range(3):
        set_grads(variables, seed)
        optimizer.step(variables)
    optimizer.apply([torch.ones(3, 2), torch.ones(4)], variables)
    assert optimizer.iterations == 4 and int(optimizer.iterations.numpy()) == 4


# ---- applying gradients ----------------------------------------------------------------------------------------

def test_constraint_is_applied_after_each_step():
    variables = make_variables()
    variables[0].constraint = lambda w: torch.clamp(w, min=0.0)
    optimizer = optimizers.SGD(learning_rate=1.0)
    set_grads(variables, 0)
    unconstrained = variables[0].detach() - variables[0].grad
    optimizer.step(variables)
    torch.testing.assert_close(variables[0].detach(), torch.clamp(unconstrained, min=0.0))
    assert (unconstrained < 0).any()
    optimizer.apply([torch.full((3, 2), 10.0), torch.zeros(4)], variables)
    assert (variables[0] >= 0).all()


def test_step_skips_variables_without_gradients_and_their_state():
    variables = make_variables()
    optimizer = optimizers.Adam(learning_rate=0.1)
    frozen = variables[1].detach().clone()
    variables[0].grad = torch.ones(3, 2)
    optimizer.step(variables)
    torch.testing.assert_close(variables[1].detach(), frozen)
    momentum_of_frozen = optimizer.variables[4]  # iteration, learning_rate, kernel m, kernel v, bias m, bias v
    assert momentum_of_frozen.shape == (4,) and not momentum_of_frozen.any()
    assert optimizer.iterations == 1


def test_step_without_any_gradient_is_an_error():
    with pytest.raises(ValueError, match="No gradients"):
        optimizers.SGD().step(make_variables())


def test_clipping_leaves_the_grad_attributes_alone():
    variables = make_variables()
    set_grads(variables, 0)
    grads = [variable.grad.clone() for variable in variables]
    optimizers.SGD(clipnorm=0.1).step(variables)
    for variable, grad in zip(variables, grads):
        torch.testing.assert_close(variable.grad, grad)


def test_apply_checks_counts_shapes_and_known_variables():
    optimizer = optimizers.SGD()
    variables = make_variables()
    with pytest.raises(ValueError, match="must already be built"):
        optimizer.apply([torch.ones(3, 2), torch.ones(4)])
    with pytest.raises(ValueError, match="2 variables"):
        optimizer.apply([torch.ones(3, 2)], variables)
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*shape \(3, 2\)"):
        optimizer.apply([torch.ones(2, 3), torch.ones(4)], variables)
    with pytest.raises(ValueError, match="Unknown variable"):
        optimizer.apply([torch.ones(5)], [torch.nn.Parameter(torch.ones(5))])


def test_apply_accepts_numpy_gradients_of_another_dtype():
    variables = make_variables()
    before = variables[1].detach().clone()
    optimizers.SGD(learning_rate=1.0).apply([np.zeros((3, 2)), np.ones(4, dtype=np.float64)], variables)
    torch.testing.assert_close(variables[1].detach(), before - 1.0)


def test_weight_decay_skips_excluded_variables():
    variables = make_variables()
    optimizer = optimizers.SGD(learning_rate=0.5, weight_decay=0.2)
    optimizer.exclude_from_weight_decay(var_list=[variables[1]])
    before = [variable.detach().clone() for variable in variables]
    optimizer.apply([torch.zeros(3, 2), torch.zeros(4)], variables)
    torch.testing.assert_close(variables[0].detach(), before[0] * (1 - 0.2 * 0.5))
    torch.testing.assert_close(variables[1].detach(), before[1])
    with pytest.raises(ValueError, match="before the optimizer is built"):
        optimizer.exclude_from_weight_decay(var_names=["bias"])


def test_step_lists_are_reused_while_the_variables_are_the_same():
    variables = make_variables()
    optimizer = optimizers.Adam()
    set_grads(variables, 0)
    optimizer.step(variables)
    lists = optimizer._step_lists
    set_grads(variables, 1)
    optimizer.step(list(variables))
    assert optimizer._step_lists is lists


def test_slots_follow_each_variables_dtype():
    variables = [torch.nn.Parameter(torch.ones(2, dtype=torch.float64)), torch.nn.Parameter(torch.ones(3))]
    optimizer = optimizers.Adam()
    optimizer.build(variables)
    assert [slot.dtype for slot in optimizer.variables[2:]] == [torch.float64] * 2 + [torch.float32] * 2


def test_float32_adam_runs_torchs_fused_kernel():
    variables = make_variables()
    optimizer = optimizers.Adam()
    set_grads(variables, 0)
    optimizer.step(variables)
    assert optimizer._step_lists.fused_device == torch.device("cpu")
    assert float(optimizer._fused_step_counts[torch.device("cpu")]) == 1.0


def test_build_refuses_non_float_tensors():
    with pytest.raises(ValueError, match="floating-point.*int64"):
        optimizers.SGD().build([torch.ones(2, dtype=torch.int64)])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_variables_get_cuda_slots_and_update_without_host_reads():
    variables = [torch.nn.Parameter(torch.ones(3, 2, device="cuda")), torch.nn.Parameter(torch.ones(4, device="cuda"))]
    optimizer = optimizers.Nadam(learning_rate=0.1, global_clipnorm=1.0, weight_decay=0.01)
    for variable in variables:
        variable.grad = torch.ones_like(variable)
    torch.cuda.set_sync_debug_mode("error")
    try:
        optimizer.step(variables)
        optimizer.step(variables)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert all(slot.device.type == "cuda" for slot in optimizer.variables[2:-1])
    assert (variables[0] < 1).all()


# ---- state ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(GOLDEN["state_layouts"]))
def test_variables_follow_keras_order(key):
    layout = GOLDEN["state_layouts"][key]
    arguments = dict(layout["arguments"])
    if isinstance(arguments.get("learning_rate"), dict):
        arguments["learning_rate"] = schedules.deserialize(arguments["learning_rate"])
    optimizer = getattr(optimizers, layout["class_name"])(**arguments)
    optimizer.build([torch.nn.Parameter(torch.zeros(3, 2)), torch.nn.Parameter(torch.zeros(4))])
    assert [list(v.shape) for v in optimizer.variables] == layout["shapes"]


def test_set_weights_restores_state_so_training_continues_identically():
    def train(optimizer, variables, seeds):
        for seed in seeds:
            set_grads(variables, seed)
            optimizer.step(variables)

    reference_variables = make_variables()
    reference = optimizers.Nadam(learning_rate=0.1)
    train(reference, reference_variables, range(4))

    variables = make_variables()
    first = optimizers.Nadam(learning_rate=0.1)
    train(first, variables, range(2))
    store = {}
    first.save_own_variables(store)
    resumed = optimizers.Nadam(learning_rate=0.1)
    resumed.build(variables)
    resumed.load_own_variables(store)
    assert resumed.iterations == 2
    train(resumed, variables, range(2, 4))
    for variable, expected in zip(variables, reference_variables):
        torch.testing.assert_close(variable.detach(), expected.detach())


def test_set_weights_checks_the_count():
    optimizer = optimizers.Adam()
    with pytest.raises(ValueError, match="not yet been built"):
        optimizer.set_weights([])
    optimizer.build(make_variables())
    with pytest.raises(ValueError, match="Expected 6 optimizer weights, received 1"):
        optimizer.set_weights([np.zeros(())])


# ---- configs and lookup ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("class_name", sorted(GOLDEN["default_configs"]))
def test_default_config_matches_keras(class_name):
    expected = dict(GOLDEN["default_configs"][class_name])
    config = getattr(optimizers, class_name)().get_config()
    assert list(config) == list(expected)
    assert config.pop("learning_rate") == pytest.approx(expected.pop("learning_rate"))
    config.pop("name"), expected.pop("name")
    assert config == expected


def test_config_round_trip_with_a_schedule():
    schedule = schedules.CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=3)
    optimizer = optimizers.RMSprop(learning_rate=schedule, momentum=0.5, clipnorm=1.0, name="rms")
    config = optimizer.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    restored = optimizers.RMSprop.from_config(json.loads(json.dumps(config)))
    assert restored.get_config() == config
    assert optimizers.deserialize(optimizers.serialize(optimizer)).get_config() == config


def test_get_resolves_names_in_any_case_instances_and_dicts():
    assert type(optimizers.get("adam")) is optimizers.Adam
    assert type(optimizers.get("RMSprop")) is optimizers.RMSprop
    assert type(optimizers.get("SGD")) is optimizers.SGD
    for name in ["adamw", "adagrad", "adadelta", "adamax", "nadam", "lion"]:
        assert type(optimizers.get(name)).__name__.lower() == name
    instance = optimizers.Lion()
    assert optimizers.get(instance) is instance
    assert optimizers.get(None) is None
    from_dict = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.5, "momentum": 0.9}})
    assert from_dict.momentum == 0.9 and from_dict.learning_rate == 0.5


def test_unknown_optimizer_name_lists_valid_names_closest_first():
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'adma'.*closest first: ada"):
        optimizers.get("adma")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(42)
