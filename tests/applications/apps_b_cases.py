"""The cases of the MobileNet / EfficientNet / NASNet parity fixtures, shared by tools/golden_applications_b.py
(under Keras 3) and the tests (under kerastorch): which network, with which arguments, and what is recorded.

Pure Python plus numpy, no Keras or kerastorch import, so that both sides import it.

Each case is ``(module, builder, kwargs, what)``: ``module`` is the applications module (``mobilenet_v2``),
``builder`` the function in it, ``what`` a set of ``"arch"`` (layer names, parameter count, output shape),
``"summary"`` (``model.summary()`` text) and ``"predict"`` (outputs on a batch of 2 seeded images with the weights
of ``app_weight_rule``).
"""
import numpy as np

from app_weight_rule import weight_values

PREDICT_SIZE = 32
_TOP10 = {"input_shape": (PREDICT_SIZE, PREDICT_SIZE, 3), "classes": 10, "classifier_activation": None}
_SMALL = {"input_shape": (PREDICT_SIZE, PREDICT_SIZE, 3), "include_top": False}

CASES = {
    # MobileNet (V1)
    "mobilenet_top": ("mobilenet", "MobileNet", {}, {"arch", "summary"}),
    "mobilenet_notop": ("mobilenet", "MobileNet", {"include_top": False}, {"arch"}),
    "mobilenet_a050_dm2_top10": ("mobilenet", "MobileNet", {"alpha": 0.5, "depth_multiplier": 2, **_TOP10},
                                 {"arch", "predict"}),
    "mobilenet_a025_avg": ("mobilenet", "MobileNet", {"alpha": 0.25, "pooling": "avg", **_SMALL},
                           {"arch", "predict"}),
    # MobileNetV2
    "mobilenetv2_top": ("mobilenet_v2", "MobileNetV2", {}, {"arch", "summary"}),
    "mobilenetv2_notop": ("mobilenet_v2", "MobileNetV2", {"include_top": False}, {"arch"}),
    "mobilenetv2_a035_top10": ("mobilenet_v2", "MobileNetV2", {"alpha": 0.35, **_TOP10}, {"arch", "predict"}),
    "mobilenetv2_a130_max": ("mobilenet_v2", "MobileNetV2", {"alpha": 1.3, "pooling": "max", **_SMALL},
                             {"arch", "predict"}),
    # MobileNetV3
    "mobilenetv3small_top": ("mobilenet_v3", "MobileNetV3Small", {}, {"arch", "summary"}),
    "mobilenetv3large_top": ("mobilenet_v3", "MobileNetV3Large", {}, {"arch"}),
    "mobilenetv3small_min_notop": ("mobilenet_v3", "MobileNetV3Small", {"minimalistic": True, "include_top": False},
                                   {"arch"}),
    "mobilenetv3large_a075_notop": ("mobilenet_v3", "MobileNetV3Large", {"alpha": 0.75, "include_top": False},
                                    {"arch"}),
    "mobilenetv3small_top10": ("mobilenet_v3", "MobileNetV3Small", dict(_TOP10), {"arch", "predict"}),
    "mobilenetv3large_min_avg": ("mobilenet_v3", "MobileNetV3Large", {"minimalistic": True, "pooling": "avg",
                                                                       **_SMALL}, {"arch", "predict"}),
    "mobilenetv3large_a075_nopre_top10": ("mobilenet_v3", "MobileNetV3Large",
                                          {"alpha": 0.75, "include_preprocessing": False, "dropout_rate": 0.0,
                                           **_TOP10}, {"arch", "predict"}),
    # EfficientNet
    **{f"efficientnetb{i}_top": ("efficientnet", f"EfficientNetB{i}", {}, {"arch"}) for i in range(8)},
    "efficientnetb0_notop": ("efficientnet", "EfficientNetB0", {"include_top": False}, {"arch", "summary"}),
    "efficientnetb0_top10": ("efficientnet", "EfficientNetB0", dict(_TOP10), {"arch", "predict"}),
    "efficientnetb3_avg": ("efficientnet", "EfficientNetB3", {"pooling": "avg", **_SMALL}, {"arch", "predict"}),
    # EfficientNetV2
    **{f"efficientnetv2{v.lower()}_top": ("efficientnet_v2", f"EfficientNetV2{v}", {}, {"arch"})
       for v in ("B0", "B1", "B2", "B3", "S", "M", "L")},
    "efficientnetv2b0_notop": ("efficientnet_v2", "EfficientNetV2B0", {"include_top": False}, {"arch", "summary"}),
    "efficientnetv2b0_top10": ("efficientnet_v2", "EfficientNetV2B0", dict(_TOP10), {"arch", "predict"}),
    "efficientnetv2s_max": ("efficientnet_v2", "EfficientNetV2S", {"pooling": "max", **_SMALL}, {"arch", "predict"}),
    "efficientnetv2b1_nopre_avg": ("efficientnet_v2", "EfficientNetV2B1",
                                   {"include_preprocessing": False, "pooling": "avg", **_SMALL},
                                   {"arch", "predict"}),
    # NASNet
    "nasnetmobile_top": ("nasnet", "NASNetMobile", {}, {"arch", "summary"}),
    "nasnetmobile_notop": ("nasnet", "NASNetMobile", {"include_top": False}, {"arch"}),
    "nasnetlarge_top": ("nasnet", "NASNetLarge", {}, {"arch"}),
    "nasnetmobile_top10": ("nasnet", "NASNetMobile", dict(_TOP10), {"arch", "predict"}),
    "nasnetlarge_avg": ("nasnet", "NASNetLarge", {"pooling": "avg", **_SMALL}, {"arch", "predict"}),
}

# How each module's networks want their pixels (Keras's preprocess_input of that module); the predict inputs are
# seeded RGB images in [0, 255] passed through it.
PREPROCESS_MODULES = ("mobilenet", "mobilenet_v2", "mobilenet_v3", "efficientnet", "efficientnet_v2", "nasnet")


def case_seed(case):
    """A seed of its own for each case (stable across runs: not Python's salted hash)."""
    return sum((i + 1) * ord(c) for i, c in enumerate(case)) % 100_000


def raw_images(case, size=PREDICT_SIZE):
    """Two seeded RGB images with values in [0, 255] for ``case``."""
    return np.random.RandomState(case_seed(case)).uniform(0, 255, (2, size, size, 3)).astype("float32")


def rule_weights(model, case):
    """The arrays of ``app_weight_rule`` for ``model.weights``, in order (both libraries' weights have a short
    ``name`` and a ``shape``)."""
    return weight_values([(weight.name, tuple(weight.shape)) for weight in model.weights], seed=case_seed(case))
