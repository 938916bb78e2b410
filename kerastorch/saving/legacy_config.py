"""Configs in the schema Keras 2 (tf.keras 2.x, tf_keras) reads, for the ``model_config`` of legacy ``.h5`` files.

kerastorch serializes in Keras 3's schema. Keras 3 reads Keras 2's schema as well (it loads tf.keras files), but
tf.keras does not read Keras 3's, so an ``.h5`` file that both should load carries Keras 2's:

- a dtype policy is its name (``"float32"``); a mixed one keeps Keras 3's form (Keras 3 reads no other);
- ``InputLayer`` takes ``batch_input_shape``, not ``batch_shape``;
- a functional graph's ``inbound_nodes`` are lists of ``[layer_name, node_index, tensor_index, kwargs]`` (an
  RNN's ``initial_state`` as further inputs; a call of an operation on several operands keeps Keras 3's form) and
  ``input_layers``/``output_layers`` lists of ``[layer_name, node_index, tensor_index]``;
- arguments that only Keras 3 has are left out while they hold the value that means Keras 2's behaviour
  (``_KERAS3_ONLY``), and arguments Keras 3 renamed get their Keras 2 name back (``_RENAMED``);
- models (``Functional``, ``Sequential``) are named by class only: Keras 3's module path for them is not one of
  tf.keras's. Other objects keep their ``module`` and ``registered_name``, which tf.keras 2.13+ reads too.
"""
import copy

# {argument: value}: what Keras 3 added and Keras 2 does not accept, with the value that behaves as Keras 2 does.
_KERAS3_ONLY_ANY = {"quantization_config": None, "lora_rank": None, "lora_alpha": None, "input_axes": None,
                    "output_axes": None, "optional": False}
_KERAS3_ONLY = {
    "LSTM": {"seed": None, "use_cudnn": "auto"}, "GRU": {"seed": None, "use_cudnn": "auto"},
    "SimpleRNN": {"seed": None, "use_cudnn": "auto"}, "ConvLSTM1D": {"seed": None}, "ConvLSTM2D": {"seed": None},
    "ConvLSTM3D": {"seed": None}, "CuDNNLSTM": {"seed": None, "use_cudnn": "auto"},
    "CuDNNGRU": {"seed": None, "use_cudnn": "auto"},
    "LayerNormalization": {"rms_scaling": False},
    "MultiHeadAttention": {"sliding_window": None, "seed": None},
    "Embedding": {"embeddings_quantizer": None},
}
# {class: {Keras 3 name: Keras 2 name}}
_RENAMED = {"LeakyReLU": {"negative_slope": "alpha"}, "InputLayer": {"batch_shape": "batch_input_shape"}}


_MODEL_CLASSES = ("Functional", "Sequential", "Model")


def dtype_policy(value):
    """A dtype policy as Keras 2 writes it: its name. A mixed policy keeps Keras 3's form: Keras 3 does not read
    Keras 2's (``{"class_name": "Policy", ...}``), and tf.keras does not read Keras 3's."""
    if isinstance(value, dict) and value.get("class_name") in ("DTypePolicy", "FloatDTypePolicy", "Policy"):
        name = (value.get("config") or {}).get("name")
        if isinstance(name, str) and not name.startswith("mixed_"):
            return name
    return value


def _object(value):
    """A serialized object (``{"class_name": ..., "config": ...}``) in Keras 2's form, recursively."""
    if isinstance(value, list):
        return [_object(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "class_name" not in value or "config" not in value or value.get("class_name") == "__keras_tensor__":
        return {key: _object(item) for key, item in value.items()}
    class_name = value["class_name"]
    if class_name in ("DTypePolicy", "FloatDTypePolicy"):
        return dtype_policy(value)
    if class_name in _MODEL_CLASSES:
        # Keras 2 knows its models by class name only (Keras 3's module path is not one of tf.keras's).
        converted = {"class_name": class_name}
    else:
        converted = {key: value[key] for key in ("module", "class_name", "registered_name") if key in value}
    config = value["config"]
    converted["config"] = layer_config(class_name, config) if isinstance(config, dict) else config
    for key in ("build_config", "name", "inbound_nodes", "shared_object_id"):
        if key in value:
            converted[key] = value[key]
    if "inbound_nodes" in converted:
        converted["inbound_nodes"] = [_node(node) for node in converted["inbound_nodes"]]
    return converted


def layer_config(class_name, config):
    """``config`` (a layer's, an initializer's, a model's...) in Keras 2's schema."""
    only = {**_KERAS3_ONLY_ANY, **_KERAS3_ONLY.get(class_name, {})}
    renamed = _RENAMED.get(class_name, {})
    converted = {}
    for key, value in config.items():
        if key in only and value == only[key] and type(value) is type(only[key]):
            continue
        if key == "dtype":
            converted[key] = dtype_policy(value)
        elif key in ("input_layers", "output_layers"):
            converted[key] = _endpoints(value)
        else:
            converted[renamed.get(key, key)] = _object(value)
    return converted


def _endpoints(value):
    """``[[layer_name, node_index, tensor_index], ...]``: Keras 3 writes one endpoint without the outer list."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return [list(value)]
    if isinstance(value, dict):   # Keras 3's dict of named inputs: Keras 2 knows lists only
        return [list(v) for v in value.values()]
    return [list(v) for v in value]


def _history(tensor):
    """``[layer_name, node_index, tensor_index]`` of a serialized keras tensor, or None."""
    if isinstance(tensor, dict) and tensor.get("class_name") == "__keras_tensor__":
        return list(tensor["config"]["keras_history"])
    return None


def _tensor_references(value):
    """``value`` with each serialized keras tensor as its ``[layer, node, tensor]`` history."""
    history = _history(value)
    if history is not None:
        return history
    if isinstance(value, (list, tuple)):
        return [_tensor_references(item) for item in value]
    return _object(value)


def _node(node):
    """One call of a layer in Keras 2's form: ``[[layer, node, tensor, kwargs], ...]``, one entry per input.

    Tensors passed by name are ``[layer, node, tensor]`` histories in the first entry's kwargs, except an RNN's
    ``initial_state``, which Keras 2 recorded as further inputs (``[inputs, *states]``)."""
    if isinstance(node, list):   # already Keras 2's form
        return node
    args, kwargs = list(node.get("args") or []), dict(node.get("kwargs") or {})
    first = args[0] if args else None
    inputs = list(first) if isinstance(first, (list, tuple)) else [first]
    states = kwargs.pop("initial_state", None)
    if states is not None and all(_history(state) is not None for state in (
            states if isinstance(states, (list, tuple)) else [states])):
        inputs += list(states) if isinstance(states, (list, tuple)) else [states]
    elif states is not None:
        kwargs["initial_state"] = states
    if len(args) > 1 or any(_history(tensor) is None for tensor in inputs):
        # A call Keras 2's form cannot express (an operation such as `x * 0.5` or `x + y` takes its operands by
        # position): the node keeps Keras 3's form, which Keras 3 and kerastorch read node by node (tf.keras
        # does not).
        return node
    entries = [_history(tensor) + [{}] for tensor in inputs]
    if entries:
        entries[0][3] = {key: _tensor_references(value) for key, value in kwargs.items()}
    return entries


def model_config(serialized_model):
    """The ``model_config`` attribute's content: ``{"class_name": ..., "config": ...}`` in Keras 2's schema."""
    value = copy.deepcopy(serialized_model)
    class_name = value.get("class_name")
    if class_name == "Functional" or value.get("registered_name") == "Functional":
        class_name = "Functional"
    elif value.get("registered_name"):
        class_name = value["registered_name"]
    return {"class_name": class_name, "config": layer_config(class_name, value.get("config") or {})}
