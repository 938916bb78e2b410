"""keras.utils.get_file against a real HTTP server on 127.0.0.1: Keras's cache layout, hashes, atomic writes,
extraction (and its refusal of paths that leave the target folder)."""
import functools
import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile

import pytest

from kerastorch.utils import file_utils, get_file


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """Serves tmp_path/served over HTTP from a thread; yields (folder, base URL, request log)."""
    folder = tmp_path / "served"
    folder.mkdir()
    requests = []

    class Handler(QuietHandler):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


def test_downloads_into_keras_home_datasets_and_then_uses_the_cache(server, cache):
    folder, base, requests = server
    (folder / "data.bin").write_bytes(b"payload")
    path = get_file(origin=f"{base}/data.bin")
    assert path == str(cache / "datasets" / "data.bin") and open(path, "rb").read() == b"payload"
    assert get_file("data.bin", origin=f"{base}/data.bin") == path and len(requests) == 1


def test_force_download_fetches_again(server, cache):
    folder, base, requests = server
    (folder / "a.txt").write_bytes(b"1")
    get_file("a.txt", f"{base}/a.txt")
    (folder / "a.txt").write_bytes(b"2")
    path = get_file("a.txt", f"{base}/a.txt", force_download=True)
    assert open(path, "rb").read() == b"2" and len(requests) == 2


def test_cache_subdir_and_cache_dir(server, tmp_path):
    folder, base, _ = server
    (folder / "f").write_bytes(b"x")
    assert get_file("f", f"{base}/f", cache_dir=str(tmp_path / "c"), cache_subdir="models") == \
        str(tmp_path / "c" / "models" / "f")


@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
def test_matching_hash_is_accepted_and_a_wrong_one_saves_nothing(server, cache, algorithm):
    folder, base, _ = server
    (folder / "h.bin").write_bytes(b"hashed")
    digest = hashlib.new(algorithm, b"hashed").hexdigest()
    assert os.path.isfile(get_file("h.bin", f"{base}/h.bin", file_hash=digest))
    with pytest.raises(ValueError, match="Incomplete or corrupted file detected"):
        get_file("other.bin", f"{base}/h.bin", file_hash="0" * len(digest))
    assert sorted(os.listdir(cache / "datasets")) == ["h.bin"]


def test_md5_hash_argument_is_keras2s_file_hash(server, cache):
    folder, base, _ = server
    (folder / "m").write_bytes(b"m")
    with pytest.raises(ValueError, match="corrupted"):
        get_file("m", f"{base}/m", md5_hash="f" * 32)


def test_cached_file_with_another_hash_is_downloaded_again(server, cache, capsys):
    folder, base, requests = server
    (folder / "c.bin").write_bytes(b"fresh")
    (cache / "datasets").mkdir(parents=True)
    (cache / "datasets" / "c.bin").write_bytes(b"stale")
    path = get_file("c.bin", f"{base}/c.bin", file_hash=hashlib.sha256(b"fresh").hexdigest())
    assert open(path, "rb").read() == b"fresh" and len(requests) == 1
    assert "hash does not match" in capsys.readouterr().out


def test_progress_bar_is_printed(server, cache, capsys):
    folder, base, _ = server
    (folder / "p").write_bytes(b"p" * 5000)
    get_file("p", f"{base}/p")
    out = capsys.readouterr().out
    assert f"Downloading data from {base}/p" in out and "5000/5000" in out


def test_unreachable_origin_names_file_folder_and_url(cache):
    with pytest.raises(file_utils.DownloadError) as error:
        get_file("gone.npz", "http://127.0.0.1:9/gone.npz")
    message = str(error.value)
    assert "gone.npz" in message and str(cache / "datasets") in message and "http://127.0.0.1:9/gone.npz" in message
    assert os.listdir(cache / "datasets") == []


def _tar(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def test_extract_without_extension_uses_the_name_as_folder_and_keeps_the_archive(server, cache):
    folder, base, _ = server
    (folder / "pack.tar.gz").write_bytes(_tar({"inner/a.txt": b"A"}))
    path = get_file("pack", f"{base}/pack.tar.gz", extract=True)
    assert path == str(cache / "datasets" / "pack")
    assert open(os.path.join(path, "inner", "a.txt"), "rb").read() == b"A"
    assert os.path.isfile(cache / "datasets" / "pack_archive")


def test_extract_with_extension_extracts_into_name_extracted(server, cache):
    folder, base, _ = server
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("z.txt", "Z")
    (folder / "z.zip").write_bytes(buffer.getvalue())
    path = get_file("z.zip", f"{base}/z.zip", extract=True)
    assert path == str(cache / "datasets" / "z_extracted") and os.path.isfile(os.path.join(path, "z.txt"))


def test_untar_extracts_a_tar(server, cache):
    folder, base, _ = server
    (folder / "t.tgz").write_bytes(_tar({"t.txt": b"T"}))
    assert os.path.isfile(os.path.join(get_file(origin=f"{base}/t.tgz", untar=True), "t.txt"))


def test_archive_members_leaving_the_folder_are_skipped(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(_tar({"../escaped.txt": b"x", "ok.txt": b"y"}))
    with pytest.warns(UserWarning, match="Skipping invalid path"):
        assert file_utils.extract_archive(str(archive), str(tmp_path / "out"))
    assert os.path.isfile(tmp_path / "out" / "ok.txt") and not os.path.exists(tmp_path / "escaped.txt")


def test_symlink_out_of_the_folder_is_skipped(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        link = tarfile.TarInfo("link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    (tmp_path / "l.tar").write_bytes(buffer.getvalue())
    with pytest.warns(UserWarning, match="Skipping invalid path during archive extraction: 'link'"):
        file_utils.extract_archive(str(tmp_path / "l.tar"), str(tmp_path / "out"))
    assert not os.path.lexists(tmp_path / "out" / "link")


def test_fname_with_a_path_is_refused(cache):
    with pytest.raises(ValueError, match="Paths are no longer accepted"):
        get_file(os.path.join("a", "b"), "http://127.0.0.1:9/b")


def test_origin_is_required():
    with pytest.raises(ValueError, match='specify the "origin"'):
        get_file("x")
