"""Layer and model configs in Keras 3's serialized form, ``{"module", "class_name", "config", "registered_name"}``,
and the reverse: objects from configs written by Keras 3, Keras 2 or kerastorch.

Deserializing never imports a module named in a config and never runs code from one: classes come from
kerastorch's own tables, ``custom_objects`` and the registry (``register_keras_serializable``). A Lambda's
Python code is only revived with ``safe_mode=False``; torch modules are never unpickled.
"""
import base64
import contextlib
import inspect
import marshal
import threading
import types

import numpy as np
import torch

from kerastorch._lookup import closest_first

_STATE = threading.local()

# Keras-only constructor arguments that kerastorch's layers do not take; dropped when they hold their defaults.
_IGNORABLE_DEFAULTS = (None, False, {}, [], 0)


def safe_mode():
    """Whether deserialization refuses code (Lambda bytecode); True unless a load said otherwise."""
    return getattr(_STATE, "safe_mode", True)


@contextlib.contextmanager
def safe_mode_scope(value):
    """Deserialize with ``safe_mode=value`` inside the block (None keeps the current setting)."""
    previous = safe_mode()
    _STATE.safe_mode = previous if value is None else bool(value)
    try:
        yield
    finally:
        _STATE.safe_mode = previous


def dtype_policy(name):
    """Keras 3's config of a layer's dtype."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}


def dtype_name(value):
    """A dtype name from a string or a Keras DTypePolicy config."""
    if isinstance(value, dict):
        return (value.get("config") or {}).get("name")
    return value


# ---- values inside configs ------------------------------------------------------------------------------------

def serialize_value(value, history_of=None):
    """A JSON-ready form of a call argument or config value, as Keras 3 writes it: KerasTensors as
    ``__keras_tensor__`` (``history_of(tensor)`` gives its ``[layer, node, index]``), slices, Ellipsis, arrays and
    tensors as their marker dicts, tuples as lists, objects with ``get_config`` as their configs."""
    from kerastorch.keras_tensor import KerasTensor
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [serialize_value(v, history_of) for v in value]
    if isinstance(value, dict):
        return {str(k): serialize_value(v, history_of) for k, v in value.items()}
    if isinstance(value, KerasTensor):
        history = history_of(value) if history_of is not None else None
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(value.shape), "dtype": value.dtype, "keras_history": history}}
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": {"start": serialize_value(value.start),
                                                      "stop": serialize_value(value.stop),
                                                      "step": serialize_value(value.step)}}
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
    if isinstance(value, torch.dtype):
        return str(value).replace("torch.", "")
    if hasattr(value, "get_config"):
        return serialize_keras_object(value)
    if callable(value) and hasattr(value, "__name__"):
        return serialize_function(value)
    raise ValueError(f"Cannot serialize {value!r} (of type {type(value).__name__}) into a config.")


def deserialize_value(value, resolve_history=None):
    """The reverse of :func:`serialize_value` for call arguments: marker dicts become slices, Ellipsis, arrays,
    and KerasTensors (through ``resolve_history([layer, node, index])``)."""
    if isinstance(value, list):
        return [deserialize_value(v, resolve_history) for v in value]
    if not isinstance(value, dict):
        return value
    marker = value.get("class_name")
    config = value.get("config") if isinstance(value.get("config"), dict) else {}
    if marker == "__keras_tensor__":
        if resolve_history is None or not config.get("keras_history"):
            raise ValueError(f"Cannot revive a symbolic tensor without its history: {value!r}")
        return resolve_history(config["keras_history"])
    if marker == "__slice__":
        return slice(config.get("start"), config.get("stop"), config.get("step"))
    if marker == "__ellipsis__":
        return Ellipsis
    if marker == "__bytes__":
        return str(config.get("value", "")).encode("utf-8")
    if marker == "__numpy__":
        return np.asarray(config.get("value"), dtype=config.get("dtype"))
    if marker == "__tensor__":
        from kerastorch import backend
        return torch.as_tensor(np.asarray(config.get("value")), dtype=backend.torch_dtype(config.get("dtype")))
    return {k: deserialize_value(v, resolve_history) for k, v in value.items()}


# ---- functions (Lambda) ---------------------------------------------------------------------------------------

def serialize_function(function):
    """A function as Keras 3 stores it: a named function by name, a lambda as its marshalled bytecode (which only
    ``safe_mode=False`` revives)."""
    if getattr(function, "__name__", "<lambda>") != "<lambda>":
        return {"module": getattr(function, "__module__", None), "class_name": "function",
                "config": function.__name__, "registered_name": "function"}
    code = base64.encodebytes(marshal.dumps(function.__code__)).decode("ascii")
    closure = None
    if function.__closure__:
        closure = [serialize_value(cell.cell_contents) for cell in function.__closure__]
    defaults = [serialize_value(d) for d in function.__defaults__] if function.__defaults__ else None
    return {"class_name": "__lambda__", "config": {"code": code, "defaults": defaults, "closure": closure}}


def deserialize_function(config, custom_objects=None, what="Lambda"):
    """A function from :func:`serialize_function`'s dict (or a bare name). Names are looked up in
    ``custom_objects``, the registry and kerastorch's activations; bytecode needs ``safe_mode=False``."""
    from kerastorch.saving.object_registration import active_custom_objects
    if callable(config):
        return config
    if isinstance(config, dict) and config.get("class_name") == "__lambda__":
        if safe_mode():
            raise ValueError(
                f"Requested the deserialization of a `{what}` layer whose `function` is a Python lambda. This "
                f"carries a potential risk of arbitrary code execution and thus it is disallowed by default. If you "
                f"trust the source of the artifact, you can override this error by passing `safe_mode=False` to "
                f"the loading function.")
        return _revive_lambda(config.get("config") or {})
    name = config.get("config") if isinstance(config, dict) else config
    if not isinstance(name, str):
        raise ValueError(f"Cannot deserialize the function of a `{what}` layer: expected a name or a lambda config. "
                         f"Received: {config!r}")
    objects = active_custom_objects(custom_objects)
    if name in objects:
        return objects[name]
    from kerastorch import activations
    try:
        return activations.get(name)
    except ValueError:
        raise ValueError(f"Could not locate function '{name}' used by a `{what}` layer. Pass it when loading: "
                         f"`custom_objects={{'{name}': {name}}}`, or register it with "
                         f"`@kerastorch.saving.register_keras_serializable()`.") from None


def _revive_lambda(config):
    import kerastorch
    try:
        code = marshal.loads(base64.decodebytes(str(config["code"]).encode("ascii")))
    except (KeyError, ValueError, TypeError, EOFError) as error:
        raise ValueError(f"The Lambda's stored bytecode cannot be read (it must come from the same Python "
                         f"version): {error}") from None
    namespace = {"torch": torch, "np": np, "numpy": np, "keras": kerastorch, "kerastorch": kerastorch,
                 "__builtins__": __builtins__}
    defaults = tuple(config["defaults"]) if config.get("defaults") else None
    closure = tuple(types.CellType(value) for value in config["closure"]) if config.get("closure") else None
    return types.FunctionType(code, namespace, code.co_name, defaults, closure)


# ---- classes --------------------------------------------------------------------------------------------------

def _module_and_registered_name(obj):
    from kerastorch.saving.object_registration import _GLOBAL_CUSTOM_NAMES
    cls = type(obj)
    if cls in _GLOBAL_CUSTOM_NAMES:
        return cls.__module__, _GLOBAL_CUSTOM_NAMES[cls]
    module = cls.__module__
    from kerastorch.layers.layer import Layer
    from kerastorch.ops.numpy import KERAS_OPS_MODULE
    from kerastorch.ops.operation import Operation
    if isinstance(obj, Operation) and not isinstance(obj, Layer):
        return KERAS_OPS_MODULE, cls.__name__
    if module == "kerastorch.models.functional":
        return "keras.src.models.functional", cls.__name__
    if module == "kerastorch.models.sequential":
        return "keras", None
    if module == "kerastorch.models.model":
        return "keras.src.models.model", cls.__name__
    for prefix in ("layers", "optimizers", "losses", "metrics", "initializers", "regularizers", "constraints"):
        if module == f"kerastorch.{prefix}" or module.startswith(f"kerastorch.{prefix}."):
            return f"keras.{prefix}", None
    return module, cls.__name__


def serialize_keras_object(obj):
    """Keras 3's config of a layer, model, optimizer, loss, metric or other object with ``get_config``."""
    from kerastorch.layers.layer import Layer
    if isinstance(obj, Layer):
        return serialize_layer(obj)
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if not hasattr(obj, "get_config"):
        return serialize_value(obj)
    module, registered_name = _module_and_registered_name(obj)
    return {"module": module, "class_name": type(obj).__name__, "config": serialize_value(obj.get_config()),
            "registered_name": registered_name}


def serialize_layer(layer):
    """A layer's (or model's) entry in a config, as Keras 3 writes it, with its ``build_config`` once built."""
    from kerastorch.layers.core import InputLayer, Lambda
    from kerastorch.layers.layer import Layer
    from kerastorch.models.model import Model
    config = dict(layer.get_config())
    if isinstance(config.get("dtype"), str) and not isinstance(layer, InputLayer):
        config["dtype"] = dtype_policy(config["dtype"])
    if isinstance(layer, Lambda):
        config["function"] = serialize_function(layer.function)
        if callable(layer._output_shape):
            config["output_shape"] = serialize_function(layer._output_shape)
    module, registered_name = _module_and_registered_name(layer)
    entry = {"module": module, "class_name": type(layer).__name__, "config": serialize_value(config),
             "registered_name": registered_name}
    if type(layer).__name__ == "Sequential" and layer.built and getattr(layer, "input_shape", None) is not None:
        entry["config"]["build_input_shape"] = serialize_value(layer.input_shape)
    if layer.built and not isinstance(layer, InputLayer) and isinstance(layer, Layer):
        shapes = None if type(layer).__name__ == "Functional" else layer._build_shapes
        if shapes is not None or type(layer).__name__ == "Functional":
            entry["build_config"] = {"input_shape": serialize_value(shapes)}
    if isinstance(layer, Model):
        entry["compile_config"] = layer.get_compile_config() if hasattr(layer, "get_compile_config") else {}
    return entry


def _class_tables():
    import kerastorch.layers as layers
    from kerastorch.layers.layer import Layer
    from kerastorch.models.functional import Functional
    from kerastorch.models.sequential import Sequential
    from kerastorch.ops.numpy import OPERATIONS
    layer_classes = {name: getattr(layers, name) for name in dir(layers)
                     if inspect.isclass(getattr(layers, name)) and issubclass(getattr(layers, name), Layer)}
    # Keras 2 saved functional models as class "Model" too.
    layer_classes.update({"Functional": Functional, "Model": Functional, "Sequential": Sequential})
    return layer_classes, dict(OPERATIONS)


def _is_keras_module(module, *prefixes):
    return module is None or any(module == p or module.startswith(p + ".") for p in prefixes)


def resolve_class(config, custom_objects=None, kind="layer"):
    """The class a ``{"module", "class_name", "registered_name"}`` config names.

    Raises:
        ValueError: naming the class and saying how to pass ``custom_objects`` when nothing provides it.
    """
    from kerastorch.saving.object_registration import active_custom_objects
    class_name = config.get("class_name")
    if not isinstance(class_name, str):
        raise ValueError(f"Invalid {kind} config: expected a 'class_name' string. Received: {config!r}")
    registered_name = config.get("registered_name")
    module = config.get("module")
    objects = active_custom_objects(custom_objects)
    for key in (registered_name, class_name):
        if isinstance(key, str) and key in objects:
            return objects[key]
    layer_classes, operations = _class_tables()
    if isinstance(module, str) and module.startswith("keras.src.ops"):
        table = operations
    elif _is_keras_module(module, "keras", "tf_keras", "tensorflow.keras"):
        table = layer_classes
    else:
        table = {}
    cls = table.get(class_name)
    if cls is not None:
        return cls
    where = f" (module '{module}')" if module else ""
    hint = ""
    if table:
        close = closest_first(class_name, list(table))[:3]
        hint = f" kerastorch's {kind} classes closest to it: {', '.join(close)}."
    raise ValueError(
        f"Could not locate {kind} class '{class_name}'{where}.{hint} If it is a custom class, pass it when loading, "
        f"e.g. `kerastorch.models.load_model(path, custom_objects={{'{class_name}': {class_name}}})`, or register "
        f"it with `@kerastorch.saving.register_keras_serializable()`.")


def _accepted_arguments(cls):
    """The keyword arguments ``cls(...)`` accepts, following ``**kwargs`` up to Layer's constructor."""
    from kerastorch.layers.layer import Layer
    accepted = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters.values()
        accepted.update(p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        if not any(p.kind == p.VAR_KEYWORD for p in parameters):
            return accepted
        if klass is Layer:
            accepted.update(("input_shape", "batch_input_shape", "input_dim", "batch_size", "input_dtype"))
            return accepted
    return None  # an unrestricted **kwargs all the way down


def clean_layer_config(cls, config):
    """``config`` ready for ``cls.from_config``: dtype policies as names, Keras-only arguments that hold their
    defaults dropped, Keras 2 spellings translated."""
    config = {k: v for k, v in dict(config).items() if k != "shared_object_id"}
    if "dtype" in config:
        config["dtype"] = dtype_name(config["dtype"])
    if cls.__name__ in ("BatchNormalization", "LayerNormalization") and isinstance(config.get("axis"), list) \
            and len(config["axis"]) == 1:
        config["axis"] = config["axis"][0]   # Keras 2 stored a built layer's axis as a list
    accepted = _accepted_arguments(cls)
    if accepted is not None and "from_config" not in cls.__dict__:
        for key in list(config):
            if key not in accepted and (config[key] in _IGNORABLE_DEFAULTS or key == "quantization_config"):
                del config[key]
    return config


def _as_shape(value):
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (list, tuple)) or v is None for v in value) \
            and any(isinstance(v, (list, tuple)) for v in value):
        return [_as_shape(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_shape(v) for k, v in value.items()}
    return tuple(value) if isinstance(value, (list, tuple)) else value


def deserialize_layer(config, custom_objects=None):
    """A layer (or model, or graph operation) from its config entry, built from its ``build_config``."""
    from kerastorch.layers.core import Lambda
    if not isinstance(config, dict):
        raise ValueError(f"Invalid layer config: expected a dict. Received: {config!r}")
    cls = resolve_class(config, custom_objects, kind="layer")
    layer_config = config.get("config")
    if not isinstance(layer_config, dict):
        raise ValueError(f"Invalid config for layer class '{config.get('class_name')}': expected a dict under "
                         f"'config'. Received: {layer_config!r}")
    layer_config = clean_layer_config(cls, layer_config)
    if issubclass(cls, Lambda):
        layer_config["function"] = deserialize_function(layer_config.get("function"), custom_objects)
        if isinstance(layer_config.get("output_shape"), dict):
            layer_config["output_shape"] = deserialize_function(layer_config["output_shape"], custom_objects)
        layer_config.pop("function_type", None)
        layer_config.pop("output_shape_type", None)
        layer_config.pop("module", None)
        layer_config.pop("output_shape_module", None)
    accepts_custom_objects = "custom_objects" in inspect.signature(cls.from_config).parameters
    try:
        if accepts_custom_objects:
            layer = cls.from_config(layer_config, custom_objects=custom_objects)
        else:
            layer = cls.from_config(layer_config)
    except TypeError as error:
        raise ValueError(f"Could not rebuild layer class '{cls.__name__}' from its config: {error}. A custom "
                         f"class must implement `get_config()` returning its constructor arguments (and "
                         f"`from_config()` when they are not plain values).") from None
    build_config = config.get("build_config")
    if isinstance(build_config, dict) and build_config.get("input_shape") is not None and not layer.built:
        shape = _as_shape(build_config["input_shape"])
        if hasattr(layer, "build_from_config"):
            layer.build_from_config({"input_shape": shape})
        else:
            layer._maybe_build(shape)
            layer.built = True
    return layer


def deserialize_keras_object(config, custom_objects=None, kind="object"):
    """Any object a Keras config describes: layers and models, optimizers, losses, metrics, initializers,
    regularizers, constraints; plain values pass through."""
    if not isinstance(config, dict) or "class_name" not in config:
        return deserialize_value(config)
    module = config.get("module") or ""
    from kerastorch import constraints, initializers, losses, metrics, optimizers, regularizers
    from kerastorch.saving.object_registration import active_custom_objects
    objects = active_custom_objects(custom_objects)
    if module.startswith(("keras.optimizers", "keras.src.optimizers", "keras.src.backend")) or kind == "optimizer":
        return optimizers.deserialize(config, custom_objects=objects)
    if module.startswith(("keras.losses", "keras.src.losses")) or kind == "loss":
        return losses.deserialize(config, custom_objects=objects)
    if module.startswith(("keras.metrics", "keras.src.metrics")) or kind == "metric":
        return metrics.deserialize(config, custom_objects=objects)
    for name, submodule in (("initializers", initializers), ("regularizers", regularizers),
                            ("constraints", constraints)):
        if module.startswith((f"keras.{name}", f"keras.src.{name}")):
            return submodule.deserialize(config, custom_objects=objects)
    return deserialize_layer(config, custom_objects)
