"""Files in Keras's cache: ``get_file`` (download once, verify, extract), hashing, and safe archive extraction.

The cache is Keras's own: ``$KERAS_HOME`` (default ``~/.keras``) with one folder per kind of file
(``datasets``, ``models``), so files Keras downloaded are found here and the other way round.

Downloads go to a temporary file next to their destination and are renamed into place only once complete and
(when a hash is given) verified, so an interrupted or corrupt download never leaves a file that looks cached.
Archives are extracted only inside their target folder: members whose path or link target leaves it are skipped
with a warning.
"""
import hashlib
import inspect
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

# Seconds a download waits for the server (to connect, and for each read) before giving up, so that an offline
# machine fails within seconds rather than minutes.
DOWNLOAD_TIMEOUT_S = 8


class DownloadError(OSError):
    """A file is not in the cache and could not be downloaded: the message names the file, its folder and URL."""


def path_to_string(path):
    """A ``PathLike`` as its string; anything else unchanged."""
    return os.fspath(path) if isinstance(path, os.PathLike) else path


def keras_home():
    """Keras's folder: ``$KERAS_HOME``, else ``~/.keras``."""
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


# ---- hashes ---------------------------------------------------------------------------------------------------

def _hasher(algorithm, file_hash=None):
    """hashlib's object for ``"sha256"``, ``"md5"`` or ``"auto"`` (SHA-256 for a 64-digit hash, else MD5)."""
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(f"`hash_algorithm` must be 'auto', 'sha256' or 'md5'. Received: hash_algorithm="
                         f"{algorithm!r}")
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(file_hash) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of the file at ``fpath`` (``algorithm``: ``"sha256"``, ``"md5"``, ``"auto"`` or a hashlib
    object)."""
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as file:
        for chunk in iter(lambda: file.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file at ``fpath`` has hash ``file_hash`` (SHA-256 or MD5, told apart by length for
    ``"auto"``)."""
    return hash_file(fpath, _hasher(algorithm, file_hash), chunk_size) == str(file_hash)


# ---- archives -------------------------------------------------------------------------------------------------

def _inside(base, relative):
    """The resolved path of ``relative`` under ``base`` when it stays inside ``base``, else None."""
    path = os.path.realpath(os.path.join(base, relative))
    try:
        return path if os.path.commonpath([path, base]) == base else None
    except ValueError:
        return None


def _safe_tar_members(archive, base):
    for member in archive:
        destination = _inside(base, member.name)
        safe = destination is not None
        if safe and member.islnk():
            # A hard link's target is relative to the archive's root; a symlink's to its own folder.
            safe = _inside(base, member.linkname) is not None
        elif safe and member.issym():
            safe = _inside(base, os.path.join(os.path.dirname(destination), member.linkname)) is not None
        if safe and not (member.isdev() or member.isfifo()):
            yield member
        else:
            warnings.warn(f"Skipping invalid path during archive extraction: '{member.name}'.", stacklevel=3)


def _safe_zip_members(archive, base):
    for member in archive.infolist():
        if _inside(base, member.filename) is not None:
            yield member
        else:
            warnings.warn(f"Skipping invalid path during archive extraction: '{member.filename}'.", stacklevel=3)


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extract a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``) or zip archive into ``path``, skipping members that
    would land outside it.

    Args:
        file_path: the archive.
        path: the folder to extract into.
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list of them, or None.

    Returns:
        True if the file was an archive of one of the formats and was extracted, else False.
    """
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    file_path, path = path_to_string(file_path), path_to_string(path)
    for kind in formats:
        if kind not in ("tar", "zip"):
            raise ValueError(f"`archive_format` must be 'auto', 'tar', 'zip' or None. Received: "
                             f"archive_format={archive_format!r}")
        is_archive = tarfile.is_tarfile if kind == "tar" else zipfile.is_zipfile
        if not is_archive(file_path):
            continue
        os.makedirs(path, exist_ok=True)
        base = os.path.realpath(path)
        try:
            if kind == "tar":
                with tarfile.open(file_path) as archive:
                    options = {"filter": "data"} if "filter" in inspect.signature(archive.extractall).parameters \
                        else {}
                    archive.extractall(path, members=_safe_tar_members(archive, base), **options)
            else:
                with zipfile.ZipFile(file_path) as archive:
                    archive.extractall(path, members=_safe_zip_members(archive, base))
        except (tarfile.TarError, zipfile.BadZipFile, RuntimeError, KeyboardInterrupt):
            shutil.rmtree(path, ignore_errors=True)
            raise
        return True
    return False


# ---- downloads ------------------------------------------------------------------------------------------------

def download(url, destination, file_hash=None, hash_algorithm="auto", verbose=True, timeout=None):
    """Download ``url`` to ``destination`` atomically, with a progress bar.

    The bytes go to a temporary file next to ``destination``, which replaces it only once complete and, when
    ``file_hash`` is given, matching it.

    Raises:
        OSError: the server cannot be reached or the transfer fails (``urllib.error.URLError`` included).
        ValueError: the downloaded file's hash is not ``file_hash`` (nothing is saved).
    """
    directory = os.path.dirname(os.path.abspath(destination))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(destination), dir=directory)
    try:
        with os.fdopen(handle, "wb") as file, \
                urllib.request.urlopen(url, timeout=timeout or DOWNLOAD_TIMEOUT_S) as response:
            if verbose:
                print(f"Downloading data from {url}")
            size = response.headers.get("Content-Length")
            bar = _progress_bar(int(size) if size else None, verbose)
            received = 0
            for chunk in iter(lambda: response.read(1 << 20), b""):
                file.write(chunk)
                received += len(chunk)
                if bar is not None:
                    bar.update(received, finalize=False)
            if bar is not None:
                bar.update(received, finalize=True)
        if file_hash is not None:
            actual = hash_file(temporary, _hasher(hash_algorithm, file_hash))
            if actual != str(file_hash):
                raise ValueError(f"Incomplete or corrupted file detected: the file downloaded from {url} has hash "
                                 f"{actual}, not the published {file_hash}. Nothing was saved.")
        os.replace(temporary, destination)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return destination


def _progress_bar(total_bytes, verbose):
    if not verbose:
        return None
    from kerastorch.training.progbar import Progbar
    return Progbar(total_bytes)


def _cache_folder(cache_dir, cache_subdir):
    base = os.path.expanduser(path_to_string(cache_dir) if cache_dir is not None else keras_home())
    if not os.access(base, os.W_OK) and os.path.exists(base):
        # Keras's fallback for a read-only home.
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return os.path.join(base, path_to_string(cache_subdir))


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """The path of a file in Keras's cache, downloaded from ``origin`` first when it is not there.

    Args:
        fname: the file's name in the cache (None: the last part of ``origin``'s path). With ``extract``, a name
            without an extension is the folder to extract into (the archive is kept as ``<fname>_archive``); a
            name with one is the archive's name, extracted into ``<name before the first dot>_extracted``.
        origin: the URL to download from.
        untar: Keras 2's spelling of ``extract=True`` for tar archives.
        md5_hash: Keras 2's spelling of ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: the expected SHA-256 or MD5 of the file; a cached file that does not match is downloaded
            again, a downloaded one that does not match is refused.
        cache_subdir: the folder under the cache (an absolute path is used as it is).
        hash_algorithm: ``"auto"`` (by the hash's length), ``"sha256"`` or ``"md5"``.
        extract: extract the archive and return the folder holding its contents.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"``, or None.
        cache_dir: the cache (default ``$KERAS_HOME``, else ``~/.keras``).
        force_download: download even when the file is cached.

    Returns:
        The path of the file, or of the extraction folder when extracting.

    Raises:
        DownloadError: the file is not cached and cannot be downloaded; the message names the file, the folder
            to put it in and the URL.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    folder = _cache_folder(cache_dir, cache_subdir)
    os.makedirs(folder, exist_ok=True)
    given_name = path_to_string(fname)
    fname = given_name or os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. Please specify the "
                         f"`fname` argument.")
    if os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(f"Paths are no longer accepted as the `fname` argument. To specify the file's parent "
                         f"directory, use the `cache_dir` argument. Received: fname={fname}")
    extraction_dir = None
    if extract or untar:
        if given_name and "." in fname:
            target = os.path.join(folder, fname)
            extraction_dir = os.path.join(folder, fname[:fname.find(".")] + "_extracted")
        else:
            extraction_dir = os.path.join(folder, fname)
            target = os.path.join(folder, fname + "_archive")
    else:
        target = os.path.join(folder, fname)

    needed = force_download or not os.path.exists(target)
    if not needed and file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
        print(f"A local file was found, but it seems to be incomplete or outdated because the {hash_algorithm} "
              f"file hash does not match the original value of {file_hash} so we will re-download the data.")
        needed = True
    if needed:
        try:
            download(origin, target, file_hash, hash_algorithm)
        except (OSError, urllib.error.URLError) as error:
            reason = getattr(error, "reason", None) or error
            raise DownloadError(
                f"The file {os.path.basename(target)!r} is not in {folder} and could not be downloaded from "
                f"{origin} ({reason}). Put the file {os.path.basename(target)} in {folder} (set KERAS_HOME to use "
                f"another folder than ~/.keras), or connect to the network.") from error
    if extraction_dir is not None:
        if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
            warnings.warn("Could not extract archive.", stacklevel=2)
        return extraction_dir
    return target
