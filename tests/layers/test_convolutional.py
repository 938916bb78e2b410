"""Convolution layers against Keras 3.15 (tests/golden/layers/conv.npz and conv_summaries.json,
tools/golden_conv.py), the zero-copy channels_last data path, weight layouts, errors and Keras 2's
`keras.layers.convolutional` names."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from kerastorch import backend, layers
from kerastorch.layers import _conv_utils, convolutional
from kerastorch.models import Sequential
from layer_golden import check_against_keras, load_cases
from golden_loader import REPO_ROOT, golden_json

DATA, CASES = load_cases("conv")
SUMMARIES = golden_json("layers/conv_summaries.json")


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_matches_keras(case):
    check_against_keras(DATA, case)


def test_fixture_covers_every_convolution_strides_dilations_groups_and_both_formats():
    covered = {case["layer"] for case in CASES}
    assert covered == {"Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
                       "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D"}
    kwargs = [case["kwargs"] for case in CASES]
    assert {k.get("strides", 1) if isinstance(k.get("strides", 1), int) else max(k["strides"]) for k in kwargs} \
        == {1, 2, 3}
    assert any(k.get("dilation_rate", 1) != 1 for k in kwargs)
    assert any(k.get("groups", 1) > 1 for k in kwargs)
    assert any(k.get("data_format") == "channels_first" for k in kwargs)
    sizes = {n for case in CASES for n in case["input_shape"][1:-1]}
    assert any(n % 2 for n in sizes) and any(n % 2 == 0 for n in sizes)


# ---- 'same' padding arithmetic ------------------------------------------------------------------------------

@pytest.mark.parametrize("size, kernel, stride, dilation, expected", [
    (7, 3, 1, 1, (1, 1)),   # odd kernel, stride 1: symmetric
    (6, 4, 1, 1, (1, 2)),   # even kernel: the odd element at the end
    (7, 3, 2, 1, (1, 1)),   # 4 outputs need (4 - 1) * 2 + 3 - 7 = 2
    (8, 3, 2, 1, (0, 1)),   # 4 outputs need 1: at the end
    (8, 3, 3, 1, (0, 1)),   # 3 outputs need (3 - 1) * 3 + 3 - 8 = 1
    (7, 1, 2, 1, (0, 0)),
    (7, 3, 1, 2, (2, 2)),   # effective kernel 5
    (2, 5, 1, 1, (2, 2)),   # a kernel larger than the input is fine with 'same'
])
def test_same_padding_is_tensorflows(size, kernel, stride, dilation, expected):
    before, after = _conv_utils.same_padding(size, kernel, stride, dilation)
    assert (before, after) == expected
    effective = (kernel - 1) * dilation + 1
    assert (size + before + after - effective) // stride + 1 == -(-size // stride)


# ---- channels_last data path ---------------------------------------------------------------------------------

def test_nhwc_input_reaches_torch_as_a_channels_last_view_without_copy():
    x = torch.randn(4, 9, 8, 3)
    view = _conv_utils.to_channels_first(x, "channels_last")
    assert view.shape == (4, 3, 9, 8)
    assert view.data_ptr() == x.data_ptr()
    assert view.is_contiguous(memory_format=torch.channels_last)
    assert view.stride() == (9 * 8 * 3, 1, 8 * 3, 3)
    back = _conv_utils.to_channels_last(view, "channels_last")
    assert back.data_ptr() == x.data_ptr() and back.is_contiguous()


@pytest.mark.parametrize("channels", [1, 3])
def test_conv_pool_batchnorm_chain_keeps_nhwc_contiguous(channels):
    model = Sequential([layers.Input((12, 11, channels)), layers.Conv2D(8, 3, padding="same"),
                        layers.MaxPooling2D(2), layers.BatchNormalization(), layers.Conv2D(4, 3),
                        layers.AveragePooling2D(2)])
    outputs = torch.randn(2, 12, 11, channels)
    for layer in model.layers:
        outputs = layer(outputs)
        # Each torch kernel ran on channels_last memory, so the NHWC result needs no copy.
        assert outputs.is_contiguous(), layer.name


def test_conv2d_output_is_the_torch_result_permuted_not_copied(monkeypatch):
    produced = []
    original = torch.nn.functional.conv2d

    def recording_conv2d(*args, **kwargs):
        produced.append(original(*args, **kwargs))
        return produced[-1]
    monkeypatch.setitem(convolutional._CONV, 2, recording_conv2d)
    outputs = layers.Conv2D(5, 3)(torch.randn(2, 7, 7, 3))
    assert outputs.data_ptr() == produced[0].data_ptr() and outputs.is_contiguous()


# ---- weights -------------------------------------------------------------------------------------------------

def test_kernel_layouts_are_keras():
    x = np.zeros((1, 8, 8, 6), "float32")
    conv = layers.Conv2D(4, (3, 2), groups=2)
    conv(x)
    assert [tuple(w.shape) for w in conv.get_weights()] == [(3, 2, 3, 4), (4,)]
    transpose = layers.Conv2DTranspose(4, 3)
    transpose(x)
    assert [tuple(w.shape) for w in transpose.get_weights()] == [(3, 3, 4, 6), (4,)]
    depthwise = layers.DepthwiseConv2D(3, depth_multiplier=2)
    depthwise(x)
    assert [tuple(w.shape) for w in depthwise.get_weights()] == [(3, 3, 6, 2), (12,)]
    separable = layers.SeparableConv2D(5, 3, depth_multiplier=2)
    separable(x)
    assert [name for name, _ in separable.named_parameters()] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [tuple(w.shape) for w in separable.get_weights()] == [(3, 3, 6, 2), (1, 1, 12, 5), (5,)]


def test_use_bias_false_has_only_a_kernel():
    conv = layers.Conv1D(3, 2, use_bias=False)
    conv(np.zeros((1, 5, 2), "float32"))
    assert conv.bias is None and len(conv.weights) == 1


def test_gradients_reach_the_keras_layout_kernel():
    conv = layers.Conv2D(3, 3, padding="same", strides=2)
    conv(torch.randn(2, 7, 6, 2)).sum().backward()
    assert conv.kernel.grad.shape == (3, 3, 2, 3) and conv.bias.grad.shape == (3,)


def test_channels_first_follows_the_global_image_data_format(monkeypatch):
    monkeypatch.setattr(backend, "_IMAGE_DATA_FORMAT", "channels_first")
    conv = layers.Conv2D(4, 3)
    assert conv.data_format == "channels_first"
    assert conv(np.zeros((2, 3, 7, 6), "float32")).shape == (2, 4, 5, 4)


def test_symbolic_shapes_with_unknown_spatial_dimensions():
    inputs = layers.Input((None, None, 3))
    outputs = layers.Conv2D(4, 3, strides=2, padding="same")(inputs)
    assert tuple(outputs.shape) == (None, None, None, 4)


# ---- configuration -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer", [
    layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", groups=2),
    layers.Conv1D(3, 2, padding="causal", dilation_rate=2),
    layers.Conv3DTranspose(2, 3, strides=2, output_padding=1),
    layers.SeparableConv1D(3, 3, depth_multiplier=2),
    layers.DepthwiseConv2D(3, depth_multiplier=3, use_bias=False),
], ids=lambda layer: type(layer).__name__)
def test_from_config_rebuilds_the_same_layer(layer):
    config = layer.get_config()
    rebuilt = type(layer).from_config({**config, "name": config["name"] + "_copy"})
    assert {**rebuilt.get_config(), "name": config["name"]} == config


def test_conv3d_transpose_takes_data_format_before_output_padding_positionally():
    layer = layers.Conv3DTranspose(2, 3, 2, "same", "channels_first", 1)
    assert layer.data_format == "channels_first" and layer.output_padding == (1, 1, 1)


# ---- errors --------------------------------------------------------------------------------------------------

def test_kernel_larger_than_the_unpadded_input_names_the_layer_and_sizes():
    layer = layers.Conv2D(4, 5, name="big_kernel")
    with pytest.raises(ValueError, match=r"'big_kernel'.*\(5, 5\).*\(4, 6\).*padding='valid'"):
        layer(np.zeros((1, 4, 6, 2), "float32"))


def test_kernel_larger_than_the_input_is_fine_with_same_padding():
    assert layers.Conv2D(4, 5, padding="same")(np.zeros((1, 3, 3, 2), "float32")).shape == (1, 3, 3, 4)


def test_wrong_input_rank_names_the_layer_and_shape():
    with pytest.raises(ValueError, match=r"'conv_rank'.*expected ndim=4, found ndim=3.*\(2, 5, 3\)"):
        layers.Conv2D(2, 3, name="conv_rank")(np.zeros((2, 5, 3), "float32"))


def test_wrong_channel_count_after_build_names_the_layer():
    layer = layers.Conv1D(2, 3, name="conv_channels")
    layer(np.zeros((1, 6, 3), "float32"))
    with pytest.raises(ValueError, match=r"'conv_channels'.*axis -1.*value 3"):
        layer(np.zeros((1, 6, 4), "float32"))


@pytest.mark.parametrize("make, message", [
    (lambda: layers.Conv2D(0, 3), r"filters.*Received: filters=0"),
    (lambda: layers.Conv2D(-4, 3), r"filters.*Received: filters=-4"),
    (lambda: layers.Conv2D(4, 0), r"kernel_size.*Received: kernel_size=0"),
    (lambda: layers.Conv2D(4, (3, -1)), r"kernel_size.*Received: kernel_size=\(3, -1\)"),
    (lambda: layers.Conv2D(4, (3, 3, 3)), r"tuple of 2.*kernel_size=\(3, 3, 3\)"),
    (lambda: layers.Conv2D(4, 3, strides=0), r"strides.*Received: strides=0"),
    (lambda: layers.Conv2D(4, 3, padding="full"), r"padding.*'valid', 'same'.*Received: padding='full'"),
    (lambda: layers.Conv2D(4, 3, padding="causal"), r"Received: padding='causal'"),
    (lambda: layers.Conv2D(4, 3, data_format="NHWC"), r"data_format.*Received: data_format='NHWC'"),
    (lambda: layers.Conv2D(5, 3, groups=2), r"divisible by the number of groups.*groups=2, filters=5"),
    (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), r"strides > 1.*dilation_rate > 1"),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2), r"output_padding.*strides"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), r"depth_multiplier=0"),
    (lambda: layers.SeparableConv1D(0, 3), r"filters=0"),
])
def test_invalid_arguments_raise_value_error_naming_the_layer_class(make, message):
    with pytest.raises(ValueError, match=message) as error:
        make()
    assert "Conv" in str(error.value)


def test_input_channels_not_divisible_by_groups_names_the_shape():
    with pytest.raises(ValueError, match=r"groups=2.*3 channels.*\(1, 5, 5, 3\)"):
        layers.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), "float32"))


# ---- Keras 2 names and summaries -----------------------------------------------------------------------------

def test_keras2_star_import_gives_convolution_pooling_padding_and_upsampling_layers():
    namespace = {}
    exec("from kerastorch.layers.convolutional import *", namespace)
    for name in ["Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "SeparableConv2D", "DepthwiseConv2D",
                 "Convolution2D", "MaxPooling2D", "AveragePooling2D", "ZeroPadding2D", "Cropping2D", "UpSampling2D"]:
        assert namespace[name] is getattr(layers, name)
    assert "torch" not in namespace and "F" not in namespace
    assert layers.Convolution2D is layers.Conv2D and layers.Convolution2DTranspose is layers.Conv2DTranspose


def summary_table(model):
    rows = [{"name": layer.name, "class": type(layer).__name__, "output_shape": list(layer.output.shape),
             "params": layer.count_params()} for layer in model.layers]
    return rows, model.count_params()


def tutorial_models():
    """The same models tools/golden_conv.py builds in Keras."""
    L = layers
    backend.clear_session()
    yield "s06_conv_valid", Sequential([
        L.Dense(16, input_shape=(20, 20, 3), activation="relu"), L.Conv2D(32, (3, 3), activation="relu"),
        L.Conv2D(64, (5, 5), activation="relu"), L.Conv2D(128, (7, 7), activation="relu"), L.Flatten(),
        L.Dense(2, activation="softmax")])
    backend.clear_session()
    yield "s07_maxpool", Sequential([
        L.Dense(16, input_shape=(20, 20, 3), activation="relu"),
        L.Conv2D(32, (3, 3), activation="relu", padding="same"), L.MaxPooling2D((2, 2), strides=2),
        L.Conv2D(64, (5, 5), activation="relu", padding="same"), L.Flatten(), L.Dense(2, activation="softmax")])
    backend.clear_session()
    yield "convnet", Sequential([
        L.Input((28, 28, 1)), L.Conv2D(32, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
        L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)), L.Flatten(), L.Dropout(0.5),
        L.Dense(10, activation="softmax")])
    backend.clear_session()
    yield "many_layers", Sequential([
        L.Input((15, 14, 3)), L.ZeroPadding2D(((1, 0), (2, 1))), L.Conv2D(8, 3, strides=2, padding="same"),
        L.BatchNormalization(), L.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
        L.SeparableConv2D(12, 3, depth_multiplier=2), L.AveragePooling2D(2, padding="same"),
        L.Conv2DTranspose(6, 3, strides=2, padding="same"), L.UpSampling2D(2), L.Cropping2D(((1, 2), (0, 3))),
        L.LayerNormalization(), L.MaxPooling2D(3, strides=2, padding="same"), L.GlobalAveragePooling2D(),
        L.Dense(4)])
    backend.clear_session()
    yield "conv1d", Sequential([
        L.Input((20, 6)), L.Conv1D(8, 5, padding="causal", dilation_rate=2), L.Conv1D(8, 3, strides=2, groups=2),
        L.GlobalMaxPooling1D(), L.Dense(3)])


@pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`")
def test_summaries_have_keras_names_shapes_and_parameter_counts():
    for name, model in tutorial_models():
        rows, total = summary_table(model)
        expected = SUMMARIES[name]
        assert rows == expected["layers"], name
        assert total == expected["total"], name
        assert sum(w.numel() for w in model.trainable_weights) == expected["trainable"], name
        assert sum(w.numel() for w in model.non_trainable_weights) == expected["non_trainable"], name


@pytest.mark.slow
def test_keras2_tutorial_imports_run_unmodified_and_print_keras_totals(tmp_path):
    script = tmp_path / "tutorial_cnn.py"
    script.write_text(textwrap.dedent("""
        from keras.models import Sequential
        from keras.layers.core import Dense, Flatten
        from keras.layers.convolutional import *
        from keras.layers.pooling import *

        model = Sequential([Dense(16, input_shape=(20, 20, 3), activation='relu'),
                            Conv2D(32, kernel_size=(3, 3), activation='relu', padding='same'),
                            MaxPooling2D(pool_size=(2, 2), strides=2, padding='valid'),
                            Conv2D(64, kernel_size=(5, 5), activation='relu', padding='same'),
                            Flatten(), Dense(2, activation='softmax')])
        model.summary()
    """))
    result = subprocess.run([sys.executable, "-m", "kerastorch", "run", str(script)], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path,
                            env={"PYTHONPATH": str(REPO_ROOT), "COLUMNS": "80", "PATH": ""})
    assert result.returncode == 0, result.stderr
    assert "max_pooling2d (MaxPooling2D)    │ (None, 10, 10, 32)" in result.stdout
    assert "Total params: 68,770 (268.63 KB)" in result.stdout
