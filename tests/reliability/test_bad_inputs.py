"""Malformed user input: each case gets a ValueError that names the argument, what was received and what was
expected, instead of an error from deep inside torch, a silent 0.0, or an empty result.

Where Keras 3.15's message is clear, the match is on its words (recorded by hand from /work/kvenv, torch
backend); elsewhere Keras raises an unrelated error (``Invalid dtype: object``, a ZeroDivisionError, an
IndexError from the kernel) or nothing, and the message here is kerastorch's own.
"""
import os

import numpy as np
import pytest

import kerastorch as keras
from kerastorch import layers

RNG = np.random.default_rng(12)
X = RNG.random((8, 3)).astype("float32")
Y = RNG.random((8, 2)).astype("float32")
EMPTY_X = np.zeros((0, 3), "float32")
EMPTY_Y = np.zeros((0, 2), "float32")


def regressor(loss="mse", activation=None):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation=activation, name="out")])
    model.compile("sgd", loss)
    return model


# ---- empty arrays ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda m: m.fit(EMPTY_X, EMPTY_Y, verbose=0),
    lambda m: m.evaluate(EMPTY_X, EMPTY_Y, verbose=0),
    lambda m: m.predict(EMPTY_X, verbose=0),
    lambda m: m.train_on_batch(EMPTY_X, EMPTY_Y),
], ids=["fit", "evaluate", "predict", "train_on_batch"])
def test_empty_arrays_are_refused_as_having_no_samples(call):
    with pytest.raises(ValueError, match=r"`x` has no samples.*shape \(0, 3\)"):
        call(regressor())


def test_empty_validation_arrays_are_refused_naming_validation_data():
    with pytest.raises(ValueError, match=r"`validation_data\[0\]` has no samples"):
        regressor().fit(X, Y, validation_data=(EMPTY_X, EMPTY_Y), verbose=0)


# ---- validation_data -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("validation_data", [X, {"a": X}, (X,), [X]], ids=["array", "dict", "1-tuple", "1-list"])
def test_validation_data_without_targets_is_refused(validation_data):
    with pytest.raises(ValueError, match=r"`validation_data`.*\(x_val, y_val\)"):
        regressor().fit(X, Y, validation_data=validation_data, verbose=0)


def test_validation_data_with_none_targets_says_targets_are_missing():
    with pytest.raises(ValueError, match=r"[Tt]argets are missing"):
        regressor().fit(X, Y, validation_data=(X, None), verbose=0)


# ---- missing targets -------------------------------------------------------------------------------------------

def test_fit_without_y_when_the_loss_needs_targets_says_targets_are_missing():
    with pytest.raises(ValueError, match=r"[Tt]argets are missing.*loss"):
        regressor().fit(X, epochs=1, verbose=0)


def test_a_generator_without_targets_for_a_loss_says_targets_are_missing():
    def inputs_only():
        while True:
            yield (X,)
    with pytest.raises(ValueError, match=r"[Tt]argets are missing"):
        regressor().fit(inputs_only(), steps_per_epoch=2, verbose=0)


def test_fit_without_y_is_fine_for_a_model_that_computes_its_own_loss():
    class OwnLoss(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return (y_pred ** 2).mean()
    model = OwnLoss()
    model.compile("sgd", "mse")
    assert np.isfinite(model.fit(X, epochs=1, verbose=0).history["loss"][0])


# ---- structures the model cannot take ----------------------------------------------------------------------------

def test_a_dict_x_for_a_sequential_model_is_refused():
    with pytest.raises(ValueError, match=r"Sequential.*single input.*dict"):
        regressor().fit({"a": X}, Y, verbose=0)


def test_a_generator_yielding_none_is_refused_as_keras_refuses_it():
    def nones():
        while True:
            yield None
    with pytest.raises(ValueError, match=r"the generator must return a tuple.*Received: None"):
        regressor().fit(nones(), steps_per_epoch=2, verbose=0)


@pytest.mark.parametrize("argument", ["y", "sample_weight"])
def test_string_targets_or_weights_are_reported_under_their_own_name(argument):
    strings = np.array(["a"] * 8)
    kwargs = {"y": Y, argument: strings}
    with pytest.raises(ValueError, match=rf"Unsupported data in '{argument}'.*<U1"):
        regressor().fit(X, verbose=0, **kwargs)


def test_a_loss_dict_with_a_wrong_key_for_a_single_output_names_the_output():
    with pytest.raises(ValueError, match=r"Expected keys \['out'\] in loss dict, but found "
                                         r"loss.keys\(\)=\['wrong'\]"):
        regressor(loss={"wrong": "mse"}).fit(X, Y, verbose=0)


def test_a_loss_dict_keyed_by_the_single_outputs_name_trains_as_in_keras():
    history = regressor(loss={"out": "mse"}).fit(X, Y, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# ---- weights, checkpoints, dtypes ------------------------------------------------------------------------------

def test_loading_weights_into_an_unbuilt_model_says_to_build_it_first(tmp_path):
    path = str(tmp_path / "m.weights.h5")
    pytest.importorskip("h5py")
    regressor().save_weights(path)
    unbuilt = keras.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match=r"loading weights into a model that has not yet been built"):
        unbuilt.load_weights(path)


def test_a_checkpoint_path_under_a_file_is_refused_at_construction(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(ValueError, match=r"filepath=.*file.*not a directory"):
        keras.callbacks.ModelCheckpoint(os.path.join(str(a_file), "sub", "m.keras"))


@pytest.mark.parametrize("make", [lambda: keras.Input((3,), dtype="float33"),
                                  lambda: layers.InputLayer(shape=(3,), dtype="float33")], ids=["Input", "InputLayer"])
def test_an_unknown_input_dtype_is_refused_by_name(make):
    with pytest.raises(ValueError, match=r"Invalid dtype.*float33"):
        make()


# ---- steps and frequencies -------------------------------------------------------------------------------------

def test_predict_with_zero_steps_is_refused():
    with pytest.raises(ValueError, match=r"`steps`.*positive integer.*Received: steps=0"):
        regressor().predict(X, steps=0, verbose=0)


def test_fit_with_zero_steps_per_epoch_is_refused():
    with pytest.raises(ValueError, match=r"`steps_per_epoch`.*Received: steps_per_epoch=0"):
        regressor().fit(X, Y, steps_per_epoch=0, verbose=0)


@pytest.mark.parametrize("freq", [0, -1, [0, 2], 1.5])
def test_a_bad_validation_freq_is_refused(freq):
    with pytest.raises(ValueError, match=r"`validation_freq`.*Received: validation_freq="):
        regressor().fit(X, Y, validation_data=(X, Y), validation_freq=freq, epochs=2, verbose=0)


# ---- layer arguments -------------------------------------------------------------------------------------------

def test_softmax_on_an_axis_beyond_the_inputs_rank_is_refused():
    with pytest.raises(ValueError, match=r"`axis`.*Received: axis=3.*rank 2"):
        layers.Softmax(axis=3)(X)


@pytest.mark.parametrize("noise_shape", [(8, 3, 1), (8, 5)], ids=["rank", "dims"])
def test_a_dropout_noise_shape_that_does_not_fit_the_input_is_refused(noise_shape):
    with pytest.raises(ValueError, match=r"`noise_shape`.*Received: noise_shape="):
        layers.Dropout(0.5, noise_shape=noise_shape)(X, training=True)


def test_a_dropout_noise_shape_of_non_integers_is_refused_at_construction():
    with pytest.raises(ValueError, match=r"`noise_shape`"):
        layers.Dropout(0.5, noise_shape=(8, "a"))


def test_a_dropout_noise_shape_that_broadcasts_still_works():
    out = layers.Dropout(0.5, noise_shape=(None, 1), seed=1)(X, training=True)
    kept = (out.detach().numpy() != 0)
    assert (kept == kept[:, :1]).all()


@pytest.mark.parametrize("momentum", [5.0, -0.1])
def test_batch_normalization_momentum_outside_0_1_is_refused(momentum):
    with pytest.raises(ValueError, match=rf"`momentum`.*\[0, 1\].*Received: momentum={momentum}"):
        layers.BatchNormalization(momentum=momentum)


# ---- label ranges ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_crossentropy_labels_outside_0_1_are_refused(from_logits):
    model = regressor(loss=keras.losses.BinaryCrossentropy(from_logits=from_logits),
                      activation=None if from_logits else "sigmoid")
    with pytest.raises(ValueError, match=r"label value of 5.*\[0, 1\].*binary_crossentropy"):
        model.fit(X, np.full((8, 2), 5.0, "float32"), verbose=0)


def test_binary_crossentropy_labels_checked_over_all_arrays_not_only_the_first_batch():
    labels = np.zeros((8, 2), "float32")
    labels[-1, 0] = -1.0
    model = regressor(loss="binary_crossentropy", activation="sigmoid")
    with pytest.raises(ValueError, match=r"label value of -1"):
        model.fit(X, labels, batch_size=2, verbose=0)


def test_binary_crossentropy_soft_labels_inside_0_1_train():
    model = regressor(loss="binary_crossentropy", activation="sigmoid")
    assert np.isfinite(model.fit(X, Y, verbose=0).history["loss"][0])
