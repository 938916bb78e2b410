"""A monitored name the model does not log but that says "acc" (Keras 2's 'val_acc' for a metric named 'accuracy',
as in Keras 2.3's examples) is maximized in auto mode, as Keras 2 decided; other unknown names stay an error."""
import operator

import numpy as np
import pytest

import kerastorch as keras


def compiled_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    x = np.random.RandomState(0).rand(8, 3).astype("float32")
    return x, keras.utils.to_categorical(np.arange(8) % 2, 2)


def test_val_acc_is_maximized_in_auto_mode():
    callback = keras.callbacks.EarlyStopping(monitor="val_acc")
    callback.set_model(compiled_model())
    callback._set_monitor_op()
    assert callback.monitor_op is operator.gt


def test_a_checkpoint_watching_val_acc_of_an_accuracy_metric_runs_and_warns(tmp_path):
    x, y = data()
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), monitor="val_acc",
                                                 save_best_only=True)
    with pytest.warns(UserWarning, match="val_acc available"):
        compiled_model().fit(x, y, epochs=1, validation_data=(x, y), callbacks=[checkpoint], verbose=0)


def test_another_unknown_name_is_still_refused():
    callback = keras.callbacks.EarlyStopping(monitor="val_sharpness")
    callback.set_model(compiled_model())
    with pytest.raises(ValueError, match="val_sharpness"):
        callback._set_monitor_op()
