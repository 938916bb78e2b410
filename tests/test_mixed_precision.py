"""Dtype policies and loss scaling against Keras 3 (fixtures from tools/golden_mixed_precision.py), on the CPU."""
import contextlib
import io

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import global_state, layers
from golden_loader import golden_json, golden_npz

FIXTURE = golden_json("mixed_precision.json")
ARRAYS = golden_npz("mixed_precision.npz")


@pytest.fixture(autouse=True)
def full_precision_after():
    yield
    keras.mixed_precision.set_global_policy("float32")


@contextlib.contextmanager
def global_policy(name):
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


def _dtype(x):
    return str(getattr(x, "dtype", x)).replace("torch.", "")


@pytest.mark.parametrize("name", sorted(FIXTURE["policies"]))
def test_policy_dtypes_repr_and_config_match_keras(name):
    expected = FIXTURE["policies"][name]
    policy = keras.mixed_precision.DTypePolicy(name)
    assert (policy.compute_dtype, policy.variable_dtype) == (expected["compute_dtype"], expected["variable_dtype"])
    assert repr(policy) == expected["repr"] and policy.get_config() == expected["config"]
    assert keras.mixed_precision.Policy(name) == policy   # Keras 2's name


def test_bad_policies_raise_keras_errors():
    for bad in ("mixed_float32", "int8x"):
        with pytest.raises(ValueError) as error:
            keras.mixed_precision.DTypePolicy(bad)
        assert str(error.value) == FIXTURE["errors"][bad]
    with pytest.raises(ValueError) as error:
        keras.mixed_precision.set_global_policy(None)
    assert str(error.value) == FIXTURE["errors"]["set_global_policy(None)"]
    with pytest.raises(ValueError, match="mixed_float32"):
        layers.Dense(2, dtype="mixed_float32")


def test_inputs_keep_their_own_dtype():
    with global_policy("mixed_float16"):
        assert keras.Input((3,)).dtype == "float32"
        assert keras.Input((3,), dtype="int32").dtype == "int32"
    assert keras.mixed_precision.DTypePolicy("int64").compute_dtype == "int64"


def test_global_policy_spellings():
    assert keras.mixed_precision.global_policy().name == "float32"
    keras.config.set_dtype_policy("mixed_bfloat16")
    assert keras.mixed_precision.global_policy().name == "mixed_bfloat16" == keras.config.dtype_policy().name
    keras.mixed_precision.experimental.set_policy("mixed_float16")   # TensorFlow 2.1-2.3's spelling
    assert layers.Dense(2).dtype_policy == keras.mixed_precision.DTypePolicy("mixed_float16")


def _layer_cases():
    return {
        "Dense": (lambda: layers.Dense(3, activation="softmax"), np.ones((2, 4), "float32"), {}),
        "Conv2D": (lambda: layers.Conv2D(2, 3), np.ones((1, 5, 5, 2), "float32"), {}),
        "BatchNormalization": (lambda: layers.BatchNormalization(), np.ones((4, 3), "float32"), {"training": True}),
        "LayerNormalization": (lambda: layers.LayerNormalization(), np.ones((2, 3), "float32"), {}),
        "Activation_softmax": (lambda: layers.Activation("softmax"), np.ones((2, 3), "float32"), {}),
        "Dense_float32_on_float16": (lambda: layers.Dense(3, dtype="float32"),
                                     torch.ones(2, 4, dtype=torch.float16), {}),
    }


@pytest.mark.parametrize("name", sorted(FIXTURE["layers"]))
def test_layer_dtypes_under_mixed_float16_match_keras(name):
    expected = FIXTURE["layers"][name]
    make, x, kwargs = _layer_cases()[name]
    with global_policy("mixed_float16"):
        layer = make()
    y = layer(x, **kwargs)
    assert (layer.dtype, layer.compute_dtype, layer.variable_dtype, layer.dtype_policy.name) == (
        expected["dtype"], expected["compute_dtype"], expected["variable_dtype"], expected["policy"])
    assert sorted({_dtype(w) for w in layer.weights}) == expected["weights"]
    assert _dtype(y) == expected["output"]
    config = keras.saving.serialize_keras_object(layer)["config"]
    assert config["dtype"] == expected["config_dtype"]
    assert not global_state.mixed_depth()


def test_symbolic_dtypes_of_a_mixed_functional_model_match_keras():
    expected = FIXTURE["symbolic"]
    with global_policy("mixed_float16"):
        inputs = keras.Input((4,))
        hidden = layers.Dense(8, activation="relu")(inputs)
        outputs = layers.Dense(2, activation="softmax", dtype="float32")(hidden)
        model = keras.Model(inputs, outputs)
    assert (_dtype(inputs), _dtype(hidden), _dtype(outputs)) == (
        expected["input"], expected["hidden"], expected["output"])
    assert (model.dtype_policy.name, model.dtype, model.compute_dtype) == (
        expected["model_policy"], expected["model_dtype"], expected["model_compute_dtype"])
    assert model(torch.ones(2, 4)).dtype == torch.float32   # the float32 output layer's dtype, not the model's


@pytest.mark.parametrize("case", sorted(FIXTURE["compile"]))
def test_compile_wraps_the_optimizer_as_keras_does(case):
    expected = FIXTURE["compile"][case]
    policy, flag = case.split("/")
    with global_policy(policy):
        model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", auto_scale_loss=flag.endswith("True"))
    optimizer = model.optimizer
    assert type(optimizer).__name__ == expected["class_name"]
    if "inner_class_name" in expected:
        assert optimizer.name == expected["name"]
        config = optimizer.get_config()
        assert sorted(config) == expected["config_keys"]
        assert (config["initial_scale"], config["dynamic_growth_steps"]) == (
            expected["initial_scale"], expected["dynamic_growth_steps"])
        assert type(optimizer.inner_optimizer).__name__ == expected["inner_class_name"]


def test_loss_scale_optimizer_skips_non_finite_steps_and_grows_the_scale_as_keras():
    expected = FIXTURE["loss_scale_optimizer"]
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=8.0,
                                                    dynamic_growth_steps=2)
    variable = torch.nn.Parameter(torch.ones(3))
    for step in expected["steps"]:
        gradient = torch.tensor([float(g) for g in step["gradient"]], dtype=torch.float32)
        optimizer.apply([gradient], [variable])
        np.testing.assert_allclose(variable.detach().numpy(), step["variable"], rtol=1e-6)
        assert optimizer.dynamic_scale == step["scale"]
        assert int(optimizer.iterations) == step["iterations"] == int(optimizer.inner_optimizer.iterations)
        assert optimizer.step_counter == step["step_counter"]
    assert float(optimizer.scale_loss(torch.tensor(2.0))) == expected["scale_loss_of_2"]
    assert [[list(v.shape), _dtype(v)] for v in optimizer.variables] == [
        [shape, dtype] for _, shape, dtype in expected["variables"]]


def _model(policy):
    with global_policy(policy):
        model = keras.Sequential([keras.Input((6,)), layers.Dense(16, activation="relu"),
                                  layers.Dense(8, activation="tanh"),
                                  layers.Dense(3, activation="softmax", dtype="float32")])
    model.set_weights([ARRAYS[f"initial_{i}"] for i in range(6)])
    return model


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_predict_and_two_epochs_of_fit_match_keras(policy):
    expected = FIXTURE["training"][policy]
    model = _model(policy)
    # Half precision in both libraries, through different kernels: float16 agrees to ~1e-3, bfloat16 to ~1e-2.
    tolerance = 2e-3 if policy == "mixed_float16" else 2e-2
    np.testing.assert_allclose(model.predict(ARRAYS["x"], verbose=0), ARRAYS[f"{policy}_predict"], atol=tolerance)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(ARRAYS["x"], ARRAYS["y"], batch_size=16, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], expected["history"]["loss"], rtol=tolerance)
    assert type(model.optimizer).__name__ == expected["optimizer"]
    assert int(model.optimizer.iterations) == expected["iterations"]
    assert getattr(model.optimizer, "dynamic_scale", None) == expected["scale"]
    for i, weight in enumerate(model.get_weights()):
        assert weight.dtype == np.float32
        np.testing.assert_allclose(weight, ARRAYS[f"{policy}_final_{i}"], atol=5 * tolerance)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.summary()
    assert out.getvalue().splitlines()[-4:] == expected["summary_tail"]


def test_an_overflowing_scale_skips_the_step_and_is_halved_until_gradients_are_finite():
    model = _model("mixed_float16")
    model.compile(optimizer=keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=2.0 ** 40),
                  loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    model.fit(ARRAYS["x"][:16], ARRAYS["y"][:16], batch_size=16, epochs=1, verbose=0)
    # float16 overflows at 65504: a loss scaled by 2**40 gives inf gradients, so the step is skipped.
    assert model.optimizer.dynamic_scale == 2.0 ** 39 and int(model.optimizer.iterations) == 0
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.fit(ARRAYS["x"][:16], ARRAYS["y"][:16], batch_size=1, epochs=3, verbose=0)   # 48 steps: enough halvings
    assert int(model.optimizer.iterations) > 0 and model.optimizer.dynamic_scale < 2.0 ** 39


def test_save_and_load_keep_the_policy_and_the_loss_scale(tmp_path):
    model = _model("mixed_float16")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(ARRAYS["x"], ARRAYS["y"], batch_size=16, epochs=1, verbose=0)
    model.optimizer.dynamic_scale, model.optimizer.step_counter = 1024.0, 2
    model.save(tmp_path / "mixed.keras")
    loaded = keras.models.load_model(tmp_path / "mixed.keras")
    assert [layer.dtype_policy.name for layer in loaded.layers] == ["mixed_float16", "mixed_float16", "float32"]
    assert isinstance(loaded.optimizer, keras.optimizers.LossScaleOptimizer)
    assert (loaded.optimizer.dynamic_scale, loaded.optimizer.step_counter) == (1024.0, 2)
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations)
    np.testing.assert_array_equal(loaded.predict(ARRAYS["x"], verbose=0), model.predict(ARRAYS["x"], verbose=0))


def test_float32_models_never_enter_autocast():
    seen = []
    model = keras.Sequential([keras.Input((6,)), layers.Dense(4)])
    model.layers[0].register_forward_hook(lambda *a: seen.append(torch.is_autocast_enabled("cpu")))
    model(torch.ones(2, 6))
    assert seen == [False] and model(torch.ones(2, 6)).dtype == torch.float32


def test_a_user_autocast_region_is_left_to_the_user():
    model = keras.Sequential([keras.Input((6,)), layers.Dense(4)])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model(torch.ones(2, 6)).dtype == torch.bfloat16


def test_loss_scale_optimizer_apply_checks_like_any_optimizer_and_leaves_the_callers_gradients():
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=4.0)
    variable, gradient = torch.nn.Parameter(torch.ones(2)), torch.tensor([8.0, 8.0])
    with pytest.raises(ValueError, match="Expected one gradient per variable"):
        optimizer.apply([gradient, gradient], [variable])
    optimizer.apply([gradient], [variable])
    assert torch.equal(gradient, torch.tensor([8.0, 8.0]))          # unscaled on a copy
    np.testing.assert_allclose(variable.detach().numpy(), [0.8, 0.8])   # 1 - 0.1 * 8 / 4
