"""Record the ImageNet weight files Keras's applications download: for every application (and every
alpha/rows/minimalistic variant Keras publishes), the file name, its URL and the hash Keras checks.

Run by hand with Keras 3's Python (`KERAS_BACKEND=torch /work/kvenv/bin/python tools/keras_weight_files.py`); it
writes tests/golden/applications/keras_weight_files.json, which kerastorch/applications/weights.py's table is
checked against (tests/applications/test_weights_table.py). Nothing is downloaded: Keras's downloader is
replaced by one that records its arguments and stops the build.
"""
import json
import os
import sys

import keras
from keras.src.utils import file_utils

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "applications", "keras_weight_files.json")


class Recorded(Exception):
    pass


def record(fname, origin=None, file_hash=None, cache_subdir="datasets", **kwargs):
    raise Recorded({"file": fname, "url": origin, "hash": file_hash, "cache_subdir": cache_subdir})


file_utils.get_file = record


class _NotTorch:
    """Keras's NASNet refuses to build on the torch backend (a bug of its own); its module alone is told another
    backend, so that it reaches its download."""

    def __getattr__(self, name):
        from keras.src import backend
        return getattr(backend, name)

    @staticmethod
    def backend():
        return "tensorflow"


import keras.src.applications.nasnet as _nasnet  # noqa: E402
_nasnet.backend = _NotTorch()

A = keras.applications
CASES = {}
for name in ["ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2", "DenseNet121",
             "DenseNet169", "DenseNet201", "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge",
             "ConvNeXtXLarge", "Xception", "InceptionV3", "InceptionResNetV2", "NASNetMobile", "NASNetLarge",
             "VGG16", "VGG19"] + [f"EfficientNetB{i}" for i in range(8)] + \
        [f"EfficientNetV2{s}" for s in ("B0", "B1", "B2", "B3", "S", "M", "L")]:
    CASES[name] = (getattr(A, name), {})
for alpha in (0.25, 0.5, 0.75, 1.0):
    for rows in (128, 160, 192, 224):
        CASES[f"MobileNet_{alpha}_{rows}"] = (A.MobileNet, {"alpha": alpha, "input_shape": (rows, rows, 3)})
for alpha in (0.35, 0.5, 0.75, 1.0, 1.3, 1.4):
    for rows in (96, 128, 160, 192, 224):
        CASES[f"MobileNetV2_{alpha}_{rows}"] = (A.MobileNetV2, {"alpha": alpha, "input_shape": (rows, rows, 3)})
for kind in ("Small", "Large"):
    for alpha, minimalistic in ((0.75, False), (1.0, False), (1.0, True)):
        CASES[f"MobileNetV3{kind}_{alpha}{'_minimalistic' if minimalistic else ''}"] = (
            getattr(A, f"MobileNetV3{kind}"), {"alpha": alpha, "minimalistic": minimalistic})

only = set(sys.argv[1:])
table = {}
if only and os.path.exists(OUT):   # record a few cases again into the existing table
    with open(OUT) as file:
        table = json.load(file)
for case, (builder, kwargs) in CASES.items():
    if only and case not in only:
        continue
    entry = {}
    for top in (True, False):
        args = dict(kwargs)
        try:
            builder(weights="imagenet", include_top=top, **args)
        except Recorded as seen:
            entry["top" if top else "notop"] = seen.args[0]
        except Exception as error:  # NASNet refuses the torch backend: run those with KERAS_BACKEND=numpy
            print(case, "not recorded:", error, flush=True)
        keras.backend.clear_session()
    if entry:
        table[case] = entry
    print(case, entry.get("top", {}).get("file"), entry.get("notop", {}).get("file"), flush=True)
with open(OUT, "w") as file:
    json.dump(table, file, indent=1, sort_keys=True)
