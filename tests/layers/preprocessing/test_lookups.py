"""StringLookup and IntegerLookup against Keras 3.15 (tests/golden/layers/preprocessing/layers.json)."""
import numpy as np
import pytest
from preprocessing_golden import GOLDEN, array, case_id, run_case

from kerastorch.layers import IntegerLookup, StringLookup

CASES = GOLDEN["lookup"]
IDS = [case_id(c) for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_lookup_output_matches_keras(case):
    _, out = run_case(case)
    expected = array(case["out"])
    if expected.dtype == object:
        assert out.tolist() == expected.tolist()
    else:
        np.testing.assert_allclose(out, expected, rtol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_lookup_vocabulary_matches_keras(case):
    layer, _ = run_case(case)
    assert layer.get_vocabulary() == case["get_vocabulary"]
    assert layer.vocabulary_size() == case["vocabulary_size"]


def test_lookup_with_no_oov_index_refuses_unknown_tokens():
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["b"]))


def test_lookup_refuses_a_repeated_vocabulary_token():
    with pytest.raises(ValueError, match="repeated"):
        IntegerLookup(vocabulary=[1, 2, 1])


def test_lookup_cannot_adapt_a_given_vocabulary():
    with pytest.raises(ValueError, match="static vocabulary"):
        StringLookup(vocabulary=["a"]).adapt(np.array(["b"]))


def test_string_lookup_adapts_on_an_iterable_of_batches():
    layer = StringLookup()
    layer.adapt(iter([np.array([["a", "b"]]), np.array([["b", "c"]])]))
    assert layer.get_vocabulary() == ["[UNK]", "b", "c", "a"]


def test_an_adapted_lookup_saves_its_vocabulary_as_a_keras_asset(tmp_path):
    import zipfile

    import kerastorch
    inputs = kerastorch.Input((2,), dtype="string")
    lookup = StringLookup(output_mode="tf_idf")
    lookup.adapt(np.array([["x", "y"], ["y", "z"]]))
    model = kerastorch.Model(inputs, lookup(inputs))
    model.save(tmp_path / "lookup.keras")
    assert "assets/layers/string_lookup/vocabulary.txt" in zipfile.ZipFile(tmp_path / "lookup.keras").namelist()
    restored = kerastorch.models.load_model(tmp_path / "lookup.keras")
    probe = np.array([["x", "z"], ["q", "y"]])
    np.testing.assert_allclose(restored.predict(probe, verbose=0), model.predict(probe, verbose=0))
    assert restored.layers[1].get_vocabulary() == lookup.get_vocabulary()
