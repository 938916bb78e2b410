"""The model is the one holder of what compile configured: reassigning ``model.optimizer`` (or ``model.loss``)
after compile changes what fit trains with, as in Keras."""
import numpy as np
import torch

import kerastorch as keras

RNG = np.random.default_rng(11)
X = RNG.normal(size=(64, 4)).astype("float32")
Y = RNG.normal(size=(64, 1)).astype("float32")


def two_models_with_the_same_weights():
    keras.backend.set_random_seed(3)
    first = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    second = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    second.set_weights(first.get_weights())
    return first, second


def test_an_optimizer_assigned_after_compile_is_the_one_that_trains():
    reassigned, direct = two_models_with_the_same_weights()
    reassigned.compile(keras.optimizers.SGD(0.1), "mse")
    sgd = reassigned.optimizer
    adam = keras.optimizers.Adam(0.01)
    reassigned.optimizer = adam
    direct.compile(keras.optimizers.Adam(0.01), "mse")

    reassigned.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    direct.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)

    assert int(adam.iterations) == 8
    assert not sgd.built or int(sgd.iterations) == 0
    for got, expected in zip(reassigned.get_weights(), direct.get_weights()):
        np.testing.assert_array_equal(got, expected)


def test_an_optimizer_assigned_between_fits_takes_over():
    reassigned, direct = two_models_with_the_same_weights()
    reassigned.compile(keras.optimizers.Adam(0.01), "mse")
    direct.compile(keras.optimizers.Adam(0.01), "mse")
    reassigned.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    direct.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    reassigned.optimizer = keras.optimizers.SGD(0.05)
    direct.compile(keras.optimizers.SGD(0.05), "mse")
    reassigned.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    direct.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert int(reassigned.optimizer.iterations) == 4
    for got, expected in zip(reassigned.get_weights(), direct.get_weights()):
        np.testing.assert_array_equal(got, expected)


def test_the_compiled_loss_is_read_from_the_model():
    model, _ = two_models_with_the_same_weights()
    model.compile("sgd", "mse")
    assert model.loss == "mse"
    model.loss = "mae"
    assert model.loss == "mae"
    y_pred = model.predict(X, verbose=0)
    expected = float(np.mean(np.abs(y_pred - Y)))
    np.testing.assert_allclose(model.evaluate(X, Y, verbose=0), expected, rtol=1e-5)


def test_compile_state_lives_on_the_model_not_the_trainer():
    model, _ = two_models_with_the_same_weights()
    model.compile("adam", "mse", metrics=["mae"])
    model.fit(X, Y, epochs=1, verbose=0)
    trainer = model._get_trainer()
    for name in ("optimizer", "loss", "compiled_loss", "compiled_metrics"):
        assert name not in vars(trainer)
    assert [m.name for m in model.metrics] == ["loss", "mae"]
    assert model.compiled_metrics.metrics[0] is model.metrics[1]


def test_a_subclass_overriding_compute_loss_trains_with_its_loss():
    class HalfMSE(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return 0.5 * torch.mean((y_pred - y) ** 2)

    model = HalfMSE()
    model.compile("sgd", loss="mae")
    model(X[:1])
    y_pred = model.predict(X, verbose=0)
    expected = 0.5 * float(np.mean((y_pred - Y) ** 2))
    np.testing.assert_allclose(model.evaluate(X, Y, verbose=0), expected, rtol=1e-5)
