"""A model's weights in a ``.weights.safetensors`` file: one tensor per weight, under a stable path.

Each weight is stored under its path in the layer tree below the model, such as ``dense/kernel``,
``dense_1/bias`` or, inside a nested model, ``sequential/dense/kernel``: one segment per layer, named after the layer's class in snake case and numbered
by position among its siblings of the same class (``dense``, ``dense_1``...), then the weight's own name. The
layers' given names are not used, so a file loads into any model of the same architecture, whatever its
layers are called (a second model built in the same process gets ``dense_2``, ``dense_3``...). For a model
built fresh in its process the paths read like its layer names.

Writes are atomic: the file is written next to its destination under a temporary name, then renamed over it,
so a crash never leaves a half-written file. Only the model's weights are saved (no optimizer state, no
config); ``kerastorch.callbacks.BackupAndRestore`` uses the helpers here to save more.
"""
import os
import warnings

import safetensors.torch
import torch

from kerastorch.layers.layer import Layer, to_snake_case
from kerastorch.saving.safe_h5 import regular_file

WEIGHTS_SUFFIX = ".weights.safetensors"
_FORMAT_METADATA = {"format": "pt", "producer": "kerastorch", "kind": "weights"}


def weight_paths(model):
    """``[(path, weight), ...]`` for each of ``model.weights``, in that order.

    Args:
        model: a kerastorch Layer or Model.
    """
    paths = {}

    def visit(layer, prefix):
        # A layer's own weights are its module's own parameters and buffers, under their attribute names.
        for weight_name, weight in [*layer.named_parameters(recurse=False), *layer.named_buffers(recurse=False)]:
            paths.setdefault(id(weight), prefix + weight_name)
        seen_per_class = {}
        for sublayer in _sublayers(layer):
            base = to_snake_case(type(sublayer).__name__)
            count = seen_per_class.get(base, 0)
            seen_per_class[base] = count + 1
            visit(sublayer, f"{prefix}{base if count == 0 else f'{base}_{count}'}/")

    visit(model, "")
    weights = list(model.weights)
    # A weight the walk did not reach (held by a non-Layer module) keeps a positional name.
    return [(paths.get(id(weight), f"weights/{position}"), weight) for position, weight in enumerate(weights)]


def _sublayers(layer):
    """The layers directly below ``layer``, in assignment order (those inside lists of layers included)."""
    found = []
    for child in layer.children():
        if isinstance(child, Layer):
            found.append(child)
        elif isinstance(child, (torch.nn.ModuleList, torch.nn.Sequential)):
            found.extend(m for m in child if isinstance(m, Layer))
    return found


def weights_state(model, prefix=""):
    """``{prefix + path: CPU tensor}`` for each weight: what ``save_weights`` writes."""
    return {prefix + path: weight.detach().to("cpu").contiguous() for path, weight in weight_paths(model)}


def assign_weights_state(model, tensors, source, prefix="", skip_mismatch=False):
    """Copy ``tensors`` (as made by ``weights_state``) into the model's weights, after checking all of them.

    Args:
        model: the model to load into.
        tensors: ``{key: tensor}``.
        source: what to call the tensors' origin in error messages (a file path).
        prefix: the keys' prefix.
        skip_mismatch: warn about and skip weights whose shape differs, instead of raising.

    Raises:
        ValueError: when keys are missing or unexpected, or (without ``skip_mismatch``) a shape differs. Nothing
            is assigned then.
    """
    targets = weight_paths(model)
    stored = {key[len(prefix):]: value for key, value in tensors.items() if key.startswith(prefix)}
    missing = [path for path, _ in targets if path not in stored]
    unexpected = sorted(set(stored) - {path for path, _ in targets})
    if missing or unexpected:
        if not targets:
            raise ValueError(f"The model has no weights yet, but {source} holds {len(stored)}. Build the model "
                             f"first (call it on a batch, or build(input_shape)), then load the weights.")
        raise ValueError(
            f"The weights in {source} do not match the model's. Weights of the model missing from the file: "
            f"{missing or 'none'}. Weights in the file that the model does not have: {unexpected or 'none'}.")
    assignments = []
    for path, weight in targets:
        value = stored[path]
        if tuple(value.shape) != tuple(weight.shape):
            message = (f"Weight '{path}' has shape {tuple(weight.shape)} in the model but shape "
                       f"{tuple(value.shape)} in {source}.")
            if skip_mismatch:
                warnings.warn(message + " Skipping it (skip_mismatch=True).", stacklevel=3)
                continue
            raise ValueError(message)
        assignments.append((weight, value))
    with torch.no_grad():
        for weight, value in assignments:
            weight.copy_(value.to(device=weight.device, dtype=weight.dtype))


def atomic_save_file(tensors, filepath, metadata=None):
    """Write ``tensors`` as a safetensors file at ``filepath``, atomically (temporary file + rename)."""
    from kerastorch.saving.saving_lib import atomic_write
    atomic_write(filepath, lambda file: file.write(safetensors.torch.save(tensors, metadata=metadata)))


def _check_suffix(filepath):
    filepath = os.fspath(filepath)
    if not str(filepath).endswith(WEIGHTS_SUFFIX):
        raise ValueError(f"The filename must end in `{WEIGHTS_SUFFIX}`. Received: filepath={filepath}")
    return filepath


def save_weights(model, filepath, overwrite=True):
    """Save the model's weights to ``filepath`` (which must end in ``.weights.safetensors``), atomically.

    Args:
        model: a kerastorch Layer or Model.
        filepath: the destination.
        overwrite: replace an existing file; when False and the file exists, a ValueError is raised.
    """
    filepath = _check_suffix(filepath)
    if not overwrite and os.path.exists(filepath):
        raise ValueError(f"{filepath} already exists. Pass overwrite=True to replace it.")
    atomic_save_file(weights_state(model), filepath, metadata=_FORMAT_METADATA)


def load_weights(model, filepath, skip_mismatch=False):
    """Load weights saved by ``save_weights`` into the model (of the same architecture, already built).

    Args:
        model: a kerastorch Layer or Model.
        filepath: a ``.weights.safetensors`` file.
        skip_mismatch: skip (with a warning) weights whose shape differs instead of raising.

    Raises:
        ValueError: for another suffix, keys that do not match the model's weights, or a weight whose shape
            differs (the message names the weight and both shapes). Nothing is loaded then.
        FileNotFoundError: when the file does not exist.
    """
    filepath = _check_suffix(filepath)
    if not os.path.lexists(filepath):
        raise FileNotFoundError(f"No weights file at {filepath}.")
    regular_file(filepath)
    tensors = safetensors.torch.load_file(filepath, device="cpu")
    assign_weights_state(model, tensors, source=filepath, skip_mismatch=skip_mismatch)
