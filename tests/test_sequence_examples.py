"""The sequence examples learn: their quick runs (a few seconds) must improve clearly on chance."""
import math
import pathlib
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module", autouse=True)
def examples_on_path():
    sys.path.insert(0, str(EXAMPLES))
    yield
    sys.path.remove(str(EXAMPLES))


@pytest.mark.slow
def test_sentiment_bilstm_learns_to_read_negated_opinions():
    import sentiment_bilstm
    result = sentiment_bilstm.main(quick=True)
    losses = result["history"]["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert result["test_accuracy"] > 0.85   # the majority class is about 0.5


@pytest.mark.slow
def test_char_text_generation_learns_the_words_of_its_text():
    import char_text_generation
    result = char_text_generation.main(quick=True)
    losses = result["history"]["loss"]
    characters = 28   # the letters of the grammar's words, space and full stop
    assert losses[0] < math.log(characters) + 0.5 and losses[-1] < 0.5 * losses[0]
    assert result["shares"][0.2] > 0.7   # most words written at a low temperature are words of the grammar
