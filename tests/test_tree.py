"""keras.tree against Keras 3.15 (tests/golden/tree.json, from tools/golden_tree.py on tests/tree_cases.py)."""
import pytest

from golden_loader import golden_json
from tree_cases import CASES, TRAVERSALS, evaluate, traversal

from kerastorch import tree

GOLDEN = golden_json("tree.json")


def test_public_names_are_keras_names():
    assert sorted(n for n in tree.__all__) == GOLDEN["public_names"]


@pytest.mark.parametrize("expression", CASES)
def test_case_gives_keras_result(expression):
    assert evaluate(tree, expression) == GOLDEN["cases"][expression]


@pytest.mark.parametrize("index", range(len(TRAVERSALS)))
def test_traverse_visits_and_replaces_as_keras(index):
    expression, top_down = TRAVERSALS[index]
    assert traversal(tree, expression, top_down) == GOLDEN["traversals"][index]


def test_keras_tree_is_importable_through_the_hook():
    import importlib
    assert importlib.import_module("kerastorch.tree") is tree
