"""What saving leaves behind: files with the permissions the umask gives, and no partial file after a save that
was killed with SIGKILL, once the next save to that path succeeds."""
import os
import signal
import stat
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kerastorch as keras
from kerastorch.saving import saving_lib


def small_model():
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(2)(inputs))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.parametrize("name", ["m.keras", "m.weights.h5", "m.weights.safetensors"])
def test_saved_files_get_the_permissions_of_the_umask(tmp_path, umask_022, name):
    model = small_model()
    path = tmp_path / name
    model.save(path) if name.endswith(".keras") else model.save_weights(path)
    assert mode(path) == 0o644


def test_a_replaced_file_keeps_its_permissions(tmp_path, umask_022):
    path = tmp_path / "m.keras"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    small_model().save(path)
    assert mode(path) == 0o644
    os.chmod(path, 0o600)
    small_model().save(path)
    assert mode(path) == 0o600


KILLED_SAVE = textwrap.dedent('''
    import sys, time
    from kerastorch.saving import saving_lib

    def write(file):
        file.write(b"partial" * 1000)
        file.flush()
        print("writing", flush=True)
        time.sleep(60)

    saving_lib.atomic_write(sys.argv[1], write)
''')


def leftovers(folder):
    return sorted(name for name in os.listdir(folder) if name.startswith("."))


def test_a_save_killed_mid_write_leaves_a_named_partial_that_the_next_save_removes(tmp_path):
    path = tmp_path / "m.keras"
    child = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    partial = leftovers(tmp_path)
    assert len(partial) == 1 and partial[0].startswith(f".m.keras.kerastorch-partial-{child.pid}-"), partial
    assert not path.exists()
    model = small_model()
    model.save(path)
    assert leftovers(tmp_path) == []
    np.testing.assert_array_equal(keras.models.load_model(path).get_weights()[0], model.get_weights()[0])


def test_partials_of_live_saves_and_of_other_targets_are_kept(tmp_path):
    live = tmp_path / f".m.keras.kerastorch-partial-{os.getpid()}-00000000"
    other = tmp_path / ".other.keras.kerastorch-partial-999999999-00000000"
    live.write_bytes(b"x")
    other.write_bytes(b"x")
    small_model().save(tmp_path / "m.keras")
    assert live.exists() and other.exists()
    old = os.stat(live).st_mtime - saving_lib._STALE_PARTIAL_S - 60
    os.utime(live, (old, old))
    small_model().save(tmp_path / "m.keras")
    assert not live.exists() and other.exists()
