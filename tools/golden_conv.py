"""Writes the fixtures of the convolution, pooling, normalization, reshaping and regularization layers from real
Keras 3 (torch backend).

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_conv.py

For each case (a layer class, its constructor arguments, an input shape and call arguments), Keras builds the
layer, its weights are set to fixed random values (so that biases, offsets and moving statistics are not
trivial), and the layer is called on a fixed random input. Each file holds:
    `cases`: JSON list of {"id", "layer", "kwargs", "input_shape", "call_kwargs", "num_weights",
             "output_shape" (compute_output_shape), "count_params", "config_keys", "config" (its plain-valued
             entries), "reference"}
    `x/<id>`, `w<i>/<id>` (weights given to set_weights), `y/<id>` (the output),
    `after<i>/<id>` (the weights after the call, for layers whose state changes in training).
"reference" is "keras", or "first_principles" where Keras 3.15's torch backend departs from Keras's documented
behaviour (see AVERAGE_SAME_NOTE); those outputs are still stored, and the tests compare with a computation
from the definition instead.

Keras 3.15's torch LayerNormalization fails on axes that are consecutive but not the last ones (it passes them to
F.layer_norm as they are), so such axes are left to the tests' computation from the definition.

tests/golden/layers/conv.npz, pooling.npz, normalization.npz, reshaping.npz, regularization.npz: the cases below.
tests/golden/layers/conv_summaries.json: for the seed cases s06, s07, s10, the tutorial's convnet and a model with
    many of these layers: each layer's name, class, output shape and parameter count, and the totals.
"""
import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

GOLDEN = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "layers"

# Keras 3.15 on torch pads 'same' average pooling by replicating the edge values when the padding is
# asymmetric, so those windows average copies of the edge; the TensorFlow and JAX backends (and Keras's
# documentation) average over the real elements only, which kerastorch does.
AVERAGE_SAME_NOTE = "keras-torch replicates edges in asymmetric 'same' average pooling"

CF = {"data_format": "channels_first"}

CONV_CASES = [
    ("Conv1D", dict(filters=3, kernel_size=3), (2, 9, 2)),
    ("Conv1D", dict(filters=4, kernel_size=2, strides=2, padding="same"), (2, 7, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, strides=3, padding="same"), (2, 8, 2)),
    ("Conv1D", dict(filters=2, kernel_size=3, padding="causal", dilation_rate=2), (2, 8, 2)),
    ("Conv1D", dict(filters=2, kernel_size=2, strides=2, padding="causal"), (2, 7, 2)),
    ("Conv1D", dict(filters=4, kernel_size=3, groups=2, **CF), (2, 4, 9)),
    ("Conv1D", dict(filters=4, kernel_size=4, padding="same", dilation_rate=2, activation="relu"), (2, 9, 2)),
    ("Conv2D", dict(filters=4, kernel_size=3), (2, 7, 6, 3)),
    ("Conv2D", dict(filters=4, kernel_size=(2, 3), strides=(2, 1), padding="same"), (2, 7, 6, 3)),
    ("Conv2D", dict(filters=4, kernel_size=3, strides=3, padding="same"), (2, 8, 7, 2)),
    ("Conv2D", dict(filters=4, kernel_size=4, padding="same"), (2, 6, 5, 2)),
    ("Conv2D", dict(filters=6, kernel_size=3, groups=3, padding="same", activation="relu"), (2, 5, 5, 3)),
    ("Conv2D", dict(filters=4, kernel_size=3, dilation_rate=2, padding="same"), (2, 7, 7, 2)),
    ("Conv2D", dict(filters=3, kernel_size=3, dilation_rate=(1, 2)), (2, 6, 7, 2)),
    ("Conv2D", dict(filters=4, kernel_size=3, strides=2, **CF), (2, 3, 7, 6)),
    ("Conv2D", dict(filters=4, kernel_size=2, strides=2, padding="same", use_bias=False, **CF), (2, 2, 5, 5)),
    ("Conv2D", dict(filters=4, kernel_size=3, strides=2, padding="same", groups=2, **CF), (2, 4, 6, 7)),
    ("Conv3D", dict(filters=3, kernel_size=2), (1, 4, 5, 3, 2)),
    ("Conv3D", dict(filters=3, kernel_size=3, strides=2, padding="same"), (1, 5, 4, 5, 2)),
    ("Conv3D", dict(filters=2, kernel_size=2, padding="same", **CF), (1, 2, 3, 4, 5)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=3), (2, 5, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 5, 2)),
    ("Conv1DTranspose", dict(filters=2, kernel_size=4, strides=3, output_padding=1), (2, 4, 2)),
    ("Conv1DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2, padding="same"), (2, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 4, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=(4, 3), strides=2, padding="same"), (2, 4, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=2, strides=3), (2, 3, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=1, padding="same"), (2, 3, 4, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=4, strides=3, output_padding=2, padding="same"), (2, 3, 3, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, dilation_rate=2), (2, 4, 4, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same", **CF), (2, 2, 4, 5)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=1, strides=2, padding="same"), (2, 3, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=5, strides=2, output_padding=1), (2, 3, 2, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=3, padding="same", activation="tanh"), (2, 2, 3, 2)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same"), (1, 3, 2, 3, 2)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, **CF), (1, 2, 2, 3, 2)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3, depth_multiplier=2, padding="same", strides=2), (2, 9, 3)),
    ("SeparableConv1D", dict(filters=3, kernel_size=3, dilation_rate=2), (2, 9, 2)),
    ("SeparableConv2D", dict(filters=4, kernel_size=3, depth_multiplier=2), (2, 6, 7, 3)),
    ("SeparableConv2D", dict(filters=4, kernel_size=2, strides=2, padding="same", **CF), (2, 3, 5, 5)),
    ("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2, padding="same"), (2, 7, 3)),
    ("DepthwiseConv1D", dict(kernel_size=2, strides=2, **CF), (2, 3, 8)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2), (2, 6, 5, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, dilation_rate=2, padding="same"), (2, 7, 7, 2)),
    ("DepthwiseConv2D", dict(kernel_size=3, strides=2, padding="same", **CF), (2, 3, 6, 5)),
]

POOLING_CASES = [
    ("MaxPooling1D", dict(), (2, 7, 3)),
    ("MaxPooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 8, 2)),
    ("MaxPooling1D", dict(pool_size=2, padding="same", **CF), (2, 3, 7)),
    ("MaxPooling2D", dict(), (2, 7, 6, 3)),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 6, 3)),
    ("MaxPooling2D", dict(pool_size=2, strides=3, padding="same"), (2, 8, 7, 2)),
    ("MaxPooling2D", dict(pool_size=(2, 3), strides=1, padding="same"), (2, 5, 6, 2)),
    ("MaxPooling2D", dict(pool_size=2, strides=2, padding="same", **CF), (2, 3, 5, 5)),
    ("MaxPooling3D", dict(), (1, 4, 5, 4, 2)),
    ("MaxPooling3D", dict(pool_size=3, strides=2, padding="same"), (1, 5, 4, 5, 2)),
    ("AveragePooling1D", dict(pool_size=2), (2, 7, 3)),
    ("AveragePooling1D", dict(pool_size=3, strides=1, padding="same"), (2, 6, 2)),
    ("AveragePooling1D", dict(pool_size=4, strides=1, padding="same"), (2, 5, 2)),
    ("AveragePooling1D", dict(pool_size=3, strides=2, padding="same", **CF), (2, 2, 7)),
    ("AveragePooling2D", dict(pool_size=2), (2, 7, 6, 3)),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 7, 2)),
    ("AveragePooling2D", dict(pool_size=3, strides=1, padding="same"), (2, 5, 4, 2)),
    ("AveragePooling2D", dict(pool_size=2, strides=2, padding="same"), (2, 5, 6, 2)),
    ("AveragePooling2D", dict(pool_size=(2, 3), strides=(1, 2), padding="same", **CF), (2, 2, 5, 6)),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 6, 8, 2)),
    ("AveragePooling3D", dict(pool_size=2), (1, 4, 5, 4, 2)),
    ("AveragePooling3D", dict(pool_size=3, strides=2, padding="same"), (1, 5, 3, 5, 2)),
    ("GlobalMaxPooling1D", dict(), (2, 5, 3)),
    ("GlobalMaxPooling1D", dict(keepdims=True, **CF), (2, 3, 5)),
    ("GlobalMaxPooling2D", dict(), (2, 4, 5, 3)),
    ("GlobalMaxPooling2D", dict(keepdims=True), (2, 4, 5, 3)),
    ("GlobalMaxPooling3D", dict(**CF), (1, 2, 3, 4, 3)),
    ("GlobalAveragePooling1D", dict(), (2, 5, 3)),
    ("GlobalAveragePooling2D", dict(), (2, 4, 5, 3)),
    ("GlobalAveragePooling2D", dict(keepdims=True, **CF), (2, 3, 4, 5)),
    ("GlobalAveragePooling3D", dict(keepdims=True), (1, 2, 3, 4, 3)),
]

NORMALIZATION_CASES = [
    ("BatchNormalization", dict(), (4, 3, 5, 2), {}),
    ("BatchNormalization", dict(), (4, 3, 5, 2), {"training": True}),
    ("BatchNormalization", dict(axis=1), (6, 1, 4), {"training": True}),
    ("BatchNormalization", dict(axis=1), (6, 1, 4), {}),
    ("BatchNormalization", dict(axis=1, momentum=0.9, epsilon=1e-2), (4, 3, 4, 5), {"training": True}),
    ("BatchNormalization", dict(axis=-2, center=False), (3, 4, 5), {"training": True}),
    ("BatchNormalization", dict(scale=False), (8, 5), {"training": True}),
    ("BatchNormalization", dict(scale=False, center=False), (8, 5), {}),
    ("BatchNormalization", dict(), (1, 5), {"training": True}),
    ("LayerNormalization", dict(), (2, 5, 4), {}),
    ("LayerNormalization", dict(axis=[2, 3]), (2, 3, 4, 5), {}),
    ("LayerNormalization", dict(axis=[-3, -1], epsilon=1e-5), (2, 3, 4, 5), {}),
    ("LayerNormalization", dict(center=False, scale=False), (3, 6), {}),
    ("GroupNormalization", dict(groups=2), (2, 3, 3, 4), {}),
    ("GroupNormalization", dict(groups=-1), (2, 3, 3, 4), {}),
    ("GroupNormalization", dict(groups=1, center=False), (2, 5, 4), {}),
    ("GroupNormalization", dict(groups=2, axis=1), (2, 4, 3, 3), {}),
    ("GroupNormalization", dict(groups=3, epsilon=1e-5), (4, 3, 6), {}),
    ("UnitNormalization", dict(), (2, 5, 4), {}),
    ("UnitNormalization", dict(axis=[1, 2]), (2, 3, 4, 2), {}),
]

RESHAPING_CASES = [
    ("Flatten", dict(), (2, 3, 4, 5)),
    ("Flatten", dict(**CF), (2, 3, 4, 5)),
    ("Reshape", dict(target_shape=(-1, 2)), (2, 3, 4)),
    ("Permute", dict(dims=(2, 1)), (2, 3, 4)),
    ("Permute", dict(dims=(3, 1, 2)), (2, 3, 4, 5)),
    ("RepeatVector", dict(n=3), (2, 4)),
    ("ZeroPadding1D", dict(padding=2), (2, 4, 3)),
    ("ZeroPadding1D", dict(padding=(1, 3)), (2, 4, 3)),
    ("ZeroPadding2D", dict(), (2, 3, 4, 2)),
    ("ZeroPadding2D", dict(padding=((1, 0), (2, 3))), (2, 3, 4, 2)),
    ("ZeroPadding2D", dict(padding=(2, 1), **CF), (2, 2, 3, 4)),
    ("ZeroPadding3D", dict(padding=1), (1, 2, 3, 2, 2)),
    ("ZeroPadding3D", dict(padding=((1, 0), (0, 2), (1, 1)), **CF), (1, 2, 2, 3, 2)),
    ("Cropping1D", dict(cropping=(1, 2)), (2, 6, 3)),
    ("Cropping2D", dict(cropping=((1, 0), (2, 1))), (2, 5, 6, 3)),
    ("Cropping2D", dict(cropping=1, **CF), (2, 3, 5, 5)),
    ("Cropping3D", dict(cropping=((1, 0), (0, 1), (1, 1))), (1, 4, 4, 4, 2)),
    ("UpSampling1D", dict(size=3), (2, 3, 2)),
    ("UpSampling2D", dict(size=(2, 3)), (2, 3, 2, 2)),
    ("UpSampling2D", dict(size=2, **CF), (2, 2, 3, 2)),
    ("UpSampling2D", dict(size=2, interpolation="bilinear"), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=(3, 2), interpolation="bilinear", **CF), (2, 2, 3, 3)),
    ("UpSampling3D", dict(size=(2, 1, 2)), (1, 2, 2, 2, 2)),
    ("UpSampling3D", dict(size=2, **CF), (1, 2, 2, 1, 2)),
]

REGULARIZATION_CASES = [
    ("SpatialDropout1D", dict(rate=0.5), (2, 4, 3), {}),
    ("SpatialDropout2D", dict(rate=0.5, **CF), (2, 3, 4, 4), {}),
    ("SpatialDropout3D", dict(rate=0.3), (1, 2, 2, 2, 3), {}),
    ("GaussianNoise", dict(stddev=0.5), (3, 4), {}),
    ("GaussianDropout", dict(rate=0.4), (3, 4), {}),
    ("AlphaDropout", dict(rate=0.2), (3, 4), {}),
    ("ActivityRegularization", dict(l1=0.01, l2=0.1), (3, 4), {}),
]


def case_id(layer, kwargs, input_shape, call_kwargs):
    parts = [layer] + [f"{key}={value}" for key, value in sorted(kwargs.items())] + \
        ["x" + "x".join(map(str, input_shape))] + [f"{key}={value}" for key, value in sorted(call_kwargs.items())]
    return "__".join(parts).replace(" ", "")


def weight_values(layer, rng):
    """Fixed random values for every weight: kernels around 0, scales around 1, variances positive."""
    values = []
    for weight in layer.weights:
        name = weight.name
        shape = tuple(weight.shape)
        if name in ("gamma", "moving_variance"):
            values.append(rng.uniform(0.5, 1.5, shape).astype("float32"))
        elif name in ("beta", "moving_mean", "bias"):
            values.append(rng.uniform(-0.5, 0.5, shape).astype("float32"))
        else:
            values.append((rng.standard_normal(shape) * 0.5).astype("float32"))
    return values


def average_pool_valid_only(x, pool_size, strides, data_format):
    """'same' average pooling from its definition: the mean of the real elements of each window, padded as
    TensorFlow pads (ceil(size / stride) windows, the odd padding element at the end)."""
    if data_format == "channels_last":
        x = np.moveaxis(x, -1, 1)
    spatial = x.shape[2:]
    outputs_shape = [-(-n // s) for n, s in zip(spatial, strides)]
    starts = []
    for n, k, s, o in zip(spatial, pool_size, strides, outputs_shape):
        total = max((o - 1) * s + k - n, 0)
        starts.append([i * s - total // 2 for i in range(o)])
    result = np.zeros(x.shape[:2] + tuple(outputs_shape), dtype="float64")
    for index in np.ndindex(*outputs_shape):
        window = tuple(slice(max(starts[d][i], 0), min(starts[d][i] + pool_size[d], spatial[d]))
                       for d, i in enumerate(index))
        result[(slice(None), slice(None)) + index] = x[(slice(None), slice(None)) + window].mean(
            axis=tuple(range(2, x.ndim)))
    if data_format == "channels_last":
        result = np.moveaxis(result, 1, -1)
    return result.astype("float32")


def simple_config(layer):
    """The configuration entries whose values are plain (numbers, strings, None, tuples of them), without the
    name and dtype: those that must be equal in kerastorch."""
    def plain(value):
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, (bool, int, float, str))
    return {key: value for key, value in layer.get_config().items() if key not in ("name", "dtype") and plain(value)}


def build_fixture(cases, path, rng):
    arrays, records = {}, []
    for case in cases:
        layer_name, kwargs, input_shape = case[:3]
        call_kwargs = case[3] if len(case) > 3 else {}
        identifier = case_id(layer_name, kwargs, input_shape, call_kwargs)
        keras.utils.clear_session()
        layer = getattr(keras.layers, layer_name)(**kwargs)
        x = (rng.standard_normal(input_shape) + 0.3).astype("float32")
        layer.build(input_shape)
        weights = weight_values(layer, rng)
        layer.set_weights(weights)
        y = keras.ops.convert_to_numpy(layer(x, **call_kwargs))
        reference = "keras"
        if layer_name.startswith("AveragePooling") and layer.padding == "same":
            valid_only = average_pool_valid_only(x, layer.pool_size, layer.strides, layer.data_format)
            if not np.allclose(valid_only, y, atol=1e-5):
                reference = "first_principles"
                print(f"{identifier}: {AVERAGE_SAME_NOTE}; max difference {np.abs(valid_only - y).max():.4f}")
        arrays["x/" + identifier] = x
        arrays["y/" + identifier] = y
        for index, value in enumerate(weights):
            arrays[f"w{index}/{identifier}"] = value
        for index, value in enumerate(layer.get_weights()):
            arrays[f"after{index}/{identifier}"] = value
        if layer_name == "ActivityRegularization":
            arrays["loss/" + identifier] = np.asarray(keras.ops.convert_to_numpy(layer.losses[0]), "float32")
        output_shape = layer.compute_output_shape(input_shape)
        records.append({"id": identifier, "layer": layer_name, "kwargs": kwargs, "input_shape": list(input_shape),
                        "call_kwargs": call_kwargs, "num_weights": len(weights),
                        "output_shape": list(output_shape), "count_params": layer.count_params(),
                        "config_keys": sorted(layer.get_config()), "config": simple_config(layer),
                        "reference": reference})
        assert tuple(y.shape) == tuple(output_shape), identifier
    arrays["cases"] = np.asarray(json.dumps(records))
    np.savez_compressed(path, **arrays)
    print(f"{path.name}: {len(records)} cases, {path.stat().st_size} bytes")


def summary_rows(model):
    rows = []
    for layer in model.layers:
        rows.append({"name": layer.name, "class": type(layer).__name__,
                     "output_shape": list(layer.output.shape), "params": layer.count_params()})
    return {"layers": rows, "total": model.count_params(),
            "trainable": sum(int(np.prod(w.shape)) for w in model.trainable_weights),
            "non_trainable": sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)}


def summary_models():
    """The models whose summaries kerastorch must reproduce; the same code builds them in tests."""
    from keras.layers import (BatchNormalization, Conv2D, Conv2DTranspose, Cropping2D, Dense, DepthwiseConv2D,
                              Dropout, Flatten, GlobalAveragePooling2D, Input, MaxPooling2D, SeparableConv2D,
                              UpSampling2D, ZeroPadding2D, AveragePooling2D, Conv1D, GlobalMaxPooling1D,
                              LayerNormalization)
    from keras.models import Sequential
    models = {}
    keras.utils.clear_session()
    models["s06_conv_valid"] = Sequential([
        Dense(16, input_shape=(20, 20, 3), activation="relu"),
        Conv2D(32, kernel_size=(3, 3), activation="relu", padding="valid"),
        Conv2D(64, kernel_size=(5, 5), activation="relu", padding="valid"),
        Conv2D(128, kernel_size=(7, 7), activation="relu", padding="valid"),
        Flatten(),
        Dense(2, activation="softmax")])
    keras.utils.clear_session()
    models["s07_maxpool"] = Sequential([
        Dense(16, input_shape=(20, 20, 3), activation="relu"),
        Conv2D(32, kernel_size=(3, 3), activation="relu", padding="same"),
        MaxPooling2D(pool_size=(2, 2), strides=2, padding="valid"),
        Conv2D(64, kernel_size=(5, 5), activation="relu", padding="same"),
        Flatten(),
        Dense(2, activation="softmax")])
    keras.utils.clear_session()
    models["s10_batchnorm"] = Sequential([
        Dense(units=16, input_shape=(1, 5), activation="relu"),
        Dense(units=32, activation="relu"),
        BatchNormalization(axis=1),
        Dense(units=2, activation="softmax")])
    keras.utils.clear_session()
    models["convnet"] = Sequential([
        Input((28, 28, 1)),
        Conv2D(32, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dropout(0.5),
        Dense(10, activation="softmax")])
    keras.utils.clear_session()
    models["many_layers"] = Sequential([
        Input((15, 14, 3)),
        ZeroPadding2D(((1, 0), (2, 1))),
        Conv2D(8, 3, strides=2, padding="same"),
        BatchNormalization(),
        DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
        SeparableConv2D(12, 3, depth_multiplier=2),
        AveragePooling2D(2, padding="same"),
        Conv2DTranspose(6, 3, strides=2, padding="same"),
        UpSampling2D(2),
        Cropping2D(((1, 2), (0, 3))),
        LayerNormalization(),
        MaxPooling2D(3, strides=2, padding="same"),
        GlobalAveragePooling2D(),
        Dense(4)])
    keras.utils.clear_session()
    models["conv1d"] = Sequential([
        Input((20, 6)),
        Conv1D(8, 5, padding="causal", dilation_rate=2),
        Conv1D(8, 3, strides=2, groups=2),
        GlobalMaxPooling1D(),
        Dense(3)])
    return {name: summary_rows(model) for name, model in models.items()}


def main():
    rng = np.random.default_rng(20240611)
    build_fixture(CONV_CASES, GOLDEN / "conv.npz", rng)
    build_fixture(POOLING_CASES, GOLDEN / "pooling.npz", rng)
    build_fixture(NORMALIZATION_CASES, GOLDEN / "normalization.npz", rng)
    build_fixture(RESHAPING_CASES, GOLDEN / "reshaping.npz", rng)
    build_fixture(REGULARIZATION_CASES, GOLDEN / "regularization.npz", rng)
    summaries = summary_models()
    (GOLDEN / "conv_summaries.json").write_text(json.dumps(summaries, indent=1) + "\n")
    print("conv_summaries.json:", {name: s["total"] for name, s in summaries.items()})


if __name__ == "__main__":
    main()
