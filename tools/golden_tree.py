"""Write tests/golden/tree.json from real Keras 3: keras.tree on the cases of tests/tree_cases.py.

Keras 3 has three implementations of keras.tree; on the torch backend it uses torchtree_impl, which sorts the keys
of a dict only where the dict is the top structure or a direct child of it (a dict deeper down is walked in
insertion order) and returns packed dicts in sorted key order, both against its own documentation. The
fixture's `cases` are the torch backend's answers except there: for a dict (nested or packed), the answer of the
optree implementation, which Keras uses on its other backends and which does as documented. Both
implementations' answers are kept (`torch_backend`, `optree`).

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_tree.py
"""
import json
import os
import pathlib
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from tree_cases import CASES, TRAVERSALS, evaluate, traversal  # noqa: E402

import keras  # noqa: E402

from keras.src.tree import optree_impl, tree_api  # noqa: E402

torch_cases = {expression: evaluate(keras.tree, expression) for expression in CASES}
torch_traversals = [traversal(keras.tree, expression, top_down) for expression, top_down in TRAVERSALS]
tree_api.tree_impl = optree_impl
optree_cases = {expression: evaluate(keras.tree, expression) for expression in CASES}
DICT_ORDER = ("tree.flatten({'b': (1, 2), 'a': [3, {'d': 4, 'c': 5}]})",
              "tree.pack_sequence_as({'key3': '', 'key1': '', 'key2': ''}, ['value1', 'value2', 'value3'])",
              CASES[29])
assert CASES[29].startswith("tree.pack_sequence_as({'key3': {'c'")
record = {"keras_version": keras.__version__,
          "public_names": sorted(n for n in dir(keras.tree) if not n.startswith("_")),
          "cases": {expression: (optree_cases if expression in DICT_ORDER else torch_cases)[expression]
                    for expression in CASES},
          "traversals": torch_traversals, "torch_backend": torch_cases, "optree": optree_cases}
(ROOT / "tests" / "golden" / "tree.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
print("wrote tests/golden/tree.json")
