"""keras.preprocessing.text against Keras 2 (tf_keras) fixtures: tools/golden_keras2_preprocessing.py."""
import json

import numpy as np
import pytest
from golden_loader import golden_json

from kerastorch.preprocessing import text

GOLDEN = golden_json("preprocessing/text.json")
TEXTS = GOLDEN["texts"]


@pytest.mark.parametrize("case", GOLDEN["word_sequence"], ids=lambda c: json.dumps(c["kwargs"]))
def test_text_to_word_sequence_matches_keras2(case):
    assert [text.text_to_word_sequence(t, **case["kwargs"]) for t in TEXTS] == case["out"]


def test_hashing_trick_with_md5_matches_keras2():
    assert [text.hashing_trick(t, 17, hash_function="md5") for t in TEXTS] == GOLDEN["hashing_md5"]


def test_one_hot_gives_each_word_one_index_in_range():
    indices = text.one_hot("the cat and the hat", 7)
    assert all(1 <= i < 7 for i in indices)
    assert indices[0] == indices[3]


def _fitted(case):
    tokenizer = text.Tokenizer(**case["kwargs"])
    tokenizer.fit_on_texts(TEXTS)
    return tokenizer


TOKENIZERS = GOLDEN["tokenizers"]
IDS = [json.dumps(c["kwargs"]) for c in TOKENIZERS]


@pytest.mark.parametrize("case", TOKENIZERS, ids=IDS)
def test_tokenizer_vocabulary_matches_keras2(case):
    tokenizer = _fitted(case)
    assert tokenizer.word_index == case["word_index"]
    assert list(tokenizer.word_counts.items()) == list(case["word_counts"].items())
    assert dict(tokenizer.word_docs) == case["word_docs"]
    assert {str(k): v for k, v in tokenizer.index_docs.items()} == case["index_docs"]
    assert tokenizer.document_count == case["document_count"]


@pytest.mark.parametrize("case", TOKENIZERS, ids=IDS)
def test_tokenizer_sequences_and_texts_match_keras2(case):
    tokenizer = _fitted(case)
    sequences = tokenizer.texts_to_sequences(case["probe"])
    assert sequences == case["sequences"]
    assert tokenizer.sequences_to_texts(sequences + [[1, 2, 99, 3]]) == case["texts"]


@pytest.mark.parametrize("case", TOKENIZERS, ids=IDS)
@pytest.mark.parametrize("mode", ["binary", "count", "tfidf", "freq"])
def test_tokenizer_matrices_match_keras2(case, mode):
    tokenizer = _fitted(case)
    np.testing.assert_allclose(tokenizer.texts_to_matrix(case["probe"], mode=mode), case["matrices"][mode],
                               rtol=1e-12)


@pytest.mark.parametrize("case", TOKENIZERS, ids=IDS)
def test_tokenizer_config_matches_keras2(case):
    config = _fitted(case).get_config()
    for key, value in case["config"].items():
        expected = json.loads(value) if key in ("word_counts", "word_docs", "index_docs", "index_word",
                                                "word_index") else value
        got = json.loads(config[key]) if isinstance(expected, dict) and isinstance(config[key], str) else config[key]
        assert got == expected, key


@pytest.mark.parametrize("case", TOKENIZERS, ids=IDS)
def test_tokenizer_from_keras2_json_converts_alike(case):
    tokenizer = text.tokenizer_from_json(case["json"])
    assert tokenizer.texts_to_sequences(case["probe"]) == case["sequences"]
    np.testing.assert_allclose(tokenizer.texts_to_matrix(case["probe"], mode="tfidf"), case["matrices"]["tfidf"],
                               rtol=1e-12)


def test_tokenizer_round_trips_through_its_own_json():
    tokenizer = _fitted(TOKENIZERS[3])
    restored = text.tokenizer_from_json(tokenizer.to_json())
    assert restored.texts_to_sequences(TEXTS) == tokenizer.texts_to_sequences(TEXTS)
    assert restored.word_index == tokenizer.word_index


def test_fit_on_sequences_matrices_match_keras2():
    case = GOLDEN["fit_on_sequences"]
    tokenizer = text.Tokenizer(num_words=8)
    tokenizer.fit_on_sequences(case["sequences"])
    assert tokenizer.document_count == case["document_count"]
    assert {str(k): v for k, v in tokenizer.index_docs.items()} == case["index_docs"]
    for mode, expected in case["matrices"].items():
        np.testing.assert_allclose(tokenizer.sequences_to_matrix([[1, 2, 2, 9], [], [3]], mode=mode), expected,
                                   rtol=1e-12)


def test_tokenizer_asked_for_a_matrix_before_fitting_raises():
    with pytest.raises(ValueError, match="num_words.*fit on some text data first"):
        text.Tokenizer().texts_to_matrix(["a b"])


def test_tokenizer_asked_for_tfidf_before_fitting_raises():
    with pytest.raises(ValueError, match="tfidf"):
        text.Tokenizer(num_words=4).sequences_to_matrix([[1, 2]], mode="tfidf")


def test_tokenizer_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match="Unknown vectorization mode"):
        text.Tokenizer(num_words=4).sequences_to_matrix([[1]], mode="bm25")
