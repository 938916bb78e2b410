"""TextVectorization against Keras 3.15 (tests/golden/layers/preprocessing/layers.json), and raw strings through a
model: fit and predict from numpy and lists."""
import numpy as np
import pytest
from preprocessing_golden import GOLDEN, array, case_id, run_case

import kerastorch
from kerastorch import layers

CASES = GOLDEN["text_vectorization"]
IDS = [case_id(c) + str(i) for i, c in enumerate(CASES)]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_text_vectorization_output_matches_keras(case):
    _, out = run_case(case)
    np.testing.assert_allclose(out, array(case["out"]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_text_vectorization_vocabulary_matches_keras(case):
    layer, _ = run_case(case)
    assert layer.get_vocabulary() == case["get_vocabulary"]


def test_text_vectorization_refuses_a_sequence_length_outside_int_mode():
    with pytest.raises(ValueError, match="output_sequence_length"):
        layers.TextVectorization(output_mode="count", output_sequence_length=3)


TEXTS = ["good great fine", "bad awful poor", "great good", "poor bad", "fine good", "awful bad"] * 4
LABELS = np.array([1, 0, 1, 0, 1, 0] * 4, dtype="float32")


def _text_model():
    vectorize = layers.TextVectorization(max_tokens=20, output_mode="tf_idf")
    vectorize.adapt(TEXTS)
    inputs = kerastorch.Input(shape=(1,), dtype="string")
    x = vectorize(inputs)
    x = layers.Dense(8, activation="relu")(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = kerastorch.Model(inputs, outputs)
    model.compile(optimizer=kerastorch.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_a_model_trains_on_raw_strings_with_text_vectorization_inside():
    kerastorch.utils.set_random_seed(0)
    model = _text_model()
    history = model.fit(np.array(TEXTS)[:, None], LABELS, epochs=15, batch_size=8, shuffle=True, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] * 0.5
    predictions = model.predict(["good great", "bad poor"], verbose=0)
    assert predictions.shape == (2, 1)
    assert predictions[0, 0] > 0.5 > predictions[1, 0]


def test_a_string_model_fits_from_a_list_with_validation_split():
    kerastorch.utils.set_random_seed(1)
    history = _text_model().fit(TEXTS, LABELS, epochs=2, batch_size=4, validation_split=0.25, verbose=0)
    assert len(history.history["val_loss"]) == 2


def test_a_text_model_saves_and_loads_with_its_vocabulary(tmp_path):
    model = _text_model()
    model.save(tmp_path / "text.keras")
    restored = kerastorch.models.load_model(tmp_path / "text.keras", compile=False)
    texts = np.array(["good bad", "awful"])
    np.testing.assert_allclose(restored.predict(texts, verbose=0), model.predict(texts, verbose=0), rtol=1e-6)
    assert restored.layers[1].get_vocabulary() == model.layers[1].get_vocabulary()


def test_text_vectorization_adapts_on_a_kerastorch_dataset():
    from kerastorch.data import Dataset
    dataset = Dataset.from_tensor_slices((np.array(TEXTS), LABELS)).batch(5)
    from_dataset = layers.TextVectorization()
    from_dataset.adapt(dataset.map(lambda x, y: x))
    from_array = layers.TextVectorization()
    from_array.adapt(np.array(TEXTS))
    assert from_dataset.get_vocabulary() == from_array.get_vocabulary()


def test_a_text_model_fits_from_a_dataset_of_strings():
    from kerastorch.data import Dataset
    kerastorch.utils.set_random_seed(2)
    dataset = Dataset.from_tensor_slices((np.array(TEXTS), LABELS)).shuffle(24, seed=1).batch(6)
    history = _text_model().fit(dataset, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_keras2_experimental_preprocessing_path_gives_the_same_layers():
    from kerastorch.layers.experimental import preprocessing
    assert preprocessing.TextVectorization is layers.TextVectorization
    assert preprocessing.Normalization is layers.Normalization


def test_a_keras_saved_model_with_adapted_preprocessing_loads_with_its_vocabulary():
    from golden_loader import golden_path
    case = GOLDEN["keras_file"]
    model = kerastorch.models.load_model(golden_path("layers/preprocessing/keras_text_vectorization.keras"))
    assert model.layers[1].get_vocabulary() == case["vocabulary"]
    np.testing.assert_allclose(model.predict(np.array(case["probe"])[:, None], verbose=0), case["predictions"],
                               rtol=1e-5, atol=1e-5)


def test_text_vectorization_takes_a_numpy_standardize_function():
    layer = layers.TextVectorization(standardize=lambda texts: np.char.upper(texts), vocabulary=["CAT", "DOG"])
    np.testing.assert_array_equal(layer(np.array(["cat bird", "dog"])).numpy(), [[2, 1], [3, 0]])
