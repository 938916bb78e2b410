"""What the tests of the applications of part A share: Keras 3's fixtures (tools/golden_applications_a.py) and
the checks of an architecture and of predictions against them."""
import numpy as np

import kerastorch as keras
from app_weight_rule import prediction_inputs, weight_values
from golden_loader import golden_json, golden_npz

GOLDEN = golden_json("applications/apps_a.json")
ARRAYS = golden_npz("applications/apps_a.npz")


def summary_text(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "".join(lines)


def weights_digest(model):
    import hashlib
    text = "\n".join(f"{w.name}:{tuple(w.shape)}" for w in model.weights)
    return hashlib.sha1(text.encode()).hexdigest()


def assert_architecture_equals_keras(case, build):
    """Layer names, number of layers, parameter count, output shape and the weights' names and shapes, in
    order, equal Keras's; the summary too where one was recorded."""
    keras.backend.clear_session()
    model = build()
    expected = GOLDEN["models"][case]
    assert [layer.name for layer in model.layers] == expected["layer_names"]
    assert model.count_params() == expected["count_params"]
    assert list(model.output_shape) == expected["output_shape"]
    assert sorted({w.name for w in model.weights}) == expected["weight_names"]
    assert len(model.weights) == expected["weights"]
    assert weights_digest(model) == expected["weights_digest"]
    if f"summary_{case}" in ARRAYS:
        assert summary_text(model) == str(ARRAYS[f"summary_{case}"])
    return model


def assert_predictions_equal_keras(case, builder):
    """With every weight filled by the shared rule, ``predict`` equals Keras's within 1e-4 of the output's
    scale."""
    recorded = GOLDEN["predictions"][case]
    size = recorded["size"]
    keras.backend.clear_session()
    model = builder(weights=None, input_shape=(size, size, 3), **recorded["kwargs"])
    model.set_weights(weight_values([(w.name, tuple(w.shape)) for w in model.weights], seed=recorded["seed"]))
    expected = ARRAYS[f"{case}_y"]
    predictions = model.predict(prediction_inputs(case, size, recorded["seed"]), verbose=0)
    assert predictions.shape == expected.shape
    np.testing.assert_allclose(predictions, expected, rtol=0, atol=1e-4 * np.abs(expected).max())
    return model


def assert_preprocessing_equals_keras(module, preprocess_input):
    images = ARRAYS["preprocess_x"]
    np.testing.assert_allclose(preprocess_input(images.copy()), ARRAYS[f"preprocess_{module}"], rtol=1e-6,
                               atol=1e-5)
    np.testing.assert_allclose(preprocess_input(images.transpose(0, 3, 1, 2).copy(), data_format="channels_first"),
                               ARRAYS[f"preprocess_{module}_cf"], rtol=1e-6, atol=1e-5)
