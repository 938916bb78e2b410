"""TimeDistributed against real Keras (tests/golden/layers/sequence_layers.*, tools/golden_sequence_layers.py):
outputs, masks, configs and the saved-file layout, and its checks of bad input."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import layers
from golden_loader import golden_path
from sequence_golden import GOLDEN, check_configs, check_outputs_and_masks


def test_dense_matches_keras():
    inputs = keras.Input((4, 5))
    model = keras.Model(inputs, layers.TimeDistributed(layers.Dense(3, activation="tanh"), name="td")(inputs))
    check_outputs_and_masks(model, "td_dense")
    check_configs(model, "td_dense")


def test_conv2d_matches_keras():
    inputs = keras.Input((3, 6, 6, 2))
    model = keras.Model(inputs, layers.TimeDistributed(layers.Conv2D(2, 3, strides=2, padding="same"),
                                                       name="td")(inputs))
    check_outputs_and_masks(model, "td_conv2d")
    check_configs(model, "td_conv2d")


def test_embedding_mask_passes_through_to_the_pooling_as_in_keras():
    inputs = keras.Input((5,), dtype="int32")
    embedded = layers.Embedding(9, 4, mask_zero=True, name="embedding")(inputs)
    distributed = layers.TimeDistributed(layers.Dense(3), name="td")(embedded)
    pooled = layers.GlobalAveragePooling1D(name="pool")(distributed)
    check_outputs_and_masks(keras.Model(inputs, [distributed, pooled]), "td_masked")


def test_keras_saved_file_loads_and_predicts_the_same():
    model = keras.models.load_model(golden_path("layers/sequence_layers.keras"))
    assert isinstance(model.get_layer("td").layer, layers.Dense)
    np.testing.assert_allclose(model.predict(GOLDEN["keras_file/x0"], verbose=0), GOLDEN["keras_file/y0"],
                               rtol=1e-5, atol=1e-6)


def test_saved_file_keeps_the_inner_layer_weights_under_keras_paths(tmp_path):
    import h5py
    import zipfile
    inputs = keras.Input((3, 4))
    model = keras.Model(inputs, layers.TimeDistributed(layers.Dense(2), name="td")(inputs))
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as file:
        assert sorted(file["layers/time_distributed/layer/vars"]) == ["0", "1"]
    clone = keras.models.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_time_is_folded_into_the_batch_in_one_call():
    seen = []

    class Recorder(layers.Layer):
        def call(self, inputs):
            seen.append(tuple(inputs.shape))
            return inputs * 2.0

    out = layers.TimeDistributed(Recorder())(np.ones((2, 7, 3), "float32"))
    assert seen == [(14, 3)] and out.shape == (2, 7, 3)


def test_training_flag_reaches_the_inner_layer():
    layer = layers.TimeDistributed(layers.Dropout(0.5, seed=1))
    x = np.ones((4, 6, 10), "float32")
    np.testing.assert_array_equal(layer(x).numpy(), x)
    assert (layer(x, training=True).numpy() == 0).any()


def test_mask_reaches_an_inner_layer_that_takes_one_folded_as_the_inputs():
    received = {}

    class MaskReader(layers.Layer):
        def call(self, inputs, mask=None):
            received["mask"] = mask
            return inputs

        def compute_mask(self, inputs, previous_mask):
            return previous_mask

    mask = torch.tensor([[True, False, True], [False, True, True]])
    layers.TimeDistributed(MaskReader())(torch.ones(2, 3, 4, 5), mask=mask)
    assert received["mask"].tolist() == mask.reshape(6).tolist()


def test_weights_are_the_inner_layer_weights():
    layer = layers.TimeDistributed(layers.Dense(2))
    layer(np.zeros((1, 3, 4), "float32"))
    assert [w.shape for w in layer.weights] == [(4, 2), (2,)]
    assert layer.weights[0] is layer.layer.kernel


def test_config_round_trips_with_the_inner_layer():
    layer = layers.TimeDistributed(layers.Dense(3, activation="relu", name="inner"), name="td")
    clone = layers.TimeDistributed.from_config(layer.get_config())
    assert isinstance(clone.layer, layers.Dense) and clone.layer.units == 3 and clone.name == "td"
    assert clone.get_config() == layer.get_config()


def test_compute_output_shape():
    layer = layers.TimeDistributed(layers.Conv2D(4, 3))
    assert layer.compute_output_shape((None, 5, 8, 8, 3)) == (None, 5, 6, 6, 4)


@pytest.mark.parametrize("shape", [(2, 3), (4,)])
def test_input_of_rank_below_3_is_refused(shape):
    with pytest.raises(ValueError, match=r"'td'.*rank 3 at least.*" + str(shape).replace("(", r"\(").replace(")", r"\)")):
        layers.TimeDistributed(layers.Dense(2), name="td")(np.zeros(shape, "float32"))


def test_input_of_rank_below_3_is_refused_once_built():
    layer = layers.TimeDistributed(layers.Dense(2), name="td")
    layer(np.zeros((1, 2, 3), "float32"))
    with pytest.raises(ValueError, match="rank 3 at least"):
        layer(np.zeros((2, 3), "float32"))


def test_mask_of_the_wrong_shape_is_refused():
    class MaskReader(layers.Layer):
        def call(self, inputs, mask=None):
            return inputs

    with pytest.raises(ValueError, match=r"mask.*\(2, 3\).*\(2, 4\)"):
        layers.TimeDistributed(MaskReader(), name="td")(torch.ones(2, 3, 5), mask=torch.ones(2, 4, dtype=torch.bool))


def test_wrapping_a_non_layer_is_refused():
    with pytest.raises(ValueError, match="Layer instance"):
        layers.TimeDistributed(torch.nn.Linear(2, 2))


def test_keras2_import_path():
    from kerastorch.layers.wrappers import TimeDistributed, Wrapper
    assert TimeDistributed is layers.TimeDistributed and issubclass(TimeDistributed, Wrapper)


def test_keras2_wrappers_module_has_bidirectional():
    from kerastorch.layers.wrappers import Bidirectional
    assert Bidirectional is layers.Bidirectional
