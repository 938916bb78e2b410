"""keras.preprocessing.sequence against Keras 2 (tf_keras) fixtures: tools/golden_keras2_preprocessing.py."""
import json
import random

import numpy as np
import pytest
from golden_loader import golden_json

from kerastorch.preprocessing import sequence
from kerastorch.utils import pad_sequences

GOLDEN = golden_json("preprocessing/sequence.json")


@pytest.mark.parametrize("case", GOLDEN["pad"], ids=lambda c: json.dumps(c["kwargs"]))
def test_pad_sequences_matches_keras2(case):
    out = sequence.pad_sequences(case["sequences"], **case["kwargs"])
    assert str(out.dtype) == case["out"]["dtype"]
    np.testing.assert_array_equal(out, np.asarray(case["out"]["value"], dtype=out.dtype))


def test_pad_sequences_keeps_item_shape():
    case = GOLDEN["pad_items"]
    out = sequence.pad_sequences(case["sequences"], **case["kwargs"])
    np.testing.assert_array_equal(out, np.asarray(case["out"]["value"], dtype="float32"))


def test_pad_sequences_pads_strings_with_object_dtype():
    case = GOLDEN["pad_strings"]
    out = sequence.pad_sequences(case["sequences"], dtype=object, **case["kwargs"])
    assert out.tolist() == case["out"]


def test_pad_sequences_is_also_in_utils():
    assert pad_sequences is sequence.pad_sequences


def test_pad_sequences_refuses_an_unknown_padding_side():
    with pytest.raises(ValueError, match="padding"):
        sequence.pad_sequences([[1]], padding="middle")


def test_pad_sequences_refuses_a_string_value_with_a_numeric_dtype():
    with pytest.raises(ValueError, match="dtype=object"):
        sequence.pad_sequences([[1]], maxlen=2, value="x")


@pytest.mark.parametrize("case", GOLDEN["sampling_table"], ids=lambda c: str(c["size"]))
def test_make_sampling_table_matches_keras2(case):
    np.testing.assert_allclose(sequence.make_sampling_table(case["size"], case["sampling_factor"]), case["out"],
                               rtol=1e-12)


@pytest.mark.parametrize("case", GOLDEN["skipgrams"], ids=lambda c: json.dumps(c["kwargs"]))
def test_skipgrams_match_keras2_under_the_same_python_seed(case):
    random.seed(case["python_seed"])
    couples, labels = sequence.skipgrams(case["sequence"], case["vocabulary_size"], **case["kwargs"])
    assert couples == case["couples"]
    assert labels == case["labels"]


TIMESERIES = GOLDEN["timeseries"]


@pytest.mark.parametrize("case", TIMESERIES["cases"], ids=lambda c: json.dumps(c["kwargs"]))
def test_timeseries_generator_matches_keras2(case):
    data = np.asarray(TIMESERIES["data"]["value"], dtype="float32")
    targets = np.asarray(TIMESERIES["targets"]["value"])
    generator = sequence.TimeseriesGenerator(data, targets, **case["kwargs"])
    assert len(generator) == case["len"]
    for index, (x, y) in enumerate(case["batches"]):
        samples, batch_targets = generator[index]
        np.testing.assert_array_equal(samples, np.asarray(x["value"], dtype="float32"))
        np.testing.assert_array_equal(batch_targets, y["value"])


def test_timeseries_generator_config_matches_keras2():
    case = TIMESERIES["cases"][1]
    data = np.asarray(TIMESERIES["data"]["value"], dtype="float32")
    generator = sequence.TimeseriesGenerator(data, np.asarray(TIMESERIES["targets"]["value"]), **case["kwargs"])
    config = generator.get_config()
    expected = case["config"]
    assert json.loads(config.pop("data")) == json.loads(expected.pop("data"))
    assert json.loads(config.pop("targets")) == json.loads(expected.pop("targets"))
    assert config == expected


def test_timeseries_generator_from_json_restores_data_and_arguments():
    data, targets = np.arange(12.0).reshape(6, 2), np.arange(6)
    generator = sequence.TimeseriesGenerator(data, targets, length=2, batch_size=2)
    restored = sequence.timeseries_generator_from_json(generator.to_json())
    np.testing.assert_array_equal(restored.data, data)
    assert (restored.length, restored.batch_size) == (2, 2)


def test_timeseries_generator_refuses_targets_of_another_length():
    with pytest.raises(ValueError, match="same length"):
        sequence.TimeseriesGenerator(np.zeros((5, 1)), np.zeros(4), length=2)
