"""CompiledLoss and CompiledMetrics on their own: built from a batch's structures, called like Keras's."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch.training.compile_utils import CompiledLoss, CompiledMetrics

RNG = np.random.default_rng(7)


def tensor(*shape):
    return torch.tensor(RNG.normal(size=shape), dtype=torch.float32)


def test_a_single_output_loss_is_the_loss_itself():
    y_true, y_pred = tensor(8, 3), tensor(8, 3)
    compiled = CompiledLoss("mse")
    value = compiled(y_true, y_pred)
    np.testing.assert_allclose(float(value), float(keras.losses.MeanSquaredError()(y_true, y_pred)), rtol=1e-6)
    assert compiled.output_names == [None] and compiled.metrics == []


def test_dict_outputs_get_weighted_losses_and_one_tracker_each_in_the_loss_dicts_order():
    y_true = {"a": tensor(8, 2), "b": tensor(8, 1)}
    y_pred = {"a": tensor(8, 2), "b": tensor(8, 1)}
    compiled = CompiledLoss({"b": "mae", "a": "mse"}, loss_weights={"a": 2.0, "b": 0.5})
    value = compiled(y_true, y_pred)
    mse = float(keras.losses.MeanSquaredError()(y_true["a"], y_pred["a"]))
    mae = float(keras.losses.MeanAbsoluteError()(y_true["b"], y_pred["b"]))
    np.testing.assert_allclose(float(value), 2.0 * mse + 0.5 * mae, rtol=1e-6)
    assert [m.name for m in compiled.metrics] == ["b_loss", "a_loss"]
    np.testing.assert_allclose(float(compiled.metrics[1].result()), mse, rtol=1e-6)
    compiled.reset_state()
    assert float(compiled.metrics[0].result()) == 0.0


def test_no_loss_for_any_output_gives_none():
    assert CompiledLoss(None)(tensor(4, 1), tensor(4, 1)) is None


def test_unknown_loss_names_fail_at_construction():
    with pytest.raises(ValueError, match="loss"):
        CompiledLoss("no_such_loss")


def test_compiled_metrics_resolve_accuracy_from_the_shapes_and_prefix_output_names():
    labels = torch.tensor([0, 1, 2, 1])
    probabilities = torch.softmax(tensor(4, 3), -1)
    compiled = CompiledMetrics(["accuracy"])
    compiled.update_state(labels, probabilities)
    (metric,) = compiled.metrics
    assert type(metric).__name__ == "SparseCategoricalAccuracy" and metric.name == "accuracy"
    expected = float((probabilities.argmax(-1) == labels).float().mean())
    np.testing.assert_allclose(float(metric.result()), expected)

    two = CompiledMetrics({"x": ["mae"], "y": ["mse"]})
    two.update_state({"x": tensor(4, 1), "y": tensor(4, 1)}, {"x": tensor(4, 1), "y": tensor(4, 1)})
    assert [m.name for m in two.metrics] == ["x_mae", "y_mse"]


def test_weighted_metrics_receive_the_sample_weights():
    y_true, y_pred = tensor(4, 1), tensor(4, 1)
    weights = torch.tensor([1.0, 0.0, 0.0, 1.0])
    compiled = CompiledMetrics(["mae"], weighted_metrics=["mae"])
    compiled.update_state(y_true, y_pred, sample_weight=weights)
    plain, weighted = compiled.metrics
    assert weighted.name == "weighted_mae"
    errors = (y_true - y_pred).abs().squeeze(-1)
    np.testing.assert_allclose(float(plain.result()), float(errors.mean()), rtol=1e-6)
    np.testing.assert_allclose(float(weighted.result()), float((errors[0] + errors[3]) / 2), rtol=1e-6)


def test_a_mask_on_the_prediction_reaches_the_loss_and_the_metrics():
    y_true, y_pred = tensor(2, 4, 1), tensor(2, 4, 1)
    mask = torch.tensor([[True, True, False, False], [True, False, False, False]])
    y_pred._keras_mask = mask
    loss = CompiledLoss("mse")(y_true, y_pred)
    squared = ((y_true - y_pred) ** 2).squeeze(-1)
    np.testing.assert_allclose(float(loss), float(squared[mask].mean()), rtol=1e-6)
    metrics = CompiledMetrics(["mse"])
    metrics.update_state(y_true, y_pred)
    np.testing.assert_allclose(float(metrics.metrics[0].result()), float(squared[mask].mean()), rtol=1e-6)


def test_the_fit_path_keeps_the_mask_of_the_models_output():
    class MaskedOutput(keras.Model):
        """A model whose output carries a mask: the first two timesteps of every sequence count."""

        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            y = self.dense(x)
            keras.backend.set_keras_mask(y, torch.arange(x.shape[1], device=x.device).expand(x.shape[0], -1) < 2)
            return y

    x = RNG.normal(size=(6, 4, 3)).astype("float32")
    y = RNG.normal(size=(6, 4, 1)).astype("float32")
    model = MaskedOutput()
    model.compile("sgd", "mse", metrics=["mae"])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    y_pred = model.predict(x, verbose=0)
    np.testing.assert_allclose(logs["loss"], np.mean((y_pred - y)[:, :2] ** 2), rtol=1e-5)
    np.testing.assert_allclose(logs["mae"], np.mean(np.abs(y_pred - y)[:, :2]), rtol=1e-5)
