"""Which of Keras 3.15's keras.ops names kerastorch provides (tests/golden/ops/names.json, recorded by
tools/golden_ops_names.py), and the error a missing one raises."""
import importlib

import pytest

from golden_loader import golden_json
from kerastorch import ops

NAMES = golden_json("ops/names.json")
NAMESPACES = NAMES["namespaces"]
REQUIRED_COVERAGE = 0.97


def module_of(namespace):
    return ops if namespace == "ops" else importlib.import_module(f"kerastorch.ops.{namespace}")


def provided(namespace, name):
    try:
        getattr(module_of(namespace), name)
    except AttributeError as error:
        assert "is not provided by kerastorch (yet)" in str(error), str(error)
        return False
    return True


def coverage_report():
    lines, total, found = [], 0, 0
    for namespace, names in sorted(NAMESPACES.items()):
        missing = [n for n in names if not provided(namespace, n)]
        total, found = total + len(names), found + len(names) - len(missing)
        lines.append(f"keras.ops{'' if namespace == 'ops' else '.' + namespace}: {len(names) - len(missing)}/"
                     f"{len(names)}" + (f", missing: {', '.join(missing)}" if missing else ""))
    return found, total, "\n".join(lines)


def test_at_least_97_percent_of_keras_ops_names_are_provided():
    found, total, report = coverage_report()
    print(report)
    assert found / total >= REQUIRED_COVERAGE, f"{found}/{total} names provided ({found / total:.1%}):\n{report}"


@pytest.mark.parametrize("module", ["numpy", "math", "linalg"])
def test_every_numpy_math_and_linalg_name_is_provided(module):
    names = NAMESPACES.get(module) or [n for n, m in NAMES["modules"].items() if m == module]
    missing = [n for n in names if not provided("ops", n) or not hasattr(module_of(module), n)]
    assert not missing


def test_each_namespace_also_exports_its_names_at_the_top():
    for namespace in ("numpy", "linalg", "nn", "image"):
        for name in NAMESPACES[namespace]:
            if provided(namespace, name):
                assert getattr(ops, name) is getattr(module_of(namespace), name), name


def test_every_missing_name_raises_the_not_provided_error():
    for namespace, names in NAMESPACES.items():
        module = module_of(namespace)
        keras_module = "keras.ops" if namespace == "ops" else f"keras.ops.{namespace}"
        for name in names:
            if provided(namespace, name):
                assert callable(getattr(module, name)), name
                continue
            with pytest.raises(AttributeError, match=f"{keras_module}.{name} is not provided by kerastorch"):
                getattr(module, name)
            with pytest.raises(ImportError, match="is not provided by kerastorch"):
                exec(f"from {module.__name__} import {name}", {})


def test_an_unknown_name_raises_the_not_provided_error():
    with pytest.raises(AttributeError, match=r"keras\.ops\.no_such_op is not provided by kerastorch \(yet\)"):
        ops.no_such_op
    with pytest.raises(AttributeError, match=r"keras\.ops\.numpy\.no_such_op is not provided"):
        ops.numpy.no_such_op


def test_every_namespace_is_importable():
    for namespace in ("numpy", "nn", "linalg", "math", "image", "core"):
        assert importlib.import_module(f"kerastorch.ops.{namespace}") is getattr(ops, namespace)
