"""glibc's malloc settings that a CPU fit applies while it runs (training/process.py), checked in fresh
interpreters by counting page faults: with them, a step's freed activations are reused instead of being faulted
back in; after the fit (and around a predict) glibc's defaults hold again."""
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
    from kerastorch.training import process

    def step():   # five 11 MiB activations alive at once, then all freed, as in a small CNN's step
        alive = [torch.ones(128, 26, 26, 32) for _ in range(5)]
        del alive

    def faults():
        step()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(10):
            step()
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    class Measure(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            self.active = process.malloc_tuning_active()
            self.faults = faults()

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    measure = Measure()
    model.fit(np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32"), verbose=0, callbacks=[measure])
    after_fit = (process.malloc_tuning_active(), faults())
    model.predict(np.zeros((4, 2), "float32"), verbose=0)
    after_predict = (process.malloc_tuning_active(), faults())
    print(measure.active, measure.faults, *after_fit, *after_predict)
""")


def _run_probe(**env):
    result = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120,
                            env={**os.environ, **env})
    assert result.returncode == 0, result.stderr
    during, during_faults, after_fit, after_fit_faults, after_predict, after_predict_faults = result.stdout.split()
    return (during == "True", int(during_faults), after_fit == "True", int(after_fit_faults),
            after_predict == "True", int(after_predict_faults))


@pytest.fixture(scope="module")
def default_runs():
    return [_run_probe() for _ in range(2)]   # two: a loaded machine can add a tensor's worth now and then


def test_a_cpu_fit_keeps_freed_memory_for_the_next_step_while_it_runs(default_runs):
    runs = default_runs
    assert all(run[0] for run in runs)
    faults = min(run[1] for run in runs)
    untuned = _run_probe(KERASTORCH_MALLOC_TUNING="0")
    assert not untuned[0]
    # 10 steps of 5 x 2,704 pages: glibc's defaults fault over ten thousand back in, the settings a few thousand.
    assert faults * 2 < untuned[1], (faults, untuned[1])


def test_glibcs_defaults_hold_again_after_the_fit_and_around_predict(default_runs):
    runs = default_runs
    during = min(run[1] for run in runs)
    for _, _, active_after_fit, after_fit, active_after_predict, after_predict in runs:
        assert not active_after_fit and not active_after_predict
        # Outside the fit, freed activations go back to the kernel and fault in again, as with glibc's defaults.
        assert during * 2 < after_fit and during * 2 < after_predict, (during, after_fit, after_predict)


def test_the_users_own_malloc_settings_are_left_alone():
    assert not _run_probe(MALLOC_TRIM_THRESHOLD_="131072")[0]
    assert not _run_probe(GLIBC_TUNABLES="glibc.malloc.mmap_threshold=65536")[0]
