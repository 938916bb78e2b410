"""The checks that the MobileNet / EfficientNet / NASNet tests run per case of apps_b_cases.py, against the fixtures
of tools/golden_applications_b.py."""
import importlib

import numpy as np

import kerastorch as keras
from apps_b_cases import CASES, rule_weights
from golden_loader import golden_json, golden_npz

GOLDEN = golden_json("applications/apps_b.json")
ARRAYS = golden_npz("applications/apps_b.npz")


def cases_of(module, what):
    """The names of the cases of ``module`` that record ``what``."""
    return sorted(case for case, (mod, _, _, recorded) in CASES.items() if mod == module and what in recorded)


def build(case):
    """The kerastorch model of ``case``, in a fresh session (so that automatic layer names count from zero, as in
    the recorder)."""
    module, builder, kwargs, _ = CASES[case]
    keras.backend.clear_session()
    application = getattr(importlib.import_module(f"kerastorch.applications.{module}"), builder)
    return application(weights=None, **kwargs)


def summary_text(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "".join(lines)


def check_architecture(case):
    model = build(case)
    expected = GOLDEN["cases"][case]
    assert model.name == expected["name"]
    assert [layer.name for layer in model.layers] == expected["layer_names"]
    assert model.count_params() == expected["count_params"]
    assert list(model.output_shape) == expected["output_shape"]
    return model


def check_summary(case):
    assert summary_text(build(case)) == GOLDEN["cases"][case]["summary"]


def check_predictions(case):
    """The case's model with the rule's weights predicts Keras's outputs within 1e-4 of their scale."""
    model = build(case)
    model.set_weights(rule_weights(model, case))
    expected = ARRAYS[f"{case}/y"]
    predictions = model.predict(ARRAYS[f"{case}/x"], verbose=0)
    assert predictions.shape == expected.shape
    np.testing.assert_allclose(predictions, expected, rtol=1e-4, atol=1e-4 * float(np.abs(expected).max()))


def check_preprocess_input(module):
    preprocess = importlib.import_module(f"kerastorch.applications.{module}").preprocess_input
    x = ARRAYS[f"preprocess/{module}/x"]
    np.testing.assert_allclose(preprocess(x.copy()), ARRAYS[f"preprocess/{module}/y"], rtol=1e-6, atol=1e-6)
