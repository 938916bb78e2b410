"""Saving and loading models and weights, in files that Keras reads and writes too.

- ``.keras``: the whole model (config, weights, optimizer state), Keras 3's format: ``save_model``/``load_model``.
- ``.weights.h5`` (Keras 3's layout, needs h5py) and ``.weights.safetensors`` (kerastorch's, no extra
  dependency): weights only, ``save_weights``/``load_weights``.
- ``.h5``/``.hdf5``: Keras 2's legacy files, full models and weights, written by ``save_model``/``save_weights``
  (with a warning recommending ``.keras``) and read by ``load_model``/``load_weights``; Keras 3 and tf.keras
  load the files kerastorch writes.

Loading never runs code from a file: classes come from kerastorch, ``custom_objects`` and the registry
(``register_keras_serializable``); a Lambda's bytecode is only revived with ``safe_mode=False``.
"""
import json
import os

# Only the leaf modules load with the package: the serializer and the registry (layers and models use them);
# the file formats, which need models, load when a save or load runs.
from kerastorch.registry import (CustomObjectScope, custom_object_scope, get_custom_objects, get_registered_name,
                                 get_registered_object, register_keras_serializable)
from kerastorch.saving.serialization import deserialize_keras_object, serialize_keras_object

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_H5_SUFFIXES = (".h5", ".hdf5")


def _path(filepath):
    try:
        return os.fspath(filepath)
    except TypeError:
        raise ValueError(f"Expected a file path (str or os.PathLike). Received: filepath={filepath!r}") from None


def save_model(model, filepath, overwrite=True, **kwargs):
    """Save ``model`` (config, weights and optimizer state), atomically: as a ``.keras`` file, or in Keras 2's
    legacy ``.h5`` layout, which Keras 3 and tf.keras load too (with a warning recommending ``.keras``).

    Args:
        model: a built kerastorch model (Functional or Sequential for ``.h5``).
        filepath: a path ending in ``.keras``, ``.h5`` or ``.hdf5``.
        overwrite: replace an existing file (default True).
        include_optimizer: (``.h5`` only) store how the model was compiled and its optimizer's state (default
            True).
        save_format: Keras 2's argument: ignored (with Keras 3's warning) when the path ends in ``.keras``,
            ``.h5`` or ``.hdf5``; ``"h5"`` writes the ``.h5`` layout to any other path, with a DeprecationWarning.
    """
    import warnings
    from kerastorch.saving import saving_lib
    path = _path(filepath)
    save_format = kwargs.pop("save_format", None)
    if save_format and path.endswith(_H5_SUFFIXES + (".keras",)):
        warnings.warn(f"The `save_format` argument is deprecated in Keras 3. We recommend removing this argument as "
                      f"it can be inferred from the file path. Received: save_format={save_format}", stacklevel=3)
    elif save_format in ("h5", "hdf5"):
        warnings.warn(f"`save_format='{save_format}'` is Keras 2's; in Keras 3 the file name says the format: "
                      f"`model.save('{path}.h5')` (or, recommended, `.keras`).", DeprecationWarning, stacklevel=3)
        _save_legacy_h5(model, path, overwrite, kwargs)
        return
    elif save_format:
        raise ValueError(f"The `save_format` argument is deprecated in Keras 3, and kerastorch writes no "
                         f"TensorFlow SavedModel. Pass a file path ending in `.keras` (or `.h5`), or use "
                         f"`model.export(...)` for a deployable artifact. Received: save_format={save_format}")
    if path.endswith(_H5_SUFFIXES):
        _save_legacy_h5(model, path, overwrite, kwargs)
        return
    kwargs.pop("include_optimizer", None)   # Keras always stores the optimizer in a `.keras` file
    if kwargs.pop("zipped", True) is False:
        raise ValueError("kerastorch writes zipped `.keras` files only; remove `zipped=False`.")
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    if not path.endswith(".keras"):
        raise ValueError(f"Invalid filepath extension for saving. Please add the `.keras` extension to the "
                         f"filepath (e.g. `model.save('my_model.keras')`). Received: filepath={path}")
    from kerastorch.training.distributed import writing_on_chief
    with writing_on_chief() as writes:
        # In a data-parallel run, rank 0 writes and the others wait until the file is complete.
        if writes:
            saving_lib.save_model(model, path, overwrite=overwrite)


def _save_legacy_h5(model, path, overwrite, kwargs):
    import warnings
    from kerastorch.saving import legacy_h5, safe_h5, saving_lib
    include_optimizer = kwargs.pop("include_optimizer", True)
    kwargs.pop("zipped", None)   # Keras ignores it for .h5 files
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    if not overwrite and os.path.exists(path):
        raise ValueError(f"{path} already exists. Pass overwrite=True to replace it.")
    warnings.warn(legacy_h5.SAVE_WARNING, stacklevel=4)
    h5py = safe_h5.require_h5py("Saving an .h5 file")

    def write(file):
        with h5py.File(file, "w") as h5_file:
            legacy_h5.write_model(model, h5_file, include_optimizer=include_optimizer)

    from kerastorch.training.distributed import writing_on_chief
    with writing_on_chief() as writes:
        if writes:
            saving_lib.atomic_write(path, write)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by kerastorch or Keras: a ``.keras`` file, or a Keras 2 ``.h5`` file.

    Args:
        filepath: the file.
        custom_objects: ``{name: class_or_function}`` for user classes and functions the config names.
        compile: compile the loaded model as it was compiled when saved.
        safe_mode: refuse to revive code (Lambda layers' bytecode) stored in the file.

    Raises:
        ValueError: for a missing, truncated, corrupted or unsupported file, an unknown class (with how to pass
            ``custom_objects``), or a Lambda with ``safe_mode=True``.
    """
    from kerastorch.saving import legacy_h5, safe_h5, saving_lib
    path = _path(filepath)
    if not os.path.lexists(path):
        raise ValueError(f"File not found: filepath={path}. Please ensure the file is an accessible `.keras` zip "
                         f"file.")
    if os.path.isdir(path):
        raise ValueError(f"File format not supported: filepath={path} is a directory (a TensorFlow SavedModel?). "
                         f"kerastorch loads `.keras` files and Keras 2 `.h5` files.")
    signature = safe_h5.signature(path)
    if path.endswith(".keras") or signature.startswith(b"PK"):
        return saving_lib.load_model(path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
    if path.endswith(_H5_SUFFIXES) or signature == _HDF5_SIGNATURE:
        with safe_h5.open_h5(path, path) as h5_file:
            try:
                return legacy_h5.load_model(h5_file, path, custom_objects=custom_objects, compile=compile,
                                            safe_mode=safe_mode)
            except (KeyError, OSError, RuntimeError, TypeError, IndexError, AttributeError, SystemError) as error:
                raise ValueError(f"Cannot read {path}: the file is corrupted ({error}).") from None
    raise ValueError(f"File format not supported: filepath={path}. kerastorch loads `.keras` files and Keras 2 "
                     f"`.h5` files.")


def save_weights(model, filepath, overwrite=True):
    """Save the model's weights, atomically: ``.weights.safetensors`` (kerastorch's format), ``.weights.h5``
    (Keras 3's layout, with the optimizer state; needs h5py), or another ``.h5``/``.hdf5`` name (Keras 2's
    legacy layout, weights only, with a warning recommending ``.weights.h5``). In a data-parallel run, rank 0
    writes and the others wait until the file is complete."""
    from kerastorch.training.distributed import writing_on_chief
    path = _path(filepath)
    with writing_on_chief() as writes:
        if writes:
            _save_weights(model, path, overwrite)


def _save_weights(model, path, overwrite):
    import warnings
    from kerastorch.saving import keras_h5, legacy_h5, saving_lib, weights
    if path.endswith(weights.WEIGHTS_SUFFIX):
        weights.save_weights(model, path, overwrite=overwrite)
        return
    legacy = path.endswith(_H5_SUFFIXES) and not path.endswith(".weights.h5")
    if not path.endswith(".weights.h5") and not legacy:
        raise ValueError(f"The filename must end in `.weights.h5` or `.weights.safetensors` (or `.h5` for Keras "
                         f"2's legacy layout). Received: filepath={path}")
    if not overwrite and os.path.exists(path):
        raise ValueError(f"{path} already exists. Pass overwrite=True to replace it.")
    h5py = keras_h5.require_h5py("Saving a .weights.h5 file" if not legacy else "Saving an .h5 file")
    if legacy:
        warnings.warn(legacy_h5.SAVE_WEIGHTS_WARNING, stacklevel=4)

    def write(file):
        with h5py.File(file, "w") as h5_file:
            if legacy:
                legacy_h5.write_weights_group(h5_file, model)
            else:
                keras_h5.write_weights(model, h5_file)

    saving_lib.atomic_write(path, write)


def load_weights(model, filepath, skip_mismatch=False, by_name=None):
    """Load weights into a built model from ``.weights.safetensors``, ``.weights.h5`` (Keras 3), a ``.keras``
    file, or a Keras 2 ``.h5`` file (full model or weights; ``by_name=True`` matches its layers by name, as Keras
    2 and Keras 3 do for these files only)."""
    if not model.built:
        # Before its first call a model has no weights to load into (Keras refuses with these words too).
        raise ValueError("You are loading weights into a model that has not yet been built. Try building the model "
                         "first by calling it on some data or by using `build()`.")
    from kerastorch.saving import keras_h5, legacy_h5, safe_h5, saving_lib, weights
    path = _path(filepath)
    legacy = path.endswith(_H5_SUFFIXES) and not path.endswith(".weights.h5")
    if by_name is not None and not legacy:
        raise ValueError(f"`by_name` only supports loading legacy '.h5' or '.hdf5' files. Received: {path}")
    if path.endswith(weights.WEIGHTS_SUFFIX):
        if not os.path.lexists(path):
            raise FileNotFoundError(f"No weights file at {path}.")
        safe_h5.regular_file(path)
        try:
            weights.load_weights(model, path, skip_mismatch=skip_mismatch)
        except (ValueError, FileNotFoundError):
            raise
        except Exception as error:  # safetensors' SafetensorError and decoding failures of a damaged file
            raise ValueError(f"Cannot read {path}: the file is truncated or corrupted "
                             f"({type(error).__name__}: {error}).") from None
        return
    if not os.path.lexists(path):
        raise ValueError(f"File not found: filepath={path}.")
    if path.endswith(".keras"):
        with safe_h5.open_zip(path) as archive:
            data = safe_h5.read_member(archive, saving_lib.WEIGHTS_FILENAME, path)
    elif path.endswith(_H5_SUFFIXES):
        data = path
    else:
        raise ValueError(f"File format not supported: filepath={path}. Load weights from `.weights.safetensors`, "
                         f"`.weights.h5`, `.keras` or Keras 2 `.h5` files.")
    with safe_h5.open_h5(data, path) as h5_file:
        try:
            load_legacy = legacy_h5.load_weights_by_name if by_name else legacy_h5.load_weights_from_group
            if "model_weights" in h5_file and "layer_names" not in h5_file.attrs:
                load_legacy(h5_file["model_weights"], model, path, skip_mismatch)
            elif legacy_h5.is_legacy_weights_group(h5_file):
                load_legacy(h5_file, model, path, skip_mismatch)
            elif by_name:
                raise ValueError(f"`by_name` only supports loading legacy '.h5' or '.hdf5' files; {path} holds "
                                 f"weights in Keras 3's layout.")
            else:
                keras_h5.read_weights(model, h5_file, path, skip_mismatch=skip_mismatch)
        except (KeyError, OSError, RuntimeError, TypeError, IndexError, AttributeError, SystemError) as error:
            raise ValueError(f"Cannot read {path}: the file is corrupted ({error}).") from None


def model_to_json(model, **kwargs):
    """The model's config (Keras 3's schema) as a JSON string."""
    return json.dumps(serialize_keras_object(model), **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A new model (with fresh weights) from ``model.to_json()``'s string."""
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Could not parse the model JSON: {error}") from None
    from kerastorch.saving.saving_lib import model_from_config_dict
    return model_from_config_dict(config, custom_objects=custom_objects, compile=False)


__all__ = ["CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
           "get_registered_object", "register_keras_serializable", "serialize_keras_object",
           "deserialize_keras_object", "save_model", "load_model", "save_weights", "load_weights",
           "model_from_json"]
