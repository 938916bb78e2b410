"""The one place that imports scikit-learn for the wrappers, and names the extra when it is missing."""
import importlib

EXTRA_HINT = "pip install 'kerastorch[sklearn]' (or pip install scikit-learn)"


def require_sklearn(symbol_name):
    """The ``sklearn`` module; an ImportError naming ``symbol_name`` and the extra when it is not installed."""
    try:
        return importlib.import_module("sklearn")
    except ImportError as error:
        raise ImportError(f"{symbol_name} requires scikit-learn, which is not installed. It is kerastorch's optional "
                          f"extra `sklearn`: {EXTRA_HINT}.", name="sklearn") from error


def sklearn_installed():
    try:
        importlib.import_module("sklearn")
    except ImportError:
        return False
    return True


def is_categorical_crossentropy(loss):
    """Whether compile's ``loss`` is categorical cross-entropy, as a name, a function or a Loss instance."""
    from kerastorch import losses
    if isinstance(loss, str):
        return loss == "categorical_crossentropy"
    if isinstance(loss, losses.CategoricalCrossentropy):
        return True
    return getattr(loss, "__name__", None) == "categorical_crossentropy"
