"""Loss functions called on KerasTensors (Keras 2's way of building a loss for add_loss) record a graph node."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import losses
from kerastorch.keras_tensor import KerasTensor


@pytest.mark.parametrize("name", ["binary_crossentropy", "mean_squared_error", "categorical_crossentropy"])
def test_a_loss_function_on_keras_tensors_is_a_keras_tensor_per_sample(name):
    y_true, y_pred = keras.Input((3,)), keras.Input((3,))
    result = getattr(losses, name)(y_true, y_pred)
    assert isinstance(result, KerasTensor) and result.shape == (None,)


def test_the_graph_node_computes_what_the_function_computes():
    y_true, y_pred = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([y_true, y_pred], losses.binary_crossentropy(y_true, y_pred, label_smoothing=0.1))
    t = np.array([[0, 1, 1], [1, 0, 0]], "float32")
    p = np.array([[0.2, 0.7, 0.9], [0.6, 0.1, 0.3]], "float32")
    expected = losses.binary_crossentropy(torch.tensor(t), torch.tensor(p), label_smoothing=0.1)
    np.testing.assert_allclose(model([t, p]).detach().numpy(), expected.numpy(), rtol=1e-6)


def test_options_given_by_position_reach_the_graph_node():
    y_true, y_pred = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([y_true, y_pred], losses.categorical_crossentropy(y_true, y_pred, True))
    t = np.eye(3, dtype="float32")[:2]
    logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]], "float32")
    expected = losses.categorical_crossentropy(torch.tensor(t), torch.tensor(logits), from_logits=True)
    np.testing.assert_allclose(model([t, logits]).detach().numpy(), expected.numpy(), rtol=1e-6)


def test_wrapped_functions_keep_their_names_for_serialization():
    assert losses.binary_crossentropy.__name__ == "binary_crossentropy"
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.serialize(losses.mean_squared_error) == keras.losses.serialize(keras.losses.mse)
