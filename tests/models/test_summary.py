"""`summary()` prints Keras 3's table: compared, text for text, with fixtures from tools/golden_summaries.py."""
import warnings

import pytest

import kerastorch
from golden_loader import golden_json

CASES = golden_json("models/summaries.json")["cases"]


def build(source):
    kerastorch.backend.clear_session()
    scope = {"keras": kerastorch}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(source, scope)
    return scope


@pytest.mark.parametrize("name", sorted(CASES))
def test_summary_matches_keras(name, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    case = CASES[name]
    scope = build(case["source"])
    lines = []
    scope["model"].summary(print_fn=lines.append, **scope.get("SUMMARY_KWARGS", {}))
    assert "\n".join(lines) == case["summary"]


def test_summary_prints_to_stdout_by_default(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    scope = build(CASES["s01_sequential"]["source"])
    scope["model"].summary()
    assert capsys.readouterr().out == CASES["s01_sequential"]["summary"]

# An unbuilt model's summary (printed, as Keras prints it): tests/reliability/test_parity_gaps.py.
