"""Keras 2's HDF5 files (``model.save("m.h5")`` and ``model.save_weights("w.h5")`` in Keras 2 / tf.keras).

The layout: a full-model file carries the model's config as JSON in the ``model_config`` attribute (and how it
was compiled in ``training_config``), and its weights in the ``model_weights`` group; a weights file has those
weights at its root. The weights group lists its layers in the ``layer_names`` attribute; each layer's group lists
its weights in ``weight_names``, each a dataset at that path inside the layer's group. Weights are matched to the
model's layers by position among the layers that have weights, and within a layer in Keras 2's order (trainable
weights, then non-trainable ones).
"""
import json
import warnings

import numpy as np
import torch

from kerastorch.saving import serialization
from kerastorch.saving import safe_h5


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


def load_weights_from_group(group, model, source, skip_mismatch=False):
    """Assign the weights stored in a Keras 2 weights group to ``model``'s layers, checking everything first."""
    h5py = safe_h5.require_h5py("Reading .h5 files")
    safe_h5.check_group(group, source)   # no link out of the weights group
    layers = [layer for layer in model.layers if _legacy_weights(layer)]
    saved = []
    for name in _attribute_list(group, "layer_names"):
        layer_group = group.get(name)
        if not isinstance(layer_group, h5py.Group):
            raise ValueError(f"Invalid weights file {source}: layer '{name}' is listed but has no group.")
        weight_names = _attribute_list(layer_group, "weight_names")
        if weight_names:
            saved.append((name, layer_group, weight_names))
    if len(saved) != len(layers):
        raise ValueError(f"Layer count mismatch when loading weights from {source}: the model has {len(layers)} "
                         f"layers with weights ({[l.name for l in layers]}), the file has {len(saved)} "
                         f"({[name for name, _, _ in saved]}).")
    assignments = []
    for index, (layer, (name, layer_group, weight_names)) in enumerate(zip(layers, saved)):
        weights = _legacy_weights(layer)
        datasets = [safe_h5.get_dataset(layer_group, weight_name, source) for weight_name in weight_names]
        if len(datasets) != len(weights):
            raise ValueError(f"Weight count mismatch for layer #{index} (named {layer.name} in the current model, "
                             f"{name} in the save file). Layer expects {len(weights)} weight(s). Received "
                             f"{len(datasets)} saved weight(s)")
        for weight, weight_name, dataset in zip(weights, weight_names, datasets):
            label = getattr(weight, 'path', None) or getattr(weight, 'name', '?')
            # The declared shape is checked before anything is read.
            if tuple(weight.shape) != tuple(dataset.shape or ()):
                message = (f"Shape mismatch in layer #{index} (named {layer.name}) for weight {label}. Weight "
                           f"expects shape {tuple(weight.shape)}. Received saved weight with shape "
                           f"{tuple(dataset.shape or ())}")
                if skip_mismatch:
                    warnings.warn(message, stacklevel=3)
                    continue
                raise ValueError(message)
            value = safe_h5.read_dataset(dataset, source, f"weight {label} of layer '{layer.name}' "
                                         f"('{name}/{weight_name}')", tuple(weight.shape))
            assignments.append((weight, np.asarray(value)))
    with torch.no_grad():
        for weight, value in assignments:
            weight.copy_(torch.as_tensor(value).to(device=weight.device, dtype=weight.dtype))


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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            optimizer = optimizers.deserialize({"class_name": optimizer_config.get("class_name"), "config": config},
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


def load_model(h5_file, source, custom_objects=None, compile=True, safe_mode=True):
    """A model from an open Keras 2 full-model ``h5py.File``."""
    if "model_config" not in h5_file.attrs:
        raise ValueError(f"No model config found in {source}: it holds weights only. Build the model in code and "
                         f"call `model.load_weights(...)` instead.")
    try:
        config = json.loads(_text(h5_file.attrs["model_config"]))
    except ValueError as error:
        raise ValueError(f"Cannot read the model config in {source}: it is not valid JSON ({error}).") from None
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
            if "optimizer_weights" in h5_file:
                warnings.warn(f"{source} holds Keras 2's optimizer state, which kerastorch does not restore: the "
                              f"model starts with a freshly initialized optimizer.", stacklevel=3)
    return model
