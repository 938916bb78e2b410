"""Embedding against the numbers, masks and configs real Keras gave (tests/golden/layers/sequence_layers.*, written
by tools/golden_sequence_layers.py), and its checks of bad input."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kerastorch as keras
from kerastorch import layers
from sequence_golden import CONFIGS, GOLDEN, check_configs, check_outputs_and_masks, set_recorded_weights

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


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


def lora_model():
    inputs = keras.Input((5,), dtype="int32")
    return keras.Model(inputs, layers.Embedding(7, 3, lora_rank=2, name="embedding")(inputs))


def test_lora_outputs_weights_and_config_match_keras():
    model = lora_model()
    layer = model.get_layer("embedding")
    assert [w.name for w in layer.weights] == ["embeddings", "lora_embeddings_a", "lora_embeddings_b"]
    assert [f"embedding/{w.name}" for w in layer.trainable_weights] == CONFIGS["embedding_lora_trainable"]
    check_outputs_and_masks(model, "embedding_lora")
    check_configs(model, "embedding_lora")


def test_lora_saves_the_merged_matrix_as_keras_does(tmp_path):
    model = lora_model()
    set_recorded_weights(model, "embedding_lora")
    store = {}
    model.get_layer("embedding").save_own_variables(store)
    assert list(store) == ["0"]
    np.testing.assert_allclose(store["0"].numpy(), GOLDEN["embedding_lora/saved"], rtol=1e-6, atol=1e-6)
    model.save_weights(tmp_path / "lora.weights.h5")
    clone = lora_model()
    clone.load_weights(tmp_path / "lora.weights.h5")   # merged into embeddings, the update zeroed
    layer = clone.get_layer("embedding")
    np.testing.assert_allclose(layer.embeddings.detach().numpy(), GOLDEN["embedding_lora/saved"], rtol=1e-6)
    assert layer.lora_embeddings_b.abs().sum() == 0
    np.testing.assert_allclose(clone(GOLDEN["embedding_lora/x0"]).detach().numpy(), GOLDEN["embedding_lora/y0"],
                               rtol=1e-5, atol=1e-6)


def test_lora_trains_only_the_low_rank_matrices():
    layer = layers.Embedding(6, 4, lora_rank=2, lora_alpha=4)
    layer(np.array([[1, 2]])).sum().backward()
    assert layer.embeddings.grad is None and layer.lora_embeddings_b.grad is not None
    assert layer.get_config()["lora_alpha"] == 4


def test_enable_lora_refuses_constraints_unbuilt_layers_and_twice():
    with pytest.raises(ValueError, match="constraints"):
        layers.Embedding(5, 2, embeddings_constraint="non_neg", lora_rank=2).build()
    with pytest.raises(ValueError, match="isn't yet built"):
        layers.Embedding(5, 2).enable_lora(2)
    layer = layers.Embedding(5, 2)
    layer.build()
    layer.enable_lora(2)
    with pytest.raises(ValueError, match="already enabled"):
        layer.enable_lora(2)


def test_accelerator_lookup_of_indices_in_range_is_the_plain_lookup():
    # The path an accelerator's eager call takes, run here on the CPU (where F.embedding's own check serves).
    layer = layers.Embedding(10, 3)
    layer.build()
    indices = torch.tensor([[0, 9, 4]])
    torch.testing.assert_close(layer._accelerator_lookup(indices), F.embedding(indices, layer.embeddings))
    layer._accelerator_lookup(torch.zeros((0, 3), dtype=torch.int64))
    layer._accelerator_lookup(indices)


@pytest.mark.parametrize("bad, named", [(10, 10), (-1, -1)])
def test_accelerator_call_with_a_bad_index_is_reported_by_the_next_call(bad, named):
    layer = layers.Embedding(10, 3, name="tokens")
    layer.build()
    outputs = layer._accelerator_lookup(torch.tensor([[1, bad]]))
    clamped = torch.tensor([[1, min(max(bad, 0), 9)]])
    torch.testing.assert_close(outputs, F.embedding(clamped, layer.embeddings))
    with pytest.raises(ValueError, match=rf"'tokens'.*index {named}, .*input_dim=10.*shape \(1, 2\).*earlier call"):
        layer._accelerator_lookup(torch.tensor([[2, 3]]))
    layer._accelerator_lookup(torch.tensor([[2, 3]]))   # reported once


@needs_cuda
def test_cuda_eager_calls_never_wait_for_the_device():
    layer = layers.Embedding(10, 3)
    indices = torch.tensor([[1, 2, 9]], device="cuda")
    layer(indices)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(5):
            layer(indices)
    finally:
        torch.cuda.set_sync_debug_mode("default")


@needs_cuda
def test_cuda_out_of_range_index_is_a_value_error_and_the_device_survives():
    layer = layers.Embedding(10, 3, name="tokens")
    layer(torch.tensor([[1, 12]], device="cuda"))
    torch.cuda.synchronize()
    with pytest.raises(ValueError, match=r"'tokens'.*index 12"):
        layer(torch.tensor([[1, 2]], device="cuda"))
    assert layer(torch.tensor([[1, 2]], device="cuda")).shape == (1, 2, 3)


def test_keras2_h5_model_with_sequence_layers_loads_and_predicts_as_keras2():
    """Embedding(mask_zero, input_length) -> TimeDistributed(Dense) -> PReLU -> GlobalAveragePooling1D, and
    ConvLSTM2D, saved by tf.keras 2.21 (tools/golden_sequence_layers_keras2.py)."""
    from golden_loader import golden_npz, golden_path
    data = golden_npz("layers/sequence_layers_keras2.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # Keras 2's input_length and batch_input_shape
        model = keras.models.load_model(golden_path("layers/sequence_layers_keras2.h5"))
    np.testing.assert_allclose(model.predict([data["tokens"], data["frames"]], verbose=0), data["y"], rtol=1e-5,
                               atol=1e-5)


def test_a_copy_does_not_inherit_the_reports_in_flight():
    import copy
    layer = layers.Embedding(10, 3)
    layer.build()
    layer._accelerator_lookup(torch.tensor([[1, 11]]))
    copy.deepcopy(layer)._accelerator_lookup(torch.tensor([[1, 2]]))
    with pytest.raises(ValueError, match="index 11"):
        layer._accelerator_lookup(torch.tensor([[1, 2]]))
