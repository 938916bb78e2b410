"""Writes the initializer fixtures from real Keras 3 (torch backend).

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_initializers.py

tests/golden/initializers.json:
    names:  for every string Keras resolves, the class it gives and that instance's config.
    cases:  for each initializer (class, keyword arguments) Keras's `serialize()` output and, for a dense
            (200, 300) and a conv (3, 3, 16, 32) shape, the dtype, shape and statistics (n, mean, std, min,
            max) of its values with seed=1, and `limit`, the bound the distribution may not cross (uniform:
            sqrt(3 * scale / n) or [minval, maxval); truncated normal: 2 stddev), derived here from the
            formulas and checked against Keras's samples.
    seeded: exact values for small shapes with seed=7 (Keras's torch backend draws them on the CPU with
            torch.Generator seeded by the seed).
"""
import json
import math
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src.initializers import ALL_OBJECTS_DICT  # noqa: E402

GOLDEN = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden"
DENSE, CONV = (200, 300), (3, 3, 16, 32)
TRUNCATED_STDDEV = 0.87962566103423978

CASES = [
    ("GlorotUniform", {}), ("GlorotNormal", {}), ("HeUniform", {}), ("HeNormal", {}), ("LecunUniform", {}),
    ("LecunNormal", {}), ("VarianceScaling", {}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "uniform"}),
    ("VarianceScaling", {"scale": 0.5, "mode": "fan_avg", "distribution": "untruncated_normal"}),
    ("VarianceScaling", {"scale": 3.0, "mode": "fan_avg", "distribution": "normal"}),
    ("RandomNormal", {}), ("RandomNormal", {"mean": 1.0, "stddev": 2.0}),
    ("RandomUniform", {}), ("RandomUniform", {"minval": 0.0, "maxval": 3.0}),
    ("TruncatedNormal", {}), ("TruncatedNormal", {"mean": -1.0, "stddev": 0.5}),
    ("Zeros", {}), ("Ones", {}), ("Constant", {"value": 0.5}), ("Identity", {}), ("Identity", {"gain": 2.0}),
    ("Orthogonal", {}), ("Orthogonal", {"gain": 3.0}),
]
SEEDED_SHAPES = [(3, 4), (5, 2), (2, 2, 3, 4)]
# The parameters of VarianceScaling's subclasses, from their definitions.
FIXED = {"GlorotUniform": (1.0, "fan_avg", "uniform"), "GlorotNormal": (1.0, "fan_avg", "truncated_normal"),
         "HeUniform": (2.0, "fan_in", "uniform"), "HeNormal": (2.0, "fan_in", "truncated_normal"),
         "LecunUniform": (1.0, "fan_in", "uniform"), "LecunNormal": (1.0, "fan_in", "truncated_normal")}


def takes_seed(class_name):
    return class_name not in ("Zeros", "Ones", "Constant", "Identity")


def fans(shape):
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def limit(class_name, kwargs, shape):
    """(low, high) no value may cross, or None for unbounded distributions; from the documented formulas."""
    if class_name in FIXED or class_name == "VarianceScaling":
        scale, mode, distribution = FIXED.get(class_name) or (
            kwargs.get("scale", 1.0), kwargs.get("mode", "fan_in"), kwargs.get("distribution", "truncated_normal"))
        fan_in, fan_out = fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        if distribution == "uniform":
            bound = math.sqrt(3 * scale / n)
        elif distribution in ("truncated_normal", "normal"):
            bound = 2 * math.sqrt(scale / n) / TRUNCATED_STDDEV
        else:
            return None
        return [-bound, bound]
    if class_name == "RandomUniform":
        return [kwargs.get("minval", -0.05), kwargs.get("maxval", 0.05)]
    if class_name == "TruncatedNormal":
        mean, stddev = kwargs.get("mean", 0.0), kwargs.get("stddev", 0.05)
        return [mean - 2 * stddev, mean + 2 * stddev]
    return None


def statistics(values):
    values = values.astype("float64")
    return {"n": int(values.size), "mean": float(values.mean()), "std": float(values.std()),
            "min": float(values.min()), "max": float(values.max())}


def case_fixture(class_name, kwargs):
    cls = getattr(keras.initializers, class_name)
    seed = {"seed": 1} if takes_seed(class_name) else {}
    case = {"class_name": class_name, "kwargs": kwargs, "serialized": keras.initializers.serialize(cls(**kwargs)),
            "shapes": {}}
    for shape in (DENSE, CONV):
        if class_name == "Identity" and len(shape) != 2:
            continue
        values = keras.ops.convert_to_numpy(cls(**kwargs, **seed)(shape))
        bounds = limit(class_name, kwargs, shape)
        if bounds is not None:
            # Keras's truncated normal keeps the first of four draws that lands inside; when none does
            # (p ~ 4e-6 per value) it keeps an outside one, so a rare value may cross the bound.
            outside = np.mean((values < bounds[0]) | (values > bounds[1]))
            assert outside < 1e-4, (class_name, kwargs, shape, outside)
        case["shapes"][str(shape)] = {"shape": list(values.shape), "dtype": str(values.dtype),
                                      "stats": statistics(values), "limit": bounds}
    if takes_seed(class_name):
        case["seeded"] = {str(shape): keras.ops.convert_to_numpy(cls(**kwargs, seed=7)(shape)).tolist()
                          for shape in SEEDED_SHAPES}
    return case


def names_fixture():
    names = {}
    for name in sorted(ALL_OBJECTS_DICT):
        if "stft" in name.lower() or name in ("Initializer", "initializer"):
            continue  # STFT needs scipy and is not part of kerastorch; the base class is abstract.
        try:
            initializer = keras.initializers.get(name)
        except KeyError as error:
            # Keras 3.15's Constant.from_config needs a 'value', so get('constant') fails there.
            names[name] = {"keras_error": f"KeyError: {error}"}
            continue
        names[name] = {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    return names


if __name__ == "__main__":
    GOLDEN.mkdir(parents=True, exist_ok=True)
    fixture = {"keras_version": keras.__version__, "names": names_fixture(),
               "cases": [case_fixture(name, kwargs) for name, kwargs in CASES]}
    path = GOLDEN / "initializers.json"
    path.write_text(json.dumps(fixture, indent=1))
    print("keras", keras.__version__, "->", path, path.stat().st_size, "bytes")
