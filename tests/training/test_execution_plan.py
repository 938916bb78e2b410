"""The trainer's execution plan (training/execution_plan.py): a ReLU moved past the max pooling after it gives
the same values and gradients, bit for bit, as running the layers one after another; it applies only inside the
plan's ``active()`` block (the trainer's loops), never in a plain call, and never where anything can observe the
difference (hooks, activity regularizers, masks)."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import global_state
from kerastorch.backend import set_keras_mask
from kerastorch.training import trainer as trainer_module
from kerastorch.training.execution_plan import ExecutionPlan, ReluAfterPooling, plan_for

L = keras.layers


def _planned(model, x):
    """``model(x)`` as the trainer's loops run it: through the model's plan."""
    plan = plan_for(model)
    assert plan is not None
    with plan.active():
        return model(x)


def _steps(model):
    return plan_for(model).sequential_steps(model)


def _layer_by_layer(model, x):
    for layer in model.layers:
        x = layer(x)
    return x


def _outputs_and_grads(model, x, run):
    for p in model.parameters():
        p.grad = None
    x = x.clone().requires_grad_(True)
    with torch.enable_grad():
        out = run(model, x)
        (out * torch.linspace(-1, 1, out.numel()).view(out.shape)).sum().backward()
    return out.detach(), x.grad, [p.grad.clone() for p in model.parameters() if p.requires_grad]


def _assert_identical(a, b):
    torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True)


def _assert_same_run(model, x):
    fused = _outputs_and_grads(model, x, _planned)
    plain = _outputs_and_grads(model, x, _layer_by_layer)
    for a, b in zip([fused[0], fused[1]] + fused[2], [plain[0], plain[1]] + plain[2]):
        _assert_identical(a, b)


def _inputs(kind, shape):
    torch.manual_seed(0)
    x = torch.randn(shape)
    if kind == "ties":     # constant regions: equal positive maxima in many windows
        x = torch.ones(shape)
        x[:, : shape[1] // 2] = -1.0
    elif kind == "nan":
        x[0, 2, 3] = float("nan")
    return x


@pytest.mark.parametrize("kind", ["random", "ties", "nan"])
@pytest.mark.parametrize("pooling", [
    lambda: L.MaxPooling2D(2),
    lambda: L.MaxPooling2D(3, strides=2, padding="same"),
    lambda: L.MaxPooling2D((2, 3), strides=(1, 2)),
    lambda: L.GlobalMaxPooling2D(),
])
def test_conv_relu_then_max_pooling_matches_layer_by_layer(kind, pooling):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([L.Input((9, 10, 3)), L.Conv2D(4, 3, activation="relu", bias_initializer="ones"),
                              pooling(), L.Flatten(), L.Dense(3)])
    assert isinstance(_steps(model)[0], ReluAfterPooling)
    _assert_same_run(model, _inputs(kind, (2, 9, 10, 3)))


@pytest.mark.parametrize("relu", [lambda: L.ReLU(), lambda: L.Activation("relu")])
def test_relu_layer_then_max_pooling_matches_layer_by_layer(relu):
    keras.utils.set_random_seed(2)
    model = keras.Sequential([L.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same"), L.BatchNormalization(), relu(),
                              L.MaxPooling2D(2), L.Flatten(), L.Dense(2)])
    assert isinstance(_steps(model)[2], ReluAfterPooling)
    _assert_same_run(model, _inputs("random", (3, 8, 8, 3)))


def test_channels_first_and_1d_convolutions_match():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([L.Input((3, 9, 9)),
                              L.Conv2D(4, 3, activation="relu", data_format="channels_first"),
                              L.MaxPooling2D(2, data_format="channels_first"), L.Flatten(), L.Dense(2)])
    _assert_same_run(model, _inputs("random", (2, 3, 9, 9)))
    model = keras.Sequential([L.Input((11, 2)), L.Conv1D(3, 2, activation="relu"), L.MaxPooling1D(2),
                              L.Flatten(), L.Dense(2)])
    _assert_same_run(model, _inputs("random", (2, 11, 2)))


def test_functional_model_reorders_only_a_relu_that_only_the_pooling_sees():
    keras.utils.set_random_seed(4)
    inputs = keras.Input((10, 10, 2))
    a = L.Conv2D(3, 3, activation="relu")(inputs)
    pooled = L.MaxPooling2D(2)(a)
    b = L.Conv2D(3, 3, activation="relu")(inputs)      # also read by the second output: not reordered
    side = L.MaxPooling2D(2)(b)
    outputs = [L.Dense(2)(L.Flatten()(L.Concatenate()([pooled, side]))), L.GlobalAveragePooling2D()(b)]
    model = keras.Model(inputs, outputs)
    overrides = plan_for(model).functional_overrides(model)
    assert [node.layer for node, _ in filter(None, overrides.values())] == [a._keras_history.operation]
    assert list(overrides.values()).count(None) == 1   # the convolution's node: computed by the pooling's step

    x = _inputs("random", (2, 10, 10, 2))
    fused = _planned(model, x)
    plain = model(x)
    for f, p in zip(fused, plain):
        assert torch.equal(f, p)
    assert plain[1].min() >= 0   # the shared convolution kept its ReLU


def test_not_applied_to_other_relus():
    model = keras.Sequential([L.Input((6, 6, 1)), L.ReLU(max_value=6.0), L.MaxPooling2D(2),
                              L.Conv2D(2, 3, activation="relu6"), L.MaxPooling2D(2, padding="same"),
                              L.Conv2D(2, 1, activation="relu"), L.AveragePooling2D(1)])
    assert plan_for(model) is None


def test_a_hook_sees_the_activated_output():
    model = keras.Sequential([L.Input((6, 6, 1)), L.Conv2D(2, 3, activation="relu"), L.MaxPooling2D(2)])
    seen = []
    model.layers[0].register_forward_hook(lambda module, args, output: seen.append(output))
    _planned(model, -torch.ones(1, 6, 6, 1) + torch.randn(1, 6, 6, 1))
    assert seen[0].shape == (1, 4, 4, 2) and seen[0].min() >= 0


def test_activity_regularizer_sees_the_activated_output():
    keras.utils.set_random_seed(5)
    model = keras.Sequential([L.Input((6, 6, 1)), L.Conv2D(2, 3, activation="relu", activity_regularizer="l1",
                                                              bias_initializer="ones"),
                              L.MaxPooling2D(2)])
    x = _inputs("random", (2, 6, 6, 1))
    _planned(model, x)
    fused_penalty = model.losses[0]
    _layer_by_layer(model, x)
    assert torch.equal(model.losses[0], fused_penalty)


def test_a_failed_reordered_call_leaves_the_layer_as_it_was():
    model = keras.Sequential([L.Input((6, 6, 1)), L.Conv2D(2, 3, activation="relu"), L.MaxPooling2D(2)])
    conv = model.layers[0]
    with pytest.raises(ValueError):
        _planned(model, torch.zeros(1, 6, 6, 5))
    assert conv(torch.full((1, 6, 6, 1), -1.0)).min() >= 0


def test_a_subclass_with_its_own_call_keeps_its_activation():
    class Scaled(L.Conv2D):
        def call(self, inputs):
            return super().call(inputs) * 2.0

    model = keras.Sequential([L.Input((6, 6, 1)), Scaled(2, 3, activation="relu"), L.MaxPooling2D(2)])
    assert plan_for(model) is None
    assert model(-torch.rand(1, 6, 6, 1)).min() >= 0


def test_plan_follows_add_and_pop():
    model = keras.Sequential([L.Input((6, 6, 1)), L.Conv2D(2, 3, activation="relu")])
    plan = ExecutionPlan(model)
    assert plan_for(model) is None and plan.sequential_steps(model) is None
    model.add(L.MaxPooling2D(2))
    assert isinstance(plan.sequential_steps(model)[0], ReluAfterPooling)
    model.pop()
    assert plan.sequential_steps(model) is None


def test_fit_gives_the_same_weights_as_layer_by_layer_training(monkeypatch):
    def train(reorder):
        keras.utils.set_random_seed(6)
        model = keras.Sequential([L.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
                                  L.Flatten(), L.Dense(3, activation="softmax")])
        if not reorder:
            monkeypatch.setattr(trainer_module, "plan_for", lambda model: None)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        rng = np.random.default_rng(0)
        model.fit(rng.normal(size=(64, 8, 8, 1)).astype("float32"), rng.integers(0, 3, 64), batch_size=16,
                  epochs=2, verbose=0, shuffle=False)
        return model.get_weights()

    for a, b in zip(train(True), train(False)):
        np.testing.assert_array_equal(a, b)


def _function_names(graph_module):
    return [getattr(node.target, "__name__", str(node.target)) for node in graph_module.graph.nodes
            if node.op == "call_function"]


def test_torch_compile_of_the_model_traces_the_plain_layers():
    keras.utils.set_random_seed(7)
    model = keras.Sequential([L.Input((10, 10, 2)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
                              L.Flatten(), L.Dense(3)])
    x = _inputs("random", (4, 10, 10, 2))
    graphs = []

    def capture(graph_module, example_inputs):
        graphs.append(_function_names(graph_module))
        return graph_module.forward

    torch._dynamo.reset()
    compiled = torch.compile(model, backend=capture)
    torch.testing.assert_close(compiled(x), model(x), rtol=1e-6, atol=1e-6)
    (names,) = graphs
    assert names.index("relu") < names.index("max_pool2d")
    # The trainer's jit_compile traces the model inside the plan: there the ReLU comes after the pooling.
    graphs.clear()
    torch._dynamo.reset()
    compiled = torch.compile(model, backend=capture)
    with plan_for(model).active():
        compiled(x)
    (names,) = graphs
    assert names.index("relu") > names.index("max_pool2d")


@pytest.mark.slow
def test_fit_with_jit_compile_matches_eager_fit():
    def train(jit):
        keras.utils.set_random_seed(8)
        model = keras.Sequential([L.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
                                  L.Flatten(), L.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=jit)
        rng = np.random.default_rng(0)
        history = model.fit(rng.normal(size=(40, 8, 8, 1)).astype("float32"), rng.integers(0, 3, 40),
                            batch_size=16, epochs=2, verbose=0, shuffle=False)
        return history.history["loss"], model.get_weights()

    eager_loss, eager_weights = train(False)
    jit_loss, jit_weights = train(True)
    np.testing.assert_allclose(jit_loss, eager_loss, rtol=1e-5)
    for a, b in zip(jit_weights, eager_weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


# ---- the plan runs only inside the trainer's loops, and never under hooks ------------------------------------

def _conv_pool_model():
    keras.utils.set_random_seed(9)
    return keras.Sequential([L.Input((12, 12, 1)), L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(2),
                             L.Flatten(), L.Dense(3, activation="softmax")])


def _count_steps(monkeypatch):
    calls = []
    original = ReluAfterPooling.__call__

    def counted(self, inputs):
        calls.append(self)
        return original(self, inputs)

    monkeypatch.setattr(ReluAfterPooling, "__call__", counted)
    return calls


def test_a_plain_call_never_uses_the_plan(monkeypatch):
    calls = _count_steps(monkeypatch)
    model = _conv_pool_model()
    x = torch.rand(4, 12, 12, 1)
    model(x)
    model.forward(x)
    model(x, training=True)
    assert calls == [] and global_state.active_execution_plan() is None
    model.predict(x.numpy(), verbose=0)   # the trainer's own loop
    assert calls


def test_a_traced_graph_has_the_relu_before_the_pooling():
    model = _conv_pool_model()
    graph = torch.jit.trace(model, torch.rand(2, 12, 12, 1)).inlined_graph
    kinds = [node.kind() for node in graph.nodes()]
    assert "aten::relu" in kinds and kinds.index("aten::relu") < kinds.index("aten::max_pool2d")


def _register(kind, model):
    conv, pooling, dense = model.layers[0], model.layers[1], model.layers[-1]
    module = torch.nn.modules.module
    return {
        "forward": lambda: conv.register_forward_hook(lambda m, args, out: None),
        "forward_pre": lambda: pooling.register_forward_pre_hook(lambda m, args: None),
        "full_backward": lambda: conv.register_full_backward_hook(lambda m, gi, go: None),
        "backward_pre": lambda: dense.register_full_backward_pre_hook(lambda m, go: None),
        "model_forward": lambda: model.register_forward_hook(lambda m, args, out: None),
        "global_forward": lambda: module.register_module_forward_hook(lambda m, args, out: None),
        "global_forward_pre": lambda: module.register_module_forward_pre_hook(lambda m, args: None),
        "global_backward": lambda: module.register_module_full_backward_hook(lambda m, gi, go: None),
    }[kind]()


@pytest.mark.parametrize("kind", ["forward", "forward_pre", "full_backward", "backward_pre", "model_forward",
                                  "global_forward", "global_forward_pre", "global_backward"])
def test_any_hook_turns_the_plan_off(kind):
    model = _conv_pool_model()
    plan = plan_for(model)
    handle = _register(kind, model)
    try:
        with plan.active():
            assert global_state.active_execution_plan() is None
    finally:
        handle.remove()
    with plan.active():
        assert global_state.active_execution_plan() is plan
    assert global_state.active_execution_plan() is None


def test_a_backward_hook_on_a_convolution_fires_once_per_training_step():
    model = _conv_pool_model()
    fired = []
    model.layers[0].register_full_backward_hook(lambda module, grad_input, grad_output: fired.append(
        grad_output[0].shape))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    model.fit(rng.random((64, 12, 12, 1), dtype=np.float32), rng.integers(0, 3, 64), batch_size=16, epochs=2,
              verbose=0, shuffle=False)
    # 4 steps an epoch; the hook sees the convolution's own (activated, unpooled) output's gradient
    assert fired == [(16, 10, 10, 16)] * 8


def test_fit_evaluate_and_predict_run_the_plan(monkeypatch):
    calls = _count_steps(monkeypatch)
    model = _conv_pool_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(1)
    x, y = rng.random((32, 12, 12, 1), dtype=np.float32), rng.integers(0, 3, 32)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert len(calls) == 2
    model.evaluate(x, y, batch_size=16, verbose=0)
    assert len(calls) == 4
    predicted = model.predict(x, batch_size=16, verbose=0)
    assert len(calls) == 6
    np.testing.assert_allclose(predicted, model(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_a_step_whose_input_carries_a_mask_runs_the_plain_layers():
    model = _conv_pool_model()
    step = _steps(model)[0]
    x = torch.rand(2, 12, 12, 1)
    model(x)   # builds and checks the input shape: the step applies
    assert step(x).grad_fn.name().startswith("Relu")   # the ReLU ran last, after the pooling
    set_keras_mask(x, torch.ones(2, 12, 12, dtype=torch.bool))
    output = step(x)
    assert output.shape == (2, 5, 5, 16) and not output.grad_fn.name().startswith("Relu")


def test_a_layer_that_computes_masks_is_not_reordered():
    class MaskingPooling(L.MaxPooling2D):
        def compute_mask(self, inputs, mask=None):
            return mask

    model = keras.Sequential([L.Input((6, 6, 1)), L.Conv2D(2, 3, activation="relu"), MaskingPooling(2)])
    assert plan_for(model) is None


def test_a_sequential_nested_in_a_functional_model_runs_its_plan():
    keras.utils.set_random_seed(10)
    inner = keras.Sequential([L.Input((9, 9, 2)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2)])
    inputs = keras.Input((9, 9, 2))
    model = keras.Model(inputs, L.Dense(2)(L.Flatten()(inner(inputs))))
    assert plan_for(model).functional_overrides(model) is None
    assert isinstance(plan_for(model).sequential_steps(inner)[0], ReluAfterPooling)
    _assert_same_run(model, _inputs("random", (2, 9, 9, 2)))
