"""The Layer base: building, naming, trainable, weights, configs, input checks."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import layers


@pytest.fixture(autouse=True)
def fresh_names():
    keras.backend.clear_session()


def test_layer_is_a_torch_module_with_keras_weight_names():
    dense = layers.Dense(3)
    dense(np.zeros((2, 4), "float32"))
    assert isinstance(dense, torch.nn.Module)
    assert [name for name, _ in dense.named_parameters()] == ["kernel", "bias"]
    assert dense.kernel.path == "dense/kernel" and dense.kernel.name == "kernel"


def test_built_on_first_call_from_the_input_shape():
    dense = layers.Dense(3)
    assert not dense.built and dense.weights == []
    dense(np.zeros((2, 5), "float32"))
    assert dense.built
    assert [tuple(w.shape) for w in dense.weights] == [(5, 3), (3,)]


def test_build_from_input_shape_argument_in_sequential():
    model = keras.Sequential([layers.Dense(3, input_shape=(4,))])
    assert model.built and model.layers[0].kernel.shape == (4, 3)


def test_batch_input_shape_and_input_dim_are_accepted():
    assert keras.Sequential([layers.Dense(2, batch_input_shape=(8, 3))]).input_shape == (8, 3)
    assert keras.Sequential([layers.Dense(2, input_dim=6)]).input_shape == (None, 6)


def test_names_are_unique_per_class_and_reset_by_clear_session():
    names = [layers.Dense(1).name, layers.Dense(1).name, layers.Activation("relu").name, layers.Dense(1).name]
    assert names == ["dense", "dense_1", "activation", "dense_2"]
    keras.backend.clear_session()
    assert layers.Dense(1).name == "dense"


def test_explicit_name_is_honoured():
    assert layers.Dense(1, name="output").name == "output"


def test_duplicate_name_in_a_model_is_refused():
    with pytest.raises(ValueError, match="unique names.*'twin'"):
        keras.Sequential([keras.Input((2,)), layers.Dense(1, name="twin"), layers.Dense(1, name="twin")])


def test_unknown_keyword_argument_is_refused():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Dense: {'unit': 3}"):
        layers.Dense(3, unit=3)


def test_trainable_moves_weights_and_sets_requires_grad():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dense(2)])
    first = model.layers[0]
    first.trainable = False
    assert not first.kernel.requires_grad
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    assert model.non_trainable_weights[0] is first.kernel
    first.trainable = True
    assert first.kernel.requires_grad and len(model.trainable_weights) == 4


def test_freezing_a_model_freezes_every_layer_beneath_it():
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    outer = keras.Sequential([keras.Input((4,)), inner, layers.Dense(2)])
    inner.trainable = False
    assert all(not w.requires_grad for w in inner.weights)
    assert outer.trainable_weights == outer.layers[1].weights


def test_get_and_set_weights_in_keras_layout():
    dense = layers.Dense(3)
    dense(np.zeros((1, 2), "float32"))
    kernel = np.arange(6, dtype="float32").reshape(2, 3)
    bias = np.array([1, 2, 3], "float32")
    dense.set_weights([kernel, bias])
    got = dense.get_weights()
    np.testing.assert_array_equal(got[0], kernel)
    np.testing.assert_array_equal(got[1], bias)
    out = dense(np.array([[1.0, 1.0]], "float32"))
    np.testing.assert_allclose(out.detach().numpy(), [[3 + 1, 5 + 2, 7 + 3]])


def test_set_weights_with_wrong_count_names_the_layer():
    dense = layers.Dense(3)
    dense(np.zeros((1, 2), "float32"))
    with pytest.raises(ValueError, match="layer 'dense' with a weight list of length 1, but the layer was "
                                         "expecting 2 weights"):
        dense.set_weights([np.zeros((2, 3))])


def test_set_weights_with_wrong_shape_names_the_layer_and_both_shapes():
    dense = layers.Dense(3)
    dense(np.zeros((1, 2), "float32"))
    with pytest.raises(ValueError, match=r"Layer dense weight shape \(2, 3\) is not compatible with provided "
                                         r"weight shape \(3, 3\)"):
        dense.set_weights([np.zeros((3, 3)), np.zeros(3)])


def test_count_params_before_build_is_refused():
    with pytest.raises(ValueError, match="isn't built"):
        layers.Dense(3).count_params()


def test_add_weight_in_a_user_layer():
    class Scale(keras.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
            self.counter = self.add_weight(shape=(), initializer="zeros", trainable=False, name="counter")

        def call(self, inputs):
            return inputs * self.w

    layer = Scale()
    out = layer(np.full((2, 3), 2.0, "float32"))
    np.testing.assert_allclose(out.detach().numpy(), 2.0)
    assert layer.w is layer.scale
    assert layer.trainable_weights == [layer.scale] and len(layer.non_trainable_weights) == 1
    assert [n for n, _ in layer.named_parameters()] == ["scale", "counter"]
    assert layer.scale.requires_grad and not layer.counter.requires_grad
    assert layer.count_params() == 4


def test_config_round_trip_and_compute_output_shape():
    dense = layers.Dense(7, activation="relu", use_bias=False, name="d")
    config = dense.get_config()
    assert config["units"] == 7 and config["activation"] == "relu" and config["use_bias"] is False
    clone = layers.Dense.from_config(config)
    assert clone.get_config() == config
    assert dense.compute_output_shape((None, 3, 5)) == (None, 3, 7)


def test_wrong_last_dimension_names_the_layer_and_both_shapes():
    model = keras.Sequential([layers.Dense(4, input_shape=(1,))])
    with pytest.raises(ValueError, match=r"layer 'dense' is incompatible with the layer: expected axis -1 of input "
                                         r"shape to have value 1, but received input with shape \(3, 2\)"):
        model(np.zeros((3, 2), "float32"))


def test_wrong_rank_names_the_layer_and_shape():
    dense = layers.Dense(4)
    with pytest.raises(ValueError, match=r"layer 'dense' is incompatible with the layer: expected min_ndim=2, "
                                         r"found ndim=1. Full shape received: \(5,\)"):
        dense(np.zeros((5,), "float32"))


def test_call_accepts_numpy_lists_and_tensors():
    dense = layers.Dense(2, kernel_initializer="ones")
    a = dense(np.ones((1, 3)))             # float64 numpy is cast to floatx
    b = dense(torch.ones(1, 3))
    c = dense([[1.0, 1.0, 1.0]])
    assert a.dtype == torch.float32
    for out in (a, b, c):
        np.testing.assert_allclose(out.detach().numpy(), [[3.0, 3.0]])


def test_dense_on_rank_3_input_applies_to_last_axis():
    dense = layers.Dense(4)
    out = dense(np.zeros((2, 5, 3), "float32"))
    assert tuple(out.shape) == (2, 5, 4)


def test_losses_hold_regularization_penalties():
    dense = layers.Dense(2, kernel_initializer="ones", kernel_regularizer=keras.regularizers.l2(0.1),
                         activity_regularizer="l1")
    out = dense(np.ones((4, 3), "float32"))
    penalties = [float(p.detach()) for p in dense.losses]
    # activity: l1(0.01) * sum(|out|) / batch = 0.01 * 24 / 4; kernel: 0.1 * sum(1^2) over 6 entries
    assert sorted(penalties) == pytest.approx(sorted([0.01 * float(out.abs().sum()) / 4, 0.1 * 6]))


def test_print_model_reads_well():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="relu"), layers.Dropout(0.5)])
    text = repr(model)
    assert "(dense): Dense(name='dense', units=4, activation=relu)" in text
    assert "(dropout): Dropout(name='dropout', rate=0.5)" in text


def test_layers_start_in_inference_mode_and_training_flag_propagates():
    torch.manual_seed(0)
    model = keras.Sequential([keras.Input((100,)), layers.Dropout(0.5)])
    x = np.ones((2, 100), "float32")
    np.testing.assert_array_equal(model(x).numpy(), x)
    dropped = model(x, training=True).numpy()
    assert (dropped == 0).any() and set(np.unique(dropped)) <= {0.0, 2.0}
