"""fit / evaluate / predict end to end: what they accept, how they batch and validate, and what they return."""
import warnings

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import backend, callbacks, layers, optimizers

NUM_SAMPLES, NUM_FEATURES, NUM_CLASSES = 24, 4, 3
RNG = np.random.default_rng(3)
X = RNG.normal(size=(NUM_SAMPLES, NUM_FEATURES)).astype("float32")
Y = RNG.integers(0, NUM_CLASSES, size=NUM_SAMPLES)


def classifier(seed=0, metrics=("accuracy",), optimizer=None, hidden=None):
    """A small softmax classifier whose initial weights depend only on ``seed``."""
    backend.set_random_seed(seed)
    model = keras.Sequential([keras.Input((NUM_FEATURES,)), hidden or layers.Dense(8, activation="relu"),
                              layers.Dense(NUM_CLASSES, activation="softmax")])
    model.compile(optimizer or optimizers.SGD(learning_rate=0.1), "sparse_categorical_crossentropy",
                  metrics=list(metrics))
    return model


def assert_same_weights(model_a, model_b, atol=1e-6):
    for a, b in zip(model_a.get_weights(), model_b.get_weights()):
        np.testing.assert_allclose(a, b, atol=atol)


class AddInputs(layers.Layer):
    def call(self, inputs):
        return inputs[0] + inputs[1]


def two_input_model():
    backend.set_random_seed(0)
    input_a, input_b = keras.Input((NUM_FEATURES,), name="a"), keras.Input((2,), name="b")
    merged = AddInputs()([layers.Dense(5)(input_a), layers.Dense(5)(input_b)])
    model = keras.Model([input_a, input_b], layers.Dense(NUM_CLASSES, activation="softmax")(merged))
    model.compile(optimizers.SGD(learning_rate=0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


X_B = RNG.normal(size=(NUM_SAMPLES, 2)).astype("float32")


# ---- what fit accepts -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float16", "int32", "int64", "uint8", "bool"])
def test_fit_accepts_numpy_of_any_numeric_dtype(dtype):
    model = classifier()
    history = model.fit((X * 3).astype(dtype), Y.astype("int32"), batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_float64_inputs_train_exactly_as_float32():
    reference, model = classifier(), classifier()
    expected = reference.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    assert model.fit(X.astype("float64"), Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history == expected
    assert_same_weights(model, reference, atol=0)


def test_torch_tensors_train_like_numpy():
    reference, model = classifier(), classifier()
    expected = reference.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    history = model.fit(torch.from_numpy(X), torch.from_numpy(Y), batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert history.history == expected


class ArrayBatches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[rows], self.y[rows]


def endless_batches(batch_size):
    while True:
        for start in range(0, NUM_SAMPLES, batch_size):
            yield X[start:start + batch_size], Y[start:start + batch_size]


TENSORS = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
SOURCES = {
    "dataset": lambda: dict(x=TENSORS, batch_size=8, shuffle=False),
    "dataloader": lambda: dict(x=torch.utils.data.DataLoader(TENSORS, batch_size=8)),
    "generator": lambda: dict(x=endless_batches(8), steps_per_epoch=3),
    "pydataset": lambda: dict(x=ArrayBatches(X, Y, 8), shuffle=False),
}


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_other_sources_train_like_the_same_batches_of_arrays(source):
    reference, model = classifier(), classifier()
    expected = reference.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    history = model.fit(epochs=2, verbose=0, **SOURCES[source]())
    for key in expected:
        np.testing.assert_allclose(history.history[key], expected[key], atol=1e-6)
    assert_same_weights(model, reference)


def test_lists_and_dicts_of_inputs_train_alike():
    by_list, by_dict = two_input_model(), two_input_model()
    expected = by_list.fit([X, X_B], Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    assert by_dict.fit({"a": X, "b": X_B}, Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history == expected
    assert_same_weights(by_list, by_dict, atol=0)


def test_two_input_model_predicts_from_a_list_or_a_dict():
    model = two_input_model()
    np.testing.assert_allclose(model.predict([X, X_B], verbose=0), model.predict({"a": X, "b": X_B}, verbose=0))


# ---- validation -------------------------------------------------------------------------------------------------

def test_validation_data_pair_is_evaluated_after_each_epoch():
    model = classifier()
    history = model.fit(X[:16], Y[:16], validation_data=(X[16:], Y[16:]), batch_size=8, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == len(history.history["val_accuracy"]) == 2
    final = model.evaluate(X[16:], Y[16:], verbose=0, return_dict=True)
    assert history.history["val_loss"][-1] == pytest.approx(final["loss"], abs=1e-6)
    assert history.history["val_accuracy"][-1] == pytest.approx(final["accuracy"], abs=1e-6)


def test_validation_data_triple_uses_its_sample_weights():
    weights = np.linspace(0.1, 2.0, 8).astype("float32")
    model = classifier()
    history = model.fit(X[:16], Y[:16], validation_data=(X[16:], Y[16:], weights), epochs=1, verbose=0)
    weighted = model.evaluate(X[16:], Y[16:], sample_weight=weights, verbose=0)[0]
    unweighted = model.evaluate(X[16:], Y[16:], verbose=0)[0]
    assert history.history["val_loss"][-1] == pytest.approx(weighted, abs=1e-6)
    assert weighted != pytest.approx(unweighted, abs=1e-4)


def test_validation_split_holds_out_the_last_samples_even_when_shuffling():
    model = classifier()
    history = model.fit(X, Y, validation_split=0.25, shuffle=True, batch_size=5, epochs=2, verbose=0)
    # 18 training samples in batches of 5: 4 steps per epoch.
    assert int(model.optimizer.iterations) == 8
    tail = model.evaluate(X[18:], Y[18:], verbose=0)[0]
    assert history.history["val_loss"][-1] == pytest.approx(tail, abs=1e-6)


def test_validation_batch_size_and_steps_are_honoured():
    seen = []
    model = classifier()
    watcher = callbacks.LambdaCallback(on_test_batch_end=lambda batch, logs: seen.append(batch))
    model.fit(X[:16], Y[:16], validation_data=(X[16:], Y[16:]), validation_batch_size=3, epochs=1, verbose=0,
              callbacks=[watcher])
    assert seen == [0, 1, 2]
    seen.clear()
    model.fit(X[:16], Y[:16], validation_data=(X[16:], Y[16:]), validation_batch_size=3, validation_steps=2,
              epochs=1, verbose=0, callbacks=[watcher])
    assert seen == [0, 1]


@pytest.mark.parametrize("validation_freq, validated", [(1, [1, 2, 3, 4]), (2, [2, 4]), ([1, 3], [1, 3])])
def test_validation_freq_chooses_the_validated_epochs(validation_freq, validated):
    epochs_with_val = []
    watcher = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: "val_loss" in logs and epochs_with_val.append(epoch + 1))
    history = classifier().fit(X[:16], Y[:16], validation_data=(X[16:], Y[16:]), validation_freq=validation_freq,
                               epochs=4, verbose=0, callbacks=[watcher])
    assert epochs_with_val == validated
    assert len(history.history["val_loss"]) == len(validated) and len(history.history["loss"]) == 4


# ---- batching, shuffling, steps ---------------------------------------------------------------------------------

def test_the_last_partial_batch_is_trained_on():
    sizes = []
    model = classifier()
    original_step = model._get_trainer().train_step

    def recording_step(x, y, sample_weight):
        sizes.append(len(y))
        return original_step(x, y, sample_weight)
    model._get_trainer().train_step = recording_step
    model.fit(X, Y, batch_size=10, epochs=1, verbose=0)
    assert sizes == [10, 10, 4]


def test_set_random_seed_makes_shuffled_runs_identical():
    runs = []
    for _ in range(2):
        model = classifier(seed=5)
        history = model.fit(X, Y, batch_size=6, epochs=3, shuffle=True, verbose=0).history
        runs.append((history, model.get_weights()))
    assert runs[0][0] == runs[1][0]
    assert_same_weights_lists(runs[0][1], runs[1][1])


def assert_same_weights_lists(a, b):
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)


def test_shuffling_changes_the_order_of_training():
    shuffled, ordered = classifier(), classifier()
    backend.set_random_seed(11)
    shuffled.fit(X, Y, batch_size=6, epochs=2, shuffle=True, verbose=0)
    ordered.fit(X, Y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    assert any(not np.allclose(a, b) for a, b in zip(shuffled.get_weights(), ordered.get_weights()))


def test_steps_per_epoch_limits_the_steps_of_each_epoch():
    model = classifier()
    history = model.fit(X, Y, batch_size=4, steps_per_epoch=2, epochs=3, verbose=0)
    assert int(model.optimizer.iterations) == 6 and len(history.history["loss"]) == 3


def test_a_generator_that_runs_out_stops_training_with_a_warning():
    batches = iter([(X[:8], Y[:8])] * 3)
    model = classifier()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(batches, steps_per_epoch=2, epochs=5, verbose=0)
    assert int(model.optimizer.iterations) == 3 and len(history.history["loss"]) == 2


def test_initial_epoch_resumes_the_epoch_count():
    model = classifier()
    history = model.fit(X, Y, batch_size=8, epochs=4, initial_epoch=2, verbose=0)
    assert history.epoch == [2, 3]
    assert int(model.optimizer.iterations) == 6


def test_iterations_count_steps_across_fit_calls():
    model = classifier()
    assert int(model.optimizer.iterations) == 0
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0)
    model.fit(X, Y, batch_size=12, epochs=1, verbose=0)
    assert int(model.optimizer.iterations) == 3 * 2 + 2


def test_stop_training_ends_fit_after_the_current_batch():
    model = classifier()

    def stop_at_second_batch(batch, logs):
        if batch == 1:
            model.stop_training = True
    history = model.fit(X, Y, batch_size=4, epochs=3, verbose=0,
                        callbacks=[callbacks.LambdaCallback(on_train_batch_end=stop_at_second_batch)])
    assert int(model.optimizer.iterations) == 2 and len(history.history["loss"]) == 1


# ---- train and eval modes ---------------------------------------------------------------------------------------

def test_dropout_is_active_only_when_training():
    backend.set_random_seed(0)
    model = keras.Sequential([keras.Input((1000,)), layers.Dropout(0.5)])
    ones = torch.ones(2, 1000)
    trained = model(ones, training=True)
    assert set(torch.unique(trained).tolist()) == {0.0, 2.0}
    assert torch.equal(model(ones, training=False), ones)
    assert torch.equal(model(ones), ones)


def test_fit_trains_in_train_mode_and_validates_in_eval_mode():
    modes = {"train": set(), "test": set(), "predict": set()}
    model = classifier(hidden=layers.Dropout(0.3))
    watcher = callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: modes["train"].add(model.training),
        on_test_batch_begin=lambda batch, logs: modes["test"].add(model.training),
        on_predict_batch_begin=lambda batch, logs: modes["predict"].add(model.training))
    model.fit(X[:16], Y[:16], validation_data=(X[16:], Y[16:]), epochs=1, verbose=0, callbacks=[watcher])
    model.predict(X, verbose=0, callbacks=[watcher])
    assert modes == {"train": {True}, "test": {False}, "predict": {False}}
    assert not model.training


def test_predict_and_evaluate_are_deterministic_with_dropout():
    model = classifier(hidden=layers.Dropout(0.5))
    model.fit(X, Y, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.predict(X, verbose=0), model.predict(X, verbose=0))
    assert model.evaluate(X, Y, verbose=0) == model.evaluate(X, Y, verbose=0)


# ---- predict ----------------------------------------------------------------------------------------------------

def test_predict_returns_numpy_in_sample_order_whatever_the_batch_size():
    model = classifier()
    whole = model.predict(X, batch_size=NUM_SAMPLES, verbose=0)
    assert isinstance(whole, np.ndarray) and whole.dtype == np.float32 and whole.shape == (NUM_SAMPLES, NUM_CLASSES)
    np.testing.assert_allclose(model.predict(X, batch_size=5, verbose=0), whole, atol=1e-6)
    np.testing.assert_allclose(model.predict(torch.from_numpy(X), verbose=0), whole, atol=1e-6)


def test_predict_steps_limits_the_batches():
    assert classifier().predict(X, batch_size=5, steps=2, verbose=0).shape == (10, NUM_CLASSES)


def test_predict_returns_a_list_for_several_outputs():
    inputs = keras.Input((NUM_FEATURES,))
    model = keras.Model(inputs, [layers.Dense(2)(inputs), layers.Dense(1)(inputs)])
    predictions = model.predict(X, batch_size=5, verbose=0)
    assert isinstance(predictions, list)
    assert [p.shape for p in predictions] == [(NUM_SAMPLES, 2), (NUM_SAMPLES, 1)]
    assert all(isinstance(p, np.ndarray) for p in predictions)


class TwoHeads(keras.Model):
    def __init__(self):
        super().__init__()
        self.scores = layers.Dense(2)
        self.value = layers.Dense(1)

    def call(self, inputs):
        return {"scores": self.scores(inputs), "value": self.value(inputs)}


def test_predict_returns_a_dict_for_dict_outputs():
    predictions = TwoHeads().predict(X, batch_size=7, verbose=0)
    assert set(predictions) == {"scores", "value"}
    assert predictions["scores"].shape == (NUM_SAMPLES, 2) and isinstance(predictions["value"], np.ndarray)


def test_predict_on_batch_returns_numpy():
    model = classifier()
    result = model.predict_on_batch(X)
    assert isinstance(result, np.ndarray)
    np.testing.assert_allclose(result, model.predict(X, verbose=0), atol=1e-6)


# ---- on-batch methods and evaluate ------------------------------------------------------------------------------

def test_train_on_batch_takes_one_step_and_returns_the_logs():
    model = classifier()
    before = model.get_weights()
    loss, accuracy = model.train_on_batch(X, Y)
    assert int(model.optimizer.iterations) == 1
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert np.isfinite(loss) and 0 <= accuracy <= 1
    assert set(model.train_on_batch(X, Y, return_dict=True)) == {"loss", "accuracy"}


def test_test_on_batch_matches_evaluate_and_changes_nothing():
    model = classifier()
    before = model.get_weights()
    result = model.test_on_batch(X, Y)
    assert_same_weights_lists(before, model.get_weights())
    np.testing.assert_allclose(result, model.evaluate(X, Y, batch_size=NUM_SAMPLES, verbose=0), atol=1e-6)
    assert model.test_on_batch(X, Y, return_dict=True) == pytest.approx(
        model.evaluate(X, Y, verbose=0, return_dict=True))


def test_evaluate_lists_values_in_metrics_names_order_and_dicts_them_sorted():
    model = classifier(metrics=["sparse_categorical_crossentropy", "accuracy"])
    model.fit(X, Y, epochs=1, verbose=0)
    assert model.metrics_names == ["loss", "sparse_categorical_crossentropy", "accuracy"]
    values = model.evaluate(X, Y, verbose=0)
    logs = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert list(logs) == ["accuracy", "loss", "sparse_categorical_crossentropy"]
    assert values == [logs[name] for name in model.metrics_names]


def test_evaluate_without_metrics_returns_the_loss_alone():
    model = classifier(metrics=())
    loss = model.evaluate(X, Y, verbose=0)
    assert isinstance(loss, float)
    assert model.evaluate(X, Y, verbose=0, return_dict=True) == {"loss": loss}


def test_evaluate_loss_is_the_sample_weighted_mean_over_batches():
    model = classifier(metrics=())
    per_sample = keras.losses.sparse_categorical_crossentropy(torch.from_numpy(Y),
                                                              torch.from_numpy(model.predict(X, verbose=0)))
    # Batches of 10, 10 and 4: each batch's mean loss counts by its size.
    assert model.evaluate(X, Y, batch_size=10, verbose=0) == pytest.approx(float(per_sample.mean()), abs=1e-6)
    weights = np.linspace(0.5, 1.5, NUM_SAMPLES).astype("float32")
    weighted = model.evaluate(X, Y, sample_weight=weights, batch_size=NUM_SAMPLES, verbose=0)
    assert weighted == pytest.approx(float((per_sample * torch.from_numpy(weights)).mean()), abs=1e-6)


def test_evaluate_steps_reads_only_that_many_batches():
    model = classifier(metrics=())
    assert model.evaluate(X, Y, batch_size=8, steps=1, verbose=0) == \
        pytest.approx(model.evaluate(X[:8], Y[:8], verbose=0), abs=1e-6)


def test_class_weight_scales_each_class_loss():
    reference, weighted = classifier(metrics=()), classifier(metrics=())
    reference.fit(X, Y, batch_size=NUM_SAMPLES, epochs=1, shuffle=False, verbose=0,
                  sample_weight=np.array([0.5, 2.0, 1.0], dtype="float32")[Y])
    weighted.fit(X, Y, batch_size=NUM_SAMPLES, epochs=1, shuffle=False, verbose=0, class_weight={0: 0.5, 1: 2.0})
    assert_same_weights(reference, weighted)


# ---- the optimizer during fit -----------------------------------------------------------------------------------

def test_keras_2_lr_argument_warns_and_trains():
    with pytest.warns(DeprecationWarning, match="`lr` is deprecated: use `learning_rate`"):
        optimizer = optimizers.Adam(lr=0.05)
    model = classifier(optimizer=optimizer)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        model.fit(X, Y, epochs=1, verbose=0)
    assert int(model.optimizer.iterations) == 1


def test_keras_2_lr_argument_matches_learning_rate():
    with pytest.warns(DeprecationWarning):
        legacy = classifier(optimizer=optimizers.SGD(lr=0.2, momentum=0.5))
    modern = classifier(optimizer=optimizers.SGD(learning_rate=0.2, momentum=0.5))
    legacy.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    modern.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert_same_weights(legacy, modern, atol=0)


def test_learning_rate_scheduler_sets_the_rate_that_steps_use():
    rates_seen = []
    model = classifier()
    weights_at_epoch_end = []
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: 0.0 if epoch == 1 else 0.05)
    watcher = callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: rates_seen.append(float(model.optimizer.learning_rate)),
        on_epoch_end=lambda epoch, logs: weights_at_epoch_end.append(model.get_weights()))
    model.fit(X, Y, batch_size=12, epochs=3, verbose=0, callbacks=[schedule, watcher])
    assert rates_seen == pytest.approx([0.05, 0.05, 0.0, 0.0, 0.05, 0.05])
    # With a rate of 0, the second epoch leaves the weights as the first left them.
    assert_same_weights_lists(weights_at_epoch_end[0], weights_at_epoch_end[1])
    assert any(not np.array_equal(a, b) for a, b in zip(weights_at_epoch_end[1], weights_at_epoch_end[2]))


def test_learning_rate_can_be_read_and_set_between_fits():
    model = classifier()
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)
    model.optimizer.learning_rate = 0.01
    model.fit(X, Y, epochs=1, verbose=0)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    model.optimizer.learning_rate.assign(0.02)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)
