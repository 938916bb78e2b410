"""The one serializer: every kerastorch object to Keras 3's config form and back.

An object's config is ``{"module", "class_name", "config", "registered_name"}`` (plus ``"build_config"`` and
``"compile_config"`` where the object has them), as Keras 3 writes it; plain values stay plain, and slices,
Ellipsis, bytes, arrays, tensors, symbolic tensors and functions have Keras's marker dicts. Classes and functions
are found through ``kerastorch.registry`` (kerastorch's own, by Keras package; the user's, by registered name,
``custom_objects`` and ``custom_object_scope``), never by importing a module that a config names, and a Python
lambda's code is only revived with ``safe_mode=False``.

This module is a leaf: it imports only the registry and the bottom of the layering, so every package's
``get``/``serialize``/``deserialize`` can be a thin call into it.
"""
import base64
import contextlib
import inspect
import marshal
import threading
import types

import numpy as np
import torch

from kerastorch import backend, registry
from kerastorch._lookup import closest_first, unknown_name_error
from kerastorch.dtype_policies import DTypePolicy
from kerastorch.keras_tensor import KerasTensor

_STATE = threading.local()

# Keras-only constructor arguments that kerastorch's layers do not take; dropped when they hold their defaults.
_IGNORABLE_DEFAULTS = (None, False, {}, [], 0)
# The packages whose functions a `{"class_name": "function"}` config from Keras may name (Keras's order).
_FUNCTION_PACKAGES = ("activations", "losses", "metrics")
# The Keras package each module prefix of a config means, when no package is asked for.
_MODULE_PACKAGES = (("keras.optimizers.schedules", "schedules"), ("keras.src.optimizers.schedules", "schedules"),
                    ("keras.optimizers", "optimizers"), ("keras.src.optimizers", "optimizers"),
                    ("keras.src.backend", "optimizers"), ("keras.losses", "losses"), ("keras.src.losses", "losses"),
                    ("keras.metrics", "metrics"), ("keras.src.metrics", "metrics"),
                    ("keras.initializers", "initializers"), ("keras.src.initializers", "initializers"),
                    ("keras.regularizers", "regularizers"), ("keras.src.regularizers", "regularizers"),
                    ("keras.constraints", "constraints"), ("keras.src.constraints", "constraints"),
                    ("keras.activations", "activations"), ("keras.src.activations", "activations"),
                    ("keras.src.ops", "ops"), ("keras.src.dtype_policies", "dtype_policies"),
                    ("keras.dtype_policies", "dtype_policies"))
# Modules of Keras (and of Keras 2 and tf.keras) whose unnamed classes are layers or models.
_KERAS_ROOTS = ("keras", "tf_keras", "tensorflow.keras", "tensorflow.python.keras")


# ---- safe mode --------------------------------------------------------------------------------------------------

def in_safe_mode():
    """Whether deserialization refuses code (a lambda's bytecode); True unless a load said otherwise."""
    setting = getattr(_STATE, "safe_mode", None)
    return True if setting is None else setting


@contextlib.contextmanager
def safe_mode_scope(value):
    """Deserialize with ``safe_mode=value`` inside the block (None keeps the current setting)."""
    previous = getattr(_STATE, "safe_mode", None)   # None: no enclosing scope decided
    _STATE.safe_mode = previous if value is None else bool(value)
    try:
        yield
    finally:
        _STATE.safe_mode = previous


SafeModeScope = safe_mode_scope


def enable_unsafe_deserialization():
    """Allow lambdas to be revived by every later deserialization in this thread (Keras's switch)."""
    _STATE.safe_mode = False


# ---- dtypes in configs ------------------------------------------------------------------------------------------

def dtype_name(value):
    """A dtype name from a string or a DTypePolicy config."""
    if isinstance(value, dict):
        return (value.get("config") or {}).get("name")
    return value


# ---- serializing ------------------------------------------------------------------------------------------------

def serialize_keras_object(obj, history_of=None):
    """Keras 3's config of ``obj``: a layer, model, optimizer, schedule, loss, metric, initializer, regularizer,
    constraint, activation, dtype policy, function, or a structure of them and plain values.

    Args:
        obj: What to serialize.
        history_of: For functional graphs: ``history_of(symbolic_tensor)`` gives the ``[layer, node, index]``
            recorded for a symbolic tensor.

    Raises:
        ValueError: for an object that has no ``get_config`` and is not a function or a plain value.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(v, history_of) for v in obj]
    if isinstance(obj, dict):
        return {str(k): serialize_keras_object(v, history_of) for k, v in obj.items()}
    marker = _serialize_marker(obj, history_of)
    if marker is not None:
        return marker
    if isinstance(obj, torch.dtype):
        return str(obj).replace("torch.", "")
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return serialize_function(obj)
    if not hasattr(obj, "get_config"):
        raise ValueError(f"Cannot serialize {obj!r} (of type {type(obj).__name__}): a serializable object "
                         f"implements `get_config()`.")
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"The `get_config()` method of {obj!r} should return a dict. It returned: {config!r}")
    config = dict(config)
    policy = getattr(obj, "dtype_policy", None)
    if isinstance(config.get("dtype"), str) and isinstance(policy, DTypePolicy) \
            and getattr(obj, "_config_dtype_as_policy", True):
        config["dtype"] = DTypePolicy(config["dtype"])   # Keras writes a layer's dtype as a policy's config
    module, registered_name = registry.keras_module(type(obj))
    # A class may be written under Keras's exported name where that differs from its own (GroupQueryAttention).
    class_name = type(obj).__dict__.get("_keras_class_name", type(obj).__name__)
    entry = {"module": module, "class_name": class_name, "config": serialize_keras_object(config),
             "registered_name": registered_name}
    build_config = obj.get_build_config() if hasattr(obj, "get_build_config") else None
    if build_config is not None:
        entry["build_config"] = serialize_keras_object(build_config)
    compile_config = obj.get_compile_config() if hasattr(obj, "get_compile_config") else None
    if compile_config is not None:
        entry["compile_config"] = serialize_keras_object(compile_config)
    return entry


def _serialize_marker(value, history_of):
    if isinstance(value, KerasTensor):
        history = history_of(value) if history_of is not None else None
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(value.shape), "dtype": value.dtype, "keras_history": history}}
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": {"start": serialize_keras_object(value.start),
                                                      "stop": serialize_keras_object(value.stop),
                                                      "step": serialize_keras_object(value.step)}}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, bytes):
        return {"class_name": "__bytes__", "config": {"value": value.decode("utf-8")}}
    if isinstance(value, torch.Tensor):
        return {"class_name": "__tensor__", "config": {"value": value.detach().cpu().tolist(),
                                                       "dtype": str(value.dtype).replace("torch.", "")}}
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    if isinstance(value, (np.generic, np.ndarray)):
        return value.item()
    return None


def serialize_function(function):
    """A function as Keras 3 stores it: kerastorch's own by name (module ``builtins``), a user's by its
    registered name, a lambda as its marshalled bytecode (which only ``safe_mode=False`` revives)."""
    if getattr(function, "__name__", "<lambda>") == "<lambda>":
        code = base64.encodebytes(marshal.dumps(function.__code__)).decode("ascii")
        closure = None
        if function.__closure__:
            closure = [serialize_keras_object(cell.cell_contents) for cell in function.__closure__]
        defaults = [serialize_keras_object(d) for d in function.__defaults__] if function.__defaults__ else None
        return {"class_name": "__lambda__", "config": {"code": code, "defaults": defaults, "closure": closure}}
    if registry.is_builtin(function):
        return {"module": "builtins", "class_name": "function", "config": function.__name__,
                "registered_name": "function"}
    name = registry.get_registered_name(function)
    return {"module": getattr(function, "__module__", None), "class_name": "function", "config": name,
            "registered_name": "function" if name == function.__name__ else name}


# ---- deserializing ----------------------------------------------------------------------------------------------

def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object a Keras config describes: anything :func:`serialize_keras_object` writes, and the configs of
    Keras 3 and Keras 2.

    Args:
        config: A config dict, a structure of them, a plain value, or (with ``package``) a name.
        custom_objects: ``{name: class_or_function}`` for the user's objects, looked up first.
        safe_mode: Refuse to revive a lambda's code (an enclosing load's setting wins, as in Keras).
        **kwargs: ``package`` (kerastorch's: the Keras package to resolve names in, ``"losses"``), and Keras's
            ``module_objects`` (extra ``{name: object}`` looked up last) and ``printable_module_name`` (what is
            resolved, for errors).

    Raises:
        ValueError: for an unknown class or function (listing kerastorch's closest names, and saying how to
            pass ``custom_objects``), or a lambda in safe mode.
    """
    package = kwargs.pop("package", None)
    module_objects = kwargs.pop("module_objects", None)
    kind = kwargs.pop("printable_module_name", None) or _KINDS.get(package, "object")
    if kwargs:
        raise TypeError(f"Unexpected keyword arguments: {sorted(kwargs)}")
    safe_mode = in_safe_mode() if getattr(_STATE, "safe_mode", None) is not None else safe_mode
    with safe_mode_scope(safe_mode), registry.custom_object_scope(registry.custom_objects_view(custom_objects)):
        return _deserialize(config, package, module_objects, kind)


_KINDS = {"layers": "layer", "losses": "loss", "metrics": "metric", "optimizers": "optimizer",
          "schedules": "learning rate schedule", "initializers": "initializer", "regularizers": "regularizer",
          "constraints": "constraint", "activations": "activation", "dtype_policies": "dtype policy",
          "ops": "operation"}


def _deserialize(config, package, module_objects, kind):
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        if package is None and module_objects is None:
            found = registry.get_registered_object(config)
            return config if found is None else found
        return _instance(_lookup_name(config, package, module_objects, kind))
    if isinstance(config, (list, tuple)):
        return [_deserialize(v, package, module_objects, kind) for v in config]
    if not isinstance(config, dict):
        return config
    if "class_name" not in config:
        return {k: _deserialize(v, None, None, "object") for k, v in config.items()}
    class_name = config["class_name"]
    revived = _deserialize_marker(config)
    if revived is not _NOT_A_MARKER:
        return revived
    if class_name == "function":
        return _lookup_function(config, package, module_objects, kind)
    cls = resolve_class(config, package=package, module_objects=module_objects, kind=kind)
    if not inspect.isclass(cls):
        return cls   # a function registered under a class's name
    inner = config.get("config")
    if inner is None:
        inner = {}
    if not isinstance(inner, dict):
        raise ValueError(f"Invalid config for class '{class_name}': expected a dict under 'config'. "
                         f"Received: {inner!r}")
    inner = _clean_config(cls, inner)
    try:
        instance = cls.from_config(inner)
    except TypeError as error:
        raise ValueError(f"Could not rebuild class '{cls.__name__}' from its config: {error}. A custom class "
                         f"must implement `get_config()` returning its constructor arguments (and "
                         f"`from_config()` when they are not plain values).") from None
    build_config = config.get("build_config")
    if isinstance(build_config, dict) and build_config.get("input_shape") is not None \
            and not getattr(instance, "built", True):
        instance.build_from_config({"input_shape": _as_shape(build_config["input_shape"])})
    elif isinstance(build_config, dict) and build_config.get("shapes_dict") and not getattr(instance, "built", True):
        # A layer of several inputs (MultiHeadAttention) is built from one shape per call argument.
        instance.build_from_config({"shapes_dict": _as_shape(build_config["shapes_dict"])})
    return instance


_NOT_A_MARKER = object()


def _deserialize_marker(config):
    marker = config.get("class_name")
    inner = config.get("config") if isinstance(config.get("config"), dict) else {}
    if marker == "__slice__":
        return slice(inner.get("start"), inner.get("stop"), inner.get("step"))
    if marker == "__ellipsis__":
        return Ellipsis
    if marker == "__bytes__":
        return str(inner.get("value", "")).encode("utf-8")
    if marker == "__numpy__":
        return np.asarray(inner.get("value"), dtype=inner.get("dtype"))
    if marker == "__tensor__":
        return torch.as_tensor(np.asarray(inner.get("value")), dtype=backend.torch_dtype(inner.get("dtype")))
    if marker == "__lambda__":
        return _revive_lambda(inner)
    if marker == "__keras_tensor__":
        raise ValueError(f"Cannot revive a symbolic tensor outside of its functional graph: {config!r}")
    return _NOT_A_MARKER


def deserialize_value(value, resolve_history=None):
    """A call argument of a functional graph's node from its config: markers become slices, Ellipsis, arrays,
    tensors, and symbolic tensors (through ``resolve_history([layer, node, index])``)."""
    if isinstance(value, list):
        return [deserialize_value(v, resolve_history) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") == "__keras_tensor__":
        history = (value.get("config") or {}).get("keras_history")
        if resolve_history is None or not history:
            raise ValueError(f"Cannot revive a symbolic tensor without its history: {value!r}")
        return resolve_history(history)
    if "class_name" in value:
        revived = _deserialize_marker(value)
        if revived is not _NOT_A_MARKER:
            return revived
    return {k: deserialize_value(v, resolve_history) for k, v in value.items()}


def _instance(obj):
    return obj() if inspect.isclass(obj) else obj


def _lookup_name(name, package, module_objects, kind):
    found = registry.get_registered_object(name, module_objects=module_objects)
    if found is None and package is not None:
        found = registry.find_builtin(package, name)
    if found is None:
        candidates = registry.builtin_objects(package) if package else {}
        candidates.update(module_objects or {})
        raise unknown_name_error(kind, name, candidates)
    return found


def _lookup_function(config, package, module_objects, kind):
    name = config.get("config")
    if not isinstance(name, str):
        raise ValueError(f"Expected the name of a function under 'config'. Received: {config!r}")
    registered_name = config.get("registered_name")
    for key in (name, registered_name):
        if isinstance(key, str) and key != "function":
            found = registry.get_registered_object(key, module_objects=module_objects)
            if found is not None:
                return found
    for searched in ((package,) if package else ()) + _FUNCTION_PACKAGES:
        found = registry.find_builtin(searched, name)
        if found is not None and not inspect.isclass(found):
            return found
    # Keras 3.6 and older saved a registered function by its bare name.
    for registered, obj in registry.get_custom_objects().items():
        if registered.endswith(f">{name}"):
            return obj
    candidates = registry.builtin_objects(package) if package else {}
    functions = [n for n, o in candidates.items() if not inspect.isclass(o)]
    close = ", ".join(closest_first(name, functions)[:5]) if functions else ""
    hint = f" kerastorch's {kind} functions closest to it: {close}." if close else ""
    raise ValueError(f"Could not locate function '{name}'.{hint} If it is a custom function, pass it when "
                     f"loading, e.g. `custom_objects={{'{name}': {name}}}`, or register it with "
                     f"`@kerastorch.saving.register_keras_serializable()`.")


def _package_of(module):
    if not isinstance(module, str):
        return None
    for prefix, package in _MODULE_PACKAGES:
        if module == prefix or module.startswith(prefix + "."):
            return package
    return None


def _is_keras_module(module):
    return module is None or any(module == root or module.startswith(root + ".") for root in _KERAS_ROOTS)


def resolve_class(config, custom_objects=None, package=None, module_objects=None, kind=None):
    """The class a ``{"module", "class_name", "registered_name"}`` config names: the user's object by its
    registered or class name, else kerastorch's class in the package the module (or ``package``) says.

    Raises:
        ValueError: naming the class, kerastorch's closest classes, and how to pass ``custom_objects``.
    """
    class_name = config.get("class_name")
    if not isinstance(class_name, str):
        raise ValueError(f"Invalid {kind or 'object'} config: expected a 'class_name' string. Received: {config!r}")
    module = config.get("module")
    for key in (config.get("registered_name"), class_name):
        if isinstance(key, str):
            found = registry.get_registered_object(key, custom_objects, module_objects)
            if found is not None:
                return found
    packages = []
    module_package = _package_of(module)
    if module_package:
        packages.append(module_package)
    if package and package not in packages:
        packages.append(package)
    if not module_package and _is_keras_module(module):
        packages += ["layers", "dtype_policies"]   # keras.Sequential, keras.DTypePolicy; Keras 2 wrote no module
    for searched in packages:
        found = registry.find_builtin(searched, class_name)
        if found is not None and inspect.isclass(found):
            return found
    kind = kind or _KINDS.get(packages[0] if packages else None, "object")
    where = f" (module '{module}')" if module else ""
    hint = ""
    if packages:
        names = [n for n, o in registry.builtin_objects(packages[0]).items() if inspect.isclass(o)]
        close = closest_first(class_name, names)[:3] if names else []
        hint = f" kerastorch's {kind} classes closest to it: {', '.join(close)}." if close else ""
    raise ValueError(
        f"Could not locate {kind} class '{class_name}'{where}.{hint} If it is a custom class, pass it when loading, "
        f"e.g. `kerastorch.models.load_model(path, custom_objects={{'{class_name}': {class_name}}})`, or register "
        f"it with `@kerastorch.saving.register_keras_serializable()`.")


# ---- configs from Keras: the arguments kerastorch's classes take ----------------------------------------------

def _accepted_arguments(cls):
    """The keyword arguments ``cls(...)`` accepts, following ``**kwargs`` up the constructors to the base that
    names what its own ``**kwargs`` take (``_init_kwargs``); None for an unrestricted ``**kwargs``."""
    accepted = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters.values()
        accepted.update(p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        if not any(p.kind == p.VAR_KEYWORD for p in parameters):
            return accepted
        if "_init_kwargs" in klass.__dict__:
            return accepted | set(klass._init_kwargs)
    return None


def _clean_config(cls, config):
    """``config`` ready for ``cls.from_config``: dtype policies as names, functions and lambdas revived,
    Keras-only arguments that hold their defaults dropped."""
    config = {k: v for k, v in config.items() if k != "shared_object_id"}
    if "dtype" in config:
        config["dtype"] = dtype_name(config["dtype"])
    for key, value in config.items():
        if isinstance(value, dict) and value.get("class_name") in ("function", "__lambda__"):
            config[key] = _deserialize(value, None, None, "function")
    accepted = _accepted_arguments(cls)
    if accepted is not None and "from_config" not in cls.__dict__:
        for key in list(config):
            if key not in accepted and (_is_ignorable(config[key]) or key == "quantization_config"):
                del config[key]
    return config


def _is_ignorable(value):
    return any(type(value) is type(default) and value == default for default in _IGNORABLE_DEFAULTS)


def _as_shape(value):
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (list, tuple)) or v is None for v in value) \
            and any(isinstance(v, (list, tuple)) for v in value):
        return [_as_shape(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_shape(v) for k, v in value.items()}
    return tuple(value) if isinstance(value, (list, tuple)) else value


# ---- lambdas ----------------------------------------------------------------------------------------------------

def _revive_lambda(config):
    if in_safe_mode():
        raise ValueError(
            "Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda. This carries a "
            "potential risk of arbitrary code execution and thus it is disallowed by default. If you trust the "
            "source of the artifact, you can override this error by passing `safe_mode=False` to the loading "
            "function.")
    import kerastorch
    try:
        code = marshal.loads(base64.decodebytes(str(config["code"]).encode("ascii")))
    except (KeyError, ValueError, TypeError, EOFError) as error:
        raise ValueError(f"The lambda's stored bytecode cannot be read (it must come from the same Python "
                         f"version): {error}") from None
    namespace = {"torch": torch, "np": np, "numpy": np, "keras": kerastorch, "kerastorch": kerastorch,
                 "__builtins__": __builtins__}
    defaults = tuple(config["defaults"]) if config.get("defaults") else None
    closure = tuple(types.CellType(value) for value in config["closure"]) if config.get("closure") else None
    return types.FunctionType(code, namespace, code.co_name, defaults, closure)


# ---- identifiers: the rule every package's `get` shares ---------------------------------------------------------

def get_object(package, identifier, example, deserialize=None):
    """Keras's ``get`` for ``package``: None stays None, a name or config dict is deserialized, a class is built
    with its defaults, any other callable is returned as is.

    Args:
        package: The Keras package (``"constraints"``).
        identifier: The user's value.
        example: A valid name, quoted in the error for an uninterpretable identifier.
        deserialize: The package's own ``deserialize(config)``, when it has rules of its own for names.
    """
    kind = _KINDS.get(package, package)
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        if deserialize is not None:
            return deserialize(identifier)
        return deserialize_keras_object(identifier, package=package)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}. Expected a name such as "
                     f"{example!r}, a config dict, a {kind} object or a callable.")
