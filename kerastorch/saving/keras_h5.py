"""Weights in Keras 3's HDF5 layout: the ``model.weights.h5`` inside a ``.keras`` file, and ``.weights.h5`` files.

Keras 3 addresses each object that owns variables by the path of attributes that leads to it from the model, not
by its name: a functional or Sequential model's layers sit under ``layers/<class_name_in_snake_case>`` (numbered
``_1``, ``_2``... among layers of the same class), a subclassed model's under their attribute names
(``d1/vars``), lists of layers under ``<attribute>/<class_name>``, and the optimizer under ``optimizer``. Each
object's own variables are the datasets ``0``, ``1``, ... of its ``vars`` group, whose ``name`` attribute holds the
object's name. An object met twice (a shared layer) is stored at its first path only. This module walks kerastorch
models with the same rules, so the files are interchangeable with Keras 3's.
"""
import copy
import warnings

import numpy as np
import torch

from kerastorch.layers.layer import Layer, to_snake_case
from kerastorch.saving.safe_h5 import open_h5, read_dataset, require_h5py
from kerastorch.saving import safe_h5


def _is_optimizer(obj):
    from kerastorch.optimizers import Optimizer
    return isinstance(obj, Optimizer)


def _saveable(obj):
    return isinstance(obj, Layer) or _is_optimizer(obj)


def _sort_key(attribute):
    # Keras visits private attributes last.
    return "~" + attribute if attribute.startswith("_") else attribute


def _children(obj):
    """``[(attribute, child)]`` in Keras's visiting order; a child is a layer, an optimizer or a list."""
    from kerastorch.models.functional import Functional
    from kerastorch.models.model import Model
    from kerastorch.models.sequential import Sequential
    if _is_optimizer(obj):
        return []
    optimizer = getattr(obj, "optimizer", None) if isinstance(obj, Model) else None
    if isinstance(obj, (Functional, Sequential)):
        children = [("layers", list(obj.layers))]
        if optimizer is not None:
            children.append(("optimizer", optimizer))
        return children
    named = []
    for attribute, module in obj._modules.items():
        if isinstance(module, Layer):
            named.append((attribute, module))
        elif isinstance(module, (torch.nn.ModuleList, torch.nn.Sequential)):
            named.append((attribute, [m for m in module if isinstance(m, Layer)]))
        elif isinstance(module, torch.nn.ModuleDict):
            named.append((attribute, [m for m in module.values() if isinstance(m, Layer)]))
    if isinstance(obj, Model):
        named.append(("layers", list(obj.layers)))
        if optimizer is not None:
            named.append(("optimizer", optimizer))
    return sorted(named, key=lambda item: _sort_key(item[0]))


def _join(path, name):
    return f"{path}/{name}" if path else name


def saveable_paths(model, include_optimizer=True):
    """``[(path, obj)]`` for the model and every layer (and the optimizer) below it, in Keras's order."""
    found, visited = [], set()

    def visit(obj, path):
        if id(obj) in visited:
            return
        if _is_optimizer(obj) and not include_optimizer:
            return
        found.append((path, obj))
        visited.add(id(obj))
        for attribute, child in _children(obj):
            if _saveable(child):
                visit(child, _join(path, attribute))
            elif isinstance(child, list):
                visit_list(child, _join(path, attribute), set())

    def visit_list(items, path, visited_lists):
        if id(items) in visited_lists:
            return
        visited_lists.add(id(items))
        used = {}
        for item in items:
            if _saveable(item):
                visit(item, _join(path, _unique(to_snake_case(type(item).__name__), used)))
            elif isinstance(item, list):
                visit_list(item, _join(path, _unique("container", used)), visited_lists)

    visit(model, "")
    return found


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def own_variables(obj):
    """``{key: array}``: what Keras stores for the object (``'0'``, ``'1'``... in its variable order), from its
    ``save_own_variables(store)``."""
    store = {}
    obj.save_own_variables(store)
    return store


def write_weights(model, h5_file, include_optimizer=True):
    """Write the model's variables (and its optimizer's) into an open, writable ``h5py.File``."""
    for path, obj in saveable_paths(model, include_optimizer):
        group = h5_file.require_group(_join(path, "vars"))
        if isinstance(getattr(obj, "name", None), str):
            group.attrs["name"] = obj.name
        for key, value in own_variables(obj).items():
            if isinstance(value, torch.Tensor):
                value = value.detach().cpu()
                if value.dtype == torch.bfloat16:
                    dataset = group.create_dataset(key, data=value.float().numpy())
                    dataset.attrs["dtype"] = "bfloat16"
                    continue
                value = value.numpy()
            group.create_dataset(key, data=np.asarray(value))


def _stored_datasets(h5_file, path, source):
    """``{key: h5py.Dataset}`` of the ``vars`` group at ``path`` (empty when absent), nothing read yet."""
    h5py = require_h5py("Reading .keras and .weights.h5 files")
    location = _join(path, "vars")
    try:
        group = h5_file.get(location)
    except (KeyError, OSError, RuntimeError, ValueError) as error:
        raise ValueError(f"Cannot read {source}: '{location}' is corrupted ({error}).") from None
    if group is None:
        return {}
    if not isinstance(group, h5py.Group):
        raise ValueError(f"Invalid weights file {source}: '{location}' should be a group of datasets.")
    return {key: safe_h5.get_dataset(group, key, source) for key in group.keys()}


def _checked_store(obj, stored, path, source, skip_mismatch):
    """The values of ``stored`` (datasets) read once checked against what ``obj.save_own_variables`` holds now
    (the same keys, the same shapes: a dataset is read only when its declared shape fits); with
    ``skip_mismatch``, a mismatched variable keeps its current value and a mismatched layer is skipped (None),
    each with a warning."""
    where = f"at '{path or '/'}' in {source}"
    if getattr(obj, "_state_sized_by_file", False):
        # A layer whose state only the file sizes (a lookup's tf-idf weights, known once its vocabulary is):
        # each dataset is read at its declared shape, still through the guarded reader.
        return {key: np.asarray(read_dataset(stored[key], source, f"layer '{obj.name}' variable '{key}'",
                                             tuple(stored[key].shape))) for key in stored}
    current = {}
    obj.save_own_variables(current)
    if set(stored) != set(current):
        shapes = [tuple(value.shape) for value in current.values()]
        message = (f"Layer '{obj.name}' expected {len(current)} variables, but received {len(stored)} variables "
                   f"during loading ({where}). Expected: {len(current)} variables of shapes {shapes}, under keys "
                   f"{sorted(current)}; found keys {sorted(stored)}.")
        if skip_mismatch:
            warnings.warn(message + " Skipping it (skip_mismatch=True).", stacklevel=4)
            return None
        raise ValueError(message)
    checked = {}
    for key, value in current.items():
        if tuple(stored[key].shape) != tuple(value.shape):
            message = (f"Layer '{obj.name}' variable '{key}' has shape {tuple(value.shape)}, but the saved value "
                       f"({where}) has shape {tuple(stored[key].shape)}.")
            if not skip_mismatch:
                raise ValueError(message)
            warnings.warn(message + " Skipping it (skip_mismatch=True).", stacklevel=4)
            checked[key] = value
        else:
            checked[key] = np.asarray(read_dataset(stored[key], source, f"layer '{obj.name}' variable '{key}'",
                                                   tuple(value.shape)))
    return checked


def _trainable(model):
    return [w for w in model.trainable_weights if w.requires_grad]


def _checked_optimizer_state(optimizer, stored, model, source):
    """``(values, build)``: the optimizer's state read from ``stored`` once its shapes fit, and whether the
    optimizer must be built (on the model's trainable weights) to take it; ``(None, False)`` when the counts
    differ (skipped with a warning, as Keras does). Nothing is changed here."""
    if not stored:
        return None, False
    expected = optimizer.variables
    build = False
    if not optimizer.built and len(stored) != len(expected):
        # The file's optimizer was built (trained): a copy built on this model's weights says what fits.
        probe = copy.deepcopy(optimizer)
        probe.build(_trainable(model))
        if len(stored) == len(probe.variables):
            expected, build = probe.variables, True
    if len(stored) != len(expected) or set(stored) != {str(i) for i in range(len(stored))}:
        warnings.warn(f"Skipping variable loading for optimizer '{optimizer.name}', because it has {len(expected)} "
                      f"variables whereas the saved optimizer has {len(stored)} variables."
                      + (" This is likely because the optimizer has not been called/built yet."
                         if not optimizer.built else ""), stacklevel=4)
        return None, False
    values = {}
    for position, variable in enumerate(expected):
        key = str(position)
        values[key] = np.asarray(read_dataset(stored[key], source, f"optimizer '{optimizer.name}' variable "
                                              f"'{key}'", tuple(variable.shape)))
    return values, build


def read_weights(model, h5_file, source, skip_mismatch=False, include_optimizer=True):
    """Load the variables of an open ``h5py.File`` in Keras 3's layout into ``model``, through each object's
    ``load_own_variables(store)``.

    Every value (the optimizer's state included) is read and checked before any is assigned, so a file that does
    not fit the model leaves it unchanged. An optimizer that is not built yet takes the file's state: it is built
    on the model's trainable weights first when the file's optimizer was; when the counts differ, the state is
    skipped with a warning, as Keras does.
    """
    layers, optimizers = [], []
    for path, obj in saveable_paths(model, include_optimizer):
        stored = _stored_datasets(h5_file, path, source)
        if isinstance(obj, Layer):
            checked = _checked_store(obj, stored, path, source, skip_mismatch)
            if checked is not None:
                layers.append((obj, checked))
        else:
            values, build = _checked_optimizer_state(obj, stored, model, source)
            if values is not None:
                optimizers.append((obj, values, build))
    for obj, values in layers:
        obj.load_own_variables(values)
    for optimizer, values, build in optimizers:
        if build:
            optimizer.build(_trainable(model))
        if optimizer.built:
            optimizer.load_own_variables(values)
        else:
            # Both optimizers were never built: their state is the step count and the learning rate.
            _load_unbuilt_optimizer_state(optimizer, values)


def _load_unbuilt_optimizer_state(optimizer, values):
    inner = getattr(optimizer, "inner_optimizer", None)
    if inner is not None:   # LossScaleOptimizer: (0, 0.0, step counter, scale) then the wrapped optimizer's
        optimizer.step_counter = int(values["2"])
        optimizer.dynamic_scale = float(values["3"])
        _load_unbuilt_optimizer_state(inner, {str(int(k) - 4): v for k, v in values.items() if int(k) >= 4})
        return
    optimizer.iterations = int(values["0"])
    if len(values) > 1 and isinstance(getattr(optimizer, "_learning_rate", None), float):
        # A float learning rate is the second variable (``Optimizer.variables``' order); a schedule is not one.
        optimizer.learning_rate = float(values["1"])
