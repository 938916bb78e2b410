"""Functional.add_loss with a tensor of the model's graph (Keras 2's VAE), and bool inputs of float Inputs."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import backend as K


def autoencoder():
    inputs = keras.Input((4,))
    code = keras.layers.Dense(2, name="code")(inputs)
    outputs = keras.layers.Dense(4, name="decoded")(code)
    return inputs, code, outputs, keras.Model(inputs, outputs)


def test_a_graph_tensor_added_as_loss_is_computed_at_every_call():
    inputs, code, outputs, model = autoencoder()
    model.add_loss(K.mean(K.square(code)))
    x = np.arange(8, dtype="float32").reshape(2, 4) / 8
    model(x)
    expected = torch.mean(torch.square(model.get_layer("code")(torch.tensor(x))))
    assert len(model.losses) == 1
    torch.testing.assert_close(model.losses[0], expected)


def test_a_model_with_only_a_graph_loss_trains_without_targets():
    inputs, code, outputs, model = autoencoder()
    model.add_loss(K.mean(keras.losses.mean_squared_error(inputs, outputs)))
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    x = np.random.RandomState(0).rand(16, 4).astype("float32")
    history = model.fit(x, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_a_loss_on_another_input_is_refused_naming_it():
    inputs, code, outputs, model = autoencoder()
    other = keras.Input((4,), name="stranger")
    with pytest.raises(ValueError, match="stranger"):
        model.add_loss(K.mean(other))


def test_a_value_that_is_no_graph_tensor_is_added_as_layers_add_it():
    inputs, code, outputs, model = autoencoder()
    model.add_loss(torch.tensor(0.5))
    assert model._graph_losses == ()


@pytest.mark.parametrize("kind", ["functional", "sequential"])
def test_bool_inputs_become_the_float_dtype_of_the_input(kind):
    if kind == "functional":
        inputs = keras.Input((3,))
        model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    else:
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    out = model(np.array([[True, False, True]]))
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.detach().numpy(), model(np.array([[1.0, 0.0, 1.0]], "float32")).detach().numpy())


def test_bool_inputs_of_an_integer_input_stay_bool_for_the_layers():
    inputs = keras.Input((3,), dtype="int32")
    model = keras.Model(inputs, keras.layers.Lambda(lambda t: t)(inputs))
    assert model(torch.tensor([[True, False, True]])).dtype == torch.bool
