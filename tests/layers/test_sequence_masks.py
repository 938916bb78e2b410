"""Timestep masks from Embedding(mask_zero) through RepeatVector, GlobalAveragePooling1D and into the loss and the
metrics, against real Keras (tests/golden/layers/sequence_layers.*, tools/golden_sequence_layers.py)."""
import warnings

import numpy as np
import pytest

import kerastorch as keras
from kerastorch import layers
from sequence_golden import CONFIGS, GOLDEN, check_outputs_and_masks, set_recorded_weights


def test_repeat_vector_drops_the_mask_with_keras_warning():
    inputs = keras.Input((3,))
    masked = layers.Masking(name="masking")(inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = keras.Model(inputs, [masked, layers.RepeatVector(2, name="repeat")(masked)])
    check_outputs_and_masks(model, "repeat_vector_mask")
    with pytest.warns(UserWarning, match="does not support masking"):
        layers.RepeatVector(2)(layers.Masking()(GOLDEN["repeat_vector_mask/x0"]))


def test_global_average_pooling_1d_averages_the_unmasked_steps_of_an_embedding():
    inputs = keras.Input((6,), dtype="int32")
    embedded = layers.Embedding(10, 3, mask_zero=True, name="embedding")(inputs)
    check_outputs_and_masks(keras.Model(inputs, layers.GlobalAveragePooling1D(name="pool")(embedded)),
                            "gap1d_embedding_mask")


def masked_tagger():
    model = keras.Sequential([keras.Input((6,), dtype="int32"),
                              layers.Embedding(12, 4, mask_zero=True, name="embedding"),
                              layers.TimeDistributed(layers.Dense(3), name="td")])
    set_recorded_weights(model, "masked_timesteps_fit")
    model.compile(optimizer=keras.optimizers.SGD(0.5),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["sparse_categorical_accuracy"])
    return model


CASE = "masked_timesteps_fit"


def test_loss_and_metric_skip_masked_timesteps_as_in_keras():
    model = masked_tagger()
    values = model.evaluate(GOLDEN[f"{CASE}/x0"], GOLDEN[f"{CASE}/y_true"], batch_size=4, verbose=0)
    np.testing.assert_allclose(values, GOLDEN[f"{CASE}/evaluate_before"], rtol=1e-5, atol=1e-6)


def test_fit_on_masked_timesteps_matches_keras():
    model = masked_tagger()
    x, y = GOLDEN[f"{CASE}/x0"], GOLDEN[f"{CASE}/y_true"]
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert list(history.history) == CONFIGS[CASE]["metrics_names"]
    for key, values in history.history.items():
        np.testing.assert_allclose(values, GOLDEN[f"{CASE}/history/{key}"], rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=4, verbose=0), GOLDEN[f"{CASE}/evaluate"],
                               rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(model.predict(x, batch_size=4, verbose=0), GOLDEN[f"{CASE}/y0"], rtol=2e-4,
                               atol=2e-5)
