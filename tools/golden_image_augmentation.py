"""Writes the fixtures of Keras 3's colour and mixing augmentation layers, for tests/layers/test_image_augmentation.py.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_image_augmentation.py

For each case: the layer's arguments, a small batch of images, one transformation Keras drew
(``get_random_transformation``, its tensors saved as they are) and Keras's ``transform_images`` of the batch under
it, so the test applies the same transformation with kerastorch's layer. tests/golden/layers/image_augmentation.npz
holds the arrays (``<case>/images``, ``<case>/t/<key>``, ``<case>/out``); its ``cases`` entry lists the cases.
"""
import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "layers" / "image_augmentation.npz"
rng = np.random.default_rng(3)

CASES = [
    ("AutoContrast", {}, "uint"), ("AutoContrast", {"value_range": (0, 1)}, "unit"),
    ("Solarization", {"addition_factor": 0.3, "threshold_factor": 0.6, "seed": 1}, "uint"),
    ("Solarization", {"threshold_factor": (0.4, 0.5), "value_range": (0, 1), "seed": 2}, "unit"),
    ("RandomInvert", {"factor": 0.5, "seed": 3}, "uint"), ("RandomInvert", {"value_range": (0, 1)}, "unit"),
    ("RandomPosterization", {"factor": 3, "seed": 4}, "uint"),
    ("RandomPosterization", {"factor": (2, 6), "value_range": (0, 1), "seed": 4}, "unit"),
    ("RandomGrayscale", {"factor": 0.5, "seed": 5}, "uint"),
    ("Equalization", {}, "uint"), ("Equalization", {"bins": 16, "value_range": (0, 1)}, "unit"),
    ("RandomHue", {"factor": 0.8, "seed": 6}, "uint"), ("RandomHue", {"factor": (0.2, 0.5), "value_range": (0, 1),
                                                                      "seed": 7}, "unit"),
    ("RandomSaturation", {"factor": (0.2, 0.8), "seed": 8}, "uint"),
    ("RandomSaturation", {"factor": 0.5, "value_range": (0, 1), "seed": 9}, "unit"),
    ("RandomSharpness", {"factor": (0.0, 1.0), "seed": 10}, "uint"),
    ("RandomSharpness", {"factor": 0.9, "value_range": (0, 1), "seed": 11}, "unit"),
    ("MixUp", {"alpha": 0.4, "seed": 12}, "uint"),
    ("CutMix", {"factor": 1.0, "seed": 13}, "uint"),
    ("RandomErasing", {"factor": (1.0, 1.0), "seed": 14}, "uint"),
    ("RandomErasing", {"factor": 0.5, "scale": (0.1, 0.5), "fill_value": 7.0, "seed": 15}, "uint"),
    ("RandomGaussianBlur", {"factor": (1.0, 1.0), "kernel_size": 3, "sigma": (0.2, 1.0), "seed": 16}, "uint"),
    ("RandomGaussianBlur", {"factor": 0.5, "kernel_size": 5, "value_range": (0, 1), "seed": 17}, "unit"),
    ("RandomShear", {"x_factor": 0.4, "y_factor": 0.3, "seed": 18}, "uint"),
    ("RandomShear", {"x_factor": (0.2, 0.9), "fill_mode": "constant", "fill_value": 3.0, "seed": 19}, "uint"),
    ("RandomShear", {"y_factor": 0.8, "fill_mode": "wrap", "interpolation": "nearest", "seed": 20}, "uint"),
    ("RandomShear", {"x_factor": 0.7, "y_factor": 0.7, "fill_mode": "nearest", "seed": 21}, "unit"),
    ("RandomShear", {"x_factor": 0.9, "y_factor": 0.2, "seed": 22}, "unit"),
    ("RandomPerspective", {"factor": (1.0, 1.0), "scale": 0.5, "seed": 23}, "uint"),
    ("RandomColorDegeneration", {"factor": 0.7, "seed": 25}, "uint"),
    ("RandomPerspective", {"factor": 0.5, "scale": 1.0, "fill_value": 9.0, "interpolation": "nearest",
                           "seed": 24}, "uint"),
]


def images(kind):
    if kind == "uint":
        return rng.integers(0, 256, size=(3, 6, 5, 3)).astype("float32")
    return rng.uniform(size=(3, 6, 5, 3)).astype("float32")


if __name__ == "__main__":
    arrays, listing = {}, []
    for index, (name, kwargs, kind) in enumerate(CASES):
        key = f"{index}_{name}"
        layer = getattr(layers, name)(**kwargs)
        batch = images(kind)
        transformation = layer.get_random_transformation(keras.ops.convert_to_tensor(batch), training=True)
        out = layer.transform_images(keras.ops.convert_to_tensor(batch), transformation, training=True)
        arrays[f"{key}/images"] = batch
        arrays[f"{key}/out"] = keras.ops.convert_to_numpy(out)
        if isinstance(transformation, dict):
            keys = sorted(transformation)
            for t in keys:
                arrays[f"{key}/t/{t}"] = keras.ops.convert_to_numpy(transformation[t])
        elif transformation is not None:
            keys = [""]
            arrays[f"{key}/t/"] = keras.ops.convert_to_numpy(transformation)
        else:
            keys = None
        listing.append({"key": key, "layer": name, "kwargs": kwargs, "transformation": keys})
    arrays["cases"] = np.array(json.dumps(listing))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print("wrote", OUT, OUT.stat().st_size, "bytes")
