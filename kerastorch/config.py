"""``keras.config``: Keras 3's home for the global settings (float type, fuzz factor, image layout, dtype
policy, and switches); the same functions as ``kerastorch.backend`` and ``kerastorch.dtype_policies``.

The switches are process-wide settings read where they apply: ``enable_unsafe_deserialization`` by the
deserializer, the flash-attention flag by ``keras.ops.dot_product_attention`` (torch picks its fused kernel by
itself; the flag is kept for Keras's API), interactive logging, traceback filtering and the epoch and step caps
as values that the training loops and callbacks may read. ``set_backend`` accepts only "torch".
"""
from kerastorch._porting import missing_attribute
from kerastorch.backend import (backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx,
                                set_image_data_format)
from kerastorch.dtype_policies import DTypePolicy, dtype_policy, set_dtype_policy

__all__ = ["backend", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx",
           "set_image_data_format", "DTypePolicy", "dtype_policy", "set_dtype_policy",
           "disable_flash_attention", "disable_interactive_logging", "disable_traceback_filtering",
           "enable_flash_attention", "enable_interactive_logging", "enable_traceback_filtering",
           "enable_unsafe_deserialization", "is_flash_attention_enabled", "is_interactive_logging_enabled",
           "is_nnx_enabled", "is_traceback_filtering_enabled", "max_epochs", "max_steps_per_epoch", "set_backend",
           "set_max_epochs", "set_max_steps_per_epoch"]

_SETTINGS = {"flash_attention": None, "interactive_logging": True, "traceback_filtering": True,
             "max_epochs": None, "max_steps_per_epoch": None}


def enable_unsafe_deserialization():
    """Let every later deserialization in this thread revive code (a Lambda's bytecode), as Keras's switch."""
    from kerastorch.saving import serialization
    serialization.enable_unsafe_deserialization()


def enable_flash_attention():
    _SETTINGS["flash_attention"] = True


def disable_flash_attention():
    _SETTINGS["flash_attention"] = False


def is_flash_attention_enabled():
    """True or False once set; None (the default) lets each call decide."""
    return _SETTINGS["flash_attention"]


def enable_interactive_logging():
    _SETTINGS["interactive_logging"] = True


def disable_interactive_logging():
    _SETTINGS["interactive_logging"] = False


def is_interactive_logging_enabled():
    return _SETTINGS["interactive_logging"]


def enable_traceback_filtering():
    _SETTINGS["traceback_filtering"] = True


def disable_traceback_filtering():
    _SETTINGS["traceback_filtering"] = False


def is_traceback_filtering_enabled():
    return _SETTINGS["traceback_filtering"]


def is_nnx_enabled():
    """Flax NNX is a JAX feature: never enabled on torch."""
    return False


def _positive_or_none(value, name):
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
        raise ValueError(f"`{name}` must be a positive integer or None. Received: {name}={value!r}")
    return value


def set_max_epochs(max_epochs):
    """Cap the number of epochs of every later ``fit`` (None: no cap)."""
    _SETTINGS["max_epochs"] = _positive_or_none(max_epochs, "max_epochs")


def max_epochs():
    return _SETTINGS["max_epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the number of steps of every later epoch (None: no cap)."""
    _SETTINGS["max_steps_per_epoch"] = _positive_or_none(max_steps_per_epoch, "max_steps_per_epoch")


def max_steps_per_epoch():
    return _SETTINGS["max_steps_per_epoch"]


def set_backend(backend):
    """kerastorch is Keras on torch: only ``"torch"`` is accepted."""
    if backend != "torch":
        raise ValueError(f"kerastorch runs Keras on torch only. Received: backend={backend!r}")


__getattr__ = missing_attribute(__name__)
