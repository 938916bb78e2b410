"""Writes the fixtures of keras.ops nn, image and core, for tests/ops/test_nn.py, test_image.py and test_core.py.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_ops_nn.py

The same format and machinery as tools/golden_ops.py (whose `A` makes the seeded inputs and `record_case` records
Keras's values, dtypes and symbolic shapes), with this file's cases, into tests/golden/ops/nn.{json,npz},
image.{json,npz} and core.{json,npz}.
"""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import golden_ops  # noqa: E402
from golden_ops import A, C, OUT, Packer, record_case  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402


def run(ns, op, args, kwargs, make):
    namespace = {"image": ops.image, "nn": ops.nn}.get(ns, ops)
    function = getattr(namespace, op)

    def as_tensor(name):
        # Keras on torch takes tensors (a few of its ops fail on NumPy arrays: stop_gradient, unstack, unfold)
        value = make(name)
        return ops.convert_to_tensor(value) if isinstance(value, np.ndarray) else value

    return function(*golden_ops.materialize(list(args), as_tensor),
                    **{k: golden_ops.materialize(v, as_tensor) for k, v in kwargs.items()})


golden_ops.run = run   # record_case and symbolic call it


def V(value):
    """An input of given values (indices, lengths, out-of-range numbers), named as tools/golden_ops.py's `A`."""
    value = np.asarray(value)
    name = f"v_{'x'.join(map(str, value.shape))}_{len(golden_ops.INPUTS)}"
    golden_ops.INPUTS[name] = value
    return golden_ops.Input(name)

NN, IMG, CORE = "nn", "image", "core"


def probabilities(shape):
    return golden_ops.rng.uniform(0.05, 0.95, size=shape).astype("float32")
ACTIVATIONS = ["relu", "relu6", "sigmoid", "sparse_sigmoid", "tanh_shrink", "softplus", "softsign", "silu",
               "swish", "log_sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "selu", "hard_tanh",
               "sparse_plus", "leaky_relu", "elu", "celu", "gelu", "squareplus", "soft_shrink", "hard_shrink"]


def nn_cases():
    out = []
    for op in ACTIVATIONS:
        out += [C(NN, op, A("f32", 3, 4)), C(NN, op, A("f16", 2, 3))]
    out += [C(NN, "leaky_relu", A("f32", 5), negative_slope=0.1), C(NN, "elu", A("f32", 5), alpha=0.5),
            C(NN, "celu", A("f32", 5), alpha=2.0), C(NN, "gelu", A("f32", 6), approximate=False),
            C(NN, "squareplus", A("f32", 5), b=2), C(NN, "soft_shrink", A("f32", 6), threshold=0.3),
            C(NN, "hard_shrink", A("f32", 6), threshold=0.3), C(NN, "threshold", A("f32", 6), 0.2, -1.0)]
    for op in ("softmax", "log_softmax", "sparsemax"):
        out += [C(NN, op, A("f32", 3, 5)), C(NN, op, A("f32", 2, 3, 4), axis=1), C(NN, op, A("f16", 2, 4))]
    out += [C(NN, "softmax", A("f32", 2, 3), axis=None), C(NN, "log_softmax", A("f32", 2, 3), axis=None),
            C(NN, "glu", A("f32", 3, 6)), C(NN, "glu", A("f32", 4, 2, 3), axis=0),
            C(NN, "polar", A("pos", 3), A("f32", 3))]
    out += [C(NN, "one_hot", A("idx5", 4), 5), C(NN, "one_hot", A("i32", 2, 3), 6, axis=0),
            C(NN, "one_hot", A("idx4", 3), 4, dtype="int32"), C(NN, "multi_hot", A("idx6", 2, 3), 6),
            C(NN, "multi_hot", A("idx4", 3), 4)]
    probs = A("pos", 4, 5)
    out += [C(NN, "categorical_crossentropy", A("pos", 4, 5), probs),
            C(NN, "categorical_crossentropy", A("f32", 4, 5), A("f32", 4, 5), from_logits=True),
            C(NN, "categorical_crossentropy", A("pos", 3, 2, 4), A("pos", 3, 2, 4), axis=1),
            C(NN, "sparse_categorical_crossentropy", A("idx5", 4), A("pos", 4, 5)),
            C(NN, "sparse_categorical_crossentropy", A("idx5", 4), A("f32", 4, 5), from_logits=True),
            C(NN, "sparse_categorical_crossentropy", A("idx3", 2, 4, 1), A("f32", 2, 4, 3), from_logits=True),
            C(NN, "binary_crossentropy", V(probabilities((3, 4))), V(probabilities((3, 4)))),
            C(NN, "binary_crossentropy", V(probabilities((3, 4))), A("f32", 3, 4), from_logits=True),
            C(NN, "binary_crossentropy", V(np.array([0.0, 1.0, 1.0, 0.0], "float32")),
              V(np.array([0.0, 1.0, 0.5, 1.0], "float32")))]
    out += [C(NN, "moments", A("f32", 4, 5), axes=[0]), C(NN, "moments", A("f32", 2, 3, 4), axes=[0, 1],
                                                          keepdims=True),
            C(NN, "moments", A("f16", 3, 4), axes=[1]),
            C(NN, "batch_normalization", A("f32", 4, 3), A("f32", 3), A("pos", 3), axis=-1),
            C(NN, "batch_normalization", A("f32", 2, 3, 4), A("f32", 3), A("pos", 3), axis=1, offset=A("f32", 3),
              scale=A("f32", 3), epsilon=0.01),
            C(NN, "layer_normalization", A("f32", 3, 6)),
            C(NN, "layer_normalization", A("f32", 3, 6), gamma=A("f32", 6), beta=A("f32", 6), epsilon=1e-3),
            C(NN, "layer_normalization", A("f32", 2, 3, 4), axis=[1, 2]),
            C(NN, "layer_normalization", A("f16", 2, 8)),
            C(NN, "rms_normalization", A("f32", 3, 6)), C(NN, "rms_normalization", A("f32", 3, 6), scale=A("f32", 6)),
            C(NN, "rms_normalization", A("f32", 2, 3, 4), axis=[0, 1], epsilon=1e-5),
            C(NN, "normalize", A("f32", 3, 4)), C(NN, "normalize", A("f32", 3, 4), axis=0, order=1),
            C(NN, "psnr", A("unit", 2, 8, 8, 3), A("unit", 2, 8, 8, 3), 1.0)]
    images = A("f32", 2, 7, 7, 3)
    out += [C(NN, "conv", images, A("f32", 3, 3, 3, 4)),
            C(NN, "conv", A("f32", 2, 7, 7, 3), A("f32", 3, 3, 3, 4), strides=2, padding="same"),
            C(NN, "conv", A("f32", 2, 8, 8, 4), A("f32", 3, 3, 2, 6), padding="same", dilation_rate=2),
            C(NN, "conv", A("f32", 2, 9, 3), A("f32", 3, 3, 5), strides=2),
            C(NN, "conv", A("f32", 1, 4, 5, 5, 2), A("f32", 2, 2, 2, 2, 3), padding="same"),
            C(NN, "conv", A("f32", 2, 3, 6, 6), A("f32", 3, 3, 3, 4), data_format="channels_first"),
            C(NN, "depthwise_conv", A("f32", 2, 6, 6, 3), A("f32", 3, 3, 3, 2)),
            C(NN, "depthwise_conv", A("f32", 2, 7, 7, 3), A("f32", 3, 3, 3, 1), strides=2, padding="same"),
            C(NN, "separable_conv", A("f32", 2, 6, 6, 3), A("f32", 3, 3, 3, 2), A("f32", 1, 1, 6, 4),
              padding="same"),
            C(NN, "conv_transpose", A("f32", 2, 4, 4, 3), A("f32", 3, 3, 5, 3)),
            C(NN, "conv_transpose", A("f32", 2, 4, 4, 3), A("f32", 3, 3, 5, 3), strides=2, padding="same"),
            C(NN, "conv_transpose", A("f32", 2, 4, 4, 3), A("f32", 3, 3, 5, 3), strides=2, padding="valid"),
            C(NN, "conv_transpose", A("f32", 2, 5, 3), A("f32", 4, 2, 3), strides=3, padding="same",
              output_padding=1),
            C(NN, "conv_transpose", A("f32", 2, 4, 4, 2), A("f32", 2, 2, 3, 2), strides=2, padding="same")]
    for op in ("max_pool", "average_pool"):
        out += [C(NN, op, A("f32", 2, 6, 6, 3), 2), C(NN, op, A("f32", 2, 7, 7, 3), 3, strides=2, padding="same"),
                C(NN, op, A("f32", 2, 8, 3), 2, strides=1, padding="same"),
                C(NN, op, A("f32", 2, 3, 6, 6), 2, data_format="channels_first"),
                C(NN, op, A("f32", 1, 4, 4, 4, 2), 2)]
    out += [C(NN, "adaptive_average_pool", A("f32", 2, 7, 7, 3), (3, 3)),
            C(NN, "adaptive_max_pool", A("f32", 2, 7, 7, 3), (2, 3)),
            C(NN, "adaptive_average_pool", A("f32", 2, 9, 3), 4),
            C(NN, "depth_to_space", A("f32", 2, 2, 3, 8), 2),
            C(NN, "depth_to_space", A("f32", 2, 8, 2, 3), 2, data_format="channels_first"),
            C(NN, "space_to_depth", A("f32", 2, 4, 6, 2), 2),
            C(NN, "space_to_depth", A("f32", 2, 2, 4, 6), 2, data_format="channels_first"),
            C(NN, "unfold", A("f32", 2, 3, 5, 5), 3), C(NN, "unfold", A("f32", 1, 2, 6, 6), 2, stride=2, padding=1),
            C(NN, "fold", A("f32", 2, 12, 9), (5, 5), 2, stride=2, padding=1)]
    out += [C(NN, "ctc_loss", A("idx4", 2, 3) , A("f32", 2, 6, 5), V(np.array([3, 2], "int32")),
              V(np.array([6, 5], "int32")), mask_index=0),
            C(NN, "ctc_decode", A("f32", 2, 6, 5), V(np.array([6, 4], "int32"))),
            C(NN, "ctc_decode", A("f32", 3, 5, 4), V(np.array([5, 5, 2], "int32")), merge_repeated=False,
              mask_index=3)]
    out += [C(NN, "dot_product_attention", A("f32", 2, 4, 2, 8), A("f32", 2, 5, 2, 8), A("f32", 2, 5, 2, 8)),
            C(NN, "dot_product_attention", A("f32", 2, 4, 2, 8), A("f32", 2, 4, 2, 8), A("f32", 2, 4, 2, 8),
              is_causal=True),
            C(NN, "dot_product_attention", A("f32", 2, 3, 2, 4), A("f32", 2, 5, 2, 4), A("f32", 2, 5, 2, 4),
              mask=A("b", 2, 2, 3, 5), scale=0.3),
            C(NN, "dot_product_attention", A("f32", 2, 3, 2, 4), A("f32", 2, 5, 2, 4), A("f32", 2, 5, 2, 4),
              bias=A("f32", 1, 2, 3, 5))]
    return out


def core_cases():
    out = [C(CORE, "cast", A("f32", 3, 4), "int32"), C(CORE, "cast", A("i32", 5), "float16"),
           C(CORE, "cast", A("b", 4), "float32"), C(CORE, "cast", A("f32", 4), "bool"),
           C(CORE, "saturate_cast", V(np.array([-300.0, -1.5, 0.4, 254.6, 300.0, 1e10], "float32")), "uint8"),
           C(CORE, "saturate_cast", V(np.array([-1000, -5, 0, 100, 127, 5000], "int32")), "int8"),
           C(CORE, "convert_to_tensor", A("f32", 3)), C(CORE, "convert_to_tensor", A("i32", 3), dtype="float32"),
           C(CORE, "slice", A("f32", 4, 5), [1, 2], [2, 3]),
           C(CORE, "slice_update", A("f32", 4, 5), [1, 2], A("f32", 2, 3)),
           C(CORE, "scatter", V(np.array([[0, 1], [2, 0], [0, 1]], "int32")), A("f32", 3), (3, 2)),
           C(CORE, "scatter", V(np.array([[1], [3]], "int32")), A("f32", 2, 3), (4, 3)),
           C(CORE, "scatter_update", A("f32", 4, 3), V(np.array([[0, 1], [3, 2]], "int32")), A("f32", 2)),
           C(CORE, "stop_gradient", A("f32", 3)), C(CORE, "unstack", A("f32", 3, 2)),
           C(CORE, "unstack", A("f32", 2, 3), axis=1)]
    return out


def image_cases():
    rgb = V(golden_ops.rng.uniform(0, 1, size=(2, 5, 6, 3)).astype("float32"))
    out = [C(IMG, "rgb_to_grayscale", rgb), C(IMG, "rgb_to_grayscale", A("f32", 2, 3, 4, 5),
                                               data_format="channels_first"),
           C(IMG, "rgb_to_grayscale", A("f32", 4, 4, 1)),
           C(IMG, "rgb_to_hsv", rgb), C(IMG, "rgb_to_hsv", V(np.array([[[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.5, 0.5,
                                                                                                           0.5]]],
                                                                      "float32"))),
           C(IMG, "hsv_to_rgb", V(golden_ops.rng.uniform(0, 1, size=(2, 4, 4, 3)).astype("float32"))),
           C(IMG, "hsv_to_rgb", V(golden_ops.rng.uniform(0, 1, size=(3, 4, 4)).astype("float32")),
             data_format="channels_first")]
    images = A("f32", 2, 6, 8, 3)
    out += [C(IMG, "resize", images, (4, 5)), C(IMG, "resize", A("f32", 2, 6, 8, 3), (9, 12), interpolation="nearest"),
            C(IMG, "resize", A("f32", 2, 6, 8, 3), (10, 7), interpolation="bicubic"),
            C(IMG, "resize", A("f32", 2, 12, 8, 3), (3, 4), antialias=True),
            C(IMG, "resize", A("f32", 2, 6, 8, 3), (4, 4), crop_to_aspect_ratio=True),
            C(IMG, "resize", A("f32", 2, 6, 8, 3), (4, 4), pad_to_aspect_ratio=True, fill_value=0.5),
            C(IMG, "resize", A("f32", 5, 7, 2), (3, 3)),
            C(IMG, "resize", A("f32", 2, 3, 6, 8), (4, 4), data_format="channels_first"),
            C(IMG, "resize", A("u8", 1, 4, 4, 3), (6, 6))]
    shift = V(np.array([1, 0, -1.5, 0, 1, 2.0, 0, 0], "float32"))
    rotate = V(np.array([[0.8, -0.6, 3.0, 0.6, 0.8, -1.0, 0, 0], [1.2, 0.1, -1.0, -0.2, 0.9, 0.5, 0, 0]],
                        "float32"))
    for mode in ("constant", "nearest", "wrap", "mirror", "reflect"):
        out.append(C(IMG, "affine_transform", A("f32", 2, 6, 7, 2), rotate, fill_mode=mode))
    out += [C(IMG, "affine_transform", A("f32", 6, 7, 2), shift, interpolation="nearest"),
            C(IMG, "affine_transform", A("f32", 2, 6, 7, 2), rotate, fill_value=0.5),
            C(IMG, "affine_transform", A("f32", 2, 2, 6, 7), rotate, data_format="channels_first")]
    coordinates = V(golden_ops.rng.uniform(-1.5, 6.5, size=(2, 3, 4)).astype("float32"))
    for mode in ("constant", "nearest", "wrap", "mirror", "reflect"):
        out.append(C(IMG, "map_coordinates", A("f32", 5, 6), coordinates, 1, fill_mode=mode))
    out += [C(IMG, "map_coordinates", A("f32", 5, 6), coordinates, 0),
            C(IMG, "map_coordinates", A("f32", 3, 4, 5), V(golden_ops.rng.uniform(-0.5, 3.5, size=(3, 7))
                                                           .astype("float32")), 1, fill_value=2.0)]
    out += [C(IMG, "crop_images", A("f32", 2, 6, 7, 3), top_cropping=1, left_cropping=2, target_height=3,
              target_width=4),
            C(IMG, "crop_images", A("f32", 6, 7, 3), top_cropping=1, bottom_cropping=2, left_cropping=0,
              right_cropping=3),
            C(IMG, "crop_images", A("f32", 2, 3, 6, 7), bottom_cropping=1, target_height=4, right_cropping=2,
              target_width=3, data_format="channels_first"),
            C(IMG, "pad_images", A("f32", 2, 3, 4, 2), top_padding=1, left_padding=2, target_height=6,
              target_width=7),
            C(IMG, "pad_images", A("f32", 3, 4, 2), top_padding=1, bottom_padding=2, left_padding=0,
              right_padding=3),
            C(IMG, "pad_images", A("f32", 2, 2, 3, 4), bottom_padding=1, target_height=5, right_padding=2,
              target_width=7, data_format="channels_first"),
            C(IMG, "extract_patches", A("f32", 2, 6, 6, 3), 2),
            C(IMG, "extract_patches", A("f32", 2, 7, 7, 2), (3, 2), strides=(2, 1), padding="same"),
            C(IMG, "extract_patches", A("f32", 6, 6, 3), 3, strides=2, dilation_rate=1),
            C(IMG, "gaussian_blur", A("f32", 2, 6, 7, 3)),
            C(IMG, "gaussian_blur", A("f32", 2, 6, 7, 2), kernel_size=(5, 5), sigma=(1.5, 0.7)),
            C(IMG, "gaussian_blur", A("f32", 2, 3, 6, 7), kernel_size=(3, 3), sigma=(2.0, 2.0),
              data_format="channels_first"),
            C(IMG, "sobel_edges", A("f32", 2, 5, 6, 3)),
            C(IMG, "sobel_edges", A("f32", 2, 2, 5, 6), data_format="channels_first")]
    return out


def main():
    for group, cases in (("nn", nn_cases()), ("core", core_cases()), ("image", image_cases())):
        if not cases:
            continue
        records, packer, inputs, counts = [], Packer(), {}, {}
        for ns, op, args, kwargs in cases:
            counts[op] = counts.get(op, -1) + 1
            record, outputs = record_case(ns, op, args, kwargs, f"{op}_{counts[op]}")
            record["outputs"] = [{"python": value} if dtype == "python" else
                                 {"dtype": dtype, "value": packer.add(value)} for dtype, value in outputs]
            for name in json.dumps([record["args"], record["kwargs"]]).split('"input": "')[1:]:
                name = name.split('"')[0]
                if name not in inputs:
                    inputs[name] = packer.add(golden_ops.INPUTS[name])
            records.append(record)
        OUT.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(OUT / f"{group}.npz", **packer.arrays())
        (OUT / f"{group}.json").write_text(json.dumps({"keras_version": keras.__version__, "inputs": inputs,
                                                        "cases": records}, separators=(",", ":")) + "\n")
        errors = [r["id"] for r in records if "error" in r]
        print(f"{group}: {len(records)} cases of {len({r['op'] for r in records})} ops; Keras refused {errors}")


if __name__ == "__main__":
    main()
