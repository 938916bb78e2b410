"""Writes the public names of Keras 3.15's keras.ops and its namespaces, for tests/ops/test_coverage.py.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_ops_names.py

tests/golden/ops/names.json maps each namespace (``ops``: keras.ops itself; ``nn``, ``numpy``, ``linalg``,
``image``: keras.ops.<name>) to its sorted public names (functions, not submodules), and ``modules`` maps each
name of keras.ops to the keras.src.ops module that defines it (numpy, nn, core, math, linalg, image, einops).
"""
import json
import os
import pathlib
import types

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
from keras import ops  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "ops" / "names.json"


def public_names(module):
    return sorted(n for n in dir(module) if not n.startswith("_")
                  and not isinstance(getattr(module, n), types.ModuleType))


def main():
    namespaces = {"ops": public_names(ops)}
    for name in ("nn", "numpy", "linalg", "image"):
        namespaces[name] = public_names(getattr(ops, name))
    modules = {n: getattr(getattr(ops, n), "__module__", "").rsplit(".", 1)[-1] for n in namespaces["ops"]}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"keras_version": keras.__version__, "namespaces": namespaces, "modules": modules},
                              indent=1, sort_keys=True) + "\n")
    print({k: len(v) for k, v in namespaces.items()})


if __name__ == "__main__":
    main()
