"""One-hot bool targets (Keras 2's examples build them with np.zeros(..., dtype=bool)) work with the accuracies."""
import numpy as np
import pytest

import kerastorch as keras


def test_categorical_accuracy_of_one_hot_bool_targets_equals_that_of_float_ones():
    y_true = np.array([[True, False, False], [False, False, True], [False, True, False]])
    y_pred = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.5, 0.3]], "float32")
    as_bool, as_float = keras.metrics.CategoricalAccuracy(), keras.metrics.CategoricalAccuracy()
    as_bool.update_state(y_true, y_pred)
    as_float.update_state(y_true.astype("float32"), y_pred)
    assert float(as_bool.result()) == float(as_float.result())
    assert float(as_bool.result()) == pytest.approx(2 / 3)


def test_a_model_trains_on_one_hot_bool_inputs_and_targets_with_accuracy():
    x = np.zeros((6, 4, 3), bool)
    x[:, 0, 1] = True
    y = np.zeros((6, 3), bool)
    y[:, 2] = True
    model = keras.Sequential([keras.Input((4, 3)), keras.layers.LSTM(4), keras.layers.Dense(3, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=3, epochs=1, verbose=0)
    assert 0.0 <= history.history["accuracy"][0] <= 1.0
