"""Write the VGG / applications fixtures from real Keras 3 (torch backend), for tests/applications/.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_vgg.py [--no-seed-case]

Files (all small: the full networks' weights are never stored; they are made from a seed on both sides):

tests/golden/applications/vgg.json
    keras_version; summaries (COLUMNS=80) of VGG16/VGG19 with and without the top, of a frozen VGG16 base used as
    a layer in a functional model, of a Sequential rebuilt from VGG16's layers with its last layer popped and a
    new head, and of a feature extractor cut at block5_conv1; layer names and parameter counts; the trainable
    weight paths after unfreezing block5; Keras's error messages for bad arguments; preprocess_input and
    decode_predictions results; array_to_img / img_to_array pixels; the stdout of seed case s08.
tests/golden/applications/vgg.npz
    Inputs and Keras's predictions: `tiny_x`/`tiny_y` for the tiny VGG-like model below; `vgg16_x`/`vgg16_y` for
    VGG16(include_top=True, input_shape=(64, 64, 3), classes=10, classifier_activation=None) and
    `vgg19_x`/`vgg19_y` for VGG19(include_top=False, input_shape=(32, 32, 3), pooling="max"), each with the
    weights of tests/applications/vgg_shared.py's `seeded_weights(model, seed)`;
    preprocess_input inputs and outputs.
tests/golden/applications/tiny.weights.h5
    Weights of a tiny VGG-like functional model with VGG's layer names (block1_conv1 ... predictions, 4 to 16
    filters and units, input 8x8x3), written by Keras 3's `save_weights`.
tests/golden/applications/tiny_legacy.h5
    The same arrays in the Keras 2 HDF5 layout of Keras's published vgg16_weights_tf_dim_ordering_tf_kernels.h5
    (Keras 2 is not installed here, so it is written with h5py from the format: root attribute `layer_names`
    listing every layer; each layer group's `weight_names` listing its datasets, named `<layer>_W_1:0` and
    `<layer>_b_1:0` as in that file, in kernel-then-bias order; `backend` and `keras_version` attributes).
"""
import contextlib
import io
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ["COLUMNS"] = "80"
ROOT = pathlib.Path(__file__).resolve().parent.parent


def _offline_class_index():
    """A KERAS_HOME holding imagenet_class_index.json, made from kerastorch's class table (Keras checks the
    file's published MD5 before using it, so this also proves that the table is Keras's)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("imagenet_classes",
                                                  ROOT / "kerastorch" / "applications" / "imagenet_classes.py")
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    home = pathlib.Path(tempfile.mkdtemp(prefix="keras-home-"))
    (home / "models").mkdir()
    index = {str(i): list(pair) for i, pair in enumerate(table.class_index())}
    (home / "models" / "imagenet_class_index.json").write_text(json.dumps(index))
    return str(home)


os.environ["KERAS_HOME"] = _offline_class_index()
sys.path.insert(0, str(ROOT / "tests" / "applications"))
from vgg_shared import seeded_weights, write_keras2_weights  # noqa: E402  (the same code on both sides)

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = ROOT / "tests" / "golden" / "applications"
SEED_CASE = ROOT.parent / "shared" / "seed-cases" / "s08_vgg16_filters.py"


def seeded_images(shape, seed):
    """RGB images in [0, 255], preprocessed in caffe mode."""
    images = np.random.RandomState(seed).uniform(0, 255, shape).astype("float32")
    return keras.applications.vgg16.preprocess_input(images)


def summary_text(model):
    lines = []
    model.summary(print_fn=lambda text, line_break=True: lines.append(text))
    return "\n".join(lines)


def error_text(function):
    try:
        function()
    except Exception as error:  # noqa: BLE001 - recording whatever Keras raises
        return f"{type(error).__name__}: {error}"
    return None


def tiny_model():
    inputs = keras.Input((8, 8, 3))
    x = inputs
    for block, filters in ((1, 4), (2, 8)):
        for conv in (1, 2):
            x = keras.layers.Conv2D(filters, 3, activation="relu", padding="same", name=f"block{block}_conv{conv}")(x)
        x = keras.layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(16, activation="relu", name="fc1")(x)
    x = keras.layers.Dense(16, activation="relu", name="fc2")(x)
    outputs = keras.layers.Dense(5, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="tiny_vgg")


def summaries_and_counts():
    cases = {
        "vgg16_top": lambda: keras.applications.VGG16(weights=None),
        "vgg16_notop": lambda: keras.applications.VGG16(weights=None, include_top=False),
        "vgg16_notop_avg_32": lambda: keras.applications.VGG16(weights=None, include_top=False,
                                                               input_shape=(32, 32, 3), pooling="avg"),
        "vgg19_top": lambda: keras.applications.VGG19(weights=None),
        "vgg19_notop_max": lambda: keras.applications.VGG19(weights=None, include_top=False, pooling="max"),
    }
    result = {}
    for name, build in cases.items():
        keras.backend.clear_session()
        model = build()
        result[name] = {"summary": summary_text(model), "layer_names": [layer.name for layer in model.layers],
                        "count_params": int(model.count_params()), "output_shape": list(model.output_shape)}
    return result


def transfer_cases():
    keras.backend.clear_session()
    result = {}
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    base.trainable = False
    inputs = keras.Input((32, 32, 3))
    x = base(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    result["frozen_base"] = {"summary": summary_text(model), "trainable": len(model.trainable_weights),
                             "non_trainable": len(model.non_trainable_weights),
                             "trainable_paths": [w.path for w in model.trainable_weights]}
    base.trainable = True
    for layer in base.layers:
        layer.trainable = layer.name.startswith("block5")
    result["block5_unfrozen"] = {"summary": summary_text(model), "trainable": len(model.trainable_weights),
                                 "trainable_paths": [w.path for w in model.trainable_weights]}

    keras.backend.clear_session()
    vgg = keras.applications.VGG16(weights=None, include_top=True, input_shape=(32, 32, 3), classes=10)
    sequential = keras.Sequential([keras.Input((32, 32, 3))])
    for layer in vgg.layers[1:]:
        sequential.add(layer)
    popped = sequential.pop()
    for layer in sequential.layers:
        layer.trainable = False
    sequential.add(keras.layers.Dense(2, activation="softmax", name="new_predictions"))
    result["sequential_pop"] = {"summary": summary_text(sequential), "popped": popped.name,
                                "trainable": len(sequential.trainable_weights)}

    keras.backend.clear_session()
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    extractor = keras.Model(inputs=base.inputs, outputs=base.get_layer("block5_conv1").output)
    result["extractor"] = {"summary": summary_text(extractor), "output_shape": list(extractor.output_shape)}
    return result


def error_cases():
    apps = keras.applications
    return {
        "imagenet_top_input_shape": error_text(lambda: apps.VGG16(weights="imagenet", input_shape=(200, 200, 3))),
        "imagenet_top_classes": error_text(lambda: apps.VGG16(weights="imagenet", classes=10)),
        "missing_path": error_text(lambda: apps.VGG16(weights="/nonexistent/vgg16.weights.h5")),
        "too_small": error_text(lambda: apps.VGG16(weights=None, include_top=False, input_shape=(16, 16, 3))),
        "top_without_static_shape": error_text(lambda: apps.VGG16(weights=None, input_shape=(None, None, 3))),
        "imagenet_two_channels": error_text(lambda: apps.VGG16(weights="imagenet", include_top=False,
                                                               input_shape=(64, 64, 2))),
        "activation_with_weights": error_text(lambda: apps.VGG16(weights="imagenet", classifier_activation="relu")),
        "decode_bad_shape": error_text(lambda: apps.vgg16.decode_predictions(np.zeros((2, 10)))),
        "preprocess_bad_mode": error_text(lambda: apps.imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)),
                                                                                       mode="bgr")),
    }


def preprocessing_cases(arrays):
    import torch
    utils = keras.applications.imagenet_utils
    images = np.random.RandomState(7).uniform(0, 255, (2, 4, 5, 3)).astype("float32")
    arrays["pre_nhwc"] = images
    arrays["pre_nchw"] = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    for mode in ("caffe", "torch", "tf"):
        arrays[f"pre_{mode}_nhwc"] = utils.preprocess_input(images.copy(), mode=mode)
        arrays[f"pre_{mode}_nchw"] = utils.preprocess_input(arrays["pre_nchw"].copy(), data_format="channels_first",
                                                            mode=mode)
        arrays[f"pre_{mode}_nhwc_tensor"] = utils.preprocess_input(torch.tensor(images), mode=mode).numpy()
        arrays[f"pre_{mode}_one_image"] = utils.preprocess_input(images[0].copy(), mode=mode)
    arrays["pre_caffe_uint8"] = utils.preprocess_input(images.astype("uint8"))
    # What a float input looks like after the call (Keras writes over it).
    overwritten = images.copy()
    utils.preprocess_input(overwritten)
    arrays["pre_caffe_overwritten"] = overwritten

    preds = np.random.RandomState(3).dirichlet(np.ones(1000), size=2).astype("float32")
    arrays["decode_preds"] = preds
    decoded = keras.applications.vgg16.decode_predictions(preds, top=3)
    return [[[wnid, name, float(score)] for wnid, name, score in sample] for sample in decoded]


def image_cases():
    from keras.utils import array_to_img, img_to_array
    x = np.random.RandomState(5).uniform(-3, 7, (4, 5, 3)).astype("float32")
    gray = np.random.RandomState(6).uniform(0, 1, (3, 2, 1)).astype("float32")
    return {"x": x.tolist(), "rgb_pixels": np.asarray(array_to_img(x)).tolist(),
            "rgb_unscaled": np.asarray(array_to_img(x * 30, scale=False)).tolist(),
            "gray_x": gray.tolist(), "gray_pixels": np.asarray(array_to_img(gray)).tolist(),
            "channels_first_roundtrip": img_to_array(array_to_img(x.transpose(2, 0, 1),
                                                                  data_format="channels_first"),
                                                     data_format="channels_first").tolist()}


def prediction_cases(arrays):
    keras.backend.clear_session()
    model = tiny_model()
    model.set_weights(seeded_weights(model, 11))
    arrays["tiny_x"] = seeded_images((3, 8, 8, 3), 12)
    arrays["tiny_y"] = model.predict(arrays["tiny_x"], verbose=0)
    model.save_weights(str(OUT / "tiny.weights.h5"))
    write_keras2_weights(model, OUT / "tiny_legacy.h5", weight_names="keras1")
    paths = {}
    with h5py.File(OUT / "tiny.weights.h5") as file:
        file.visit(lambda name: paths.setdefault(name, None))

    keras.backend.clear_session()
    vgg16 = keras.applications.VGG16(weights=None, input_shape=(64, 64, 3), classes=10, classifier_activation=None)
    vgg16.set_weights(seeded_weights(vgg16, 16))
    arrays["vgg16_x"] = seeded_images((2, 64, 64, 3), 17)
    arrays["vgg16_y"] = vgg16.predict(arrays["vgg16_x"], verbose=0)

    keras.backend.clear_session()
    vgg19 = keras.applications.VGG19(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="max")
    vgg19.set_weights(seeded_weights(vgg19, 19))
    arrays["vgg19_x"] = seeded_images((2, 32, 32, 3), 20)
    arrays["vgg19_y"] = vgg19.predict(arrays["vgg19_x"], verbose=0)
    return sorted(paths)


def seed_case_stdout():
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, KERAS_BACKEND="torch", COLUMNS="80", PYTHONWARNINGS="ignore")
        proc = subprocess.run([sys.executable, str(SEED_CASE)], capture_output=True, text=True, env=env, cwd=folder,
                              timeout=1800)
        if proc.returncode:
            raise SystemExit(f"s08 failed under Keras:\n{proc.stderr[-3000:]}")
        return proc.stdout, sorted(os.listdir(folder))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")
    arrays = {}
    golden = {"keras_version": keras.__version__}
    golden["models"] = summaries_and_counts()
    golden["transfer"] = transfer_cases()
    golden["errors"] = error_cases()
    golden["decoded"] = preprocessing_cases(arrays)
    golden["images"] = image_cases()
    golden["tiny_weights_h5_paths"] = prediction_cases(arrays)
    previous = json.loads((OUT / "vgg.json").read_text()) if (OUT / "vgg.json").exists() else {}
    if "--no-seed-case" in sys.argv:
        golden["s08"] = previous.get("s08")
    else:
        stdout, files = seed_case_stdout()
        golden["s08"] = {"stdout": stdout, "files": files}
    (OUT / "vgg.json").write_text(json.dumps(golden, indent=1) + "\n")
    np.savez_compressed(OUT / "vgg.npz", **arrays)
    print(f"wrote {OUT}: " + ", ".join(f"{p.name} ({p.stat().st_size} bytes)" for p in sorted(OUT.iterdir())))


if __name__ == "__main__":
    with contextlib.redirect_stderr(io.StringIO()) if "--quiet" in sys.argv else contextlib.nullcontext():
        main()
