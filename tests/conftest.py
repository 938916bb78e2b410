"""What every test shares: tests/ on sys.path (for golden_loader and seed_runner), one torch thread per xdist
worker, and the process-wide settings each test finds as a fresh process has them."""
import os
import pathlib
import sys

import pytest
import torch

from kerastorch import _legacy, backend, mixed_precision

TESTS_DIR = str(pathlib.Path(__file__).resolve().parent)
if TESTS_DIR not in sys.path:
    # pytest's rootdir-relative imports put only each test file's own folder on sys.path; the shared helpers
    # (golden_loader, seed_runner) live here, so every test, in any folder and any xdist worker, finds them.
    sys.path.insert(0, TESTS_DIR)

from seed_runner import KerastorchRunner  # noqa: E402 - found through the path set just above

if os.environ.get("PYTEST_XDIST_WORKER") and int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
    # Parallel workers already use every core. With torch's default (a thread per core) in each worker and in
    # each program they start, OpenMP's threads wait at every op's barrier for a core the other worker holds:
    # a 3,000-step fit of a tiny MLP took 250 s instead of 5 s. One thread each is as fast as the cores allow,
    # and the environment variable reaches the subprocesses.
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)


def _denormals_flushed():
    # torch.set_flush_denormal has no getter: a subnormal float32 that survives a multiplication says "off".
    return bool((torch.tensor([1e-40]) * 1.0).item() == 0.0)


def _process_settings():
    return {"floatx": backend.floatx(), "epsilon": backend.epsilon(), "image_data_format":
            backend.image_data_format(), "global_policy": mixed_precision.global_policy().name,
            "torch_default_dtype": torch.get_default_dtype(), "grad_enabled": torch.is_grad_enabled(),
            "num_threads": torch.get_num_threads(), "flush_denormal": _denormals_flushed(),
            "environ": {name: value for name, value in os.environ.items() if not _owned_by_a_library(name)}}


_RESTORE = {
    "floatx": backend.set_floatx, "epsilon": backend.set_epsilon, "image_data_format": backend.set_image_data_format,
    "global_policy": mixed_precision.set_global_policy, "torch_default_dtype": torch.set_default_dtype,
    "grad_enabled": torch.set_grad_enabled, "num_threads": torch.set_num_threads,
    "flush_denormal": torch.set_flush_denormal,
}


def _owned_by_a_library(name):
    # pytest sets PYTEST_CURRENT_TEST for each phase; torch's inductor sets _TORCHINDUCTOR_* once per process and
    # reads them back later: neither is a test's doing, and removing the latter would break the next compile.
    return name == "PYTEST_CURRENT_TEST" or name.startswith("_")


def _restore_environ(saved):
    for name in {name for name in os.environ if not _owned_by_a_library(name)} - set(saved):
        del os.environ[name]
    os.environ.update({name: value for name, value in saved.items() if os.environ.get(name) != value})


@pytest.fixture(autouse=True)
def process_settings_restored(request):
    """Whatever a test leaves changed in Keras's config, the global dtype policy, torch's process settings or
    the environment is put back, so no test depends on which ran before it in its worker. A leak found here is
    also written to $KERASTORCH_TEST_LEAKS when set (one line per test and setting), to find the test."""
    before = _process_settings()
    yield
    after = _process_settings()
    leaked = [name for name in before if after[name] != before[name]]
    for name in leaked:
        if name == "environ":
            _restore_environ(before["environ"])
        else:
            _RESTORE[name](before[name])
    log = os.environ.get("KERASTORCH_TEST_LEAKS")
    if leaked and log:
        with open(log, "a", encoding="utf-8") as file:
            for name in leaked:
                detail = (sorted(set(before[name].items()) ^ set(after[name].items())) if name == "environ"
                          else f"{before[name]!r} -> {after[name]!r}")
                file.write(f"{request.node.nodeid}\t{name}\t{detail}\n")


@pytest.fixture(autouse=True)
def legacy_warnings_fresh():
    """Each Keras 2 spelling warns once per process (kerastorch._legacy); each test sees its first use warn, as
    a fresh process would, whichever tests ran before it in its worker."""
    _legacy._warned.clear()
    yield


@pytest.fixture(scope="session")
def kerastorch_runner():
    """Runs programs as ``kerastorch run`` does, each in a fresh process forked from one interpreter per worker
    (tests/seed_runner.py): ``kerastorch_runner.run(script, cwd)`` gives returncode, stdout and stderr."""
    runner = KerastorchRunner()
    yield runner
    runner.close()
