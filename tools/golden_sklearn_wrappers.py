"""Record what Keras 3's scikit-learn wrappers do (run by hand with Keras 3 and scikit-learn installed).

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_sklearn_wrappers.py

The facts (tests/wrappers/sklearn_facts.py: parameters, labels, shapes, dtypes, tags, error kinds) go to
tests/golden/wrappers/sklearn_facts.json; tests/wrappers/test_sklearn_parity.py compares kerastorch's.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "wrappers"))

import keras  # noqa: E402
from keras import wrappers  # noqa: E402
from sklearn_facts import facts  # noqa: E402

OUT = ROOT / "tests" / "golden" / "wrappers" / "sklearn_facts.json"

if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    recorded = {"keras_version": keras.__version__, "facts": facts(keras, wrappers)}
    OUT.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")
