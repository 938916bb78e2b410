"""The one registry of serializable classes and functions, at the bottom of the layering.

Two tables, one lookup:

- kerastorch's own objects, by Keras package (``"layers"``, ``"losses"``, ``"metrics"``, ``"optimizers"``,
  ``"schedules"``, ``"initializers"``, ``"regularizers"``, ``"constraints"``, ``"activations"``,
  ``"dtype_policies"``, ``"ops"``): filled by the ``__init_subclass__`` hook of each base class (every kerastorch
  subclass registers itself) and, for functions and aliases, by :func:`register_builtin` calls in the package.
  Each entry also records the ``module`` Keras writes for the object.
- the user's objects, by registered name (``"Package>Name"``): filled by :func:`register_keras_serializable`,
  with :func:`custom_object_scope` adding objects for the duration of a block.

Nothing here imports a kerastorch module but global_state (a lookup imports the package that fills the table it
reads): any module may register into it.
``kerastorch.saving.serialization`` reads it to turn configs into objects and back.
"""
import importlib
import inspect
import threading

from kerastorch.global_state import to_snake_case  # noqa: F401  (Keras's naming rule; re-exported)

_BUILTINS = {}            # package -> {name: object}
_KERAS_MODULES = {}       # object -> the module Keras writes in its config ("keras.layers")
_GLOBAL_CUSTOM_OBJECTS = {}   # registered name -> class or function
_GLOBAL_CUSTOM_NAMES = {}     # class or function -> registered name
_SCOPE = threading.local()
# The kerastorch modules whose import fills each package (several load only on first use): a lookup imports them,
# so that loading a file finds a loss class before anything else asked for kerastorch.losses.
_PROVIDERS = {"layers": ("kerastorch.layers", "kerastorch.models"), "losses": ("kerastorch.losses",),
              "metrics": ("kerastorch.metrics",), "optimizers": ("kerastorch.optimizers",),
              "schedules": ("kerastorch.optimizers.schedules",), "initializers": ("kerastorch.initializers",),
              "regularizers": ("kerastorch.regularizers",), "constraints": ("kerastorch.constraints",),
              "activations": ("kerastorch.activations",), "dtype_policies": ("kerastorch.dtype_policies",),
              "ops": ("kerastorch.ops",)}
_LOADED = set()


# ---- kerastorch's own objects ---------------------------------------------------------------------------------

def register_builtin(obj, package, names=None, module=None):
    """Record one of kerastorch's classes or functions under ``package``.

    Args:
        obj: The class or function.
        package: Its Keras package (``"losses"``).
        names: The names it is resolved by (default: its ``__name__``); several for aliases.
        module: The module Keras writes for it (default ``"keras.<package>"``); a ``keras.src...`` module is
            written with the class name as its registered name, as Keras does for non-exported classes.
    """
    table = _BUILTINS.setdefault(package, {})
    for name in (names if names is not None else (obj.__name__,)):
        table[name] = obj
    if obj not in _KERAS_MODULES or module is not None:
        _KERAS_MODULES[obj] = module or f"keras.{package}"


def register_subclass(cls, package, snake_case=False, module=None):
    """The ``__init_subclass__`` hook of a base class: a public kerastorch class registers itself by its name
    (and its snake_case name with ``snake_case=True``). A user's subclass is left to
    :func:`register_keras_serializable`, as in Keras. A class may set ``_keras_module`` in its body to say which
    module Keras writes for it (``"keras"`` for Sequential)."""
    if not cls.__module__.startswith("kerastorch.") or cls.__name__.startswith("_"):
        return
    names = [cls.__name__] + ([to_snake_case(cls.__name__)] if snake_case else [])
    register_builtin(cls, package, names, module=cls.__dict__.get("_keras_module", module))


def _table(package):
    if package not in _LOADED:
        _LOADED.add(package)
        for module in _PROVIDERS.get(package, ()):
            importlib.import_module(module)
    return _BUILTINS.get(package, {})


def builtin_objects(package):
    """``{name: object}`` of kerastorch's objects in ``package`` (a copy)."""
    return dict(_table(package))


def find_builtin(package, name):
    """kerastorch's object called ``name`` in ``package``, or None."""
    return _table(package).get(name)


def keras_module(obj):
    """The ``(module, registered_name)`` Keras writes for the class or function ``obj``."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return getattr(obj, "__module__", None), _GLOBAL_CUSTOM_NAMES[obj]
    module = _KERAS_MODULES.get(obj)
    if module is None:
        return getattr(obj, "__module__", None), getattr(obj, "__name__", None)
    return module, (obj.__name__ if module.startswith("keras.src.") else None)


def is_builtin(obj):
    return obj in _KERAS_MODULES


# ---- the user's objects ---------------------------------------------------------------------------------------

def register_keras_serializable(package="Custom", name=None):
    """A decorator that registers a class or function for serialization under ``"package>name"``.

    Configs written afterwards carry that registered name, and loading finds the object without
    ``custom_objects``.

    Args:
        package: The namespace of the registered name (default ``"Custom"``).
        name: The name within the package (default: the class or function's ``__name__``).

    Raises:
        ValueError: when the package contains ``>`` or a class has no ``get_config``.
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"Argument `package` must be a string without '>'. Received: package={package!r}")

    def decorator(obj):
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register {obj.__name__}: a class registered for serialization must "
                             f"implement `get_config()`.")
        registered_name = f"{package}>{name if name is not None else obj.__name__}"
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered_name
        return obj

    return decorator


def get_registered_name(obj):
    """The name ``obj`` was registered under (``"Package>Name"``), else its ``__name__``."""
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None))


def get_custom_objects():
    """The live global dict of registered objects (registered name -> object); it may be edited directly."""
    return _GLOBAL_CUSTOM_OBJECTS


def _scope_objects():
    return getattr(_SCOPE, "objects", {})


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object called ``name``: in the innermost ``custom_object_scope``, the global registry,
    ``custom_objects``, then ``module_objects`` (Keras's order); None when none has it."""
    for table in (_scope_objects(), _GLOBAL_CUSTOM_OBJECTS, custom_objects or {}, module_objects or {}):
        if name in table:
            return table[name]
    return None


def custom_objects_view(custom_objects=None):
    """One dict of the user's objects visible now: ``custom_objects``, the scope, the registry (later wins, as
    in Keras); registered objects are also reachable by their bare name when no other object takes it."""
    merged = {}
    for registered_name, obj in _GLOBAL_CUSTOM_OBJECTS.items():
        merged.setdefault(registered_name.split(">", 1)[-1], obj)
    merged.update(custom_objects or {})
    merged.update(_scope_objects())
    merged.update(_GLOBAL_CUSTOM_OBJECTS)
    return merged


class CustomObjectScope:
    """``with CustomObjectScope({"MyLayer": MyLayer}):``: the objects are visible to deserialization in the
    block. As in Keras, an inner scope replaces the outer one until it exits.

    Args:
        custom_objects: A dict of name -> class or function (several dicts are merged; None is empty).
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for objects in custom_objects:
            if objects is None:
                continue
            if not isinstance(objects, dict):
                raise TypeError(f"Expected dicts of custom objects. Received: {objects!r}")
            self.custom_objects.update(objects)
        self._backup = None

    def __enter__(self):
        self._backup = _scope_objects()
        _SCOPE.objects = dict(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _SCOPE.objects = self._backup


custom_object_scope = CustomObjectScope
