"""3 epochs of fit of a small masked Transformer classifier (MultiHeadAttention, then a causal GroupQueryAttention)
from Keras's initial weights: History, trained weights and predictions as Keras 3.15's within 2e-4
(tests/golden/layers/attention.npz, `fit/...`)."""
import warnings

import numpy as np
import pytest

import kerastorch as keras
from golden_loader import golden_npz

from attention_cases import transformer_classifier

GOLDEN = golden_npz("layers/attention.npz")


@pytest.fixture(scope="module")
def fitted():
    model = transformer_classifier(keras)
    for layer in model.layers:
        prefix = f"fit/w/{layer.name}/"
        count = sum(1 for k in GOLDEN if k.startswith(prefix))
        if count:
            layer.set_weights([GOLDEN[f"{prefix}{i}"] for i in range(count)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = model.fit(GOLDEN["fit/x0"], GOLDEN["fit/y_true"], batch_size=8, epochs=3, shuffle=False,
                            verbose=0)
    return model, history


def test_history_matches_keras(fitted):
    _, history = fitted
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(history.history[key], GOLDEN[f"fit/history/{key}"], atol=2e-4)


def test_trained_weights_match_keras(fitted):
    model, _ = fitted
    weights = model.get_weights()
    assert len(weights) == sum(1 for k in GOLDEN if k.startswith("fit/trained/"))
    for i, weight in enumerate(weights):
        np.testing.assert_allclose(weight, GOLDEN[f"fit/trained/{i}"], atol=2e-4)


def test_predictions_match_keras(fitted):
    model, _ = fitted
    np.testing.assert_allclose(model.predict(GOLDEN["fit/x0"], verbose=0), GOLDEN["fit/y"], atol=2e-4)
