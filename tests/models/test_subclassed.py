"""Subclassed models (layers assigned in __init__, a call method), custom train_step/test_step as Keras 3's torch
backend writes them (a plain loop and a GAN), and TorchModuleWrapper."""
import contextlib
import io
import warnings

import zipfile

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import layers
from golden_loader import golden_json

GOLDEN = golden_json("models/functional.json")


class ThreeLayers(keras.Model):
    def __init__(self, hidden=16, **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = layers.Dense(hidden, activation="relu")
        self.hidden2 = layers.Dense(8, activation="relu")
        self.classifier = layers.Dense(3, activation="softmax")

    def call(self, inputs, training=None):
        return self.classifier(self.hidden2(self.hidden1(inputs)))


def test_layers_are_tracked_and_built_on_the_first_call():
    model = ThreeLayers()
    assert [type(layer).__name__ for layer in model.layers] == ["Dense"] * 3
    assert model.weights == []
    model(np.zeros((2, 10), "float32"))
    assert model.built and len(model.trainable_weights) == 6
    assert model.count_params() == 10 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3


def test_summary_after_fit_matches_keras(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    keras.backend.clear_session()
    scope = {"keras": keras, "np": np}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(GOLDEN["subclassed_summary"]["source"], scope)
    lines = []
    scope["model"].summary(print_fn=lines.append)
    assert "\n".join(lines).rstrip("\n") == GOLDEN["subclassed_summary"]["summary"].rstrip("\n")


def test_compile_fit_evaluate_predict():
    keras.utils.set_random_seed(0)
    model = ThreeLayers()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.rand(64, 10).astype("float32"), np.random.randint(0, 3, 64)
    history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0)
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert set(model.evaluate(x, y, verbose=0, return_dict=True)) == {"accuracy", "loss"}
    assert model.predict(x, verbose=0).shape == (64, 3)


def test_config_records_plain_constructor_arguments():
    model = ThreeLayers(hidden=5, name="small")
    config = model.get_config()
    assert config["hidden"] == 5 and config["name"] == "small"
    clone = ThreeLayers.from_config(config)
    clone(np.zeros((1, 10), "float32"))
    assert clone.hidden1.units == 5


class LoopModel(keras.Model):
    """Keras 3's documented torch-backend train_step and test_step."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)

    def call(self, inputs):
        return self.dense(inputs)

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        return self.update_metrics(loss, y, y_pred)

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        return self.update_metrics(self.compute_loss(y=y, y_pred=y_pred), y, y_pred)

    def update_metrics(self, loss, y, y_pred):
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_custom_train_and_test_steps_train_the_model():
    keras.utils.set_random_seed(0)
    model = LoopModel()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    x = np.random.rand(64, 3).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0, validation_data=(x, y))
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    assert history.history["loss"][-1] < history.history["loss"][0] / 2
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(float(np.mean((model.predict(x, verbose=0) - y) ** 2)), rel=1e-4)


class GAN(keras.Model):
    """The GAN of Keras's "customizing fit with PyTorch" guide: two sub-models, two optimizers, two trackers."""

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real_images):
        if isinstance(real_images, (tuple, list)):
            real_images = real_images[0]
        batch_size = real_images.shape[0]
        latent = torch.randn(batch_size, self.latent_dim)
        generated = self.generator(latent)
        combined = torch.concat([generated, real_images], axis=0)
        labels = torch.concat([torch.ones((batch_size, 1)), torch.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * torch.rand(labels.shape)

        self.zero_grad()
        d_loss = self.loss_fn(labels, self.discriminator(combined))
        d_loss.backward()
        grads = [v.value.grad for v in self.discriminator.trainable_weights]
        with torch.no_grad():
            self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

        misleading = torch.zeros((batch_size, 1))
        self.zero_grad()
        g_loss = self.loss_fn(misleading, self.discriminator(self.generator(torch.randn(batch_size,
                                                                                          self.latent_dim))))
        g_loss.backward()
        grads = [v.value.grad for v in self.generator.trainable_weights]
        with torch.no_grad():
            self.g_optimizer.apply(grads, self.generator.trainable_weights)

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def test_gan_with_two_optimizers_trains_both_models():
    keras.utils.set_random_seed(0)
    discriminator = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(1)],
                                     name="discriminator")
    generator = keras.Sequential([keras.Input((2,)), layers.Dense(8, activation="relu"), layers.Dense(4)],
                                 name="generator")
    gan = GAN(discriminator, generator, latent_dim=2)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3),
                loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    d_before, g_before = discriminator.get_weights()[0].copy(), generator.get_weights()[0].copy()
    with contextlib.redirect_stdout(io.StringIO()):
        history = gan.fit(np.random.rand(32, 4).astype("float32"), epochs=2, batch_size=8, verbose=0)
    assert list(history.history) == ["d_loss", "g_loss"]
    assert len(history.history["d_loss"]) == 2
    assert not np.allclose(d_before, discriminator.get_weights()[0])
    assert not np.allclose(g_before, generator.get_weights()[0])
    assert gan.d_optimizer.iterations == 8 and gan.g_optimizer.iterations == 8


# ---- TorchModuleWrapper ------------------------------------------------------------------------------------------

def test_torch_module_wrapper_trains_its_parameters_in_a_model():
    keras.utils.set_random_seed(0)
    wrapped = layers.TorchModuleWrapper(torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(),
                                                            torch.nn.Linear(8, 1)), name="torch_mlp")
    inputs = keras.Input((3,))
    model = keras.Model(inputs, wrapped(inputs))
    assert len(model.trainable_weights) == 4 and model.count_params() == 3 * 8 + 8 + 8 + 1
    model.compile(keras.optimizers.Adam(0.01), "mse")
    x = np.random.rand(64, 3).astype("float32")
    history = model.fit(x, x.sum(axis=1, keepdims=True), epochs=10, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 2


def test_torch_module_wrapper_follows_training_mode_and_freezes():
    wrapped = layers.TorchModuleWrapper(torch.nn.Dropout(0.5))
    x = torch.ones(4, 100)
    assert torch.equal(wrapped(x, training=False), x)
    assert not torch.equal(wrapped(x, training=True), x)
    frozen = layers.TorchModuleWrapper(torch.nn.Linear(2, 2))
    frozen.trainable = False
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 2


def test_torch_module_wrapper_saves_its_state_dict_and_is_rebuilt_from_a_supplied_module(tmp_path):
    keras.utils.set_random_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.TorchModuleWrapper(module, name="block")(inputs))
    model.compile("sgd", "mse")
    model.fit(np.random.rand(16, 3), np.random.rand(16, 4), verbose=0)
    path = tmp_path / "wrapped.keras"
    model.save(path)
    # The module is never unpickled from the file, not even with safe_mode=False: the caller supplies it.
    for safe_mode in (True, False):
        with pytest.raises(ValueError, match=r"torch.nn.modules.container.Sequential.*custom_objects=\{'block'"):
            keras.models.load_model(path, safe_mode=safe_mode)
    with zipfile.ZipFile(path) as archive:
        assert b"torch.nn.modules.container.Sequential" in archive.read("config.json")
    loaded = keras.models.load_model(path, custom_objects={
        "block": lambda: torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))})
    x = np.random.rand(5, 3).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    # The BatchNorm running statistics (buffers) travel too.
    block = loaded.get_layer("block").module
    torch.testing.assert_close(block[1].running_mean, module[1].running_mean)

    weights = tmp_path / "wrapped.weights.h5"
    model.save_weights(weights)
    fresh = keras.Model(inputs := keras.Input((3,)), layers.TorchModuleWrapper(
        torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)))(inputs))
    fresh.load_weights(weights)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_torch_module_wrapper_rejects_non_modules():
    with pytest.raises(ValueError, match="torch.nn.Module"):
        layers.TorchModuleWrapper(lambda x: x)
