"""Configs of the small Keras objects (initializers, regularizers, constraints) in Keras 3's serialized form:
``{"module", "class_name", "config", "registered_name"}``, and the ``get(identifier)`` rule they share."""
import inspect

from kerastorch._lookup import lookup


def serialize_object(obj, module):
    """Keras's config for ``obj``: None stays None, an object with ``get_config`` gives its class and config,
    a plain function gives Keras's ``{"class_name": "function", "config": name}`` form.

    Args:
        obj: The object to describe.
        module: The Keras module name recorded for objects (``"keras.initializers"``).
    """
    if obj is None:
        return None
    if hasattr(obj, "get_config"):
        return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(),
                "registered_name": None}
    if callable(obj) and hasattr(obj, "__name__"):
        return {"module": getattr(obj, "__module__", None), "class_name": "function", "config": obj.__name__,
                "registered_name": "function"}
    raise ValueError(f"Cannot serialize {obj!r}: expected an object with `get_config()` or a function.")


def deserialize_object(kind, config, table, custom_objects=None):
    """The object a config describes: a name builds that class with its defaults; a dict builds
    ``class_name`` from its ``config``; a ``"function"`` dict returns the named function.

    Args:
        kind: What is looked up, for error messages (``"initializer"``).
        config: A name or a dict as :func:`serialize_object` writes it.
        table: ``{name: class}`` of the built-ins.
        custom_objects: Optional ``{name: class_or_function}`` consulted first.
    """
    table = {**table, **(custom_objects or {})}
    if isinstance(config, str):
        return lookup(kind, config, table)()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a {kind} name or a config dict with a 'class_name' key. Received: {config!r}")
    if config["class_name"] == "function":
        return lookup(kind, config.get("config"), table)
    return lookup(kind, config["class_name"], table).from_config(config.get("config") or {})


def get_object(kind, identifier, deserialize, example):
    """Keras's ``get``: None stays None, a name or dict is deserialized, a class is built with its defaults,
    any other callable is returned as is.

    Args:
        kind: What is resolved, for error messages (``"constraint"``).
        identifier: The user's value.
        deserialize: The module's ``deserialize(config)``.
        example: A valid name, quoted in the error for an uninterpretable identifier.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}. Expected a name such as "
                     f"{example!r}, a config dict, a {kind} object or a callable.")
