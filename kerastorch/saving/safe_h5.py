"""The guarded reader of saved files: what every loader opens files and reads HDF5 datasets and zip members with.

Loading promises to read nothing outside the file and to allocate no more than the model needs, so:

- only regular files are opened (after resolving symlinks): a FIFO would block, ``/dev/zero`` never ends;
- an HDF5 file is scanned, without following anything, before any value is read: external links, datasets with
  external storage and virtual datasets (all three read other files) are refused, and so are soft links that
  point to nothing or out of the group being read;
- a dataset is read only once its declared shape and dtype are those of the variable it is read into (or, where
  nothing is expected, once it stores about as much as it declares);
- a zip member is read only up to its declared size, which is bounded, and not when it claims to expand far
  beyond what it stores.
"""
import io
import math
import os
import posixpath
import stat
import zipfile

# A zip member larger than this, or expanding far beyond its stored size, is refused.
MAX_MEMBER_BYTES = 1 << 36
MAX_CONFIG_BYTES = 1 << 28
_MAX_EXPANSION = 100
_EXPANSION_FLOOR_BYTES = 1 << 28
# A dataset read without an expected shape (an optimizer's state before it is built) may not declare much more
# than it stores: a chunked, compressed dataset declares gigabytes in a few bytes.
_DATASET_FLOOR_BYTES = 1 << 26
_DATASET_MAX_EXPANSION = 1000


def require_h5py(what):
    """The h5py module, or an ImportError that says what needs it and how to install it."""
    try:
        import h5py
    except ImportError:
        raise ImportError(f"{what} needs h5py, which is not installed. Install it with "
                          f"`pip install kerastorch[h5]` (or `pip install h5py`); `.weights.safetensors` files work "
                          f"without it.") from None
    return h5py


def regular_file(path):
    """``path`` when it is (or links to) a regular file; a ValueError otherwise, before anything opens it."""
    path = os.fspath(path)
    real = os.path.realpath(path)
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        raise ValueError(f"File not found: filepath={path}.") from None
    except OSError as error:
        raise ValueError(f"Cannot read filepath={path}: {error}.") from None
    if not stat.S_ISREG(mode):
        via = f" (it links to {real})" if real != os.path.abspath(path) else ""
        raise ValueError(f"Cannot read filepath={path}{via}: it is not a regular file (a directory, FIFO, device or "
                         f"socket). kerastorch loads models and weights from regular files only.")
    return path


def signature(path, size=8):
    """The first ``size`` bytes of a regular file."""
    with open(regular_file(path), "rb") as file:
        return file.read(size)


# ---- zip -----------------------------------------------------------------------------------------------------

def open_zip(path, source=None):
    """A ``zipfile.ZipFile`` of a regular file, or a ValueError for a file that is not a valid zip."""
    source = source or os.fspath(path)
    regular_file(path)
    try:
        return zipfile.ZipFile(path, "r")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise ValueError(f"Cannot read {source}: it is not a valid .keras (zip) file; it may be truncated or "
                         f"corrupted ({error}).") from None


def read_member(archive, name, source, limit=MAX_MEMBER_BYTES):
    """The bytes of member ``name``: at most its declared size, which must be within ``limit`` and not far beyond
    what it stores (a decompression bomb)."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ValueError(f"{source} is not a complete .keras file: it has no '{name}' (it holds "
                         f"{archive.namelist()}).") from None
    if info.file_size > limit or (
            info.file_size > _EXPANSION_FLOOR_BYTES and info.file_size > _MAX_EXPANSION * info.compress_size):
        raise ValueError(f"Refusing to read '{name}' from {source}: it declares {info.file_size} bytes but stores "
                         f"{info.compress_size}, over the limit of {limit} bytes (a potential decompression bomb).")
    try:
        # ZipExtFile stops at the declared size, so the read is bounded even when the member lies.
        with archive.open(info) as member:
            return member.read(info.file_size)
    except Exception as error:  # BadZipFile, EOFError, zlib.error, NotImplementedError...: a damaged member
        raise ValueError(f"Cannot read '{name}' from {source}: the file is truncated or corrupted "
                         f"({type(error).__name__}: {error}).") from None


# ---- HDF5 ----------------------------------------------------------------------------------------------------

def open_h5(path_or_bytes, source):
    """An ``h5py.File`` (read-only) for a path or bytes, scanned by ``check_group``; a ValueError for a file that
    is not valid HDF5 or holds anything that reads outside it."""
    h5py = require_h5py("Reading .keras and .weights.h5 files")
    if isinstance(path_or_bytes, (bytes, bytearray)):
        target = io.BytesIO(path_or_bytes)
    else:
        target = regular_file(path_or_bytes)
    try:
        h5_file = h5py.File(target, "r")
    except (OSError, ValueError) as error:
        raise ValueError(f"Cannot read {source}: it is not a valid HDF5 file (truncated or corrupted?). "
                         f"{error}") from None
    try:
        check_group(h5_file, source)
    except BaseException:
        h5_file.close()
        raise
    return h5_file


def check_group(group, source):
    """Refuse, without following any link or reading any value, what under ``group`` would read another file
    (external links, external storage, virtual datasets) or leave ``group`` (soft links to paths outside it or to
    nothing)."""
    h5py = require_h5py("Reading .keras and .weights.h5 files")
    root = group.name.rstrip("/")
    links = []
    try:
        group.visititems_links(lambda name, link: links.append((name, link)))
    except Exception as error:  # h5py's errors on a damaged file: OSError, RuntimeError, KeyError, SystemError...
        raise ValueError(f"Cannot read {source}: the HDF5 structure is corrupted ({error}).") from None
    # External links first: resolving a soft link's target below may cross any link on its way.
    for name, link in links:
        if isinstance(link, h5py.ExternalLink):
            raise ValueError(f"Not allowed: {source} holds an ExternalLink at '{root}/{name}' to "
                             f"'{link.path}' in {link.filename!r}; kerastorch never reads outside the file.")
        if not isinstance(link, (h5py.SoftLink, h5py.HardLink)):
            raise ValueError(f"Not allowed: {source} holds a user-defined link at '{root}/{name}'.")
    for name, link in links:
        where = f"{root}/{name}"
        if isinstance(link, h5py.SoftLink):
            target = link.path if link.path.startswith("/") else posixpath.join(posixpath.dirname(where), link.path)
            parts = [part for part in target.split("/") if part not in ("", ".")]
            target = "/" + "/".join(parts)
            inside = target == (root or "/") or target.startswith(root + "/")
            if ".." in parts or not inside:
                raise ValueError(f"Not allowed: {source} holds a SoftLink at '{where}' to '{link.path}', outside "
                                 f"the group being read ('{root or '/'}').")
            try:
                exists = target in group.file
            except Exception:  # a damaged file: the target cannot be found
                exists = False
            if not exists:
                raise ValueError(f"Not allowed: {source} holds a SoftLink at '{where}' to '{link.path}', which "
                                 f"does not exist.")
            continue
        try:
            obj = group[name]
        except Exception as error:  # h5py's errors on a damaged file: OSError, RuntimeError, KeyError, SystemError...
            raise ValueError(f"Cannot read {source}: '{where}' is corrupted ({error}).") from None
        if isinstance(obj, h5py.Dataset):
            _check_storage(obj, where, source, h5py)


def _check_storage(dataset, where, source, h5py):
    try:
        plist = dataset.id.get_create_plist()
        external = plist.get_external_count()
        virtual = plist.get_layout() == h5py.h5d.VIRTUAL
    except Exception as error:  # a damaged file
        raise ValueError(f"Cannot read {source}: dataset '{where}' is corrupted ({error}).") from None
    if external:
        raise ValueError(f"Not allowed: {source} holds dataset '{where}' with external storage (its values live in "
                         f"another file); kerastorch never reads outside the file.")
    if virtual:
        raise ValueError(f"Not allowed: {source} holds a virtual dataset '{where}' (its values live in other "
                         f"datasets, maybe other files); kerastorch never reads outside the file.")


def get_dataset(group, name, source):
    """The dataset ``name`` of ``group`` (not read yet), or a ValueError."""
    h5py = require_h5py("Reading .keras and .weights.h5 files")
    where = f"{group.name.rstrip('/')}/{name}"
    try:
        dataset = group.get(name)
    except Exception as error:  # h5py's errors on a damaged file: OSError, RuntimeError, KeyError, SystemError...
        raise ValueError(f"Cannot read {source}: '{where}' is corrupted ({error}).") from None
    if not isinstance(dataset, h5py.Dataset):
        raise ValueError(f"Invalid weights file {source}: '{where}' should be a dataset"
                         f"{' but is missing' if dataset is None else ''}.")
    return dataset


def read_dataset(dataset, source, variable=None, expected_shape=None):
    """The values of ``dataset`` as a NumPy array, read only once its declared dtype is numeric and its declared
    shape is ``expected_shape`` (when given; otherwise once it stores about as much as it declares).

    Raises:
        ValueError: naming ``variable`` (what the values are for), the expected and the declared shapes.
    """
    what = variable or dataset.name
    try:
        shape, dtype = tuple(dataset.shape or ()), dataset.dtype
    except Exception as error:  # a damaged file
        raise ValueError(f"Cannot read {what} from {source}: the dataset is corrupted ({error}).") from None
    if dtype.kind not in "biuf" or dtype.itemsize > 8:
        raise ValueError(f"Cannot read {what} from {source}: the dataset has dtype {dtype}, expected a numeric "
                         f"dtype (bool, integer or float).")
    if expected_shape is not None and shape != tuple(expected_shape):
        raise ValueError(f"Cannot read {what} from {source}: expected shape {tuple(expected_shape)}, the file "
                         f"declares shape {shape}.")
    declared = math.prod(shape) * dtype.itemsize
    if expected_shape is None and declared > _DATASET_FLOOR_BYTES:
        stored = dataset.id.get_storage_size()
        if declared > _DATASET_MAX_EXPANSION * stored:
            raise ValueError(f"Refusing to read {what} from {source}: it declares shape {shape} ({declared} bytes) "
                             f"but stores {stored} bytes (a potential decompression bomb).")
    try:
        return dataset[()]
    except Exception as error:  # a damaged file
        raise ValueError(f"Cannot read {what} from {source}: the file is truncated or corrupted ({error}).") \
            from None
