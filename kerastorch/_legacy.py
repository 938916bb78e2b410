"""Keras 2 spellings that kerastorch keeps working: each warns once, naming what to write in Keras 3.

One rule for every legacy alias (a module path such as ``keras.layers.merge``, a method such as
``fit_generator``, a function such as ``keras.optimizers.adam``): the first use in a process emits one
``DeprecationWarning`` ("`fit_generator` is deprecated: use `fit`, which accepts generators"), attributed to the
user's line (not to kerastorch or to the import machinery), so that Python's default filters show it when that
line is in ``__main__``. Later uses stay silent.
"""
import importlib
import os
import sys
import types
import warnings

# Frames in these files are kerastorch's or the import system's, never the user's line.
_SKIPPED_PREFIXES = (os.path.dirname(os.path.abspath(__file__)) + os.sep,
                     os.path.dirname(os.path.abspath(importlib.__file__)) + os.sep, "<frozen importlib")

# The legacy spellings that have warned in this process.
_warned = set()


def _user_stacklevel():
    """The ``stacklevel`` that points ``warnings.warn``, called from ``warn_once``, at the first frame outside
    kerastorch and outside the import system."""
    frame, level = sys._getframe(2), 2  # the frame that called warn_once, at stacklevel 2 of warnings.warn
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_SKIPPED_PREFIXES):
            return level
        if not ("importlib" in filename and "_bootstrap" in filename):
            level += 1  # warnings.warn itself does not count the import system's frozen frames
        frame = frame.f_back
    return 2


def warn_once(old, new):
    """Emit the DeprecationWarning for the legacy spelling ``old`` the first time it is used in this process.

    Args:
        old: the Keras 2 spelling, e.g. ``"keras.layers.merge"`` or ``"Model.fit_generator"``.
        new: what to write instead, e.g. ``"`keras.layers`"`` (shown after "use ").
    """
    if old in _warned:
        return
    _warned.add(old)
    warnings.warn(f"`{old}` is deprecated: use {new}.", DeprecationWarning, stacklevel=_user_stacklevel())


def alias_module(module_name, new):
    """Warn once that the module ``module_name`` is Keras 2's path; call it at the top of an alias module.

    Args:
        module_name: the alias module's ``__name__`` (``"kerastorch.layers.merge"``); the warning names its Keras
            path (``keras.layers.merge``).
        new: the Keras 3 spelling, e.g. ``"`keras.layers` (`from keras.layers import add`)"``.
    """
    from kerastorch._porting import keras_name
    warn_once(keras_name(module_name), new)


def alias_function(function, old, new):
    """``function`` under a Keras 2 name: a wrapper that warns once (``old`` -> ``new``), then calls it.

    Args:
        function: the callable the alias stands for (a function or a class).
        old: the Keras 2 spelling, e.g. ``"keras.initializers.normal"``.
        new: what to write instead, e.g. ``"`keras.initializers.RandomNormal`"``.
    """
    def legacy_alias(*args, **kwargs):
        warn_once(old, new)
        return function(*args, **kwargs)

    legacy_alias.__name__ = old.rpartition(".")[2]
    legacy_alias.__qualname__ = legacy_alias.__name__
    legacy_alias.__doc__ = f"Keras 2's ``{old}``: {new.strip('`')} (warns once that it is deprecated)."
    legacy_alias.__wrapped__ = function
    return legacy_alias


class _CallableModule(types.ModuleType):
    """A module that is also Keras 2's function of the same name (``keras.optimizers.adam(lr=0.1)``)."""

    def __call__(self, *args, **kwargs):
        old, new, function = vars(self)["_legacy_call"]
        warn_once(old, new)
        return function(*args, **kwargs)


def make_module_callable(module, function, old, new):
    """Make ``module`` callable as ``function``, with the once-only warning ``old`` -> ``new``.

    For Keras 2 names that are also kerastorch module names (``keras.optimizers.adam`` is both the module of
    ``Adam`` and Keras 2's lowercase alias of it): the module stays the module (its attributes, its imports), and
    calling it calls ``function``.
    """
    module.__class__ = _CallableModule
    module._legacy_call = (old, new, function)
