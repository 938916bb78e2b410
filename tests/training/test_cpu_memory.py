"""glibc's malloc settings applied by fit on the CPU (training/cpu_memory.py), checked in fresh interpreters
by counting page faults: with them, a step's freed activations are reused instead of being faulted back in."""
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings: Linux only")

_PROBE = textwrap.dedent("""
    import resource, sys
    import numpy as np, torch
    import kerastorch as keras
    from kerastorch.training import cpu_memory

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32"), verbose=0)

    def step():   # five 11 MiB activations alive at once, then all freed, as in a small CNN's step
        alive = [torch.ones(128, 26, 26, 32) for _ in range(5)]
        del alive

    step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        step()
    print(cpu_memory._applied[0], resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def _run_probe(**env):
    result = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120,
                            env={**os.environ, **env})
    assert result.returncode == 0, result.stderr
    applied, faults = result.stdout.split()
    return applied == "True", int(faults)


def test_fit_on_the_cpu_keeps_freed_memory_for_the_next_step():
    runs = [_run_probe() for _ in range(2)]
    assert all(applied for applied, _ in runs)
    faults = min(count for _, count in runs)   # a loaded machine can add a tensor's worth now and then
    untuned_applied, untuned_faults = _run_probe(KERASTORCH_MALLOC_TUNING="0")
    assert not untuned_applied
    # 10 steps of 5 x 2,704 pages: glibc's defaults fault over ten thousand back in, the settings a few thousand.
    assert faults * 2 < untuned_faults, (faults, untuned_faults)


def test_the_users_own_malloc_settings_are_left_alone():
    applied, _ = _run_probe(MALLOC_TRIM_THRESHOLD_="131072")
    assert not applied
    applied, _ = _run_probe(GLIBC_TUNABLES="glibc.malloc.mmap_threshold=65536")
    assert not applied
