"""kerastorch/layers/core.py: the Keras 2 arguments Dense and Lambda still take."""
import numpy as np
import pytest

import kerastorch as keras


def test_dense_accepts_a_numpy_integer_as_units():
    layer = keras.layers.Dense(np.int64(3))
    assert layer.units == 3 and type(layer.units) is int
    assert layer.get_config()["units"] == 3


@pytest.mark.parametrize("units", [0, -2, 2.0, True, np.float32(3)])
def test_dense_refuses_units_that_are_no_positive_integer(units):
    with pytest.raises(ValueError, match="positive integer"):
        keras.layers.Dense(units)


def test_lambda_of_several_inputs_takes_the_batch_size_from_the_first():
    a, b = keras.Input((2,)), keras.Input((2,))
    out = keras.layers.Lambda(lambda t: t[0] + t[1], output_shape=(2,))([a, b])
    assert out.shape == (None, 2)
    fixed = keras.Input((2,), batch_size=4)
    assert keras.layers.Lambda(lambda t: t[0] * t[1], output_shape=(2,))([fixed, fixed]).shape == (4, 2)
