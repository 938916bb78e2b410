"""Write the fixtures of MobileNet, MobileNetV2, MobileNetV3, EfficientNet, EfficientNetV2 and NASNet from real
Keras 3 (torch backend), for tests/applications/test_{mobilenet,efficientnet,efficientnet_v2,nasnet}.py.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_applications_b.py [CASE ...]

The cases are tests/applications/apps_b_cases.py's. Files (small: the networks' weights are never stored; both
sides make them with tests/applications/app_weight_rule.py):

tests/golden/applications/apps_b.json
    keras_version; per case: layer names, layer count, parameter count, output shape, and for some the
    ``model.summary()`` text (COLUMNS=80); per module: how ``preprocess_input`` treats a small input.
tests/golden/applications/apps_b.npz
    ``<case>/x`` (the model's input: seeded images through the module's ``preprocess_input``) and ``<case>/y``
    (Keras's predictions) for the "predict" cases; ``preprocess/<module>/x`` and ``/y``.

Keras 3.15 refuses NASNetMobile on the torch backend (a guard in ``NASNetMobile`` for a bug it does not name);
the recorder builds it through ``keras.src.applications.nasnet.NASNet`` with NASNetMobile's arguments.
"""
import functools
import json
import os
import pathlib
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ["COLUMNS"] = "80"
ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "applications"))
from apps_b_cases import CASES, PREPROCESS_MODULES, raw_images, rule_weights  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = ROOT / "tests" / "golden" / "applications"


def builder(module, name):
    if name == "NASNetMobile":
        from keras.src.applications import nasnet

        def mobile(input_shape=None, include_top=True, **kwargs):
            if not include_top and input_shape is None:
                input_shape = (224, 224, 3)
            return nasnet.NASNet(input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32,
                                 skip_reduction=False, filter_multiplier=2, include_top=include_top,
                                 default_size=224, name=kwargs.pop("name", "nasnet_mobile"), **kwargs)
        return mobile
    module = getattr(keras.applications, module)
    # keras.applications.mobilenet_v3 has preprocess_input only; the networks are at the top.
    return functools.partial(getattr(module, name, None) or getattr(keras.applications, name), weights=None)


def summary_text(model):
    lines = []
    model.summary(print_fn=lambda text, line_break=True: lines.append(text))
    return "".join(lines)


def record_case(case, module, name, kwargs, what, arrays):
    keras.backend.clear_session()
    kwargs = dict(kwargs, weights=None) if name == "NASNetMobile" else dict(kwargs)
    model = builder(module, name)(**kwargs)
    entry = {"layer_names": [layer.name for layer in model.layers], "count_params": int(model.count_params()),
             "output_shape": list(model.output_shape), "name": model.name}
    if "summary" in what:
        entry["summary"] = summary_text(model)
    if "predict" in what:
        values = rule_weights(model, case)
        model.set_weights([np.asarray(v).astype(w.dtype) for v, w in zip(values, model.weights)])
        x = getattr(keras.applications, module).preprocess_input(raw_images(case))
        arrays[f"{case}/x"] = np.asarray(x, "float32")
        arrays[f"{case}/y"] = np.asarray(model.predict(x, verbose=0), "float32")
    return entry


def main(only):
    json_path, npz_path = OUT / "apps_b.json", OUT / "apps_b.npz"
    golden = json.loads(json_path.read_text()) if only and json_path.exists() else {"cases": {}}
    arrays = dict(np.load(npz_path)) if only and npz_path.exists() else {}
    golden["keras_version"] = keras.__version__
    for case, (module, name, kwargs, what) in CASES.items():
        if only and case not in only:
            continue
        start = time.time()
        golden["cases"][case] = record_case(case, module, name, kwargs, what, arrays)
        print(f"{case}: {golden['cases'][case]['count_params']} params, "
              f"{len(golden['cases'][case]['layer_names'])} layers ({time.time() - start:.1f} s)", flush=True)
    images = np.random.RandomState(7).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    for module in PREPROCESS_MODULES:
        arrays[f"preprocess/{module}/x"] = images
        arrays[f"preprocess/{module}/y"] = np.asarray(
            getattr(keras.applications, module).preprocess_input(images.copy()), "float32")
    OUT.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    np.savez_compressed(npz_path, **arrays)


if __name__ == "__main__":
    main(set(sys.argv[1:]))
