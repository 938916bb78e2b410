"""Keras 2's Model.reset_states: every stateful layer of the model, nested ones included, starts again from zeros."""
import warnings

import numpy as np

import kerastorch as keras


def stateful_model():
    inner = keras.Sequential([keras.Input((2, 1), batch_size=1), keras.layers.LSTM(3, stateful=True)])
    inputs = keras.Input((2, 1), batch_size=1)
    return keras.Model(inputs, keras.layers.Dense(1)(inner(inputs)))


def test_reset_states_makes_the_next_prediction_the_first_one_again():
    model = stateful_model()
    x = np.ones((1, 2, 1), "float32")
    first = model.predict(x, verbose=0)
    assert not np.allclose(model.predict(x, verbose=0), first)  # the state carried over
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model.reset_states()
    np.testing.assert_allclose(model.predict(x, verbose=0), first, rtol=1e-6)
