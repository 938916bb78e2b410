"""Keras 2's HDF5 files (``model.save("m.h5")`` and ``model.save_weights("w.h5")`` in Keras 2 / tf.keras).

The layout: a full-model file carries the model's config as JSON in the ``model_config`` attribute (and how it
was compiled in ``training_config``), and its weights in the ``model_weights`` group; a weights file has those
weights at its root. The weights group lists its layers in the ``layer_names`` attribute; each layer's group lists
its weights in ``weight_names``, each a dataset at that path inside the layer's group. Weights are matched to the
model's layers by position among the layers that have weights, and within a layer in Keras 2's order (trainable
weights, then non-trainable ones).

kerastorch writes this layout too (``model.save("m.h5")``, ``model.save_weights("w.h5")``), as Keras 3 does: the
config in Keras 2's schema (``legacy_config``), so that Keras 3 and tf.keras both load the file, and the
optimizer's state in ``optimizer_weights`` (its variables in Keras 3's order: the step count, the learning rate,
then the slots), which ``load_model`` restores. Reading converts what Keras 2 stored differently: the weights of
its CuDNN layers (``legacy_weights``) and its ``hard_sigmoid`` (slope 0.2, where Keras 3's has 1/6).
"""
import json
import warnings

import numpy as np
import torch

from kerastorch.saving import legacy_config, legacy_weights, safe_h5, serialization

# Keras 3's words when it writes this format.
SAVE_WARNING = ("You are saving your model as an HDF5 file via `model.save()` or `keras.saving.save_model(model)`. "
                "This file format is considered legacy. We recommend using instead the native Keras format, e.g. "
                "`model.save('my_model.keras')` or `keras.saving.save_model(model, 'my_model.keras')`. ")
SAVE_WEIGHTS_WARNING = ("You are saving weights as an HDF5 file in Keras 2's legacy layout via "
                        "`model.save_weights()`. This file format is considered legacy. We recommend using instead "
                        "Keras 3's layout, e.g. `model.save_weights('my_model.weights.h5')`.")
# The largest attribute HDF5 stores in an object header; longer name lists are split into `name0`, `name1`...
_HEADER_LIMIT = 64512


def _text(value):
    return value.decode("utf-8") if isinstance(value, (bytes, np.bytes_)) else str(value)


def _attribute_list(group, name):
    """A list attribute that Keras 2 may have split into ``name0``, ``name1``... chunks."""
    if name in group.attrs:
        return [_text(v) for v in group.attrs[name]]
    values, chunk = [], 0
    while f"{name}{chunk}" in group.attrs:
        values += [_text(v) for v in group.attrs[f"{name}{chunk}"]]
        chunk += 1
    return values


def _legacy_weights(layer):
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def is_legacy_weights_group(h5_file):
    return "layer_names" in h5_file.attrs or "layer_names0" in h5_file.attrs


def _saved_layers(group, source):
    """``[(name, layer_group, weight_names)]`` of the layers the group lists that hold weights."""
    h5py = safe_h5.require_h5py("Reading .h5 files")
    safe_h5.check_group(group, source)   # no link out of the weights group
    saved = []
    for name in _attribute_list(group, "layer_names"):
        layer_group = group.get(name)
        if not isinstance(layer_group, h5py.Group):
            raise ValueError(f"Invalid weights file {source}: layer '{name}' is listed but has no group.")
        weight_names = _attribute_list(layer_group, "weight_names")
        if weight_names:
            saved.append((name, layer_group, weight_names))
    return saved


def _layer_assignments(layer, index, name, layer_group, weight_names, source, skip_mismatch, by_name=False):
    """``[(weight, value)]`` for ``layer`` from its saved group, every value read only once its shape fits (Keras
    2's CuDNN layout converted first); a mismatch raises, or with ``skip_mismatch`` is skipped with a warning (a
    mismatched weight count only when loading ``by_name``, as in Keras)."""
    weights = _legacy_weights(layer)
    datasets = [safe_h5.get_dataset(layer_group, weight_name, source) for weight_name in weight_names]
    if len(datasets) != len(weights):
        message = (f"Weight count mismatch for layer #{index} (named {layer.name} in the current model, {name} in "
                   f"the save file). Layer expects {len(weights)} weight(s). Received {len(datasets)} saved "
                   f"weight(s)")
        if skip_mismatch and by_name:
            warnings.warn(message, stacklevel=4)
            return []
        raise ValueError(message)
    shapes = [tuple(dataset.shape or ()) for dataset in datasets]
    convert = None
    if shapes != [tuple(weight.shape) for weight in weights]:
        convert = legacy_weights.cudnn_converter(layer, shapes)
    if convert is not None:
        # Keras 2's CuDNN layout: read at the declared shapes, converted, then checked as any other weights.
        values = convert([np.asarray(safe_h5.read_dataset(dataset, source, f"weight '{weight_name}' of layer "
                                                          f"'{name}'", shape))
                          for dataset, weight_name, shape in zip(datasets, weight_names, shapes)])
        for weight, value in zip(weights, values):
            if tuple(weight.shape) != value.shape:
                raise ValueError(f"Shape mismatch in layer #{index} (named {layer.name}): its CuDNN weights "
                                 f"convert to shape {value.shape}, the weight expects {tuple(weight.shape)}.")
        return list(zip(weights, values))
    assignments = []
    for weight, weight_name, dataset in zip(weights, weight_names, datasets):
        label = getattr(weight, 'path', None) or getattr(weight, 'name', '?')
        # The declared shape is checked before anything is read.
        if tuple(weight.shape) != tuple(dataset.shape or ()):
            message = (f"Shape mismatch in layer #{index} (named {layer.name}) for weight {label}. Weight "
                       f"expects shape {tuple(weight.shape)}. Received saved weight with shape "
                       f"{tuple(dataset.shape or ())}")
            if skip_mismatch:
                warnings.warn(message, stacklevel=4)
                continue
            raise ValueError(message)
        value = safe_h5.read_dataset(dataset, source, f"weight {label} of layer '{layer.name}' "
                                     f"('{name}/{weight_name}')", tuple(weight.shape))
        assignments.append((weight, np.asarray(value)))
    return assignments


def _assign(assignments):
    with torch.no_grad():
        for weight, value in assignments:
            weight.copy_(torch.as_tensor(value).to(device=weight.device, dtype=weight.dtype))


def load_weights_from_group(group, model, source, skip_mismatch=False):
    """Assign the weights stored in a Keras 2 weights group to ``model``'s layers, matched by position among the
    layers with weights, checking everything first."""
    layers = [layer for layer in model.layers if _legacy_weights(layer)]
    saved = _saved_layers(group, source)
    if len(saved) != len(layers):
        raise ValueError(f"Layer count mismatch when loading weights from {source}: the model has {len(layers)} "
                         f"layers with weights ({[l.name for l in layers]}), the file has {len(saved)} "
                         f"({[name for name, _, _ in saved]}).")
    assignments = []
    for index, (layer, (name, layer_group, weight_names)) in enumerate(zip(layers, saved)):
        assignments += _layer_assignments(layer, index, name, layer_group, weight_names, source, skip_mismatch)
    _assign(assignments)


def load_weights_by_name(group, model, source, skip_mismatch=False):
    """Keras 2's ``load_weights(..., by_name=True)``: each saved layer's weights go to the model's layers of the
    same name (layers without a namesake on either side are left alone), checking everything first."""
    by_name = {}
    for layer in model.layers:
        by_name.setdefault(layer.name, []).append(layer)
    assignments = []
    for index, (name, layer_group, weight_names) in enumerate(_saved_layers(group, source)):
        for layer in by_name.get(name, []):
            assignments += _layer_assignments(layer, index, name, layer_group, weight_names, source, skip_mismatch,
                                              by_name=True)
    _assign(assignments)


def _legacy_compile_arguments(training_config, custom_objects):
    """``compile()`` arguments from Keras 2's ``training_config``; the optimizer's state is not restored."""
    from kerastorch import optimizers
    optimizer_config = training_config.get("optimizer_config")
    optimizer = None
    if isinstance(optimizer_config, dict):
        config = dict(optimizer_config.get("config") or {})
        for key in ("jit_compile", "is_legacy_optimizer"):
            config.pop(key, None)
        for key in [k for k, v in config.items() if v is None]:
            config.pop(key)
        class_name = optimizer_config.get("class_name")
        if isinstance(class_name, str) and class_name.startswith("Custom>"):
            # tf.keras 2.11+ writes its built-in optimizers as 'Custom>Adam'.
            class_name = class_name[len("Custom>"):]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            optimizer = optimizers.deserialize({"class_name": class_name, "config": config},
                                               custom_objects=custom_objects)

    def metric_spec(spec):
        if isinstance(spec, dict) and "class_name" in spec:
            # Keras 2 wrote metrics such as 'accuracy' as MeanMetricWrapper configs named after them.
            name = (spec.get("config") or {}).get("name")
            return name if isinstance(name, str) else serialization.deserialize_keras_object(
                spec, custom_objects, package="metrics")
        if isinstance(spec, list):
            return [metric_spec(s) for s in spec]
        if isinstance(spec, dict):
            return {k: metric_spec(v) for k, v in spec.items()}
        return spec

    def loss_spec(spec):
        if isinstance(spec, dict) and "class_name" in spec:
            return serialization.deserialize_keras_object(spec, custom_objects, package="losses")
        if isinstance(spec, dict):
            return {k: loss_spec(v) for k, v in spec.items()}
        if isinstance(spec, list):
            return [loss_spec(s) for s in spec]
        return spec

    metrics = metric_spec(training_config.get("metrics"))
    if isinstance(metrics, list) and len(metrics) == 1 and isinstance(metrics[0], list):
        metrics = metrics[0]   # Keras 2 nested the list per output
    return {"optimizer": optimizer or "rmsprop", "loss": loss_spec(training_config.get("loss")),
            "metrics": metrics or None, "loss_weights": training_config.get("loss_weights"),
            "weighted_metrics": metric_spec(training_config.get("weighted_metrics")) or None}


def _keras2_hard_sigmoid(config):
    """``config`` with each activation named ``hard_sigmoid`` renamed ``keras2_hard_sigmoid``, Keras 2's."""
    if isinstance(config, list):
        return [_keras2_hard_sigmoid(item) for item in config]
    if not isinstance(config, dict):
        return config
    return {key: "keras2_hard_sigmoid" if value == "hard_sigmoid" and "activation" in key
            else _keras2_hard_sigmoid(value) for key, value in config.items()}


def _written_by_keras2(h5_file):
    """Whether Keras 1 or 2 (or tf.keras) wrote the file: Keras 3 and kerastorch write version 3."""
    version = h5_file.attrs.get("keras_version")
    if version is None and "model_weights" in h5_file:
        version = h5_file["model_weights"].attrs.get("keras_version")
    return version is None or not _text(version).startswith("3")


def _saved_optimizer_state(h5_file, source):
    """``[(name, dataset)]`` of the file's ``optimizer_weights`` group, nothing read yet."""
    group = h5_file["optimizer_weights"]
    safe_h5.check_group(group, source)
    return [(name, safe_h5.get_dataset(group, name, source)) for name in _attribute_list(group, "weight_names")]


def _grouped_by_slot(saved, optimizer):
    """Keras 2's first optimizers (Keras 2.3, tf.keras before 2.11, ``optimizers.legacy``) list the step count,
    then one slot for every weight, then the next slot for every weight (all ``m``, then all ``v``); kerastorch
    lists each weight's slots together. ``saved`` reordered into kerastorch's order (with no learning rate), or
    None when it does not have that shape. Keras 2.3's Adam adds one ``(1,)`` placeholder per weight (its
    ``vhat``s without amsgrad) and its SGD a moment per weight even without momentum: trailing entries of that
    kind are dropped."""
    order = optimizer._slot_order
    slot_names = list(dict.fromkeys(name for name, _ in order))
    count = len(optimizer._trainable_variables)
    slots = saved[1:]
    if len(slots) < len(order) or len(order) != len(slot_names) * count:
        return None
    extra = slots[len(order):]
    placeholders = all(tuple(dataset.shape or ()) == (1,) for _, dataset in extra)
    if extra and not (placeholders or not order):
        return None
    position = {name: index for index, name in enumerate(slot_names)}
    return saved[:1] + [slots[position[name] * count + index] for name, index in order]


def _first_keras2_optimizer(h5_file, training_config):
    """Whether the file's optimizer is one of Keras 2's first ones: a Keras 1/2 file whose optimizer config does
    not say `is_legacy_optimizer: False` (tf.keras 2.11+ writes that for its current optimizers)."""
    if not _written_by_keras2(h5_file):
        return False
    config = (training_config.get("optimizer_config") or {}).get("config") or {}
    return config.get("is_legacy_optimizer", True) is not False


def restore_optimizer_state(model, h5_file, source, grouped=False):
    """Give the compiled model's optimizer the state of the file's ``optimizer_weights``: built on the model's
    trainable weights, then assigned, once every shape fits. Files of Keras 3 and kerastorch list the step count,
    the learning rate and the slots; those of tf.keras 2.11+ lack the learning rate, which keeps its compiled
    value; those of Keras 2's first optimizers (``grouped``) list the slots grouped by kind (`_grouped_by_slot`).
    Any other layout leaves a fresh optimizer, with a warning."""
    optimizer = model.optimizer
    saved = _saved_optimizer_state(h5_file, source)
    trainable = [w for w in model.trainable_weights if w.requires_grad]
    if not optimizer.built:
        optimizer.build(trainable)
    expected = optimizer.variables
    with_rate = isinstance(getattr(optimizer, "_learning_rate", None), float)
    if grouped and saved and hasattr(optimizer, "_slot_order") and not optimizer._host_state():
        saved = _grouped_by_slot(saved, optimizer) or saved
    if with_rate and len(saved) == len(expected) - 1 and saved:
        saved = saved[:1] + [(None, None)] + saved[1:]   # the learning rate keeps its compiled value
    if len(saved) != len(expected) or any(
            dataset is not None and tuple(dataset.shape or ()) != tuple(variable.shape)
            for (_, dataset), variable in zip(saved, expected)):
        warnings.warn(f"Could not restore the optimizer state of {source}: its {len(saved)} saved variables do not "
                      f"fit the {len(expected)} variables of optimizer '{optimizer.name}'. The model starts with a "
                      f"freshly initialized optimizer.", stacklevel=4)
        return
    values = []
    for (name, dataset), variable in zip(saved, expected):
        if dataset is None:
            values.append(variable.detach().cpu().numpy())
        else:
            values.append(np.asarray(safe_h5.read_dataset(dataset, source, f"optimizer variable '{name}'",
                                                          tuple(variable.shape))))
    optimizer.set_weights(values)


def load_model(h5_file, source, custom_objects=None, compile=True, safe_mode=True):
    """A model from an open Keras 2 full-model ``h5py.File`` (compiled, with its optimizer's state, when the file
    says how it was compiled and ``compile`` is True)."""
    if "model_config" not in h5_file.attrs:
        raise ValueError(f"No model config found in {source}: it holds weights only. Build the model in code and "
                         f"call `model.load_weights(...)` instead.")
    try:
        config = json.loads(_text(h5_file.attrs["model_config"]))
    except ValueError as error:
        raise ValueError(f"Cannot read the model config in {source}: it is not valid JSON ({error}).") from None
    if _written_by_keras2(h5_file):
        config = _keras2_hard_sigmoid(config)
    from kerastorch.saving.saving_lib import model_from_config_dict
    model = model_from_config_dict(config, custom_objects=custom_objects, compile=False, safe_mode=safe_mode)
    weights_group = h5_file["model_weights"] if "model_weights" in h5_file else h5_file
    load_weights_from_group(weights_group, model, source)
    if compile and "training_config" in h5_file.attrs:
        try:
            training_config = json.loads(_text(h5_file.attrs["training_config"]))
        except ValueError:
            training_config = None
        if isinstance(training_config, dict):
            model.compile(**_legacy_compile_arguments(training_config, custom_objects))
            if "optimizer_weights" in h5_file and model.built:
                restore_optimizer_state(model, h5_file, source, _first_keras2_optimizer(h5_file, training_config))
    return model


# ---- writing ----------------------------------------------------------------------------------------------------

def _write_name_list(group, name, values):
    """A list of names as one attribute, or split into ``name0``, ``name1``... when one would not fit."""
    encoded = [value.encode("utf8") for value in values]
    too_long = [value for value in encoded if len(value) > _HEADER_LIMIT]
    if too_long:
        raise ValueError(f"Cannot save names longer than {_HEADER_LIMIT} bytes in an .h5 file: {too_long[:1]}")
    array = np.asarray(encoded)
    chunks = 1
    while any(part.nbytes > _HEADER_LIMIT for part in np.array_split(array, chunks)):
        chunks += 1
    if chunks == 1:
        group.attrs[name] = array
    else:
        for position, part in enumerate(np.array_split(array, chunks)):
            group.attrs[f"{name}{position}"] = part


def _as_array(value):
    value = value.detach().cpu() if hasattr(value, "detach") else value
    if getattr(value, "dtype", None) is not None and str(value.dtype) == "torch.bfloat16":
        value = value.float()   # HDF5 has no bfloat16
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def _unique_names(names):
    seen, unique = {}, []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        unique.append(name if count == 0 else f"{name}_{count}")
    return unique


def _write_weight_list(group, names, values):
    _write_name_list(group, "weight_names", names)
    for name, value in zip(names, values):
        group.create_dataset(name, data=_as_array(value))


def _versions(group):
    from kerastorch.saving.saving_lib import KERAS_FORMAT_VERSION
    group.attrs["backend"] = "torch".encode("utf8")
    group.attrs["keras_version"] = KERAS_FORMAT_VERSION.encode("utf8")


def write_weights_group(group, model):
    """The model's weights in Keras 2's layout: ``layer_names``, one group per layer with its ``weight_names``
    (Keras 2's order: trainable, then non-trainable), and the model's own weights in ``top_level_model_weights``."""
    _write_name_list(group, "layer_names", [layer.name for layer in model.layers])
    _versions(group)
    in_layers = set()
    for layer in sorted(model.layers, key=lambda layer: layer.name):
        weights = _legacy_weights(layer)
        in_layers.update(id(weight) for weight in weights)
        names = _unique_names([getattr(weight, "path", None) or f"{layer.name}/{getattr(weight, 'name', 'w')}"
                               for weight in weights])
        _write_weight_list(group.create_group(layer.name), names, weights)
    own = [weight for weight in _legacy_weights(model) if id(weight) not in in_layers]
    names = _unique_names([getattr(weight, "path", None) or getattr(weight, "name", "weight") for weight in own])
    _write_weight_list(group.create_group("top_level_model_weights"), names, own)


def _optimizer_names(optimizer):
    """Names for the optimizer's variables, Keras 3's way: ``adam/iteration``, ``adam/learning_rate``,
    ``adam/dense_kernel_momentum``..."""
    prefix = optimizer.name
    names = [f"{prefix}/iteration"]
    if isinstance(getattr(optimizer, "_learning_rate", None), float):
        names.append(f"{prefix}/learning_rate")
    variables = list(getattr(optimizer, "_trainable_variables", []))
    for slot_name, index in getattr(optimizer, "_slot_order", []):
        path = getattr(variables[index], "path", None) or f"variable_{index}"
        names.append(f"{prefix}/{path.replace('/', '_')}_{slot_name}")
    count = len(optimizer.variables)
    names += [f"{prefix}/state_{position}" for position in range(len(names), count)]
    return _unique_names(names[:count])


_NO_DEFAULT = object()
_OPTIMIZER_DEFAULTS = {"loss_scale_factor": None, "gradient_accumulation_steps": None, "weight_decay": None,
                       "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                       "global_clipnorm": None}
_LOSS_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error",
                 "mape": "mean_absolute_percentage_error", "msle": "mean_squared_logarithmic_error"}


def _full_loss_names(loss):
    if isinstance(loss, str):
        return _LOSS_ALIASES.get(loss, loss)
    if isinstance(loss, list):
        return [_full_loss_names(item) for item in loss]
    if isinstance(loss, dict) and "class_name" not in loss:
        return {key: _full_loss_names(value) for key, value in loss.items()}
    return loss


def training_config(model):
    """How the model was compiled, as Keras 2's ``training_config``: the compile config without the optimizer,
    which is ``optimizer_config`` (``{"class_name", "config"}``); None for a model that was not compiled."""
    compile_config = model.get_compile_config() if getattr(model, "compiled", False) else {}
    if not compile_config:
        return None
    config = legacy_config.layer_config("training_config", {k: v for k, v in compile_config.items()
                                                            if k != "optimizer"})
    # Keras 3 does not resolve the short names of losses ('mse') in .h5 files; every Keras reads the full ones.
    config["loss"] = _full_loss_names(config.get("loss"))
    optimizer = model.optimizer
    # tf.keras reads an optimizer config without `is_legacy_optimizer` (which Keras 3 refuses) as one of its
    # legacy optimizers, which do not take Keras 3's newer arguments: those are left out while at their defaults.
    optimizer_config = {key: value for key, value in optimizer.get_config().items()
                        if _OPTIMIZER_DEFAULTS.get(key, _NO_DEFAULT) != value}
    config["optimizer_config"] = {"class_name": serialization.serialize_keras_object(optimizer).get(
        "registered_name") or type(optimizer).__name__, "config": legacy_config.layer_config(
        type(optimizer).__name__, optimizer_config)}
    return config


def write_model(model, h5_file, include_optimizer=True):
    """The whole model into an open, writable ``h5py.File``: ``model_config``, ``training_config``,
    ``model_weights`` and ``optimizer_weights``."""
    from kerastorch.models.functional import Functional
    from kerastorch.models.sequential import Sequential
    if not isinstance(model, (Functional, Sequential)):
        raise ValueError(f"Saving a model to an .h5 file needs a Functional or Sequential model (Keras 2 stores "
                         f"the config as a graph of layers); {type(model).__name__} is subclassed. Save it as a "
                         f"`.keras` file instead, or save its weights with `save_weights('w.weights.h5')`.")
    _versions(h5_file)
    config = legacy_config.model_config(serialization.serialize_keras_object(model))
    h5_file.attrs["model_config"] = json.dumps(config).encode("utf8")
    training = training_config(model) if include_optimizer else None
    if training is not None:
        h5_file.attrs["training_config"] = json.dumps(training).encode("utf8")
    write_weights_group(h5_file.create_group("model_weights"), model)
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and training is not None and optimizer is not None and optimizer.built:
        variables = optimizer.variables
        group = h5_file.create_group("optimizer_weights")
        _write_weight_list(group, _optimizer_names(optimizer), variables)
