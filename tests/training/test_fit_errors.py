"""Bad input to compile / fit / evaluate: each case gets a clear error (or warning) that names what was wrong."""
import warnings

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import layers

RNG = np.random.default_rng(5)
X = RNG.normal(size=(20, 4)).astype("float32")
Y = RNG.integers(0, 3, size=20)


def model_with(units=3, activation="softmax", loss="sparse_categorical_crossentropy", compiled=True):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(5, activation="relu"),
                              layers.Dense(units, activation=activation)])
    if compiled:
        model.compile("sgd", loss, metrics=["accuracy"])
    return model


# ---- order of calls ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["fit", "evaluate", "train_on_batch", "test_on_batch"])
def test_training_and_evaluating_need_compile_first(method):
    model = model_with(compiled=False)
    with pytest.raises(ValueError, match=r"must call `compile\(\)`"):
        getattr(model, method)(X, Y, **({"verbose": 0} if method in ("fit", "evaluate") else {}))


def test_predict_needs_no_compile():
    assert model_with(compiled=False).predict(X, verbose=0).shape == (20, 3)


# ---- data -------------------------------------------------------------------------------------------------------

def test_x_and_y_of_different_lengths_are_ambiguous():
    with pytest.raises(ValueError, match="Data cardinality is ambiguous") as error:
        model_with().fit(X, Y[:15], verbose=0)
    assert "'x' sizes: 20" in str(error.value) and "'y' sizes: 15" in str(error.value)


def test_sample_weight_of_another_length_is_ambiguous():
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        model_with().fit(X, Y, sample_weight=np.ones(7), verbose=0)


@pytest.mark.parametrize("bad_label", [3, -1, 7])
def test_sparse_labels_outside_the_classes_are_named_with_the_range(bad_label):
    labels = Y.copy()
    labels[-1] = bad_label   # in the last batch: the whole array is checked before training
    with pytest.raises(ValueError, match=rf"label value of {bad_label} .*\[0, 3\)"):
        model_with().fit(X, labels, batch_size=8, verbose=0)


def test_out_of_range_labels_in_validation_data_are_named():
    labels = Y.copy()
    labels[3] = 3
    with pytest.raises(ValueError, match=r"label value of 3 .*\[0, 3\)"):
        model_with().fit(X, Y, validation_data=(X, labels), verbose=0)


def test_out_of_range_labels_in_evaluate_are_named():
    labels = Y.copy()
    labels[-1] = 5
    with pytest.raises(ValueError, match=r"label value of 5 .*\[0, 3\)"):
        model_with().evaluate(X, labels, batch_size=4, verbose=0)


def test_out_of_range_labels_in_a_later_generator_batch_are_named():
    bad = np.full(4, 3)
    batches = iter([(X[:4], Y[:4]), (X[4:8], bad)])
    with pytest.raises(ValueError, match=r"label value of 3 .*\[0, 3\)"):
        model_with().fit(batches, verbose=0)


def test_nan_in_inputs_warns_naming_the_array():
    x = X.copy()
    x[2, 1] = np.nan
    with pytest.warns(RuntimeWarning, match="'x' contains NaN or inf"):
        model_with().fit(x, Y, epochs=1, verbose=0)


def test_inf_in_torch_inputs_warns_too():
    x = torch.from_numpy(X.copy())
    x[0, 0] = float("inf")
    with pytest.warns(RuntimeWarning, match="'x' contains NaN or inf"):
        model_with().evaluate(x, Y, verbose=0)


def test_nan_in_targets_and_validation_data_warns_naming_them():
    targets = RNG.normal(size=(20, 1)).astype("float32")
    targets[4] = np.nan
    with pytest.warns(RuntimeWarning, match="'y' contains NaN"):
        model_with(units=1, activation=None, loss="mse").fit(X, targets, verbose=0)
    x = X.copy()
    x[0, 0] = np.nan
    with pytest.warns(RuntimeWarning, match=r"'validation_data\[0\]' contains NaN"):
        model_with().fit(X, Y, validation_data=(x, Y), verbose=0)


def test_nan_in_the_validation_split_part_warns():
    x = X.copy()
    x[-1, 0] = np.nan
    with pytest.warns(RuntimeWarning, match="'x' contains NaN"):
        model_with().fit(x, Y, validation_split=0.2, verbose=0)


def test_finite_inputs_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model_with().fit(X, Y, verbose=0)


# ---- arguments --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("split", [1.0, 1.5, -0.2])
def test_validation_split_must_be_in_zero_one(split):
    with pytest.raises(ValueError, match=r"`validation_split` must be a float in \[0, 1\)"):
        model_with().fit(X, Y, validation_split=split, verbose=0)


def test_validation_split_is_refused_for_a_generator():
    def batches():
        while True:
            yield X[:4], Y[:4]
    with pytest.raises(ValueError, match="`validation_split` is only supported for Tensors or NumPy arrays"):
        model_with().fit(batches(), steps_per_epoch=2, validation_split=0.2, verbose=0)


def test_validation_split_is_refused_for_a_dataset():
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    with pytest.raises(ValueError, match="validation_split.*Found: x=TensorDataset"):
        model_with().fit(dataset, validation_split=0.2, verbose=0)


def test_validation_data_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match="2 .*or 3 .*Received a tuple of 4"):
        model_with().fit(X, Y, validation_data=(X, Y, None, None), verbose=0)


def test_epochs_must_be_a_non_negative_integer():
    with pytest.raises(ValueError, match="epochs"):
        model_with().fit(X, Y, epochs=-1, verbose=0)


def test_unknown_loss_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="Unknown loss: 'sparse_categorical_crossentropyy'") as error:
        model_with(loss="sparse_categorical_crossentropyy")
    assert "closest first: sparse_categorical_crossentropy" in str(error.value)
    assert "mean_squared_error" in str(error.value)


def test_unknown_metric_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="Unknown metric: 'acuracy'") as error:
        model_with().compile("sgd", "mse", metrics=["acuracy"])
    assert "closest first: accuracy" in str(error.value) and "mean_absolute_error" in str(error.value)


def test_unknown_optimizer_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="Unknown optimizer: 'adamm'") as error:
        model_with().compile("adamm", "mse")
    assert "closest first: adam" in str(error.value) and "rmsprop" in str(error.value)


def test_metrics_must_be_a_list():
    with pytest.raises(ValueError, match="`metrics` argument to be a list"):
        model_with().compile("sgd", "mse", metrics="accuracy")


# ---- shapes -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("loss, targets", [
    ("categorical_crossentropy", np.eye(4, dtype="float32")[RNG.integers(0, 4, size=20)]),
    ("mse", np.zeros((20, 5), dtype="float32")),
    ("binary_crossentropy", np.zeros((20,), dtype="float32")),
])
def test_targets_that_do_not_fit_the_output_name_both_shapes(loss, targets):
    with pytest.raises(ValueError, match="must have the same shape") as error:
        model_with(activation="sigmoid", loss=loss).fit(X, targets, verbose=0)
    assert f"target.shape={targets.shape}, output.shape=(20, 3)" in str(error.value)


def test_one_hot_targets_for_a_sparse_loss_name_both_shapes():
    one_hot = np.eye(3, dtype="float32")[Y]
    with pytest.raises(ValueError, match=r"target.shape=\(20, 3\), output.shape=\(20, 3\)"):
        model_with().fit(X, one_hot, verbose=0)


def test_inputs_of_the_wrong_width_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 4.*\(20, 3\)"):
        model_with().fit(X[:, :3], Y, batch_size=20, verbose=0)


def test_class_weight_with_sample_weight_is_refused():
    with pytest.raises(ValueError, match="cannot `class_weight` and `sample_weight`"):
        model_with().fit(X, Y, sample_weight=np.ones(20), class_weight={0: 2.0}, verbose=0)


def test_empty_generator_is_refused():
    with pytest.raises(ValueError, match="yielded no batches"), pytest.warns(UserWarning, match="ran out of data"):
        model_with().fit(iter([]), verbose=0)
