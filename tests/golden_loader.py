"""The one reader of tests/golden/: fixtures recorded from real Keras by the scripts in tools/ (run by hand).

Names are paths relative to tests/golden/; a fixture for the tests of a subpackage lives in the subfolder of the
same name (``golden_json("optimizers/optimizers.json")``), one for a top-level module at the top
(``golden_npz("activations.npz")``). tests/conftest.py puts tests/ on sys.path, so every test imports this module
the same way, from any directory: ``from golden_loader import golden_json, golden_npz, golden_text``.
"""
import json
import pathlib

import numpy as np

GOLDEN_DIR = pathlib.Path(__file__).resolve().parent / "golden"
REPO_ROOT = GOLDEN_DIR.parent.parent


def golden_path(name):
    """The path of fixture ``name`` (relative to tests/golden/), which must exist."""
    path = GOLDEN_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"no golden fixture {name!r} in {GOLDEN_DIR}: the tools/golden_*.py script that "
                                f"records it writes it there")
    return path


def golden_json(name):
    """The parsed JSON fixture ``name``."""
    return json.loads(golden_path(name).read_text(encoding="utf-8"))


def golden_npz(name):
    """The arrays of the .npz fixture ``name``, as a dict read at once (no file handle stays open)."""
    with np.load(golden_path(name)) as arrays:
        return dict(arrays)


def golden_text(name):
    """The text fixture ``name`` exactly as stored: UTF-8, line endings untranslated (console bytes matter)."""
    with open(golden_path(name), encoding="utf-8", newline="") as file:
        return file.read()


def case_inputs(data, case):
    """The inputs ``<case>/x0``, ``<case>/x1``... of a recorded case in ``data`` (a loaded npz), in order."""
    xs = []
    while f"{case}/x{len(xs)}" in data:
        xs.append(data[f"{case}/x{len(xs)}"])
    return xs


def set_case_weights(model, data, case):
    """Give each layer of ``model`` the weights recorded for it in ``data`` as ``<case>/w/<layer name>/<i>``."""
    for layer in model.layers:
        prefix = f"{case}/w/{layer.name}/"
        count = sum(1 for key in data if key.startswith(prefix))
        if count:
            layer.set_weights([data[f"{prefix}{i}"] for i in range(count)])
