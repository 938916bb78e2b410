"""Keras 2's model API on kerastorch: the generator methods, predict_classes/predict_proba, history keys and
metrics_names (against tf_keras: tests/golden/models/keras2_model_api.json, tools/golden_keras2_model_api.py),
Model(input=, output=), functional subclasses and the graph attributes Keras 2 programs read."""
import warnings

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import layers
from kerastorch.models.functional import Functional
from golden_loader import golden_json

GOLDEN = golden_json("models/keras2_model_api.json")


def binary_data(samples=16):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(samples, 3)).astype("float32")
    return x, (x[:, :1] > 0).astype("float32")


def binary_model(metrics=("acc",), seed=0):
    torch.manual_seed(seed)
    model = keras.Sequential([layers.Dense(4, activation="relu", input_dim=3), layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=None if metrics is None else list(metrics))
    return model


def batches(x, y, batch_size=8):
    """An endless Keras 2 style generator of (x, y) batches, in order."""
    while True:
        for start in range(0, len(x), batch_size):
            yield x[start:start + batch_size], y[start:start + batch_size]


def quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def length(value):
    return len(value) if isinstance(value, list) else 0


# ---- history keys and metrics_names, as tf_keras ----------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(GOLDEN["history"]))
def test_history_keys_match_tf_keras(case):
    x, y = binary_data()
    model = binary_model(GOLDEN["metric_cases"][case])
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0, validation_data=(x, y))
    assert sorted(history.history) == GOLDEN["history"][case]["history_keys"]


@pytest.mark.parametrize("case", sorted(GOLDEN["history"]))
def test_metrics_names_after_fit_match_tf_keras(case):
    x, y = binary_data()
    model = binary_model(GOLDEN["metric_cases"][case])
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert model.metrics_names == GOLDEN["history"][case]["metrics_names_after_fit"]
    assert [metric.name for metric in model.metrics] == model.metrics_names


@pytest.mark.parametrize("case", sorted(GOLDEN["history"]))
def test_on_batch_and_evaluate_results_have_tf_keras_shape(case):
    x, y = binary_data()
    model = binary_model(GOLDEN["metric_cases"][case])
    expected = GOLDEN["history"][case]
    assert length(model.train_on_batch(x, y)) == expected["train_on_batch_length"]
    assert length(model.test_on_batch(x, y)) == expected["test_on_batch_length"]
    assert length(model.evaluate(x, y, verbose=0)) == expected["evaluate_length"]


def two_output_model(metrics):
    inputs = keras.Input((3,))
    hidden = layers.Dense(4)(inputs)
    model = keras.Model(inputs, [layers.Dense(1, activation="sigmoid", name="gen")(hidden),
                                 layers.Dense(3, activation="softmax", name="aux")(hidden)])
    model.compile("sgd", ["binary_crossentropy", "sparse_categorical_crossentropy"], metrics=metrics)
    return model


@pytest.mark.parametrize("case", sorted(GOLDEN["multi_output"]))
def test_two_output_history_and_metrics_names_match_tf_keras(case):
    x, y = binary_data()
    targets = [y, (x[:, 1] > 0).astype("int64")]
    model = two_output_model(GOLDEN["multi_output_cases"][case])
    expected = GOLDEN["multi_output"][case]
    history = model.fit(x, targets, batch_size=8, epochs=1, verbose=0, validation_data=(x, targets))
    assert sorted(history.history) == expected["history_keys"]
    assert model.metrics_names == expected["metrics_names_after_fit"]
    assert len(model.train_on_batch(x, targets)) == expected["train_on_batch_length"]
    assert len(model.evaluate(x, targets, verbose=0)) == expected["evaluate_length"]


def test_loss_only_train_on_batch_is_a_float():
    x, y = binary_data()
    assert isinstance(binary_model(metrics=None).train_on_batch(x, y), float)


# ---- the generator methods ----------------------------------------------------------------------------------

def test_fit_generator_warns_once_naming_fit():
    x, y = binary_data()
    model = binary_model()
    with pytest.warns(DeprecationWarning, match="`fit_generator` is deprecated: use `fit`, which accepts generators"):
        model.fit_generator(batches(x, y), steps_per_epoch=2, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        model.fit_generator(batches(x, y), steps_per_epoch=2, verbose=0)


def test_fit_generator_trains_as_fit_on_the_same_batches():
    x, y = binary_data()
    legacy, modern = binary_model(seed=3), binary_model(seed=3)
    quietly(legacy.fit_generator, batches(x, y), steps_per_epoch=2, epochs=2, verbose=0)
    modern.fit(batches(x, y), steps_per_epoch=2, epochs=2, verbose=0)
    for got, expected in zip(legacy.get_weights(), modern.get_weights()):
        np.testing.assert_array_equal(got, expected)


def test_fit_generator_accepts_keras_2_loader_arguments():
    x, y = binary_data()
    model = binary_model()
    history = quietly(model.fit_generator, batches(x, y), steps_per_epoch=2, epochs=3, verbose=0,
                      validation_data=batches(x, y), validation_steps=1, class_weight={0: 1.0, 1: 2.0},
                      max_queue_size=4, workers=2, use_multiprocessing=False, shuffle=False, initial_epoch=1)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert history.epoch == [1, 2]


@pytest.mark.parametrize("method, arguments, argument", [
    ("fit_generator", {}, "steps_per_epoch"),
    ("fit_generator", {"steps_per_epoch": 1, "validation_data": "generator"}, "validation_steps"),
    ("evaluate_generator", {}, "steps"), ("predict_generator", {}, "steps")])
def test_generator_without_steps_is_an_error_naming_the_argument(method, arguments, argument):
    x, y = binary_data()
    if arguments.get("validation_data") == "generator":
        arguments = dict(arguments, validation_data=batches(x, y))
    with pytest.raises(ValueError, match=f"`{argument}=None` is only valid for data with a length"):
        quietly(getattr(binary_model(), method), batches(x, y), **arguments)


def test_fit_generator_takes_a_sequence():
    x, y = binary_data()

    class Batches(keras.utils.Sequence):
        def __len__(self):
            return 2

        def __getitem__(self, index):
            return x[index * 8:(index + 1) * 8], y[index * 8:(index + 1) * 8]

    history = quietly(binary_model().fit_generator, Batches(), epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1


def test_evaluate_generator_matches_evaluate():
    x, y = binary_data()
    model = binary_model()
    legacy = quietly(model.evaluate_generator, batches(x, y), steps=2, workers=1)
    np.testing.assert_allclose(legacy, model.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-6)


def test_predict_generator_matches_predict():
    x, y = binary_data()
    model = binary_model()
    legacy = quietly(model.predict_generator, batches(x, y), steps=2, max_queue_size=1)
    np.testing.assert_allclose(legacy, model.predict(x, verbose=0), rtol=1e-6)


# ---- predict_classes / predict_proba ------------------------------------------------------------------------

def model_with_golden_weights(name, units, activation):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(units, activation=activation)])
    model.set_weights([np.asarray(w, dtype="float32") for w in GOLDEN["predict_classes"][name]["weights"]])
    return model


def test_predict_classes_of_softmax_is_argmax_of_tf_keras_prediction():
    model = model_with_golden_weights("softmax", 3, "softmax")
    x = np.asarray(GOLDEN["predict_classes"]["x"], dtype="float32")
    expected = np.argmax(GOLDEN["predict_classes"]["softmax"]["predict"], axis=-1)
    with pytest.warns(DeprecationWarning, match="`predict_classes` is deprecated"):
        np.testing.assert_array_equal(model.predict_classes(x), expected)


def test_predict_classes_of_sigmoid_thresholds_tf_keras_prediction():
    model = model_with_golden_weights("sigmoid", 1, "sigmoid")
    x = np.asarray(GOLDEN["predict_classes"]["x"], dtype="float32")
    expected = (np.asarray(GOLDEN["predict_classes"]["sigmoid"]["predict"]) > 0.5).astype("int32")
    classes = quietly(model.predict_classes, x)
    assert classes.dtype == np.int32 and classes.shape == (len(x), 1)
    np.testing.assert_array_equal(classes, expected)


def test_predict_proba_is_the_prediction():
    model = model_with_golden_weights("softmax", 3, "softmax")
    x = np.asarray(GOLDEN["predict_classes"]["x"], dtype="float32")
    np.testing.assert_allclose(quietly(model.predict_proba, x), GOLDEN["predict_classes"]["softmax"]["predict"],
                               rtol=1e-5, atol=1e-6)


def test_predict_proba_warns_when_outputs_are_no_probabilities():
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1, kernel_initializer="ones")])
    with pytest.warns(UserWarning, match="outside \\[0, 1\\]"):
        model.predict_proba(np.full((2, 2), 5.0, dtype="float32"))


# ---- functional models the Keras 2 way ----------------------------------------------------------------------

def test_model_singular_input_output_names_build_a_functional_model():
    inputs = keras.Input((3,))
    outputs = layers.Dense(2)(inputs)
    with pytest.warns(DeprecationWarning, match=r"`Model\(input=..., output=...\)` is deprecated"):
        model = keras.Model(input=inputs, output=outputs)
    assert isinstance(model, Functional) and model.inputs == [inputs] and model.outputs == [outputs]


def test_model_with_both_input_and_inputs_is_an_error():
    inputs = keras.Input((3,))
    with pytest.raises(ValueError, match="either `inputs` or Keras 2's `input`"):
        keras.Model(inputs, layers.Dense(2)(inputs), input=inputs)


def test_functional_subclass_calling_super_init_positionally():
    class Classifier(keras.Model):
        def __init__(self, units):
            inputs = keras.Input((3,))
            outputs = layers.Dense(units, activation="softmax")(layers.Dense(4)(inputs))
            super().__init__(inputs, outputs)
            self.units = units

    model = Classifier(2)
    assert isinstance(model, Functional) and model.units == 2 and len(model.layers) == 3
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = binary_data()
    model.fit(x, y[:, 0].astype("int64"), epochs=1, verbose=0)
    assert model.predict(x, verbose=0).shape == (16, 2)


def test_functional_subclass_calling_super_init_with_keywords():
    class Encoder(keras.Model):
        def __init__(self, **kwargs):
            inputs = keras.Input((3,))
            super(Encoder, self).__init__(inputs=inputs, outputs=layers.Dense(2)(inputs), **kwargs)

    model = Encoder(name="encoder")
    assert model.name == "encoder" and model(np.zeros((1, 3), dtype="float32")).shape == (1, 2)


def test_nested_model_layer_has_input_and_output():
    inputs = keras.Input((3,))
    inner = keras.Model(inputs, layers.Dense(2)(inputs), name="inner")
    outer_inputs = keras.Input((3,))
    outer = keras.Model(outer_inputs, layers.Dense(1)(inner(outer_inputs)))
    assert outer.layers[1] is inner
    assert outer.layers[1].input is inputs and tuple(outer.layers[1].output.shape) == (None, 2)


def test_get_layer_output_feeds_a_new_model():
    x, _ = binary_data()
    model = binary_model()
    features = keras.Model(inputs=model.input, outputs=model.get_layer(index=0).output)
    expected = np.maximum(x @ model.layers[0].get_weights()[0] + model.layers[0].get_weights()[1], 0)
    np.testing.assert_allclose(features.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_inner_model_layer_output_feeds_a_new_model():
    inputs = keras.Input((3,))
    hidden = layers.Dense(4, name="hidden")(inputs)
    inner = keras.Model(inputs, layers.Dense(2)(hidden), name="inner")
    features = keras.Model(inner.input, inner.get_layer("hidden").output)
    assert features.predict(np.zeros((2, 3), dtype="float32"), verbose=0).shape == (2, 4)


# ---- Keras 2's input arguments on the first layer -----------------------------------------------------------

def test_first_dense_input_dim_builds_the_sequential():
    model = quietly(keras.Sequential, [layers.Dense(2, input_dim=5)])
    assert model.built and model.input_shape == (None, 5) and model.count_params() == 12


def test_embedding_input_length_declares_the_input():
    model = quietly(keras.Sequential, [layers.Embedding(10, 3, input_length=7), layers.Flatten()])
    assert model.output_shape == (None, 21)


def test_lstm_input_length_and_input_dim_declare_the_input():
    model = quietly(keras.Sequential, [layers.LSTM(4, input_length=6, input_dim=3)])
    assert model.input_shape == (None, 6, 3) and model.output_shape == (None, 4)


def test_lstm_input_dim_alone_leaves_timesteps_free():
    model = quietly(keras.Sequential, [layers.SimpleRNN(2, input_dim=3, return_sequences=True)])
    assert model.input_shape == (None, None, 3)


# ---- Keras 2's per-layer graph accessors ------------------------------------------------------------------

def test_layer_input_and_output_shape_of_a_called_layer():
    dense = layers.Dense(2)
    dense(keras.Input((3,)))
    assert dense.input_shape == (None, 3) and dense.output_shape == (None, 2)


def test_layer_output_shape_lists_the_shapes_of_several_outputs():
    lstm = layers.LSTM(3, return_state=True)
    lstm(keras.Input((5, 2)))
    assert lstm.output_shape == [(None, 3), (None, 3), (None, 3)]


def test_get_output_at_gives_each_call():
    dense = layers.Dense(2)
    first, second = keras.Input((3,)), keras.Input((3,))
    outputs = [dense(first), dense(second)]
    assert dense.get_output_at(1) is outputs[1] and dense.get_input_at(1) is second
    assert dense.get_input_shape_at(0) == (None, 3) and dense.get_output_shape_at(1) == (None, 2)


def test_get_output_at_a_node_that_does_not_exist_names_the_range():
    dense = layers.Dense(2)
    dense(keras.Input((3,)))
    with pytest.raises(ValueError, match=r"at node 1, but it has 1 inbound node\(s\)"):
        dense.get_output_at(1)


def test_output_shape_of_a_layer_called_on_different_shapes_is_an_error():
    dense = layers.Dense(2)
    dense(keras.Input((3,)))
    dense(keras.Input((4, 3)))
    with pytest.raises(AttributeError, match="called on inputs of different shapes"):
        dense.output_shape  # noqa: B018


def test_output_of_a_layer_never_called_says_so():
    with pytest.raises(AttributeError, match="has never been called"):
        layers.Dense(2).output  # noqa: B018


def test_fit_evaluate_predict_accept_tf_keras_2_loader_arguments():
    x, y = binary_data()
    model = binary_model()
    with pytest.warns(DeprecationWarning, match=r"`fit\(workers=..., use_multiprocessing=...\)` is deprecated: use "
                                                r"`keras.utils.PyDataset"):
        model.fit(x, y, epochs=1, verbose=0, workers=4, use_multiprocessing=True)
    loss, accuracy = quietly(model.evaluate, x, y, verbose=0, max_queue_size=4)
    assert quietly(model.predict, x, verbose=0, workers=2).shape == (16, 1)
