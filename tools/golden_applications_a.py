"""Record Keras 3's applications of part A (ResNet, ResNetV2, DenseNet, ConvNeXt, Xception, InceptionV3,
InceptionResNetV2) for kerastorch's parity tests: per network its layer names, number of layers, parameter count,
output shape and the (name, shape) list of its weights (as a digest); one summary per family; predictions from
weights filled by tests/applications/app_weight_rule.py at small inputs; each module's preprocess_input.

Run by hand: ``KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_applications_a.py``. Writes
tests/golden/applications/apps_a.json and apps_a.npz.
"""
import hashlib
import json
import os
import sys

import numpy as np

import keras
from keras import applications as A

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "applications"))
from app_weight_rule import prediction_inputs, weight_values  # noqa: E402

OUT = os.path.join(HERE, "..", "tests", "golden", "applications")

# name -> (builder, kwargs): architecture cases (names, counts, weights digest).
ARCHITECTURES = {
    "resnet50": (A.ResNet50, {}),
    "resnet50_notop": (A.ResNet50, {"include_top": False, "pooling": "max"}),
    "resnet101": (A.ResNet101, {}),
    "resnet152": (A.ResNet152, {}),
    "resnet50v2": (A.ResNet50V2, {}),
    "resnet101v2": (A.ResNet101V2, {}),
    "resnet152v2": (A.ResNet152V2, {"include_top": False, "pooling": "avg"}),
    "densenet121": (A.DenseNet121, {}),
    "densenet169": (A.DenseNet169, {}),
    "densenet201": (A.DenseNet201, {"include_top": False, "pooling": "max"}),
    "convnext_tiny": (A.ConvNeXtTiny, {}),
    "convnext_tiny_notop": (A.ConvNeXtTiny, {"include_top": False, "include_preprocessing": False}),
    "convnext_small": (A.ConvNeXtSmall, {}),
    "convnext_base": (A.ConvNeXtBase, {}),
    "convnext_large": (A.ConvNeXtLarge, {"include_top": False, "pooling": "avg"}),
    "convnext_xlarge": (A.ConvNeXtXLarge, {}),
    "xception": (A.Xception, {}),
    "xception_notop": (A.Xception, {"include_top": False, "pooling": "avg"}),
    "inception_v3": (A.InceptionV3, {}),
    "inception_v3_notop": (A.InceptionV3, {"include_top": False}),
    "inception_resnet_v2": (A.InceptionResNetV2, {}),
    "inception_resnet_v2_notop": (A.InceptionResNetV2, {"include_top": False, "pooling": "max"}),
}
SUMMARIES = ["resnet50", "resnet50v2", "densenet121", "convnext_tiny", "xception", "inception_v3",
             "inception_resnet_v2"]

# name -> (builder, kwargs, input size, seed): predictions with the rule's weights, batch 2.
PREDICTIONS = {
    "resnet50": (A.ResNet50, {"classes": 10, "classifier_activation": None}, 32, 1),
    "resnet101": (A.ResNet101, {"include_top": False, "pooling": "avg"}, 32, 2),
    "resnet50v2": (A.ResNet50V2, {"include_top": False, "pooling": "avg"}, 32, 3),
    "densenet121": (A.DenseNet121, {"classes": 10, "classifier_activation": None}, 32, 4),
    "convnext_tiny": (A.ConvNeXtTiny, {"include_top": False, "pooling": "avg"}, 32, 5),
    "convnext_tiny_top": (A.ConvNeXtTiny, {"classes": 7, "classifier_activation": None,
                                           "include_preprocessing": False}, 32, 6),
    "xception": (A.Xception, {"include_top": False, "pooling": "max"}, 71, 7),
    "inception_v3": (A.InceptionV3, {"classes": 10, "classifier_activation": None}, 75, 8),
    "inception_resnet_v2": (A.InceptionResNetV2, {"include_top": False, "pooling": "avg"}, 75, 9),
    # The other sizes of each family (pooled features: the blocks in other numbers, every weight checked).
    "resnet152": (A.ResNet152, {"include_top": False, "pooling": "avg"}, 32, 10),
    "resnet101v2": (A.ResNet101V2, {"include_top": False, "pooling": "avg"}, 32, 11),
    "resnet152v2": (A.ResNet152V2, {"include_top": False, "pooling": "avg"}, 32, 12),
    "densenet169": (A.DenseNet169, {"include_top": False, "pooling": "avg"}, 32, 13),
    "densenet201": (A.DenseNet201, {"include_top": False, "pooling": "avg"}, 32, 14),
    "convnext_small": (A.ConvNeXtSmall, {"include_top": False, "pooling": "avg"}, 32, 15),
    "convnext_base": (A.ConvNeXtBase, {"include_top": False, "pooling": "avg"}, 32, 16),
    "convnext_large": (A.ConvNeXtLarge, {"include_top": False, "pooling": "avg"}, 32, 17),
    "convnext_xlarge": (A.ConvNeXtXLarge, {"include_top": False, "pooling": "avg"}, 32, 18),
}

PREPROCESS = {
    "resnet": keras.applications.resnet.preprocess_input,
    "resnet50": keras.applications.resnet50.preprocess_input,
    "resnet_v2": keras.applications.resnet_v2.preprocess_input,
    "densenet": keras.applications.densenet.preprocess_input,
    "convnext": keras.applications.convnext.preprocess_input,
    "xception": keras.applications.xception.preprocess_input,
    "inception_v3": keras.applications.inception_v3.preprocess_input,
    "inception_resnet_v2": keras.applications.inception_resnet_v2.preprocess_input,
}


def weights_digest(model):
    """A digest of the (short name, shape) list of the model's weights, in order."""
    text = "\n".join(f"{w.name}:{tuple(w.shape)}" for w in model.weights)
    return hashlib.sha1(text.encode()).hexdigest()


def summary_text(model):
    lines = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    return "".join(lines)


def main():
    golden = {"models": {}, "predictions": {}, "preprocess": {}, "keras_version": keras.__version__}
    arrays = {}
    for case, (builder, kwargs) in ARCHITECTURES.items():
        keras.backend.clear_session()
        model = builder(weights=None, **kwargs)
        golden["models"][case] = {
            "layer_names": [layer.name for layer in model.layers],
            "count_params": int(model.count_params()),
            "output_shape": list(model.output_shape),
            "weights": len(model.weights),
            "weights_digest": weights_digest(model),
            "weight_names": sorted({w.name for w in model.weights}),
        }
        if case in SUMMARIES:
            arrays[f"summary_{case}"] = np.array(summary_text(model))
        print(case, model.count_params(), len(model.layers), flush=True)
        del model

    for case, (builder, kwargs, size, seed) in PREDICTIONS.items():
        keras.backend.clear_session()
        model = builder(weights=None, input_shape=(size, size, 3), **kwargs)
        model.set_weights(weight_values([(w.name, w.shape) for w in model.weights], seed=seed))
        x = prediction_inputs(case, size, seed)
        y = np.asarray(model.predict(x, verbose=0))
        arrays[f"{case}_y"] = y
        golden["predictions"][case] = {"size": size, "seed": seed, "kwargs": kwargs,
                                       "output_shape": list(y.shape), "scale": float(np.abs(y).max())}
        print(case, y.shape, float(np.abs(y).max()), flush=True)

    images = np.random.RandomState(0).uniform(0, 255, (2, 4, 5, 3)).astype("float32")
    arrays["preprocess_x"] = images
    for module, function in PREPROCESS.items():
        arrays[f"preprocess_{module}"] = np.asarray(function(images.copy()))
        arrays[f"preprocess_{module}_cf"] = np.asarray(function(images.transpose(0, 3, 1, 2).copy(),
                                                                data_format="channels_first"))
    with open(os.path.join(OUT, "apps_a.json"), "w") as file:
        json.dump(golden, file, indent=0, sort_keys=True)
    np.savez_compressed(os.path.join(OUT, "apps_a.npz"), **arrays)


if __name__ == "__main__":
    main()
