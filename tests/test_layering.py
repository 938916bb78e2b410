"""The package's layering contract (DESIGN.md): no import cycle, and lower layers never import higher ones.

Read from the source with `ast` (nothing is imported): every `import`/`from ... import` of a kerastorch module,
at module level and inside functions. Module-level imports (with the package __init__ files they run) must form a
graph without cycles. Every import must respect the tiers below: an import inside a function may reach upward only
where ALLOWED_UPWARD names the pair and says why. A package's __init__ is its public surface: it is checked by
what it imports itself, not by what importing one of its modules runs.
"""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kerastorch"

# Lowest first. A module belongs to the first tier whose prefix it matches (the longest prefix wins).
TIERS = [
    ("state", ["kerastorch.global_state", "kerastorch.keras_tensor", "kerastorch._lookup", "kerastorch._porting",
               "kerastorch._legacy",
               "kerastorch.backend", "kerastorch.registry", "kerastorch.dtypes"]),
    ("basics", ["kerastorch.ops", "kerastorch.random", "kerastorch.tree", "kerastorch.activations",
                "kerastorch.initializers", "kerastorch.regularizers", "kerastorch.constraints",
                "kerastorch.dtype_policies", "kerastorch.config", "kerastorch.saving.serialization",
                "kerastorch.utils.numerical_utils", "kerastorch.utils.np_utils", "kerastorch.utils.py_dataset"]),
    ("layers", ["kerastorch.layers"]),
    ("objectives", ["kerastorch.losses", "kerastorch.metrics", "kerastorch.optimizers"]),
    ("models", ["kerastorch.models", "kerastorch.backend_keras2"]),
    ("training", ["kerastorch.training"]),
    ("services", ["kerastorch.callbacks", "kerastorch.distribution", "kerastorch.saving",
                  "kerastorch.applications", "kerastorch.export",
                  "kerastorch.data", "kerastorch.datasets", "kerastorch.preprocessing", "kerastorch.utils",
                  "kerastorch.mixed_precision", "kerastorch.wrappers", "kerastorch.__main__",
                  "kerastorch.engine"]),
    ("surface", ["kerastorch"]),
]

# (importer prefix, imported prefix): an import inside a function that reaches upward, and why it may.
ALLOWED_UPWARD = {
    ("kerastorch.backend", "kerastorch.backend_keras2"):
        "keras.backend is Keras 2's K: its functions over ops, variables and graphs (K.mean, K.function, "
        "K.gradients) are found there on first use",
    ("kerastorch.models.model", "kerastorch.training"):
        "Model.fit/evaluate/predict hand the work to the trainer (in Keras, Model derives from Trainer)",
    ("kerastorch.models.model", "kerastorch.saving"):
        "Model.save/save_weights/load_weights/to_json hand the work to kerastorch.saving",
    ("kerastorch.models.model", "kerastorch.export"):
        "Model.export hands the work to kerastorch.export (ONNX, torch.export)",
    ("kerastorch.models", "kerastorch.saving"):
        "keras.models.load_model/save_model/model_from_json are kerastorch.saving's, found on first use",
    ("kerastorch.training.trainer", "kerastorch.callbacks"):
        "fit/evaluate/predict add History and the progress bar to the user's callbacks, as Keras's loops do",
}


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def tier_of(name):
    best = None
    for index, (_, prefixes) in enumerate(TIERS):
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + "."):
                if best is None or len(prefix) > len(best[1]):
                    best = (index, prefix)
    assert best is not None, f"{name} is in no tier of the layering contract"
    return best[0]


def imported_modules(name, node):
    """The kerastorch modules an import statement in module ``name`` loads."""
    is_package = MODULES[name].name == "__init__.py"
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "kerastorch"]
    base = node.module or ""
    if node.level:
        parts = name.split(".") if is_package else name.split(".")[:-1]
        parts = parts[:len(parts) - (node.level - 1)]
        base = ".".join(parts + ([base] if base else []))
    if base.split(".")[0] != "kerastorch":
        return []
    found = []
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        found.append(submodule if submodule in MODULES else base)
    return found


def imports(name):
    """``(module-level imports, imports inside functions)`` of module ``name``."""
    tree = ast.parse(MODULES[name].read_text())
    top, inner = set(), set()

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                (inner if in_function else top).update(imported_modules(name, child))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    top.discard(name)
    inner.discard(name)
    return top, inner - top


GRAPH = {name: imports(name) for name in MODULES}


def with_parent_packages(targets, importer):
    """Importing a.b.c runs a/__init__ and a/b/__init__ first."""
    found = set(targets)
    for target in targets:
        parts = target.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent in MODULES and not importer.startswith(parent):
                found.add(parent)
    return found


def test_module_level_imports_have_no_cycle():
    state, cycles = {}, []

    def visit(name, stack):
        state[name] = "open"
        stack.append(name)
        for target in sorted(with_parent_packages(GRAPH[name][0], name)):
            if target not in MODULES:
                continue
            if state.get(target) == "open":
                cycles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[name] = "done"

    for name in sorted(MODULES):
        if name not in state:
            visit(name, [])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_lower_layers_never_import_higher_ones():
    violations = []
    for name, (top, inner) in sorted(GRAPH.items()):
        if name == "kerastorch":
            continue
        for target in sorted(top | inner):
            if target == "kerastorch" or target not in MODULES or tier_of(target) <= tier_of(name):
                continue
            # A package's __init__ may re-export its own modules.
            if target.startswith(name + "."):
                continue
            allowed = target in inner and any(name == a and (target == b or target.startswith(b + "."))
                                               for a, b in ALLOWED_UPWARD)
            if not allowed:
                where = "module level" if target in top else "inside a function"
                violations.append(f"{name} ({TIERS[tier_of(name)][0]}) imports {target} "
                                  f"({TIERS[tier_of(target)][0]}) at {where}")
    assert not violations, "layering violations:\n" + "\n".join(violations)


def test_layers_never_import_models_or_saving():
    # kerastorch.saving.serialization is the leaf serializer of the basics tier: a layer holding layers (RNN's
    # cell, Bidirectional's layers) (de)serializes their configs with it, as Keras's do.
    offenders = [f"{name} imports {target}" for name, (top, inner) in GRAPH.items() if name.startswith(
        "kerastorch.layers") for target in top | inner if target.startswith(("kerastorch.models",
                                                                              "kerastorch.saving"))
        and target != "kerastorch.saving.serialization"]
    assert not offenders, "\n".join(offenders)
