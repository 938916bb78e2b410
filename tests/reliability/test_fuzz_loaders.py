"""A property-based fuzz of the loaders: real saved files (Keras 3's .keras and .weights.h5, Keras 2's .h5, and
kerastorch's .weights.safetensors) with bytes flipped, cut off or inserted load correctly or raise a ValueError:
never another exception, never a hang, never code run.

Derandomized and bounded for `make test`; KERASTORCH_FUZZ_EXAMPLES=5000 runs a long fuzz (see README).
"""
import os
import signal
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import kerastorch as keras
from golden_loader import GOLDEN_DIR
from golden_models import interop_architecture as architecture

FIXTURES = GOLDEN_DIR / "saving"
EXAMPLES = int(os.environ.get("KERASTORCH_FUZZ_EXAMPLES", "100"))
LOAD_SECONDS = 10   # far beyond a load of these files (milliseconds); a hang fails the example
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=LOAD_SECONDS * 1000, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])


class CodeRan(BaseException):
    """Raised by the traps below: a loader ran code named by a file (a BaseException, so no loader absorbs it)."""


def trap(*args, **kwargs):
    raise CodeRan(args)


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    architecture().save_weights(folder / "original.weights.safetensors")
    return {
        ".keras": (FIXTURES / "keras3_functional.keras").read_bytes(),
        ".weights.h5": (FIXTURES / "keras3_functional.weights.h5").read_bytes(),
        ".h5": (FIXTURES / "keras2_full.h5").read_bytes(),
        ".weights.safetensors": (folder / "original.weights.safetensors").read_bytes(),
    }


@pytest.fixture(scope="module")
def target():
    return architecture()


@pytest.fixture
def no_code_runs(monkeypatch):
    # The serializer's only way to code (a Lambda's bytecode), and the usual ways to a shell.
    from kerastorch.saving import serialization
    monkeypatch.setattr(serialization, "marshal", type("NoMarshal", (), {"loads": staticmethod(trap),
                                                                         "dumps": staticmethod(trap)}))
    for name in ("system", "popen", "execv", "execve", "execvp"):
        monkeypatch.setattr(os, name, trap)


def on_alarm(signum, frame):
    raise TimeoutError(f"a load took more than {LOAD_SECONDS} s")


# One mutation: ("flip", position, bit), ("cut", length) or ("insert", position, bytes).
mutation = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1, exclude_max=True), st.integers(0, 7)),
    st.tuples(st.just("cut"), st.floats(0, 1, exclude_max=True)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.binary(min_size=1, max_size=64)),
)


def mutated(data, mutations):
    data = bytearray(data)
    for kind, where, *rest in mutations:
        position = int(where * len(data))
        if kind == "flip" and data:
            data[min(position, len(data) - 1)] ^= 1 << rest[0]
        elif kind == "cut":
            del data[position:]
        elif kind == "insert":
            data[position:position] = rest[0]
    return bytes(data)


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5", ".h5", ".weights.safetensors"])
def test_mutated_files_load_or_raise_value_errors(tmp_path, originals, target, no_code_runs, suffix):
    path = tmp_path / f"mutated{suffix}"

    @FUZZ
    @given(mutations=st.lists(mutation, min_size=1, max_size=6))
    def load_mutated(mutations):
        path.write_bytes(mutated(originals[suffix], mutations))
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(LOAD_SECONDS)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if suffix in (".keras", ".h5"):
                    model = keras.models.load_model(path)
                    assert [tuple(w.shape) for w in model.weights] == [tuple(w.shape) for w in target.weights]
                else:
                    before = [w.detach().clone() for w in target.weights]
                    try:
                        target.load_weights(path)
                    except ValueError:
                        # A failed load leaves the model unchanged.
                        for now, then in zip(target.weights, before):
                            assert np.array_equal(now.detach().numpy(), then.numpy(), equal_nan=True)
                        raise
        except ValueError:
            pass
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)

    load_mutated()
