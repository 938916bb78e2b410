"""ConvLSTM1D/2D/3D against real Keras 3.15 (tests/golden/layers/sequence_layers.*, written by
tools/golden_sequence_layers.py): outputs, states, weight shapes, output shapes and configs in each mode, and the
checks of bad input."""
import json

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import layers
from kerastorch.saving.serialization import serialize_keras_object
from sequence_golden import CONFIGS, GOLDEN

CASES = CONFIGS["convlstm_cases"]


def recorded_layer(case):
    spec = CONFIGS[case]
    layer = getattr(layers, spec["class"])(**spec["kwargs"], name="conv_lstm")
    layer.build(tuple(spec["shape"]))
    count = sum(1 for key in GOLDEN if key.startswith(f"{case}/w/"))
    layer.set_weights([GOLDEN[f"{case}/w/{i}"] for i in range(count)])
    return layer, spec


def call_recorded(case):
    layer, spec = recorded_layer(case)
    x = torch.from_numpy(GOLDEN[f"{case}/x0"])
    kwargs = {}
    if spec["call"] == "mask":
        kwargs["mask"] = torch.from_numpy(GOLDEN[f"{case}/mask"])
    if spec["call"] == "initial_state":
        kwargs["initial_state"] = [torch.from_numpy(GOLDEN[f"{case}/h0"]), torch.from_numpy(GOLDEN[f"{case}/c0"])]
    if spec["call"] == "stateful":
        first = layer(x)
        np.testing.assert_allclose(first.detach().numpy(), GOLDEN[f"{case}/first"], rtol=1e-5, atol=1e-5)
    outputs = layer(x, **kwargs)
    return layer, list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


@pytest.mark.parametrize("case", CASES)
def test_outputs_match_keras(case):
    _, outputs = call_recorded(case)
    for i, output in enumerate(outputs):
        np.testing.assert_allclose(output.detach().numpy(), GOLDEN[f"{case}/y{i}"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_weights_shapes_and_output_shape_match_keras(case):
    layer, spec = recorded_layer(case)
    assert [list(w.shape) for w in layer.get_weights()] == spec["weight_shapes"]
    assert [w.name for w in layer.weights][:2] == ["kernel", "recurrent_kernel"]
    assert json.loads(json.dumps(layer.compute_output_shape(tuple(spec["shape"])))) == spec["output_shape"]


@pytest.mark.parametrize("case", CASES)
def test_config_matches_keras(case):
    layer, spec = recorded_layer(case)
    config = serialize_keras_object(layer)["config"]
    config.pop("name")
    assert json.loads(json.dumps(config)) == spec["config"]


def test_config_round_trips():
    layer = layers.ConvLSTM2D(4, (3, 2), padding="same", return_sequences=True, dropout=0.1, name="c")
    clone = layers.ConvLSTM2D.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_forget_gate_bias_starts_at_one():
    layer = layers.ConvLSTM1D(3, 2)
    layer.build((None, 4, 6, 2))
    assert layer.cell.bias.tolist() == [0.0] * 3 + [1.0] * 3 + [0.0] * 6


def test_input_convolution_runs_once_for_all_timesteps():
    calls = []
    layer = layers.ConvLSTM2D(2, 3, padding="same")
    original = torch.nn.functional.conv2d

    def counting(x, *args, **kwargs):
        calls.append(x.shape[0])
        return original(x, *args, **kwargs)

    from kerastorch.layers.recurrent import conv_lstm
    layer(np.zeros((2, 5, 4, 4, 1), "float32"))
    conv_lstm._CONV[2] = counting
    try:
        layer(np.zeros((2, 5, 4, 4, 1), "float32"))
    finally:
        conv_lstm._CONV[2] = original
    assert calls == [10] + [2] * 5   # one input convolution over batch * timesteps, one recurrent one per step


def test_mask_from_the_previous_layer_is_honoured_and_passed_on_with_return_sequences():
    x = np.random.default_rng(0).normal(size=(2, 4, 5, 2)).astype("float32")
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    layer = layers.ConvLSTM1D(2, 3, padding="same", return_sequences=True)
    out = layer(torch.from_numpy(x), mask=mask)
    assert out._keras_mask.tolist() == mask.tolist()
    np.testing.assert_array_equal(out[0, 2].detach().numpy(), out[0, 1].detach().numpy())


def test_dropout_in_training_changes_outputs_and_not_in_inference():
    layer = layers.ConvLSTM1D(2, 3, dropout=0.5, recurrent_dropout=0.5, seed=1)
    x = np.random.default_rng(0).normal(size=(2, 3, 5, 2)).astype("float32")
    plain = layer(x).detach().numpy()
    np.testing.assert_array_equal(layer(x).detach().numpy(), plain)
    assert not np.allclose(layer(x, training=True).detach().numpy(), plain)


def test_gradients_reach_all_weights():
    layer = layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True)
    layer(np.random.default_rng(0).normal(size=(1, 3, 4, 4, 2)).astype("float32")).sum().backward()
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in layer.weights)


def test_cell_in_rnn_gives_the_layer_numbers():
    layer, _ = recorded_layer("convlstm/c2_same")
    cell = layer.cell
    rnn = layers.RNN(cell, return_sequences=True)
    x = torch.from_numpy(GOLDEN["convlstm/c2_same/x0"])
    np.testing.assert_allclose(rnn(x).detach().numpy(), GOLDEN["convlstm/c2_same/y0"], rtol=1e-5, atol=1e-5)


def test_fits_in_a_sequential_model():
    model = keras.Sequential([keras.Input((3, 6, 6, 1)), layers.ConvLSTM2D(2, 3, padding="same"),
                              layers.Flatten(), layers.Dense(1)])
    model.compile("adam", "mse")
    x = np.random.default_rng(0).normal(size=(8, 3, 6, 6, 1)).astype("float32")
    history = model.fit(x, np.ones((8, 1), "float32"), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("cls, shape", [(layers.ConvLSTM2D, (2, 3, 4, 4)), (layers.ConvLSTM2D, (2, 3, 4, 4, 1, 1)),
                                        (layers.ConvLSTM1D, (2, 3, 4))])
def test_wrong_rank_is_refused(cls, shape):
    with pytest.raises(ValueError, match=rf"'lstm'.*expects inputs of rank {cls.rank + 3}.*rank {len(shape)}"):
        cls(2, 3, name="lstm")(np.zeros(shape, "float32"))


def test_wrong_rank_is_refused_once_built():
    layer = layers.ConvLSTM2D(2, 3)
    layer(np.zeros((1, 2, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="ndim=6"):
        layer(np.zeros((1, 2, 4, 4, 1, 1), "float32"))


def test_initial_state_of_the_wrong_shape_is_refused():
    layer = layers.ConvLSTM2D(2, 3, padding="same", name="lstm")
    x = np.zeros((2, 3, 4, 4, 1), "float32")
    with pytest.raises(ValueError, match=r"'lstm'.*\(2, 4, 4, 3\).*\(2, 4, 4, 2\)"):
        layer(x, initial_state=[torch.zeros(2, 4, 4, 3), torch.zeros(2, 4, 4, 3)])
    with pytest.raises(ValueError, match="2 initial state"):
        layer(x, initial_state=[torch.zeros(2, 4, 4, 2)])


def test_strides_with_dilation_are_refused():
    with pytest.raises(ValueError, match="dilation_rate"):
        layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2)


def test_keras_saved_file_loads_and_predicts_the_same(tmp_path):
    from golden_loader import golden_path
    model = keras.models.load_model(golden_path("layers/sequence_layers_conv_lstm.keras"))
    x = GOLDEN["conv_lstm_file/x0"]
    np.testing.assert_allclose(model.predict(x, verbose=0), GOLDEN["conv_lstm_file/y0"], rtol=1e-5, atol=1e-5)
    model.save(tmp_path / "again.keras")   # and kerastorch's file reads back the same
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "again.keras").predict(x, verbose=0),
                               GOLDEN["conv_lstm_file/y0"], rtol=1e-5, atol=1e-5)


def test_keras2_import_path():
    from kerastorch.layers.convolutional_recurrent import ConvLSTM2D
    assert ConvLSTM2D is layers.ConvLSTM2D
