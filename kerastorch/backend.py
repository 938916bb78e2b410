"""Global configuration: float type, fuzz factor, image layout, the device models live on, and seeding.

Importable as ``kerastorch.backend`` and, as Keras 2 tutorials spell it, ``from kerastorch import backend as K``.
"""
import functools
import os
import random
import re

import numpy as np
import torch

from kerastorch import global_state
from kerastorch._porting import missing_attribute
from kerastorch.dtypes import is_float_dtype, is_int_dtype, result_type, standardize_dtype  # noqa: F401  (Keras's)

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"

_FLOAT_TYPES = ("float16", "bfloat16", "float32", "float64")
_DATA_FORMATS = ("channels_last", "channels_first")


def floatx():
    """The default float type, as a string (``'float32'``)."""
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    if value not in _FLOAT_TYPES:
        raise ValueError(f"Unknown floatx type: {value!r}. Expected one of {_FLOAT_TYPES}.")
    _FLOATX = str(value)


def epsilon():
    """The fuzz factor used in numeric expressions (1e-7)."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """``'channels_last'`` (NHWC, Keras's default) or ``'channels_first'`` (NCHW)."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    global _IMAGE_DATA_FORMAT
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"The `data_format` argument must be one of {_DATA_FORMATS}. Received: data_format={data_format!r}")
    _IMAGE_DATA_FORMAT = data_format


def standardize_data_format(data_format):
    """``None`` means the global image_data_format; anything else must be a valid layout."""
    if data_format is None:
        return image_data_format()
    data_format = str(data_format).lower()
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"The `data_format` argument must be one of {_DATA_FORMATS}. Received: data_format={data_format!r}")
    return data_format


def torch_dtype(dtype=None):
    """A Keras dtype name (or a torch dtype, or None for floatx) as a torch.dtype."""
    if dtype is None:
        dtype = _FLOATX
    if isinstance(dtype, torch.dtype):
        return dtype
    if isinstance(dtype, np.dtype) or (isinstance(dtype, type) and issubclass(dtype, np.generic)):
        dtype = np.dtype(dtype).name
    name = str(dtype)
    if name.startswith("torch."):
        name = name[len("torch."):]
    result = getattr(torch, name, None)
    if not isinstance(result, torch.dtype):
        raise ValueError(f"Unknown dtype: {dtype!r}")
    return result


def backend():
    """The name Keras reports for its backend; kerastorch is always torch."""
    return "torch"


# ---- devices -------------------------------------------------------------------------------------------------

# The device types a name may start with; Keras's "gpu" is torch's "cuda".
_DEVICE_TYPES = ("cpu", "cuda", "gpu", "mps", "xpu", "meta")
_DEVICE_FORMS = "'cpu', 'cpu:0', 'gpu', 'gpu:1', 'cuda', 'cuda:1', 'mps', 'meta' or a torch.device"
_SINGLE_DEVICE_TYPES = ("cpu", "meta")
_DEVICE_NAME = re.compile(r"([a-z]+)(?::(\d+))?")
# The variables naming the default device, the first one set wins: kerastorch's own, then Keras-on-torch's.
DEVICE_VARIABLES = ("KERASTORCH_DEVICE", "KERAS_TORCH_DEVICE")


@functools.lru_cache(maxsize=64)
def _parse_device_name(name):
    match = _DEVICE_NAME.fullmatch(name.strip().lower())
    if match is None or match.group(1) not in _DEVICE_TYPES:
        return None
    kind, index = match.groups()
    kind = "cuda" if kind == "gpu" else kind
    if kind in _SINGLE_DEVICE_TYPES:
        # One device, which torch's tensors report without an index: "cpu:0" is "cpu", so devices compare equal.
        return torch.device(kind) if index in (None, "0") else None
    return torch.device(kind) if index is None else torch.device(kind, int(index))


def parse_device(name, argument="device_name"):
    """A device as Keras or torch names it, as a ``torch.device``.

    Keras's names (``"gpu:0"``, ``"GPU:1"``, ``"cpu:0"``) and torch's (``"cuda"``, ``"cuda:1"``, ``"mps"``,
    ``"meta"``) are accepted in any case; ``"gpu"`` means CUDA. A ``torch.device`` passes through.

    Args:
        name: The device name (a string) or a ``torch.device``.
        argument: The name the error message gives the value (the argument or variable it came from).

    Raises:
        ValueError: For anything else, naming the value received and the accepted forms.
    """
    if isinstance(name, torch.device):
        return torch.device(name.type) if name.type in _SINGLE_DEVICE_TYPES else name
    parsed = _parse_device_name(name) if isinstance(name, str) else None
    if parsed is None:
        raise ValueError(
            f"Invalid device for `{argument}`: expected a string like {_DEVICE_FORMS}. Received: {argument}={name!r}"
            + ("" if isinstance(name, str) else f" of type {type(name).__name__}"))
    return parsed


def keras_device_name(device):
    """A torch device as Keras lists it: ``"gpu:0"`` for CUDA, ``"cpu:0"``, always with an index.

    Args:
        device: A ``torch.device`` or any name ``parse_device`` accepts.
    """
    device = parse_device(device, "device")
    kind = "gpu" if device.type == "cuda" else device.type
    index = device.index
    if index is None:
        index = torch.cuda.current_device() if device.type == "cuda" else 0
    return f"{kind}:{index}"


# ``KERASTORCH_DISTRIBUTED=0`` keeps each process of a torchrun job on its own (no data parallelism).
DISTRIBUTED_VARIABLE = "KERASTORCH_DISTRIBUTED"


def distributed_switched_off():
    """True when ``$KERASTORCH_DISTRIBUTED`` turns data parallelism off (``0``, ``false``, ``off``, ``no``)."""
    return os.environ.get(DISTRIBUTED_VARIABLE, "").strip().lower() in ("0", "false", "off", "no")


def launcher_local_rank():
    """This process's ``$LOCAL_RANK`` in a job of several processes (torchrun's ``WORLD_SIZE > 1``) that runs
    data-parallel; None otherwise."""
    if distributed_switched_off() or os.environ.get("LOCAL_RANK") is None:
        return None
    try:
        if int(os.environ.get("WORLD_SIZE", "1") or 1) < 2:
            return None
        return int(os.environ["LOCAL_RANK"])
    except ValueError:
        raise ValueError(f"$WORLD_SIZE and $LOCAL_RANK must be integers. Received: WORLD_SIZE="
                         f"{os.environ.get('WORLD_SIZE')!r}, LOCAL_RANK={os.environ.get('LOCAL_RANK')!r}") from None


def _local_rank_cuda_device(local_rank):
    """``cuda:LOCAL_RANK``, made the current CUDA device (NCCL and CUDA's default stream use it), so that each
    process of a torchrun job uses its own GPU."""
    count = torch.cuda.device_count()
    if local_rank >= count:
        raise RuntimeError(f"This torchrun process has LOCAL_RANK={local_rank}, but only {count} CUDA device(s) are "
                           f"visible: start at most {count} processes per node (--nproc_per_node), or set "
                           f"KERASTORCH_DEVICE to choose the devices yourself.")
    if torch.cuda.current_device() != local_rank:
        torch.cuda.set_device(local_rank)
    return torch.device("cuda", local_rank)


def _default_device():
    for variable in DEVICE_VARIABLES:
        name = os.environ.get(variable)
        if name:
            chosen = parse_device(name, variable)
            if chosen.type == "cuda" and chosen.index is None and launcher_local_rank() is not None:
                # "gpu" in a torchrun job: this process's own GPU.
                return _local_rank_cuda_device(launcher_local_rank())
            return chosen
    if torch.cuda.is_available():
        local_rank = launcher_local_rank()
        if local_rank is not None:
            return _local_rank_cuda_device(local_rank)
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def device():
    """The device new models are placed on: the innermost ``with kerastorch.device(...)``, else
    ``$KERASTORCH_DEVICE``, else ``$KERAS_TORCH_DEVICE`` (Keras-on-torch's variable), else CUDA when available
    (``cuda:LOCAL_RANK`` in a torchrun job of several processes), else MPS, else the CPU. The variables take any
    name ``parse_device`` accepts (``"gpu:1"``, ``"cuda:1"``; ``"gpu"`` in a torchrun job is ``cuda:LOCAL_RANK``)."""
    scoped = global_state.current_device_scope()
    return scoped if scoped is not None else _default_device()


def device_scope(device_name):
    """``with kerastorch.device("gpu:0"):`` places models built inside the block (in this thread) on that device.

    Args:
        device_name: Keras's names (``"cpu"``, ``"cpu:0"``, ``"gpu"``, ``"gpu:1"``; any case), torch's
            (``"cuda:1"``, ``"mps"``, ``"meta"``) or a ``torch.device``.
    """
    return global_state.device_scope(parse_device(device_name))


# ---- sessions and seeds --------------------------------------------------------------------------------------

def clear_session():
    """Reset this thread's global state (kerastorch.global_state): the name counters of layers, losses, metrics
    and optimizers (the next Dense is ``dense`` and the next Adam ``adam`` again), the call context, device scopes
    and mixed-precision depth."""
    global_state.clear_session()


def set_random_seed(seed):
    """Seed Python's, NumPy's and torch's generators, so the same seed gives identical weights."""
    if not isinstance(seed, int):
        raise ValueError(f"Expected `seed` to be an integer. Received: seed={seed!r} of type {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# Keras 2 helpers that tutorials call through `K`.
def int_shape(x):
    shape = getattr(x, "shape", None)
    return None if shape is None else tuple(shape)


def count_params(x):
    return int(np.prod(int_shape(x)))


# ---- masks -----------------------------------------------------------------------------------------------------
# A layer's output mask travels on the output tensor itself, as Keras's `_keras_mask` attribute (Layer.__call__
# attaches it; losses and metrics read it from y_pred).

def get_keras_mask(x):
    """The mask attached to ``x`` (a boolean tensor), or None."""
    return getattr(x, "_keras_mask", None)


def set_keras_mask(x, mask):
    """Attach ``mask`` to ``x`` (None removes it)."""
    if mask is None:
        if getattr(x, "_keras_mask", None) is not None:
            try:
                del x._keras_mask
            except AttributeError:
                pass
        return
    x._keras_mask = mask


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic KerasTensor (what ``keras.Input`` and layer calls on it return)."""
    from kerastorch.keras_tensor import KerasTensor
    return isinstance(x, KerasTensor)


def get_uid(prefix=""):
    """1 for the first call with ``prefix``, 2 for the next, ... (reset by ``clear_session``)."""
    return global_state.next_uid(prefix)


# Keras 2's K.* functions (K.mean, K.function, K.gradients, ...) are written over keras.ops, layers and models,
# which sit above this module: they live in kerastorch.backend_keras2 and are found here on first use.
KERAS2_FUNCTIONS = frozenset((
    "abs", "all", "any", "arange", "argmax", "argmin", "batch_dot", "batch_flatten", "batch_get_value",
    "batch_set_value", "binary_crossentropy", "cast", "categorical_crossentropy", "clip", "concatenate",
    "constant", "cumprod", "cumsum", "dot", "dtype", "elu", "equal", "eval", "exp", "expand_dims", "eye",
    "flatten", "function", "gather", "get_value", "gradients", "greater", "greater_equal", "hard_sigmoid",
    "in_test_phase", "in_train_phase", "is_tensor", "l2_normalize", "learning_phase", "less",
    "less_equal", "log", "max", "maximum", "mean", "min", "minimum", "ndim", "not_equal", "one_hot", "ones",
    "ones_like", "permute_dimensions", "placeholder", "pow", "prod", "random_normal", "random_normal_variable",
    "random_uniform", "random_uniform_variable", "relu", "repeat_elements", "reshape", "round",
    "set_learning_phase", "set_value", "shape", "sigmoid", "sign", "softmax", "softplus", "softsign",
    "sparse_categorical_crossentropy", "sqrt", "square", "squeeze", "stack", "std", "sum", "switch", "tanh",
    "tile", "transpose", "var", "variable", "zeros", "zeros_like",
))


def __getattr__(name):
    if name in KERAS2_FUNCTIONS:
        import importlib
        return getattr(importlib.import_module("kerastorch.backend_keras2"), name)
    return _missing_attribute(name)


_missing_attribute = missing_attribute(__name__)
