"""``kerastorch.export.to_pytorch``: the generated PyTorch source and safetensors weights, loaded in a fresh
interpreter where kerastorch cannot be imported, give ``predict``'s outputs (within 1e-5), for trained models and
for models that use every supported layer; anything else is refused with an error naming the layer."""
import os

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch.export import to_pytorch
from fresh_interpreter import run_in_fresh_interpreter
from trained_models import Trained, as_list, batch

L = keras.layers


# ---- models that use every supported layer -------------------------------------------------------------------

def _images():
    keras.utils.set_random_seed(4)
    inputs = keras.Input((16, 16, 3), name="image")
    x = L.Rescaling(2.0, offset=-1.0)(inputs)
    x = L.Normalization(mean=[0.1, -0.2, 0.3], variance=[0.5, 2.0, 1.5])(x)
    x = L.Conv2D(6, 3, strides=2, padding="same", use_bias=False)(x)          # uneven 'same' padding
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)
    x = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2, activation="relu6")(x)
    left = L.MaxPooling2D(3, strides=1, padding="same")(x)
    right = L.AveragePooling2D(3, strides=1, padding="same")(x)
    merged = [L.Add()([left, right]), L.Subtract()([left, right]), L.Multiply()([left, right]),
              L.Average()([left, right]), L.Maximum()([left, right]), L.Minimum()([left, right])]
    x = L.Concatenate()(merged)
    x = L.SpatialDropout2D(0.2)(x)
    x = L.SeparableConv2D(8, 3, strides=2, padding="same", depth_multiplier=2, activation="relu")(x)
    x = L.Dropout(0.3, noise_shape=(None, 1, 1, 8))(x)
    x = L.UpSampling2D(2)(x)
    x = L.Conv2D(4, 2, dilation_rate=2, padding="same", activation="swish")(x)
    x = L.ZeroPadding2D(((1, 0), (2, 1)))(x)
    x = L.Cropping2D(((0, 1), (1, 2)))(x)
    x = L.UpSampling2D(2)(x)
    x = L.Conv2DTranspose(3, 3, strides=2, padding="same", activation="elu")(x)
    x = L.LeakyReLU(0.1)(x)
    x = L.AveragePooling2D(4)(x)
    pooled = L.GlobalMaxPooling2D()(x)
    kept = L.Flatten()(L.GlobalAveragePooling2D(keepdims=True)(x))
    x = L.Concatenate()([pooled, kept, L.Flatten()(x)])
    features = L.Dense(8, activation="gelu")(x)
    x = L.Reshape((2, 4))(features)
    x = L.Permute((2, 1))(x)
    x = L.Softmax(axis=1)(x)
    outputs = L.Dense(3)(L.Concatenate()([L.Flatten()(x), features]))
    return keras.Model(inputs, outputs)


def _sequences():
    keras.utils.set_random_seed(5)
    tokens = keras.Input((8,), dtype="int32", name="tokens")
    x = L.Embedding(30, 6)(tokens)
    x = L.Conv1D(6, 3, padding="causal", activation="tanh")(x)
    x = L.Bidirectional(L.LSTM(4, return_sequences=True))(x)
    x = L.GRU(8, return_sequences=True, go_backwards=True)(x)
    x = L.LayerNormalization()(x)
    attended = L.MultiHeadAttention(2, 4, value_dim=3)(x, x, use_causal_mask=True)
    x = L.Add()([x, attended])
    x = L.BatchNormalization()(x)
    x = L.GRU(6, return_sequences=True, reset_after=False, recurrent_activation="hard_sigmoid")(x)
    x = L.GRU(8, return_sequences=True, reset_after=False, go_backwards=True)(x)
    x, state, cell = L.LSTM(5, return_sequences=True, return_state=True)(x)
    x = L.SimpleRNN(3, return_sequences=True)(x)
    last = L.Bidirectional(L.GRU(2), merge_mode="ave")(x)
    x = L.Bidirectional(L.SimpleRNN(3, return_sequences=True), merge_mode="mul")(x)
    x = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="sum")(x)
    x = L.Concatenate()([L.GlobalAveragePooling1D()(x), last, state, cell])
    x = L.Dropout(0.5)(x)
    return keras.Model(tokens, [L.Dense(4, activation="softmax")(x), L.Activation("log_softmax")(state)])


def _volumes():
    keras.utils.set_random_seed(6)
    return keras.Sequential([
        L.Input((6, 6, 6, 2)), L.Conv3D(3, 2, activation="selu"), L.ZeroPadding3D(1), L.MaxPooling3D(2),
        L.BatchNormalization(), L.UpSampling3D(2), L.Conv3DTranspose(2, 2, strides=2),
        L.GlobalAveragePooling3D(), L.Dense(2)])


def _steps():
    keras.utils.set_random_seed(7)
    return keras.Sequential([
        L.Input((10, 3)), L.ZeroPadding1D((1, 2)), L.Cropping1D((2, 1)), L.AveragePooling1D(2),
        L.Conv1DTranspose(4, 3, strides=2), L.DepthwiseConv1D(3), L.Conv1D(3, 4, padding="same"),
        L.Rescaling(np.array([0.5, 2.0, -1.0], "float32"), offset=np.array([0.0, 1.0, 0.5], "float32")),
        L.UpSampling1D(2), L.MaxPooling1D(3),
        L.GlobalMaxPooling1D(), L.RepeatVector(3), L.Flatten(), L.Dense(2, activation="softplus")])


def _residual_blocks():
    """The blocks of Keras's ResNet50 (its stem, a projection block and an identity block), at a small size."""
    keras.utils.set_random_seed(8)
    inputs = keras.Input((32, 32, 3))
    x = L.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = L.Conv2D(8, 7, strides=2, name="conv1_conv")(x)
    x = L.BatchNormalization(axis=3, epsilon=1.001e-5, name="conv1_bn")(x)
    x = L.Activation("relu", name="conv1_relu")(x)
    x = L.ZeroPadding2D(1, name="pool1_pad")(x)
    x = L.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for block, (strides, project) in enumerate(((2, True), (1, False))):
        prefix = f"conv2_block{block + 1}"
        shortcut = x
        if project:
            shortcut = L.Conv2D(16, 1, strides=strides, name=f"{prefix}_0_conv")(x)
            shortcut = L.BatchNormalization(axis=3, epsilon=1.001e-5, name=f"{prefix}_0_bn")(shortcut)
        y = L.Conv2D(4, 1, strides=strides, name=f"{prefix}_1_conv")(x)
        y = L.BatchNormalization(axis=3, epsilon=1.001e-5, name=f"{prefix}_1_bn")(y)
        y = L.Activation("relu", name=f"{prefix}_1_relu")(y)
        y = L.Conv2D(4, 3, padding="same", name=f"{prefix}_2_conv")(y)
        y = L.BatchNormalization(axis=3, epsilon=1.001e-5, name=f"{prefix}_2_bn")(y)
        y = L.Activation("relu", name=f"{prefix}_2_relu")(y)
        y = L.Conv2D(16, 1, name=f"{prefix}_3_conv")(y)
        y = L.BatchNormalization(axis=3, epsilon=1.001e-5, name=f"{prefix}_3_bn")(y)
        x = L.Activation("relu", name=f"{prefix}_out")(L.Add(name=f"{prefix}_add")([shortcut, y]))
    x = L.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inputs, L.Dense(10, name="predictions")(x), name="resnet_blocks")


def _arithmetic():
    """keras.ops arithmetic in the graph (as MobileNetV3's hard-swish writes it)."""
    keras.utils.set_random_seed(14)
    inputs = keras.Input((6, 6, 2))
    x = L.Conv2D(4, 3)(inputs)
    x = x * (L.ReLU(6.0)(x + 3.0) * (1.0 / 6.0))
    x = 1.0 - x / 2.0
    y = L.Cropping2D(1)(L.Conv2D(4, 1)(inputs))
    x = -(x - y) ** 2 + x * y
    return keras.Model(inputs, L.Flatten()(x))


def _masked():
    """Embedding(mask_zero=True) and Masking masks, followed through Dense and Dropout to LSTM, Bidirectional GRU,
    SimpleRNN and the masked mean."""
    keras.utils.set_random_seed(15)
    tokens = keras.Input((7,), dtype="int32", name="tokens")
    x = L.Embedding(30, 6, mask_zero=True)(tokens)
    x = L.LSTM(5, return_sequences=True)(x)
    x = L.Dropout(0.1)(L.Dense(4, activation="tanh")(x))
    x = L.Bidirectional(L.GRU(3, return_sequences=True))(x)
    pooled = L.GlobalAveragePooling1D()(x)
    last = L.LSTM(2)(x)
    states = L.SimpleRNN(3)(L.Masking(mask_value=0.0)(x))   # zeros at the masked steps: the same mask again
    return keras.Model(tokens, L.Concatenate()([pooled, last, states]))


def _right_padded_tokens(size, seed):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, 30, (size, 7)).astype("int32")
    for row, length in enumerate(rng.integers(1, 8, size)):
        tokens[row, length:] = 0
    return tokens


def _application_blocks():
    """The applications' own layers: ConvNeXt's LayerScale and StochasticDepth, InceptionResNetV2's scaled sum."""
    from kerastorch.applications._blocks import LayerScale, StochasticDepth
    from kerastorch.applications.inception_resnet_v2 import CustomScaleLayer
    keras.utils.set_random_seed(16)
    inputs = keras.Input((6, 6, 4))
    x = L.DepthwiseConv2D(3, padding="same")(inputs)
    scale = LayerScale(0.5, 4)
    branch = scale(L.Dense(4)(x))
    with torch.no_grad():
        scale.gamma.copy_(torch.tensor([0.2, -0.5, 1.5, 0.9]))   # one value per channel, so a wrong axis shows
    branch = StochasticDepth(0.2)(branch)
    x = CustomScaleLayer(0.3)([L.Conv2D(4, 1)(inputs), branch])
    return keras.Model(inputs, L.GlobalAveragePooling2D()(x))


def _nested():
    """A Sequential base and a functional head inside a functional model (transfer learning's shape)."""
    keras.utils.set_random_seed(11)
    base = keras.Sequential([L.Input((8, 8, 3)), L.Conv2D(4, 3), L.BatchNormalization(), L.ReLU()], name="base")
    features = keras.Input((6, 6, 4))
    head = keras.Model(features, L.Dense(2)(L.GlobalAveragePooling2D()(features)), name="head")
    inputs = keras.Input((8, 8, 3))
    return keras.Model(inputs, head(base(inputs)))


ACTIVATIONS = ("relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "sigmoid", "hard_sigmoid",
               "log_sigmoid", "silu", "hard_silu", "softplus", "softsign", "tanh", "tanh_shrink", "hard_tanh",
               "exponential", "mish", "softmax", "log_softmax", "linear")


def _activations():
    keras.utils.set_random_seed(10)
    inputs = keras.Input((6,))
    branches = [L.Dense(3, activation=name, kernel_initializer="random_normal")(L.Rescaling(4.0, offset=-2.0)(inputs))
                for name in ACTIVATIONS]
    return keras.Model(inputs, L.Concatenate()(branches))


def _randomized_statistics(model):
    """Batch norms with moving statistics away from (0, 1), so a wrong axis or epsilon shows."""
    generator = torch.Generator().manual_seed(0)
    for layer in model.layers:
        if isinstance(layer, L.BatchNormalization):
            with torch.no_grad():
                layer.moving_mean.copy_(torch.rand(layer.moving_mean.shape, generator=generator) - 0.5)
                layer.moving_variance.copy_(torch.rand(layer.moving_variance.shape, generator=generator) + 0.5)
    return model


COVERAGE = {"images": _images, "sequences": _sequences, "volumes": _volumes, "steps": _steps,
            "residual_blocks": _residual_blocks, "activations": _activations, "nested": _nested,
            "arithmetic": _arithmetic, "masked": _masked, "application_blocks": _application_blocks}
SPECIAL_INPUTS = {"masked": _right_padded_tokens}
TRAINED = ("convnet", "lstm_classifier", "two_inputs")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every model of this file exported, then run in one fresh interpreter: name -> (outputs, expected)."""
    root = tmp_path_factory.mktemp("pytorch_source")
    trained, models = Trained(), {}
    for name in TRAINED:
        models[name] = trained[name]
    for name, build in COVERAGE.items():
        models[name] = _randomized_statistics(build())
    cases, expected = [], {}
    for name, model in models.items():
        source, _ = to_pytorch(model, str(root / name))
        arrays = SPECIAL_INPUTS[name](5, 20) if name in SPECIAL_INPUTS else batch(model, 5, seed=20)
        cases.append((name, source, arrays))
        expected[name] = [np.asarray(e) for e in as_list(model.predict(arrays, verbose=0))]
    outputs = run_in_fresh_interpreter(cases, str(root))
    return {name: (outputs[name], expected[name], root / name, models[name]) for name in models}


@pytest.mark.parametrize("name", TRAINED)
def test_generated_module_of_a_trained_model_predicts_the_same_without_kerastorch(exported, name):
    outputs, expected, _, _ = exported[name]
    assert len(outputs) == len(expected)
    for output, reference in zip(outputs, expected):
        np.testing.assert_allclose(output, reference, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", sorted(COVERAGE))
def test_generated_module_of_every_supported_layer_predicts_the_same_without_kerastorch(exported, name):
    outputs, expected, _, _ = exported[name]
    assert [o.shape for o in outputs] == [e.shape for e in expected]
    for output, reference in zip(outputs, expected):
        np.testing.assert_allclose(output, reference, rtol=0, atol=1e-5)


def test_generated_source_is_a_torch_module_with_torch_nn_layers(exported):
    _, _, folder, model = exported["convnet"]
    source = (folder / "model.py").read_text()
    conv, dense = model.layers[0].name, model.layers[-1].name
    class_name = next(line for line in source.splitlines() if line.startswith("MODULE_CLASS")).split('"')[1]
    assert class_name.startswith("Sequential") and f"class {class_name}(nn.Module):" in source
    assert f"self.{conv} = nn.Conv2d(1, 16, (3, 3))" in source
    assert f"self.{dense} = nn.Linear(2704, 10)" in source
    assert "kerastorch" not in source.split('"""', 2)[2]   # beyond the docstring, no mention at all


def test_channels_last_is_permuted_at_the_input_and_the_flatten_only(exported):
    for name in ("convnet", "residual_blocks"):
        source = (exported[name][2] / "model.py").read_text()
        permutes = [line.strip() for line in source.splitlines() if ".permute(" in line]
        assert permutes == (["x = x.permute(0, 3, 1, 2)", "x = x.permute(0, 2, 3, 1)"] if name == "convnet"
                            else ["x = x.permute(0, 3, 1, 2)"]), permutes


def test_weights_file_holds_the_module_state_dict_under_its_keys(exported):
    from safetensors.torch import load_file
    _, _, folder, model = exported["convnet"]
    weights = load_file(str(folder / "model.safetensors"))
    conv, dense = model.layers[0].name, model.layers[-1].name
    assert sorted(weights) == sorted([f"{conv}.bias", f"{conv}.weight", f"{dense}.bias", f"{dense}.weight"])
    assert tuple(weights[f"{conv}.weight"].shape) == (16, 1, 3, 3)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["MobileNetV2", "MobileNetV3Small", "EfficientNetB0", "Xception"])
def test_applications_predict_the_same_without_kerastorch(name, tmp_path):
    """Depthwise and separable convolutions, squeeze-excitation, hard-swish as keras.ops arithmetic, Normalization
    and per-sample dropout."""
    applications = keras.applications
    if not hasattr(applications, name):
        pytest.skip(f"keras.applications.{name} is not in this checkout (the applications branches)")
    keras.utils.set_random_seed(13)
    size = 71 if name == "Xception" else 32
    model = _randomized_statistics(getattr(applications, name)(weights=None, input_shape=(size, size, 3),
                                                               classifier_activation=None))
    source, _ = to_pytorch(model, str(tmp_path / name))
    arrays = np.random.default_rng(1).random((2, size, size, 3), dtype=np.float32) * 255
    (outputs,) = run_in_fresh_interpreter([(name, source, arrays)], str(tmp_path))[name]
    np.testing.assert_allclose(outputs, model.predict(arrays, verbose=0), rtol=0, atol=1e-5)


@pytest.mark.slow
def test_resnet50_predicts_the_same_without_kerastorch(tmp_path):
    applications = keras.applications
    if not hasattr(applications, "ResNet50"):
        pytest.skip("keras.applications.ResNet50 is not in this checkout (the applications branch)")
    keras.utils.set_random_seed(9)
    model = _randomized_statistics(applications.ResNet50(weights=None, input_shape=(32, 32, 3)))
    source, _ = to_pytorch(model, str(tmp_path / "resnet50"))
    arrays = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    (outputs,) = run_in_fresh_interpreter([("resnet50", source, arrays)], str(tmp_path))["resnet50"]
    np.testing.assert_allclose(outputs, model.predict(arrays, verbose=0), rtol=0, atol=1e-5)


# ---- refusals ------------------------------------------------------------------------------------------------

def test_an_unsupported_layer_is_named_with_the_supported_ones(tmp_path):
    model = keras.Sequential([L.Input((4,)), L.Dense(3), L.UnitNormalization(name="unit")])
    with pytest.raises(ValueError, match=r"Layer 'unit' of class UnitNormalization has no PyTorch source "
                                         r"counterpart.*Supported layers: .*BatchNormalization.*Conv2D.*Dense.*LSTM"):
        to_pytorch(model, str(tmp_path))
    assert not os.listdir(tmp_path)   # nothing written


def test_an_operation_in_the_graph_is_refused_as_an_operation(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, L.Dense(2)(keras.ops.tanh(inputs)))
    with pytest.raises(ValueError, match=r"The operation 'tanh' \(keras.ops Tanh\) has no PyTorch source "
                                         r"counterpart.*only layers and the arithmetic operations"):
        to_pytorch(model, str(tmp_path))


def test_a_subclass_of_a_supported_layer_is_refused(tmp_path):
    class MyDense(L.Dense):
        pass

    model = keras.Sequential([L.Input((4,)), MyDense(3, name="mine")])
    with pytest.raises(ValueError, match="Layer 'mine' of class MyDense"):
        to_pytorch(model, str(tmp_path))


def test_gru_without_reset_after_under_a_mask_is_refused(tmp_path):
    model = keras.Sequential([L.Input((5,)), L.Embedding(9, 2, mask_zero=True),
                              L.GRU(3, reset_after=False, name="gru_v1")])
    with pytest.raises(ValueError, match=r"'gru_v1' \(GRU\).*reset_after=False.*without a mask"):
        to_pytorch(model, str(tmp_path))


def test_an_lstm_with_another_activation_is_refused(tmp_path):
    model = keras.Sequential([L.Input((5, 2)), L.LSTM(3, activation="relu", name="relu_lstm")])
    with pytest.raises(ValueError, match=r"'relu_lstm' \(LSTM\).*activation='tanh'"):
        to_pytorch(model, str(tmp_path))


def test_a_nested_model_called_twice_is_refused(tmp_path):
    inner = keras.Sequential([L.Input((3,)), L.Dense(3)], name="twice")
    inputs = keras.Input((3,))
    model = keras.Model(inputs, inner(inner(inputs)))
    with pytest.raises(ValueError, match="nested model 'twice'.*called once"):
        to_pytorch(model, str(tmp_path))


def test_generated_module_refuses_a_mask_with_padding_before_the_end(tmp_path):
    from kerastorch.export.pytorch_source import _instantiate, generate
    source, state = generate(_masked())
    module = _instantiate(source)
    module.load_state_dict(state)
    tokens = torch.tensor([[3, 0, 4, 0, 0, 0, 0]])
    with pytest.raises(ValueError, match="padded at the end only"):
        module(tokens)


def test_a_mask_reaching_a_layer_that_ignores_masks_is_refused(tmp_path):
    tokens = keras.Input((5,), dtype="int32")
    x = L.Embedding(10, 4, mask_zero=True)(tokens)
    model = keras.Model(tokens, L.Flatten(name="flat")(L.Conv1D(2, 1, name="conv")(x)))
    with pytest.raises(ValueError, match=r"'conv' \(Conv1D\).*a mask .* reaches it"):
        to_pytorch(model, str(tmp_path))


def test_an_unbuilt_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match="built Sequential or functional model"):
        to_pytorch(keras.Sequential([L.Dense(3)]), str(tmp_path))
