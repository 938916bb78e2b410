"""Embedding against the numbers, masks and configs real Keras gave (tests/golden/layers/sequence_layers.*, written
by tools/golden_sequence_layers.py), and its checks of bad input."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import layers
from sequence_golden import check_configs, check_outputs_and_masks


def embedding_model(steps, input_dim, output_dim, mask_zero, dtype):
    inputs = keras.Input(steps, dtype=dtype)
    return keras.Model(inputs, layers.Embedding(input_dim, output_dim, mask_zero=mask_zero, name="embedding")(inputs))


@pytest.mark.parametrize("mask_zero", [False, True])
@pytest.mark.parametrize("dtype", ["int32", "int64", "float32"])
def test_outputs_and_mask_match_keras(mask_zero, dtype):
    case = f"embedding_mask{int(mask_zero)}_{dtype}"
    model = embedding_model((5,), 7, 3, mask_zero, dtype)
    check_outputs_and_masks(model, case)
    check_configs(model, case)


def test_indices_of_rank_3_match_keras():
    model = embedding_model((2, 3), 6, 4, True, "int32")
    check_outputs_and_masks(model, "embedding_rank3")


@pytest.mark.parametrize("dtype", [torch.int8, torch.int16, torch.uint8, torch.int32, torch.int64, torch.float64])
def test_any_integer_dtype_gives_the_same_vectors(dtype):
    layer = layers.Embedding(5, 2)
    indices = torch.tensor([[0, 3, 4]])
    np.testing.assert_array_equal(layer(indices.to(dtype)).detach().numpy(), layer(indices).detach().numpy())


def test_float_indices_are_truncated_as_keras_casts_them():
    layer = layers.Embedding(5, 2)
    np.testing.assert_array_equal(layer(np.array([[1.7, 3.2]], "float32")).detach().numpy(),
                                  layer(np.array([[1, 3]])).detach().numpy())


def test_weight_is_named_embeddings_with_keras_default_uniform_initializer():
    layer = layers.Embedding(50, 8)
    layer.build()
    assert [w.name for w in layer.weights] == ["embeddings"]
    assert list(dict(layer.named_parameters())) == ["embeddings"]
    values = layer.embeddings.detach()
    assert values.shape == (50, 8) and values.abs().max() <= 0.05 and values.std() > 0.01


def test_mask_zero_mask_reaches_the_following_layers():
    inputs = keras.Input((4,), dtype="int32")
    x = layers.Embedding(6, 3, mask_zero=True)(inputs)
    x = layers.Dense(2)(x)
    model = keras.Model(inputs, x)
    assert model(np.array([[1, 2, 0, 0]]))._keras_mask.tolist() == [[True, True, False, False]]


def test_without_mask_zero_no_mask_is_attached():
    assert getattr(layers.Embedding(6, 3)(np.array([[1, 0]])), "_keras_mask", None) is None


def test_weights_argument_sets_the_initial_matrix():
    matrix = np.arange(6, dtype="float32").reshape(3, 2)
    np.testing.assert_array_equal(layers.Embedding(3, 2, weights=[matrix]).get_weights()[0], matrix)


def test_input_length_warns_as_keras_and_declares_the_sequential_input():
    with pytest.warns(UserWarning, match="input_length"):
        layer = layers.Embedding(10, 4, input_length=7)
    model = keras.Sequential([layer, layers.Flatten(), layers.Dense(1)])
    assert model.output_shape == (None, 1)
    assert model.layers[1].output.shape == (None, 28)
    assert "batch_input_shape" not in layer.get_config() and "input_length" not in layer.get_config()


def test_gradient_reaches_only_the_looked_up_rows():
    layer = layers.Embedding(5, 2)
    layer(np.array([[1, 3, 3]])).sum().backward()
    grad = layer.embeddings.grad
    assert grad[[0, 2, 4]].abs().sum() == 0 and grad[3].tolist() == [2.0, 2.0]


def test_config_round_trips():
    layer = layers.Embedding(10, 4, mask_zero=True, embeddings_regularizer="l2", name="tokens")
    clone = layers.Embedding.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize("index", [12, -1])
def test_index_out_of_range_is_a_value_error_naming_index_and_input_dim(index):
    layer = layers.Embedding(10, 3, name="tokens")
    with pytest.raises(ValueError, match=rf"'tokens'.*index {index}.*input_dim=10"):
        layer(np.array([[1, index, 2]]))


def test_index_out_of_range_in_fit_is_a_value_error():
    model = keras.Sequential([keras.Input((3,), dtype="int32"), layers.Embedding(4, 2), layers.Flatten(),
                              layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="index 9"):
        model.fit(np.array([[1, 9, 2]]), np.zeros((1, 1)), verbose=0)


@pytest.mark.parametrize("argument", ["input_dim", "output_dim"])
@pytest.mark.parametrize("value", [0, -3, 2.5, True])
def test_invalid_dimensions_are_refused(argument, value):
    kwargs = {"input_dim": 5, "output_dim": 2, argument: value}
    with pytest.raises(ValueError, match=argument):
        layers.Embedding(**kwargs)


def test_unknown_arguments_are_refused_as_keras_refuses_them():
    with pytest.raises(ValueError, match="sparse"):
        layers.Embedding(5, 2, sparse=True)


def test_keras2_import_path():
    from kerastorch.layers.embeddings import Embedding
    assert Embedding is layers.Embedding
