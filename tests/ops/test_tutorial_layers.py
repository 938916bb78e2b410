"""Custom layers and losses as Keras 3's tutorials write them (keras.ops, keras.random with a SeedGenerator in
`call`): they build in functional models, train under fit, and train under jit_compile=True (torch.compile)."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import ops


class NoisyDropout(keras.layers.Layer):
    """The tutorials' seeded layer: Gaussian noise and dropout in training, nothing at inference."""

    def __init__(self, rate, stddev, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.stddev = rate, stddev
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        noisy = inputs + keras.random.normal(ops.shape(inputs), stddev=self.stddev, seed=self.seed_generator)
        return keras.random.dropout(noisy, self.rate, seed=self.seed_generator)


class Sampling(keras.layers.Layer):
    """The VAE tutorial's layer: z = z_mean + exp(z_log_var / 2) * epsilon."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch, dim = ops.shape(z_mean)[0], ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def smooth_mse(y_true, y_pred):
    """A custom loss written with ops: squared error plus a small absolute-error term."""
    error = y_true - y_pred
    return ops.mean(ops.square(error), axis=-1) + 0.1 * ops.mean(ops.abs(error), axis=-1)


def data():
    rng = np.random.RandomState(0)
    x = rng.normal(size=(64, 6)).astype("float32")
    return x, (x @ rng.normal(size=(6, 2))).astype("float32")


def noisy_model():
    inputs = keras.Input((6,))
    x = keras.layers.Dense(8, activation="relu")(inputs)
    x = NoisyDropout(0.2, 0.1)(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x))


def vae_like_model():
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    z_mean, z_log_var = keras.layers.Dense(3)(hidden), keras.layers.Dense(3)(hidden)
    z = Sampling()([z_mean, z_log_var])
    return keras.Model(inputs, keras.layers.Dense(2)(z))


@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("build", [noisy_model, vae_like_model])
def test_tutorial_layer_trains_under_fit(build, jit_compile):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(0.03), loss=smooth_mse, jit_compile=jit_compile)
    x, y = data()
    history = model.fit(x, y, batch_size=16, epochs=6, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]


def test_seeded_layer_advances_its_state_each_training_call_and_is_plain_at_inference():
    layer = NoisyDropout(0.5, 1.0)
    x = torch.ones(4, 8)
    first, second = layer(x, training=True), layer(x, training=True)
    assert not torch.equal(first, second)
    assert layer.seed_generator.state.tolist() == [1337, 4]
    torch.testing.assert_close(layer(x), x)
    assert layer.weights == []


def test_sampling_layer_builds_symbolically_with_an_unknown_batch():
    z_mean, z_log_var = keras.Input((3,)), keras.Input((3,))
    z = Sampling()([z_mean, z_log_var])
    assert z.shape == (None, 3)


def test_functional_model_built_from_ops_survives_save_and_load(tmp_path):
    keras.backend.clear_session()
    inputs = keras.Input((5,))
    x = keras.layers.Dense(4)(inputs)
    outputs = ops.softmax(ops.relu(x) + ops.sigmoid(x), axis=-1)
    model = keras.Model(inputs, outputs)
    model.save(tmp_path / "ops_model.keras")
    loaded = keras.models.load_model(tmp_path / "ops_model.keras")
    x_value = np.random.RandomState(1).normal(size=(3, 5)).astype("float32")
    torch.testing.assert_close(torch.as_tensor(loaded.predict(x_value, verbose=0)),
                               torch.as_tensor(model.predict(x_value, verbose=0)))
