"""Weights in Keras 3's HDF5 layout: the ``model.weights.h5`` inside a ``.keras`` file, and ``.weights.h5`` files.

Keras 3 addresses each object that owns variables by the path of attributes that leads to it from the model, not
by its name: a functional or Sequential model's layers sit under ``layers/<class_name_in_snake_case>`` (numbered
``_1``, ``_2``... among layers of the same class), a subclassed model's under their attribute names
(``d1/vars``), lists of layers under ``<attribute>/<class_name>``, and the optimizer under ``optimizer``. Each
object's own variables are the datasets ``0``, ``1``, ... of its ``vars`` group, whose ``name`` attribute holds the
object's name. An object met twice (a shared layer) is stored at its first path only. This module walks kerastorch
models with the same rules, so the files are interchangeable with Keras 3's.
"""
import io
import warnings

import numpy as np
import torch

from kerastorch.layers.layer import Layer, to_snake_case


def require_h5py(what):
    """The h5py module, or an ImportError that says what needs it and how to install it."""
    try:
        import h5py
    except ImportError:
        raise ImportError(f"{what} needs h5py, which is not installed. Install it with "
                          f"`pip install kerastorch[h5]` (or `pip install h5py`); `.weights.safetensors` files work "
                          f"without it.") from None
    return h5py


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
    """``{key: numpy array}``: what Keras stores for the object (``'0'``, ``'1'``... in its variable order)."""
    store = {}
    if hasattr(obj, "save_own_variables"):
        obj.save_own_variables(store)
        return store
    weights = obj._own_weights(trainable=True) + obj._own_weights(trainable=False)
    for position, weight in enumerate(weights):
        store[str(position)] = weight.detach().cpu().numpy()
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


def _read_group(h5_file, path, source):
    """``{key: numpy array}`` of the ``vars`` group at ``path`` (empty when absent)."""
    h5py = require_h5py("Reading .keras and .weights.h5 files")
    location = _join(path, "vars")
    if location not in h5_file:
        return {}
    group = h5_file[location]
    if not isinstance(group, h5py.Group):
        raise ValueError(f"Invalid weights file {source}: '{location}' should be a group of datasets.")
    values = {}
    for key in group.keys():
        dataset = group[key]
        if not isinstance(dataset, h5py.Dataset):
            raise ValueError(f"Invalid weights file {source}: '{location}/{key}' should be a dataset.")
        values[key] = np.asarray(dataset[()])
    return values


def _layer_assignments(obj, stored, path, source, skip_mismatch):
    weights = obj._own_weights(trainable=True) + obj._own_weights(trainable=False)
    names = [getattr(w, "name", None) or name for w, name in zip(weights, _weight_names(obj))]
    if len(stored) != len(weights):
        message = (f"Layer '{obj.name}' expected {len(weights)} variables, but received {len(stored)} variables "
                   f"during loading (at '{path or '/'}' in {source}). Expected: {names}")
        if skip_mismatch:
            warnings.warn(message + " Skipping it (skip_mismatch=True).", stacklevel=4)
            return []
        raise ValueError(message)
    assignments = []
    for position, (weight, name) in enumerate(zip(weights, names)):
        if str(position) not in stored:
            raise ValueError(f"Invalid weights file {source}: variable '{position}' of layer '{obj.name}' is "
                             f"missing (found keys {sorted(stored)}).")
        value = stored[str(position)]
        if tuple(value.shape) != tuple(weight.shape):
            message = (f"Layer '{obj.name}' weight '{name}' has shape {tuple(weight.shape)}, but the saved value "
                       f"in {source} has shape {tuple(value.shape)}.")
            if skip_mismatch:
                warnings.warn(message + " Skipping it (skip_mismatch=True).", stacklevel=4)
                continue
            raise ValueError(message)
        assignments.append((weight, value))
    return assignments


def _weight_names(layer):
    own = {id(layer._get_own_weight(n)): n for n in layer._weight_names}
    weights = layer._own_weights(trainable=True) + layer._own_weights(trainable=False)
    return [own.get(id(w), "variable") for w in weights]


def read_weights(model, h5_file, source, skip_mismatch=False, include_optimizer=True):
    """Load the variables of an open ``h5py.File`` in Keras 3's layout into ``model``.

    Every layer's values are read and checked before any is assigned, so a file that does not fit the model
    leaves it unchanged. The optimizer's state is loaded last; when it does not match (an optimizer that is not
    built yet), it is skipped with a warning, as Keras does.
    """
    assignments, loaders = [], []
    for path, obj in saveable_paths(model, include_optimizer):
        stored = _read_group(h5_file, path, source)
        if isinstance(obj, Layer) and type(obj).load_own_variables is Layer.load_own_variables:
            # Layer's own hook, checked here first for every layer so that a mismatch changes nothing.
            assignments += _layer_assignments(obj, stored, path, source, skip_mismatch)
        elif hasattr(obj, "load_own_variables"):
            loaders.append((obj, stored))
    with torch.no_grad():
        for weight, value in assignments:
            weight.copy_(torch.as_tensor(value).to(device=weight.device, dtype=weight.dtype))
    for obj, stored in loaders:
        obj.load_own_variables(stored)


def open_h5(path_or_bytes, source, mode="r"):
    """An ``h5py.File`` for a path or bytes, with a clear ValueError for a file that is not valid HDF5."""
    h5py = require_h5py("Reading .keras and .weights.h5 files")
    target = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, (bytes, bytearray)) else path_or_bytes
    try:
        return h5py.File(target, mode)
    except (OSError, ValueError) as error:
        raise ValueError(f"Cannot read {source}: it is not a valid HDF5 file (truncated or corrupted?). "
                         f"{error}") from None
