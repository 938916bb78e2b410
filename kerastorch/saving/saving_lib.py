"""The ``.keras`` format: a zip holding ``metadata.json``, ``config.json`` (Keras 3's config schema, with the
compile and build configs) and ``model.weights.h5`` (the weights and optimizer state in Keras 3's HDF5 layout).

Files written here load in Keras 3, and Keras 3's files load here. Writes are atomic: the zip is written to a
temporary file next to the destination, then renamed over it.
"""
import datetime
import io
import json
import os
import re
import secrets
import stat
import tempfile
import time
import warnings
import zipfile

from kerastorch.saving import serialization
from kerastorch.saving import keras_h5, safe_h5

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.h5"
# The Keras release whose format these files follow.
KERAS_FORMAT_VERSION = "3.15.1"
# A partial file of a save killed before its rename: `.<target>.kerastorch-partial-<pid>-<random>`. The next
# save to the same target removes those whose process is gone, or that are older than this.
_PARTIAL_MARKER = ".kerastorch-partial-"
_STALE_PARTIAL_S = 15 * 60
_LEGACY_PARTIAL = re.compile(r"^\.tmp-[A-Za-z0-9_]{8}-(?P<target>.+)$")   # the earlier mkstemp names


def _process_is_gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):   # alive, another user's
        return False
    return False


def _remove_stale_partials(directory, target):
    """Remove partial files a killed save to ``target`` left in ``directory``."""
    prefix = f".{target}{_PARTIAL_MARKER}"
    now = time.time()
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        legacy = _LEGACY_PARTIAL.match(name)
        if name.startswith(prefix):
            pid = name[len(prefix):].split("-", 1)[0]
            stale_process = pid.isdigit() and _process_is_gone(int(pid))
        elif legacy and legacy.group("target") == target:
            stale_process = False
        else:
            continue
        path = os.path.join(directory, name)
        try:
            if stale_process or now - os.lstat(path).st_mtime > _STALE_PARTIAL_S:
                os.remove(path)
        except OSError:   # removed meanwhile, or not ours to remove
            pass


def atomic_write(filepath, write):
    """Call ``write(file_object)`` on a partial file next to ``filepath``, then rename it over ``filepath``.

    The file gets the permissions any new file gets (0666 less the umask: 0644 under umask 022); a file it
    replaces keeps its own. Stale partial files of earlier saves to ``filepath`` that were killed are removed.
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    target = os.path.basename(filepath)
    _remove_stale_partials(directory, target)
    temporary = os.path.join(directory, f".{target}{_PARTIAL_MARKER}{os.getpid()}-{secrets.token_hex(4)}")
    try:
        existing_mode = stat.S_IMODE(os.stat(filepath).st_mode) if os.path.isfile(filepath) else None
    except OSError:
        existing_mode = None
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        if existing_mode is not None:
            os.chmod(temporary, existing_mode)
        os.replace(temporary, filepath)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def model_config(model):
    """The model's ``config.json`` content: its serialized config with ``compile_config`` and ``build_config``."""
    config = serialization.serialize_keras_object(model)
    config.setdefault("compile_config", {})
    return config


def weights_bytes(model, include_optimizer=True):
    """The model's ``model.weights.h5`` as bytes."""
    h5py = keras_h5.require_h5py("Saving a .keras file")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5_file:
        keras_h5.write_weights(model, h5_file, include_optimizer=include_optimizer)
    return buffer.getvalue()


def assets_files(model):
    """``{"assets/<path>/<file>": bytes}``: what each object with ``save_assets(dir)`` (a lookup layer's
    vocabulary) writes, under its path in the model, as Keras 3 stores assets."""
    files = {}
    for path, obj in keras_h5.saveable_paths(model, include_optimizer=False):
        if not callable(getattr(obj, "save_assets", None)):
            continue
        with tempfile.TemporaryDirectory() as directory:
            obj.save_assets(directory)
            for name in sorted(os.listdir(directory)):
                with open(os.path.join(directory, name), "rb") as file:
                    files[f"assets/{path}/{name}" if path else f"assets/{name}"] = file.read()
    return files


def load_assets(model, archive, source):
    """Give each object with ``load_assets(dir)`` its files from the archive's ``assets/<path>/`` (plain files
    only, read through the guarded reader)."""
    names = [n for n in archive.namelist() if n.startswith("assets/") and not n.endswith("/")]
    if not names:
        return
    for path, obj in keras_h5.saveable_paths(model, include_optimizer=False):
        if not callable(getattr(obj, "load_assets", None)):
            continue
        prefix = f"assets/{path}/" if path else "assets/"
        members = [n for n in names if n.startswith(prefix) and "/" not in n[len(prefix):]]
        if not members:
            continue
        with tempfile.TemporaryDirectory() as directory:
            for name in members:
                base = name[len(prefix):]
                if base in ("", ".", "..") or "\\" in base:
                    raise ValueError(f"{source} holds an asset with an unsafe name: {name!r}")
                with open(os.path.join(directory, base), "wb") as file:
                    file.write(safe_h5.read_member(archive, name, source))
            obj.load_assets(directory)


def save_model(model, filepath, overwrite=True):
    """Write ``model`` as a ``.keras`` zip at ``filepath``.

    Args:
        model: a kerastorch model (one not built yet is saved with a warning, as Keras does).
        filepath: the destination (ends in ``.keras``).
        overwrite: replace an existing file; when False and the file exists, a ValueError is raised.
    """
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise ValueError(f"{filepath} already exists. Pass overwrite=True to replace it.")
    if not model.built:
        # Keras's warning, word for word: the file holds the config (and compile config) and whatever weights
        # exist; load_model gives back an unbuilt model that builds on its first call.
        warnings.warn("You are saving a model that has not yet been built. It might not contain any weights yet. "
                      "Consider building the model first by calling it on some data.", stacklevel=3)
    config_json = json.dumps(model_config(model))
    metadata_json = json.dumps({"keras_version": KERAS_FORMAT_VERSION,
                                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                                "producer": "kerastorch"})
    weights = weights_bytes(model)
    assets = assets_files(model)

    def write(file):
        with zipfile.ZipFile(file, "w") as archive:
            archive.writestr(METADATA_FILENAME, metadata_json)
            archive.writestr(CONFIG_FILENAME, config_json)
            archive.writestr(WEIGHTS_FILENAME, weights)
            for name, content in assets.items():
                archive.writestr(name, content)

    atomic_write(filepath, write)


def model_from_config_dict(config, custom_objects=None, compile=True, safe_mode=True):
    """A model (compiled when ``compile`` and the config says how) from a ``config.json`` dict."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Invalid model config: expected a dict with 'class_name' and 'config'. Received a "
                         f"{type(config).__name__}.")
    with serialization.safe_mode_scope(safe_mode):
        try:
            model = serialization.deserialize_keras_object(config, custom_objects=custom_objects,
                                                           package="layers")
            compile_config = config.get("compile_config")
            if compile and compile_config and hasattr(model, "compile_from_config"):
                model.compile_from_config(compile_config, custom_objects=custom_objects)
        except (TypeError, KeyError, IndexError, AttributeError, RuntimeError) as error:
            # A config that kerastorch's classes cannot be built from: a damaged or foreign file.
            raise ValueError(f"Invalid model config: the model could not be rebuilt from it "
                             f"({type(error).__name__}: {error}).") from None
    return model


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a ``.keras`` file written by kerastorch or Keras 3.

    Raises:
        ValueError: for a file that is not a valid ``.keras`` zip (truncated, corrupted), a config that names an
            unknown class (with how to pass ``custom_objects``), a Lambda with ``safe_mode=True``, or weights that
            do not fit the model.
    """
    source = os.fspath(filepath)
    with safe_h5.open_zip(source) as archive:
        config_text = safe_h5.read_member(archive, CONFIG_FILENAME, source, safe_h5.MAX_CONFIG_BYTES)
        try:
            config = json.loads(config_text)
        except (UnicodeDecodeError, ValueError) as error:
            raise ValueError(f"Cannot read the model config in {source}: config.json is not valid JSON "
                             f"({error}).") from None
        model = model_from_config_dict(config, custom_objects=custom_objects, compile=compile,
                                       safe_mode=safe_mode)
        names = archive.namelist()
        if WEIGHTS_FILENAME not in names:
            if "model.weights.npz" in names:
                raise ValueError(f"{source} stores its weights as .npz, which kerastorch does not read; save it "
                                 f"with the default h5 weights format.")
            raise ValueError(f"{source} is not a complete .keras file: it has no '{WEIGHTS_FILENAME}'.")
        weights = safe_h5.read_member(archive, WEIGHTS_FILENAME, source)
        with keras_h5.open_h5(weights, f"the weights in {source}") as h5_file:
            try:
                keras_h5.read_weights(model, h5_file, source)
            except (KeyError, OSError, RuntimeError, TypeError, IndexError, AttributeError, SystemError) as error:
                raise ValueError(f"Cannot read the weights in {source}: the file is corrupted ({error}).") from None
        load_assets(model, archive, source)
    return model
