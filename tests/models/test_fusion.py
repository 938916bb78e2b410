"""The ReLU moved past the max pooling after it (models/_fusion.py): same values and gradients, bit for bit,
as running the layers one after another; applied only where nothing can observe the difference."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch.models._fusion import ReluAfterPooling

L = keras.layers


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
    fused = _outputs_and_grads(model, x, lambda m, v: m(v))
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
    assert isinstance(model._execution_plan()[0], ReluAfterPooling)
    _assert_same_run(model, _inputs(kind, (2, 9, 10, 3)))


@pytest.mark.parametrize("relu", [lambda: L.ReLU(), lambda: L.Activation("relu")])
def test_relu_layer_then_max_pooling_matches_layer_by_layer(relu):
    keras.utils.set_random_seed(2)
    model = keras.Sequential([L.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same"), L.BatchNormalization(), relu(),
                              L.MaxPooling2D(2), L.Flatten(), L.Dense(2)])
    assert isinstance(model._execution_plan()[2], ReluAfterPooling)
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
    plan = model._execution_plan()
    assert [node.layer for node in plan.values()] == [pooled._keras_history.operation]

    x = _inputs("random", (2, 10, 10, 2))
    fused = model(x)
    model.__dict__["_plan"] = {}
    plain = model(x)
    for f, p in zip(fused, plain):
        assert torch.equal(f, p)
    assert plain[1].min() >= 0   # the shared convolution kept its ReLU


def test_not_applied_to_other_relus():
    model = keras.Sequential([L.Input((6, 6, 1)), L.ReLU(max_value=6.0), L.MaxPooling2D(2),
                              L.Conv2D(2, 3, activation="relu6"), L.MaxPooling2D(2, padding="same"),
                              L.Conv2D(2, 1, activation="relu"), L.AveragePooling2D(1)])
    assert not any(isinstance(step, ReluAfterPooling) for step in model._execution_plan())


def test_a_hook_sees_the_activated_output():
    model = keras.Sequential([L.Input((6, 6, 1)), L.Conv2D(2, 3, activation="relu"), L.MaxPooling2D(2)])
    seen = []
    model.layers[0].register_forward_hook(lambda module, args, output: seen.append(output))
    model(-torch.ones(1, 6, 6, 1) + torch.randn(1, 6, 6, 1))
    assert seen[0].shape == (1, 4, 4, 2) and seen[0].min() >= 0


def test_activity_regularizer_sees_the_activated_output():
    keras.utils.set_random_seed(5)
    model = keras.Sequential([L.Input((6, 6, 1)), L.Conv2D(2, 3, activation="relu", activity_regularizer="l1",
                                                              bias_initializer="ones"),
                              L.MaxPooling2D(2)])
    x = _inputs("random", (2, 6, 6, 1))
    model(x)
    fused_penalty = model.losses[0]
    _layer_by_layer(model, x)
    assert torch.equal(model.losses[0], fused_penalty)


def test_a_failed_reordered_call_leaves_the_layer_as_it_was():
    model = keras.Sequential([L.Input((6, 6, 1)), L.Conv2D(2, 3, activation="relu"), L.MaxPooling2D(2)])
    conv = model.layers[0]
    with pytest.raises(ValueError):
        model(torch.zeros(1, 6, 6, 5))
    assert conv(torch.full((1, 6, 6, 1), -1.0)).min() >= 0


def test_a_subclass_with_its_own_call_keeps_its_activation():
    class Scaled(L.Conv2D):
        def call(self, inputs):
            return super().call(inputs) * 2.0

    model = keras.Sequential([L.Input((6, 6, 1)), Scaled(2, 3, activation="relu"), L.MaxPooling2D(2)])
    assert not isinstance(model._execution_plan()[0], ReluAfterPooling)
    assert model(-torch.rand(1, 6, 6, 1)).min() >= 0


def test_plan_follows_add_and_pop():
    model = keras.Sequential([L.Input((6, 6, 1)), L.Conv2D(2, 3, activation="relu")])
    assert not isinstance(model._execution_plan()[0], ReluAfterPooling)
    model.add(L.MaxPooling2D(2))
    assert isinstance(model._execution_plan()[0], ReluAfterPooling)
    model.pop()
    assert model._execution_plan() == [model.layers[0]]


def test_fit_gives_the_same_weights_as_layer_by_layer_training():
    def train(reorder):
        keras.utils.set_random_seed(6)
        model = keras.Sequential([L.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
                                  L.Flatten(), L.Dense(3, activation="softmax")])
        if not reorder:
            model.__dict__["_execution_plan"] = lambda: list(model.layers)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        rng = np.random.default_rng(0)
        model.fit(rng.normal(size=(64, 8, 8, 1)).astype("float32"), rng.integers(0, 3, 64), batch_size=16,
                  epochs=2, verbose=0, shuffle=False)
        return model.get_weights()

    for a, b in zip(train(True), train(False)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_torch_compile_traces_the_reordered_steps_and_gives_the_same_outputs():
    keras.utils.set_random_seed(7)
    model = keras.Sequential([L.Input((10, 10, 2)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
                              L.Flatten(), L.Dense(3)])
    x = _inputs("random", (4, 10, 10, 2))
    compiled = torch.compile(model)
    torch.testing.assert_close(compiled(x), model(x), rtol=1e-6, atol=1e-6)


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
