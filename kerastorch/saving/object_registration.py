"""Registering user classes and functions so that saved configs can name them and loading can find them.

``@register_keras_serializable(package="MyPackage")`` records a class under ``"MyPackage>ClassName"``; configs
written afterwards carry that registered name, and ``load_model`` finds the class without ``custom_objects``.
``custom_object_scope({...})`` makes objects visible to loading for the duration of a ``with`` block.
"""
import inspect
import threading

_GLOBAL_CUSTOM_OBJECTS = {}   # registered name -> class or function
_GLOBAL_CUSTOM_NAMES = {}     # class or function -> registered name
_SCOPES = threading.local()


def register_keras_serializable(package="Custom", name=None):
    """A decorator that registers a class or function for serialization under ``"package>name"``.

    Args:
        package: the namespace of the registered name (default ``"Custom"``).
        name: the name within the package (default: the class or function name).

    Raises:
        ValueError: when the package contains ``>``, when a class has no ``get_config``, or when the name is
            already registered to another object.
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"Argument `package` must be a string without '>'. Received: package={package!r}")

    def decorator(obj):
        registered_name = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register {obj.__name__}: a class registered for serialization must "
                             f"implement `get_config()`.")
        existing = _GLOBAL_CUSTOM_OBJECTS.get(registered_name)
        if existing is not None and existing is not obj and _qualified(existing) != _qualified(obj):
            raise ValueError(f"{registered_name} has already been registered to {existing}")
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered_name
        return obj

    return decorator


def _qualified(obj):
    return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"


def get_registered_name(obj):
    """The name ``obj`` was registered under, else its ``__name__``."""
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None))


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object called ``name`` in ``custom_objects``, the active ``custom_object_scope``s, the global registry
    (by registered name), or ``module_objects``; None when none has it."""
    for table in (custom_objects or {}), *reversed(_scope_stack()), _GLOBAL_CUSTOM_OBJECTS, (module_objects or {}):
        if name in table:
            return table[name]
    return None


def get_custom_objects():
    """The global registry dict (registered name -> object); it may be edited directly."""
    return _GLOBAL_CUSTOM_OBJECTS


def _scope_stack():
    if not hasattr(_SCOPES, "stack"):
        _SCOPES.stack = []
    return _SCOPES.stack


def active_custom_objects(custom_objects=None):
    """One dict of what loading may use: the global registry, then the open scopes, then ``custom_objects``
    (later entries win). Registered objects are also reachable by their bare class name."""
    merged = {}
    for registered_name, obj in _GLOBAL_CUSTOM_OBJECTS.items():
        merged.setdefault(registered_name.split(">", 1)[-1], obj)
        merged[registered_name] = obj
    for scope in _scope_stack():
        merged.update(scope)
    merged.update(custom_objects or {})
    return merged


class CustomObjectScope:
    """``with CustomObjectScope({"MyLayer": MyLayer}):``: the objects are visible to loading in the block.

    Args:
        custom_objects: dicts of name -> class or function (several may be given).
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for objects in custom_objects:
            if not isinstance(objects, dict):
                raise TypeError(f"Expected dicts of custom objects. Received: {objects!r}")
            self.custom_objects.update(objects)

    def __enter__(self):
        _scope_stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _scope_stack().pop()


custom_object_scope = CustomObjectScope
