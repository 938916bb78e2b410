"""Running unmodified Keras programs on kerastorch: the import hook, and errors that name missing Keras symbols.

``install()`` puts a finder first on ``sys.meta_path``. From then on:

- ``keras`` and ``keras.X.Y`` are the kerastorch modules themselves (``sys.modules["keras.layers"] is
  kerastorch.layers``), so Keras 2 paths such as ``keras.layers.core`` work wherever kerastorch has the module.
- ``tensorflow.keras`` and ``tensorflow.keras.X`` are ``kerastorch`` and ``kerastorch.X``.
- ``tensorflow.data`` (``tf.data.Dataset``, ``tf.data.AUTOTUNE``) is ``kerastorch.data``.
- ``tensorflow`` is a stub package that holds only ``keras`` and ``data``: any other attribute (``tf.constant``) or
  submodule (``tensorflow.io``) raises an ImportError that names it.
- A Keras module that kerastorch lacks raises a ModuleNotFoundError with the text of a missing name
  (``keras.layers.local2 is not provided by kerastorch (yet)``, see ``not_provided``).

``missing_attribute(module_name)`` makes a module-level ``__getattr__`` whose error names the missing Keras symbol
(``keras.layers.Conv4D is not provided by kerastorch (yet)``), also through ``from keras.layers import Conv4D``.
"""
import importlib
import importlib.machinery
import opcode
import sys
import types

PACKAGE = "kerastorch"

# Top-level names the hook answers for, and the kerastorch name each stands for.
_KERAS_PREFIXES = {"keras": PACKAGE, "tensorflow.keras": PACKAGE, "tensorflow.data": PACKAGE + ".data"}
# Attributes of the tensorflow stub that are kerastorch modules.
_TENSORFLOW_MODULES = {"keras": "tensorflow.keras", "data": "tensorflow.data"}

_IMPORT_FROM = opcode.opmap["IMPORT_FROM"]
_NOTHING = object()


def keras_name(module_name):
    """The Keras name of a kerastorch module: ``"kerastorch.layers"`` -> ``"keras.layers"``; other names as they are.

    Args:
        module_name: a module's ``__name__``.
    """
    if module_name == PACKAGE or module_name.startswith(PACKAGE + "."):
        return "keras" + module_name[len(PACKAGE):]
    return module_name


def not_provided(keras_symbol):
    """The one text for a Keras name kerastorch lacks, whether it is reached by attribute, by ``from ... import``
    or as a module: ``"keras.layers.Conv4D is not provided by kerastorch (yet)"``.

    Args:
        keras_symbol: the full Keras name, e.g. ``"keras.layers.Conv4D"`` or ``"keras.layers.local"``.
    """
    return f"{keras_symbol} is not provided by kerastorch (yet)"


def missing_attribute(module_name, elsewhere=None, renamed=None):
    """A module-level ``__getattr__`` for ``module_name`` whose error names the Keras symbol that is missing.

    Use it as ``__getattr__ = missing_attribute(__name__)`` in a kerastorch module. For a package, a name that is
    one of its submodules is imported on first access (``keras.applications`` without importing it first, as in
    Keras). Other public names raise AttributeError("keras.layers.Conv4D is not provided by kerastorch (yet)"),
    or, when the lookup comes from ``from keras.layers import Conv4D``, an ImportError with that text (Python
    would otherwise replace the AttributeError by its generic "cannot import name"). Names that start with an
    underscore (dunders probed by hasattr, copy, pickle, inspect) raise a plain AttributeError.

    Args:
        module_name: the ``__name__`` of the module that gets the function, e.g. ``"kerastorch.layers"``.
        elsewhere: optional ``{name: module name}``: names taken, on first access, from another kerastorch
            module (an alias path that re-exports a name another module may provide); missing there too, they
            raise the same error as any missing name.
        renamed: optional ``{Keras 2 name: name}``: Keras 2's names of objects this module has under another
            name (``Deconvolution2D``: ``Conv2DTranspose``); the first access warns once (kerastorch._legacy).

    Returns:
        The function ``__getattr__(name)``.
    """
    keras_module = keras_name(module_name)

    def __getattr__(name):
        if name.startswith("_"):
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}", name=name)
        submodule = _import_submodule(module_name, name)
        if submodule is not None:
            return submodule
        if renamed and name in renamed:
            from kerastorch import _legacy
            _legacy.warn_once(f"{keras_module}.{name}", f"`{keras_module}.{renamed[name]}`")
            return getattr(sys.modules[module_name], renamed[name])
        if elsewhere and name in elsewhere:
            value = getattr(importlib.import_module(elsewhere[name]), name, _NOTHING)
            if value is not _NOTHING:
                return value
        message = not_provided(f"{keras_module}.{name}")
        if _called_by_from_import():
            raise ImportError(f"cannot import name {name!r} from {keras_module!r}: {message}", name=keras_module)
        raise AttributeError(message, name=name)

    return __getattr__


def _import_submodule(package_name, name):
    """The submodule ``package_name.name``, imported; None when ``package_name`` is no package or has no such module."""
    package = sys.modules.get(package_name)
    if package is None or "__path__" not in vars(package):
        return None
    submodule_name = f"{package_name}.{name}"
    try:
        return importlib.import_module(submodule_name)
    except ModuleNotFoundError as error:
        if error.name != submodule_name:
            raise  # the submodule exists but something it imports is missing: report that as it is
        return None


def _called_by_from_import():
    """Whether the code that called our caller (a ``__getattr__``) is at the IMPORT_FROM of ``from m import name``.

    Any doubt (another Python's frame layout) answers False, which only costs the nicer message.
    """
    try:
        frame = sys._getframe(2)
        return frame.f_code.co_code[frame.f_lasti] == _IMPORT_FROM
    except (AttributeError, IndexError, ValueError):
        return False


def _tensorflow_not_provided(name):
    """The ImportError for a TensorFlow name other than ``tensorflow.keras``."""
    return ImportError(
        f"{name} is not available: kerastorch provides only tensorflow.keras and tensorflow.data (import keras or "
        f"tensorflow.keras; "
        f"TensorFlow's own ops have to be ported to torch)",
        name=name,
    )


def _tensorflow_attribute(name):
    """``__getattr__`` of the tensorflow stub: ``keras`` is kerastorch, ``data`` kerastorch.data, everything else is
    not available."""
    if name in _TENSORFLOW_MODULES:
        return importlib.import_module(_TENSORFLOW_MODULES[name])
    if name.startswith("_"):
        # A plain AttributeError keeps probes such as getattr(tf, "__version__", None) working.
        raise AttributeError(
            f"module 'tensorflow' has no attribute {name!r}: it is kerastorch's stub, which provides only "
            f"tensorflow.keras",
            name=name,
        )
    raise _tensorflow_not_provided(f"tensorflow.{name}")


class _TensorflowStubLoader:
    """Makes ``tensorflow``: an empty package whose ``__getattr__`` is ``_tensorflow_attribute``."""

    def create_module(self, spec):
        return None  # the import system's default module

    def exec_module(self, module):
        module.__doc__ = "kerastorch's stand-in for TensorFlow: it provides only tensorflow.keras (kerastorch)."
        module.__getattr__ = _tensorflow_attribute

    def __repr__(self):
        return "kerastorch's stub: only tensorflow.keras"


class _SameModuleLoader:
    """Loads a Keras module name as a kerastorch module that is already imported: the same object, not a copy."""

    def __init__(self, module):
        self.module = module
        self.module_spec = getattr(module, "__spec__", None)

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        # Between create_module and here the import system set __spec__ to the Keras name's spec; kerastorch's
        # module keeps its own, so reload() and pickling by module name still see kerastorch.
        module.__spec__ = self.module_spec


def _kerastorch_module(name):
    """The kerastorch module called ``name``, imported; None when kerastorch has no such module."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is None or not (name == error.name or name.startswith(error.name + ".")):
            raise  # the module exists but something it imports is missing: report that as it is
    # A module a package holds as an attribute without a file of its own (an alias such as np_utils).
    parent_name, _, child = name.rpartition(".")
    candidate = getattr(sys.modules.get(parent_name), child, None)
    return candidate if isinstance(candidate, types.ModuleType) else None


class KerasFinder:
    """The ``sys.meta_path`` finder for ``keras...``, ``tensorflow.keras...`` and ``tensorflow...``."""

    def find_spec(self, fullname, path=None, target=None):
        """The spec that loads ``fullname`` as kerastorch (or the tensorflow stub); None for other names.

        Raises:
            ModuleNotFoundError: for a Keras module that kerastorch does not have.
            ImportError: for any TensorFlow module other than ``tensorflow.keras``.
        """
        if fullname == "tensorflow":
            return importlib.machinery.ModuleSpec(fullname, _TensorflowStubLoader(), is_package=True)
        for prefix, package in _KERAS_PREFIXES.items():
            if fullname == prefix or fullname.startswith(prefix + "."):
                module = _kerastorch_module(package + fullname[len(prefix):])
                if module is None:
                    raise ModuleNotFoundError(not_provided(fullname), name=fullname)
                return importlib.machinery.ModuleSpec(fullname, _SameModuleLoader(module))
        if fullname.startswith("tensorflow."):
            raise _tensorflow_not_provided(fullname)
        return None


def install():
    """Make ``keras``, ``tensorflow.keras`` and ``tensorflow`` import as described in this module's docstring.

    Affects imports from now on; calling it again does nothing.

    Raises:
        RuntimeError: when the real Keras or TensorFlow is already imported (their modules would stay).
    """
    if any(isinstance(finder, KerasFinder) for finder in sys.meta_path):
        return
    already_imported = sorted(name for name in ("keras", "tensorflow") if name in sys.modules)
    if already_imported:
        raise RuntimeError(
            f"{', '.join(already_imported)} is already imported, so kerastorch's import hook cannot replace it. "
            f"Call kerastorch._porting.install() before the first import of keras or tensorflow."
        )
    sys.meta_path.insert(0, KerasFinder())


def uninstall():
    """Undo ``install()``: remove the finder and forget the ``keras...``/``tensorflow...`` modules it gave out."""
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, KerasFinder)]
    for name in [name for name in sys.modules if name.split(".")[0] in ("keras", "tensorflow")]:
        del sys.modules[name]
