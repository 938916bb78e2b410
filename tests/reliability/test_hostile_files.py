"""Hostile files: every loader refuses what would read outside the file, allocate without bound, block, or run
code, with a ValueError, before reading it; and a load that fails leaves the model as it was.

The targets of external storage and links are regular files holding a recognizable value (not FIFOs), so that a
guard that fails shows as that value in the weights instead of a hung test.
"""
import io
import json
import os
import shutil
import stat
import struct
import zipfile

import h5py
import numpy as np
import pytest

import kerastorch as keras
from kerastorch.applications import weights as application_weights
from golden_loader import GOLDEN_DIR
from golden_models import interop_architecture

FIXTURES = GOLDEN_DIR / "saving"
MARKER = 1234.5   # the value a file outside would leak into the weights


def small_model(compile=False):
    inputs = keras.Input((3,), name="x")
    model = keras.Model(inputs, keras.layers.Dense(2, name="dense")(inputs))
    if compile:
        model.compile("adam", "mse")
    return model


def kernel(model):
    return model.get_layer("dense").kernel.detach().numpy().copy()


def secret_file(tmp_path, count=6):
    path = tmp_path / "secret.bin"
    path.write_bytes(np.full(count, MARKER, "<f4").tobytes())
    return path


def replace_dataset(h5_path, name, **create):
    with h5py.File(h5_path, "r+") as h5_file:
        del h5_file[name]
        h5_file.create_dataset(name, **create)


def keras_file_with(tmp_path, model, edit):
    """A .keras file of ``model`` whose model.weights.h5 went through ``edit(h5_path)``."""
    model.save(tmp_path / "plain.keras")
    with zipfile.ZipFile(tmp_path / "plain.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    h5_path = tmp_path / "inner.weights.h5"
    h5_path.write_bytes(members["model.weights.h5"])
    edit(h5_path)
    members["model.weights.h5"] = h5_path.read_bytes()
    path = tmp_path / "hostile.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def external_storage(secret):
    def edit(h5_path):
        replace_dataset(h5_path, "layers/dense/vars/0", shape=(3, 2), dtype="<f4",
                        external=[(os.fspath(secret), 0, 24)])
    return edit


def external_link(target):
    def edit(h5_path):
        with h5py.File(h5_path, "r+") as h5_file:
            del h5_file["layers/dense"]
            h5_file["layers/dense"] = h5py.ExternalLink(os.fspath(target), "/layers/dense")
    return edit


def leaked_weights_file(tmp_path):
    """A valid weights file whose kernel holds MARKER: the target of an external link."""
    source = small_model()
    source.get_layer("dense").kernel.data.fill_(MARKER)
    path = tmp_path / "outside.weights.h5"
    source.save_weights(path)
    return path


def assert_refused(load, model, pattern):
    before = kernel(model)
    with pytest.raises(ValueError, match=pattern):
        load()
    after = kernel(model)
    assert not np.any(after == MARKER)
    np.testing.assert_array_equal(after, before)


# ---- external storage and external links --------------------------------------------------------------------

def test_weights_h5_with_external_storage_is_refused_before_reading(tmp_path):
    model = small_model()
    path = tmp_path / "hostile.weights.h5"
    model.save_weights(path)
    external_storage(secret_file(tmp_path))(path)
    assert_refused(lambda: model.load_weights(path), model, "external storage")


def test_weights_h5_with_external_link_is_refused(tmp_path):
    model = small_model()
    path = tmp_path / "hostile.weights.h5"
    model.save_weights(path)
    external_link(leaked_weights_file(tmp_path))(path)
    assert_refused(lambda: model.load_weights(path), model, "ExternalLink")


@pytest.mark.parametrize("edit", ["storage", "link"])
def test_keras_file_with_external_data_is_refused_by_load_model_and_load_weights(tmp_path, edit):
    model = small_model()
    make = external_storage(secret_file(tmp_path)) if edit == "storage" else \
        external_link(leaked_weights_file(tmp_path))
    path = keras_file_with(tmp_path, model, make)
    pattern = "external storage" if edit == "storage" else "ExternalLink"
    with pytest.raises(ValueError, match=pattern):
        keras.models.load_model(path)
    assert_refused(lambda: model.load_weights(path), model, pattern)


def keras2_weights_copy(tmp_path, name="keras2.h5"):
    path = tmp_path / name
    shutil.copy(FIXTURES / "keras2_weights.h5", path)
    return path


@pytest.mark.parametrize("loader", ["load_weights", "applications"])
def test_keras2_h5_with_external_storage_or_link_is_refused(tmp_path, loader):
    secret = secret_file(tmp_path, count=4)
    storage = keras2_weights_copy(tmp_path, "storage.h5")
    replace_dataset(storage, "conv2d/conv2d/bias:0", shape=(4,), dtype="<f4",
                    external=[(os.fspath(secret), 0, 16)])
    linked = keras2_weights_copy(tmp_path, "linked.h5")
    outside = keras2_weights_copy(tmp_path, "outside.h5")
    with h5py.File(outside, "r+") as h5_file:
        h5_file["conv2d/conv2d/bias:0"][...] = MARKER
    with h5py.File(linked, "r+") as h5_file:
        del h5_file["conv2d"]
        h5_file["conv2d"] = h5py.ExternalLink(os.fspath(outside), "/conv2d")
    model = interop_architecture()
    for path, pattern in ((storage, "external storage"), (linked, "ExternalLink")):
        load = (lambda p=path: model.load_weights(p)) if loader == "load_weights" else \
            (lambda p=path: application_weights.load_weights(model, os.fspath(p)))
        with pytest.raises(ValueError, match=pattern):
            load()
        assert not np.any(model.layers[1].bias.detach().numpy() == MARKER)


def test_applications_weights_refuse_external_storage_in_keras3_files(tmp_path):
    model = small_model()
    path = tmp_path / "hostile.weights.h5"
    model.save_weights(path)
    external_storage(secret_file(tmp_path))(path)
    assert_refused(lambda: application_weights.load_weights(model, os.fspath(path)), model, "external storage")
    keras_path = keras_file_with(tmp_path, model, external_link(leaked_weights_file(tmp_path)))
    assert_refused(lambda: application_weights.load_weights(model, os.fspath(keras_path)), model, "ExternalLink")


def test_soft_links_inside_the_file_load_and_dangling_ones_are_refused(tmp_path):
    source = small_model()
    model = small_model()
    path = tmp_path / "soft.weights.h5"
    source.save_weights(path)
    with h5py.File(path, "r+") as h5_file:
        h5_file.move("layers/dense/vars/0", "stash")
        h5_file["layers/dense/vars/0"] = h5py.SoftLink("/stash")
    model.load_weights(path)      # a link that stays in the file is plain HDF5
    np.testing.assert_array_equal(kernel(model), kernel(source))
    with h5py.File(path, "r+") as h5_file:
        del h5_file["layers/dense/vars/0"]
        h5_file["layers/dense/vars/0"] = h5py.SoftLink("/nowhere")
    with pytest.raises(ValueError, match="SoftLink"):
        model.load_weights(path)


def test_soft_links_leaving_the_group_being_read_are_refused(tmp_path):
    # In a Keras 2 full-model file the weights are read from model_weights; a link out of it is refused.
    path = tmp_path / "full.h5"
    shutil.copy(FIXTURES / "keras2_full.h5", path)
    with h5py.File(path, "r+") as h5_file:
        h5_file.move("model_weights/conv2d/conv2d/bias:0", "elsewhere")
        h5_file["model_weights/conv2d/conv2d/bias:0"] = h5py.SoftLink("/elsewhere")
    with pytest.raises(ValueError, match="SoftLink.*outside"):
        keras.models.load_model(path)
    with pytest.raises(ValueError, match="SoftLink.*outside"):
        interop_architecture().load_weights(path)


def test_virtual_datasets_are_refused(tmp_path):
    model = small_model()
    outside = tmp_path / "outside.h5"
    with h5py.File(outside, "w") as h5_file:
        h5_file["data"] = np.full((3, 2), MARKER, "<f4")
    path = tmp_path / "virtual.weights.h5"
    model.save_weights(path)
    layout = h5py.VirtualLayout(shape=(3, 2), dtype="<f4")
    layout[...] = h5py.VirtualSource(os.fspath(outside), "data", shape=(3, 2))
    with h5py.File(path, "r+") as h5_file:
        del h5_file["layers/dense/vars/0"]
        h5_file["layers/dense/vars"].create_virtual_dataset("0", layout)
    assert_refused(lambda: model.load_weights(path), model, "virtual")


# ---- declared sizes ------------------------------------------------------------------------------------------

@pytest.fixture
def huge_reads_fail(monkeypatch):
    """Reading a dataset declared huge fails the test: the refusal must come from the declared shape alone."""
    read = h5py.Dataset.__getitem__

    def guarded(self, key):
        assert np.prod(self.shape or ()) < 1 << 20, f"read {self.name} of declared shape {self.shape}"
        return read(self, key)
    monkeypatch.setattr(h5py.Dataset, "__getitem__", guarded)


def huge_kernel(h5_path, name):
    # Chunked and compressed, with nothing written: a few KB on disk, 2 GiB declared.
    replace_dataset(h5_path, name, shape=(1 << 14, 1 << 15), dtype="<f4", chunks=(64, 64), compression="gzip")


def test_a_small_file_declaring_a_huge_kernel_is_refused_naming_the_variable(tmp_path, huge_reads_fail):
    model = small_model()
    path = tmp_path / "bomb.weights.h5"
    model.save_weights(path)
    huge_kernel(path, "layers/dense/vars/0")
    assert os.path.getsize(path) < 64 * 1024
    with pytest.raises(ValueError, match=r"dense.*\(3, 2\).*\(16384, 32768\)"):
        model.load_weights(path)
    keras_path = keras_file_with(tmp_path, model, lambda p: huge_kernel(p, "layers/dense/vars/0"))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(16384, 32768\)"):
        keras.models.load_model(keras_path)
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(16384, 32768\)"):
        application_weights.load_weights(model, os.fspath(path))


def test_keras2_file_declaring_a_huge_kernel_is_refused(tmp_path, huge_reads_fail):
    path = keras2_weights_copy(tmp_path)
    huge_kernel(path, "head/dense/kernel:0")
    with pytest.raises(ValueError, match=r"\(256, 8\).*\(16384, 32768\)"):
        interop_architecture().load_weights(path)
    with pytest.raises(ValueError, match=r"\(256, 8\).*\(16384, 32768\)"):
        application_weights.load_weights(interop_architecture(), os.fspath(path))


def test_a_dataset_of_strings_is_refused_as_a_weight(tmp_path):
    model = small_model()
    path = tmp_path / "strings.weights.h5"
    model.save_weights(path)
    replace_dataset(path, "layers/dense/vars/1", data=np.array([b"a", b"b"]))
    assert_refused(lambda: model.load_weights(path), model, "dtype")


def test_huge_optimizer_state_is_refused(tmp_path, huge_reads_fail):
    model = small_model(compile=True)
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    path = tmp_path / "optimizer.weights.h5"
    model.save_weights(path)
    huge_kernel(path, "optimizer/vars/2")
    with pytest.raises(ValueError, match=r"optimizer.*\(16384, 32768\)"):
        model.load_weights(path)


# ---- non-regular files ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".keras", ".weights.h5", ".h5", ".weights.safetensors"])
def test_fifos_are_refused_without_blocking(tmp_path, suffix):
    path = tmp_path / f"pipe{suffix}"
    os.mkfifo(path)
    model = small_model()
    with pytest.raises(ValueError, match="not a regular file"):
        model.load_weights(path)
    if suffix in (".keras", ".h5"):
        with pytest.raises(ValueError, match="not a regular file"):
            keras.models.load_model(path)
    with pytest.raises(ValueError, match="not a regular file"):
        application_weights.load_weights(model, os.fspath(path))


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5", ".h5", ".weights.safetensors"])
def test_symlinks_to_devices_are_refused(tmp_path, suffix):
    path = tmp_path / f"zero{suffix}"
    os.symlink("/dev/zero", path)
    model = small_model()
    with pytest.raises(ValueError, match="not a regular file"):
        model.load_weights(path)
    if suffix in (".keras", ".h5"):
        with pytest.raises(ValueError, match="not a regular file"):
            keras.models.load_model(path)


def test_a_symlink_to_a_regular_file_loads(tmp_path):
    model = small_model()
    model.save(tmp_path / "real.keras")
    os.symlink(tmp_path / "real.keras", tmp_path / "link.keras")
    np.testing.assert_array_equal(kernel(keras.models.load_model(tmp_path / "link.keras")), kernel(model))


# ---- zip files -----------------------------------------------------------------------------------------------

def zip_bomb(tmp_path, member, size=1 << 33):
    """A .keras file whose ``member`` declares ``size`` bytes, stored deflated in a few KB (patched headers)."""
    model = small_model()
    model.save(tmp_path / "plain.keras")
    with zipfile.ZipFile(tmp_path / "plain.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    data = bytearray(buffer.getvalue())
    # The central directory's uncompressed size (offset 24 of each entry) is what zipfile trusts.
    name = member.encode()
    start = data.find(b"PK\x01\x02" + bytes(0))
    while start != -1:
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if bytes(data[start + 46:start + 46 + name_length]) == name:
            struct.pack_into("<I", data, start + 24, min(size, 0xFFFFFFFF))
        start = data.find(b"PK\x01\x02", start + 4)
    path = tmp_path / "bomb.keras"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("member", ["config.json", "model.weights.h5"])
def test_zip_members_declaring_more_than_their_limit_are_refused(tmp_path, member):
    path = zip_bomb(tmp_path, member)
    with pytest.raises(ValueError, match="decompression bomb"):
        keras.models.load_model(path)
    if member == "model.weights.h5":
        with pytest.raises(ValueError, match="decompression bomb"):
            small_model().load_weights(path)
        with pytest.raises(ValueError, match="decompression bomb"):
            application_weights.load_weights(small_model(), os.fspath(path))


def test_applications_name_a_missing_keras_member(tmp_path):
    path = tmp_path / "empty.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{}")
    with pytest.raises(ValueError, match="model.weights.h5"):
        application_weights.load_weights(small_model(), os.fspath(path))


# ---- truncated, bit-flipped files and lying safetensors headers ----------------------------------------------

@pytest.mark.parametrize("suffix", [".keras", ".weights.h5", ".weights.safetensors"])
def test_truncated_files_raise_value_errors(tmp_path, suffix):
    model = small_model()
    path = tmp_path / f"m{suffix}"
    model.save(path) if suffix == ".keras" else model.save_weights(path)
    data = path.read_bytes()
    for length in (0, 7, len(data) // 3, len(data) - 1):
        path.write_bytes(data[:length])
        with pytest.raises(ValueError):
            model.load_weights(path)


def safetensors_with_header(path, header, payload=b""):
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + payload)


@pytest.mark.parametrize("header", [
    {"dense/kernel": {"dtype": "F32", "shape": [3, 2], "data_offsets": [0, 1 << 40]},
     "dense/bias": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}},                  # past the end
    {"dense/kernel": {"dtype": "F32", "shape": [3, 2], "data_offsets": [0, 24]},
     "dense/bias": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]}},               # overlapping
    {"dense/kernel": {"dtype": "F32", "shape": [1 << 30, 1 << 30], "data_offsets": [0, 24]},
     "dense/bias": {"dtype": "F32", "shape": [2], "data_offsets": [24, 32]}},               # huge shape
])
def test_lying_safetensors_headers_are_refused(tmp_path, header):
    model = small_model()
    path = tmp_path / "lying.weights.safetensors"
    safetensors_with_header(path, header, np.full(8, MARKER, "<f4").tobytes())
    assert_refused(lambda: model.load_weights(path), model, None)


def test_a_safetensors_header_declaring_a_huge_header_is_refused(tmp_path):
    path = tmp_path / "huge.weights.safetensors"
    path.write_bytes(struct.pack("<Q", 1 << 62) + b"{}")
    with pytest.raises(ValueError):
        small_model().load_weights(path)


# ---- configs naming callables --------------------------------------------------------------------------------

def keras_with_config(tmp_path, edit):
    model = small_model()
    model.save(tmp_path / "plain.keras")
    with zipfile.ZipFile(tmp_path / "plain.keras") as archive:
        config = json.loads(archive.read("config.json"))
        weights = archive.read("model.weights.h5")
    edit(config)
    path = tmp_path / "hostile.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights)
    return path


def test_an_activation_naming_os_system_is_refused(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda *args: calls.append(args))

    def edit(config):
        config["config"]["layers"][1]["config"]["activation"] = {"module": "os", "class_name": "function",
                                                                 "config": "system", "registered_name": "system"}
    with pytest.raises(ValueError):
        keras.models.load_model(keras_with_config(tmp_path, edit))
    assert calls == []


def test_a_lambda_payload_in_a_kerastorch_config_is_not_run_in_safe_mode(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda *args: calls.append(args))

    def edit(config):
        layer = config["config"]["layers"][1]
        layer["class_name"] = "Lambda"
        layer["config"] = {"name": "dense", "function": {"class_name": "__lambda__", "config": {
            "code": "4wAAAAAAAAAAAAAAAAEAAAADAAAA8wYAAACXAHwAUwApAU6pAKkB2gF4cwEAAAAg+gg8c3RyaW5nPvoIPGxhbWJkYT5yBQAAAAEAAABzAgAAAIAAcgMAAAA=",
            "defaults": None, "closure": None}}}
    with pytest.raises(ValueError, match="safe_mode"):
        keras.models.load_model(keras_with_config(tmp_path, edit))
    assert calls == []


# ---- a failed load leaves the model unchanged; compiled, never trained models ----------------------------------

@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_load_weights_between_compiled_never_trained_models(tmp_path, suffix):
    source, target = small_model(compile=True), small_model(compile=True)
    path = tmp_path / f"m{suffix}"
    source.save(path) if suffix == ".keras" else source.save_weights(path)
    target.load_weights(path)
    np.testing.assert_array_equal(kernel(target), kernel(source))
    target.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)   # the optimizer still builds and trains


def test_trained_optimizer_state_loads_into_a_compiled_never_trained_model(tmp_path):
    source, target = small_model(compile=True), small_model(compile=True)
    source.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=2, verbose=0)
    source.save_weights(tmp_path / "m.weights.h5")
    target.load_weights(tmp_path / "m.weights.h5")
    assert int(target.optimizer.iterations) == int(source.optimizer.iterations)
    for mine, theirs in zip(target.optimizer.get_weights(), source.optimizer.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def test_a_bad_optimizer_state_leaves_the_layers_unchanged(tmp_path):
    source, target = small_model(compile=True), small_model(compile=True)
    for model in (source, target):
        model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    path = tmp_path / "m.weights.h5"
    source.save_weights(path)
    replace_dataset(path, "optimizer/vars/2", data=np.zeros((5, 5), "float32"))
    before = kernel(target)
    with pytest.raises(ValueError, match="optimizer"):
        target.load_weights(path)
    np.testing.assert_array_equal(kernel(target), before)


def test_a_damaged_last_layer_leaves_the_first_unchanged(tmp_path):
    source = interop_architecture()
    target = interop_architecture()
    path = tmp_path / "m.weights.h5"
    source.save_weights(path)
    with h5py.File(path, "r+") as h5_file:
        last = sorted(name for name in h5_file["layers"] if name.startswith("dense"))[-1]
    replace_dataset(path, f"layers/{last}/vars/1", data=np.array([b"x"] * 3))
    before = [w.detach().numpy().copy() for w in target.weights]
    with pytest.raises(ValueError):
        target.load_weights(path)
    for now, then in zip(target.weights, before):
        np.testing.assert_array_equal(now.detach().numpy(), then)


@pytest.mark.parametrize("name, fraction", [("keras3_functional.weights.h5", 0.83203125),
                                            ("keras2_full.h5", 0.30859375)])
def test_damaged_hdf5_link_tables_raise_value_errors(tmp_path, name, fraction):
    # Found by the fuzz: h5py raised SystemError (from a RuntimeError inside its link walk) for these flips.
    data = bytearray((FIXTURES / name).read_bytes())
    data[int(fraction * len(data))] ^= 1
    path = tmp_path / name
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError):
        interop_architecture().load_weights(path)
