"""Architectures of the saved files under tests/golden/saving/ (written by tools/golden_saving.py under Keras), for
tests that load or mutate those files."""
import kerastorch as keras


def interop_architecture():
    """The functional model of keras3_functional.keras / .weights.h5 and keras2_weights.h5: a conv with batch
    normalization and a 1x1 shortcut, added, then a nested Sequential head."""
    inputs = keras.Input((8, 8, 3), name="image")
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    x = keras.layers.BatchNormalization()(x)
    shortcut = keras.layers.Conv2D(4, 1)(inputs)
    x = keras.layers.Flatten()(keras.layers.Add()([x, shortcut]))
    head = keras.Sequential([keras.Input((256,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dropout(0.5)])
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(head(x)))
