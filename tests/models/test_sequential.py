"""Sequential: building from a list or with add, pop, layer access, nesting, symbolic inputs and outputs."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import layers


@pytest.fixture(autouse=True)
def fresh_names():
    keras.backend.clear_session()


def test_built_from_list_and_with_add_give_the_same_structure():
    a = keras.Sequential([keras.Input((3,)), layers.Dense(5), layers.Dense(2)])
    b = keras.Sequential()
    b.add(keras.Input((3,)))
    b.add(layers.Dense(5))
    b.add(layers.Dense(2))
    assert [l.name for l in a.layers] == ["dense", "dense_1"]
    assert [l.name for l in b.layers] == ["dense_2", "dense_3"]
    assert a.count_params() == b.count_params() == 32


def test_layers_inputs_outputs_and_get_layer():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(5, name="hidden"), layers.Dense(2, name="out")])
    assert [l.name for l in model.layers] == ["hidden", "out"]
    assert model.inputs[0].shape == (None, 3)
    assert model.outputs[0].shape == (None, 2)
    assert model.get_layer("out") is model.layers[1]
    assert model.get_layer(index=0) is model.layers[0]
    assert model.get_layer(0) is model.layers[0]
    with pytest.raises(ValueError, match="No such layer: missing"):
        model.get_layer("missing")
    assert model.get_layer("hidden").output.shape == (None, 5)


def test_pop_removes_the_last_layer():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(5), layers.Dense(2)])
    popped = model.pop()
    assert popped.name == "dense_1"
    assert [l.name for l in model.layers] == ["dense"]
    assert model.output.shape == (None, 5)
    assert tuple(model(np.zeros((1, 3), "float32")).shape) == (1, 5)


def test_deferred_build_on_first_call_and_with_build():
    model = keras.Sequential([layers.Dense(4), layers.Dense(1)])
    assert not model.built
    out = model(np.zeros((2, 6), "float32"))
    assert model.built and tuple(out.shape) == (2, 1)
    assert model.input_shape == (None, 6)
    other = keras.Sequential([layers.Dense(4)])
    other.build((None, 9))
    assert other.layers[0].kernel.shape == (9, 4)


def test_nested_sequential_shares_its_weights():
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    outer = keras.Sequential([keras.Input((4,)), inner, layers.Dense(1)])
    assert outer.count_params() == 15 + 4
    assert outer.layers[0] is inner
    x = np.random.rand(2, 4).astype("float32")
    expected = outer.layers[1](inner(x))
    np.testing.assert_allclose(outer(x).detach().numpy(), expected.detach().numpy(), rtol=1e-6)


def test_only_layers_can_be_added():
    with pytest.raises(ValueError, match="Only instances of `keras.Layer`"):
        keras.Sequential([keras.Input((2,)), "dense"])
    with pytest.raises(ValueError, match="TorchModuleWrapper"):
        keras.Sequential([torch.nn.Linear(2, 2)])


def test_state_dict_keys_use_keras_names():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2), layers.Dense(1)])
    assert list(model.state_dict()) == ["dense.kernel", "dense.bias", "dense_1.kernel", "dense_1.bias"]


def test_model_works_with_plain_torch_code():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(16, 3), torch.randn(16, 1)
    before = torch.nn.functional.mse_loss(model(x), y).item()
    for _ in range(20):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    assert loss.item() < before


def test_predict_style_call_returns_a_tensor_with_keras_shapes():
    model = keras.Sequential([keras.Input((1, 5)), layers.Dense(16, activation="relu"), layers.Dense(2)])
    assert model.output_shape == (None, 1, 2)
    assert tuple(model(np.zeros((3, 1, 5), "float32")).shape) == (3, 1, 2)


def test_flatten_reshape_and_lambda():
    model = keras.Sequential([keras.Input((2, 3)), layers.Reshape((3, 2)), layers.Flatten(),
                              layers.Lambda(lambda t: t * 2)])
    assert model.output_shape == (None, 6)
    x = np.arange(6, dtype="float32").reshape(1, 2, 3)
    np.testing.assert_array_equal(model(x).numpy(), x.reshape(1, 6) * 2)
    assert layers.Reshape((-1, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)
    with pytest.raises(ValueError, match="target_shape"):
        layers.Reshape((-1, -1))


def test_dropout_noise_shape_and_seed():
    x = np.ones((4, 3, 10), "float32")
    layer = layers.Dropout(0.5, noise_shape=(None, 1, 10), seed=1)
    out = layer(x, training=True).numpy()
    # the same mask at every timestep
    assert (out[:, 0] == out[:, 1]).all() and (out[:, 1] == out[:, 2]).all()
    again = layers.Dropout(0.5, noise_shape=(None, 1, 10), seed=1)(x, training=True).numpy()
    np.testing.assert_array_equal(out, again)
    with pytest.raises(ValueError, match="between 0 and 1"):
        layers.Dropout(1.5)


def test_sequential_adjusts_input_rank_as_keras_does():
    """Data of shape (N,) trains into Input((1,)), and (N, 28, 28) into Input((28, 28, 1)), as in a functional
    model (Keras adds or drops one trailing axis of 1)."""
    import numpy as np
    import kerastorch as keras
    from kerastorch import layers
    flat = keras.Sequential([keras.Input((1,)), layers.Dense(2)])
    flat.compile(optimizer="sgd", loss="mse")
    flat.fit(np.arange(8, dtype="float32"), np.zeros((8, 2), "float32"), epochs=1, verbose=0)
    assert flat.predict(np.arange(3, dtype="float32"), verbose=0).shape == (3, 2)

    images = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(3)])
    images.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    images.fit(np.random.rand(4, 28, 28).astype("float32"), np.array([0, 1, 2, 0]), epochs=1, verbose=0)
    assert images.predict(np.zeros((2, 28, 28), "float32"), verbose=0).shape == (2, 3)
    # And a trailing axis of 1 too many is dropped.
    assert flat(np.zeros((5, 1, 1), "float32")).shape == (5, 2)
