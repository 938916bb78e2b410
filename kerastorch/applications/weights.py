"""Pretrained weights for the applications: finding, downloading and reading them, whatever library wrote them.

Three kinds of files load into a VGG network (``load_weights``), each converted to Keras's layouts:

- Keras 3 weights (``.weights.h5``, or a whole ``.keras`` model file): variables stored per layer path
  (``layers/conv2d_3/vars/0``), read through ``kerastorch.saving.keras_h5``'s walk of the model;
- Keras 2 weights (``.h5``), the layout of Keras's published ``vgg16_weights_tf_dim_ordering_tf_kernels.h5``: the
  root lists its layers in ``layer_names``, each layer group its datasets in ``weight_names``;
- torchvision state dicts (``.pth``, read with ``torch.load(weights_only=True)``): convolution kernels go from
  torch's ``(out, in, h, w)`` to Keras's ``(h, w, in, out)``, dense kernels are transposed, and the first dense
  layer after the Flatten has its inputs reordered from torch's channels-first flatten order ``(c, h, w)`` to
  Keras's ``(h, w, c)``.

Every layer's values are checked against the model before any is assigned; a file of another architecture gets an
error that names the first layer that does not fit, and both shapes.

``weights="imagenet"`` looks for Keras's published file in ``$KERAS_HOME/models`` (default ``~/.keras/models``),
downloads it there when the network allows (to a temporary file, renamed once its hash checks out), and otherwise
falls back to torchvision's file in ``$TORCH_HOME/hub/checkpoints`` (whose inputs need
``preprocess_input(x, mode="torch")``), or fails at once with an error that names both places and files.
"""
import os
import warnings

import numpy as np
import torch

from kerastorch.utils.file_utils import download, hash_file, keras_home, validate_file

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
# How long a download may wait for the server before giving up (connection and each read).
DOWNLOAD_TIMEOUT_S = 15

# Keras's published ImageNet weights: file name and MD5 (as Keras's applications check them), per network and
# per top (True: with the classifier). KERAS_WEIGHTS_ORIGIN is where they are downloaded from; both may be
# changed, e.g. to point at a mirror (the environment variable KERASTORCH_WEIGHTS_ORIGIN does that too).
KERAS_WEIGHTS = {
    "vgg16": {True: ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
              False: ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc")},
    "vgg19": {True: ("vgg19_weights_tf_dim_ordering_tf_kernels.h5", "cbe5617147190e668d6c5d5026f83318"),
              False: ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "253f8cb515780f3b799900260a226db6")},
}
KERAS_WEIGHTS_ORIGIN = "https://storage.googleapis.com/tensorflow/keras-applications"

# torchvision's ImageNet weights, as torch.hub caches them: the name carries the first hex digits of the
# file's SHA-256, which is checked.
TORCHVISION_WEIGHTS = {"vgg16": "vgg16-397923af.pth", "vgg19": "vgg19-dcbb9e9d.pth"}


# ---- where files live ----------------------------------------------------------------------------------------

def keras_cache_dir():
    """Where Keras keeps downloaded models: ``$KERAS_HOME/models``, by default ``~/.keras/models``."""
    return os.path.join(keras_home(), "models")


def torch_cache_dir():
    """Where torch.hub keeps downloaded weights: ``$TORCH_HOME/hub/checkpoints`` (torch's default when unset)."""
    return os.path.join(torch.hub.get_dir(), "checkpoints")


def _keras_file(model_name, include_top):
    return KERAS_WEIGHTS[model_name][bool(include_top)]


def _verified(path, expected_hash):
    return os.path.isfile(path) and validate_file(path, expected_hash)


def _torchvision_file_ok(path):
    prefix = os.path.basename(path).rsplit("-", 1)[-1].split(".")[0]
    return os.path.isfile(path) and hash_file(path, "sha256").startswith(prefix)


def imagenet_weights_path(model_name, include_top):
    """The path of ImageNet weights for ``model_name`` and where they come from: ``(path, "keras")`` or
    ``(path, "torchvision")``.

    Keras's published file is used when it is in ``keras_cache_dir()`` with its published hash, or once
    downloaded there. Without it, torchvision's file in ``torch_cache_dir()`` is used, with a warning that its
    inputs need ``preprocess_input(x, mode="torch")``.

    Raises:
        ValueError: when neither file can be had, naming both places and both files.
    """
    filename, expected = _keras_file(model_name, include_top)
    keras_path = os.path.join(keras_cache_dir(), filename)
    if _verified(keras_path, expected):
        return keras_path, "keras"
    stale = os.path.exists(keras_path)
    origin = os.environ.get("KERASTORCH_WEIGHTS_ORIGIN") or KERAS_WEIGHTS_ORIGIN
    url = f"{origin.rstrip('/')}/{model_name}/{filename}"
    download_error = None
    try:
        return download(url, keras_path, expected, timeout=DOWNLOAD_TIMEOUT_S), "keras"
    except (OSError, ValueError) as error:  # URLError and timeouts are OSErrors; ValueError: a wrong hash
        download_error = error

    torch_name = TORCHVISION_WEIGHTS[model_name]
    torch_path = os.path.join(torch_cache_dir(), torch_name)
    if os.path.isfile(torch_path):
        if not _torchvision_file_ok(torch_path):
            raise ValueError(f"{torch_path} does not have the SHA-256 its name promises: it is incomplete or "
                             f"corrupted. Delete it, or put Keras's {filename} in {keras_cache_dir()}.")
        warnings.warn(f"Using torchvision's ImageNet weights ({torch_path}) because Keras's {filename} is not in "
                      f"{keras_cache_dir()} and could not be downloaded. These weights expect inputs preprocessed "
                      f"with `preprocess_input(x, mode=\"torch\")` (scaled to [0, 1], normalized per RGB channel), "
                      f"not the default caffe mode.", UserWarning, stacklevel=4)
        return torch_path, "torchvision"
    found = f"{keras_path} exists but does not have the published MD5 {expected}; " if stale else ""
    raise ValueError(
        f"No ImageNet weights for {model_name} (include_top={bool(include_top)}) on this machine, and they could "
        f"not be downloaded from {url} ({download_error}). {found}Put either Keras's file {filename} in "
        f"{keras_cache_dir()} (set KERAS_HOME to use another folder than ~/.keras), or torchvision's file "
        f"{torch_name} in {torch_cache_dir()} (set TORCH_HOME to move it); or pass `weights=None`, or "
        f"`weights=<path to a weights file>`.")


# ---- reading files into Keras's layouts ----------------------------------------------------------------------

def _layers_with_weights(model):
    return [layer for layer in model.layers if layer.weights]


def _shapes(values):
    return [tuple(np.shape(v)) for v in values]


def _file_kind(path):
    from kerastorch.saving.safe_h5 import signature
    head = signature(path)   # a regular file only: a FIFO would block, /dev/zero never end
    if head == _HDF5_SIGNATURE:
        return "h5"
    if path.endswith(".keras"):
        return "keras"
    if path.endswith(".safetensors"):
        return "safetensors"
    if path.endswith((".pth", ".pt", ".bin")) or head[:2] == b"PK" or head[:1] == b"\x80":
        return "torch"
    raise ValueError(f"Cannot tell what kind of weights file {path} is: expected a Keras 3 `.weights.h5` or "
                     f"`.keras` file, a Keras 2 `.h5` file, or a torchvision `.pth` state dict.")


def load_weights(model, path):
    """Load a VGG-style weights file of any supported kind into ``model`` (a built functional model).

    Args:
        model: the network; its layers with weights are matched to the file's in order.
        path: a Keras 3 ``.weights.h5``/``.keras`` file, a Keras 2 ``.h5`` file, or a torchvision state dict.

    Raises:
        ValueError: for a file that does not fit the model (naming the first mismatched layer and the shapes),
            or one that cannot be read. Nothing is assigned then.
    """
    kind = _file_kind(path)
    if kind == "safetensors":
        model.load_weights(path)
        return
    if kind == "torch":
        entries = torchvision_entries(path, model)
    else:
        from kerastorch.saving import safe_h5
        data = path
        if kind == "keras":   # the same guarded reader as load_model's (bounded, zip-bomb check)
            with safe_h5.open_zip(path) as archive:
                data = safe_h5.read_member(archive, "model.weights.h5", path)
        with safe_h5.open_h5(data, path) as h5_file:
            try:
                if "layer_names" in h5_file.attrs or "model_weights" in h5_file:
                    group = h5_file["model_weights"] if "model_weights" in h5_file else h5_file
                    safe_h5.check_group(group, path)
                    entries = keras2_entries(group, path)
                else:
                    entries = keras3_entries(h5_file, model, path)
                # Datasets are read only here, once their declared shapes fit the model's.
                assign_entries(model, entries, path)
            except (KeyError, OSError, RuntimeError, TypeError, IndexError, AttributeError, SystemError) as error:
                raise ValueError(f"Cannot read {path}: the file is corrupted ({error}).") from None
        return
    assign_entries(model, entries, path)


def assign_entries(model, entries, source):
    """Check ``entries`` (``[(name in the file, [arrays])]``, one per layer with weights, in the model's order)
    against ``model`` and assign them all, or raise before assigning any."""
    layers = _layers_with_weights(model)
    for position in range(max(len(layers), len(entries))):
        layer = layers[position] if position < len(layers) else None
        entry = entries[position] if position < len(entries) else None
        expected = _shapes(layer.weights) if layer is not None else None
        received = _shapes(entry[1]) if entry is not None else None
        if expected != received:
            model_side = f"layer '{layer.name}' expects weights of shapes {expected}" if layer is not None else \
                f"the model has no more layers with weights (it has {len(layers)})"
            file_side = f"the file's entry #{position} ('{entry[0]}') holds {received}" if entry is not None else \
                f"the file has no more entries (it has {len(entries)})"
            raise ValueError(f"The weights in {source} do not fit model '{model.name}' (another architecture, or "
                             f"another include_top/classes/input_shape?): {model_side}, but {file_side}.")
    values_per_layer = [[_read(value, source, f"weight {index} of layer '{layer.name}' ('{name}')",
                               tuple(weight.shape))
                         for index, (weight, value) in enumerate(zip(layer.weights, values))]
                        for layer, (name, values) in zip(layers, entries)]
    with torch.no_grad():
        for layer, values in zip(layers, values_per_layer):
            for weight, value in zip(layer.weights, values):
                weight.copy_(torch.as_tensor(np.ascontiguousarray(value)).to(device=weight.device,
                                                                              dtype=weight.dtype))


def _read(value, source, what, shape):
    """An array of ``value``; an HDF5 dataset is read through the guarded reader, its declared shape first."""
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return value
    from kerastorch.saving.safe_h5 import read_dataset
    return np.asarray(read_dataset(value, source, what, shape))


def keras2_entries(group, source=None):
    """``[(layer name, [datasets])]`` of a Keras 2 weights group, for the layers that have weights, in file order
    (read later, by ``assign_entries``)."""
    from kerastorch.saving.legacy_h5 import _attribute_list
    from kerastorch.saving.safe_h5 import get_dataset
    entries = []
    for layer_name in _attribute_list(group, "layer_names"):
        layer_group = group[layer_name]
        values = [get_dataset(layer_group, weight_name, source) for weight_name in _attribute_list(layer_group,
                                                                                                   "weight_names")]
        if values:
            entries.append((layer_name, values))
    return entries


def keras3_entries(h5_file, model, source=None):
    """``[(path, [datasets])]`` of a Keras 3 weights file: one per layer of ``model`` that has weights, read at the
    path Keras 3 stores that layer under (an empty list when the file has nothing there), then one per further
    layer the file holds weights for, so that a file of another architecture shows where it first differs."""
    from kerastorch.saving.keras_h5 import saveable_paths
    from kerastorch.saving.safe_h5 import get_dataset
    paths = {id(obj): path for path, obj in saveable_paths(model, include_optimizer=False)}
    entries = []
    for layer in _layers_with_weights(model):
        path = paths[id(layer)]
        group = h5_file.get(f"{path}/vars")
        values = [get_dataset(group, str(i), source) for i in range(len(group))] if group is not None else []
        entries.append((path if group is not None else f"{path}, absent", values))
    used = {path for path, _ in entries}
    stored = []
    h5_file.visit(lambda name: stored.append(name[:-len("/vars")]) if name.endswith("/vars") else None)
    for path in stored:
        if path not in used and not path.startswith("optimizer") and len(h5_file[f"{path}/vars"]):
            group = h5_file[f"{path}/vars"]
            entries.append((path, [get_dataset(group, str(i), source) for i in range(len(group))]))
    return entries


def torchvision_entries(path, model):
    """``[(key prefix, [arrays in Keras's layout])]`` from a torchvision VGG state dict, in the model's order:
    the ``features.*`` convolutions, then (when the model has its top) the ``classifier.*`` linear layers."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a pickle error, a zip error, a truncated file...
        raise ValueError(f"Cannot read {path} as a torch state dict: {error}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path} does not hold a state dict (a mapping of names to tensors); received "
                         f"{type(state).__name__}.")
    modules = {}
    for key, value in state.items():
        prefix, _, kind = key.rpartition(".")
        modules.setdefault(prefix, {})[kind] = value

    def order(prefix):
        part, _, index = prefix.partition(".")
        return (part != "features", int(index) if index.isdigit() else 0)

    flatten = next((layer for layer in model.layers if type(layer).__name__ == "Flatten"), None)
    entries = []
    # Keras's Flatten always flattens in (h, w, c) order, moving a channels_first input's channels last first.
    flatten_input = tuple(flatten.input.shape[1:]) if flatten is not None else ()
    if len(flatten_input) == 3 and flatten.data_format == "channels_first":
        flatten_input = flatten_input[1:] + flatten_input[:1]
    first_dense = True
    for prefix in sorted(modules, key=order):
        tensors = modules[prefix]
        if "weight" not in tensors:
            continue
        weight = tensors["weight"].float()
        if prefix.startswith("classifier") and flatten is None:
            continue
        if weight.dim() == 4:
            kernel = weight.permute(2, 3, 1, 0)                     # OIHW -> HWIO
        elif weight.dim() == 2:
            kernel = weight.t()                                      # (out, in) -> (in, out)
            if first_dense and len(flatten_input) == 3 and kernel.shape[0] == int(np.prod(flatten_input)):
                height, width, channels = flatten_input
                kernel = kernel.reshape(channels, height, width, -1).permute(1, 2, 0, 3).reshape(
                    height * width * channels, -1)                   # rows (c, h, w) -> (h, w, c)
            first_dense = False
        else:
            raise ValueError(f"{path}: '{prefix}.weight' has shape {tuple(weight.shape)}, which is neither a "
                             f"convolution's nor a linear layer's.")
        values = [kernel.numpy()]
        if "bias" in tensors:
            values.append(tensors["bias"].float().numpy())
        entries.append((prefix, values))
    return entries
