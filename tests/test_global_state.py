"""Global state is per thread (kerastorch/global_state.py), and clear_session() resets all of it."""
import threading

import numpy as np
import torch

import kerastorch as keras
from kerastorch import global_state, layers


class RecordsTraining(layers.Layer):
    """Blocks inside its call until told to go on, and records the `training` value it was called with."""

    def __init__(self, entered, release, **kwargs):
        super().__init__(**kwargs)
        self.entered, self.release, self.seen = entered, release, []

    def call(self, inputs, training=None):
        self.seen.append(training)
        if training:
            self.entered.set()
            self.release.wait(10)
        return inputs


def test_a_training_call_in_one_thread_does_not_leak_into_another_threads_call():
    entered, release = threading.Event(), threading.Event()
    inner = RecordsTraining(entered, release)
    outer = keras.Sequential([keras.Input((2,)), inner])
    inner.seen.clear()   # the symbolic build ran the call once
    x = torch.ones(1, 2)
    trainer = threading.Thread(target=lambda: outer(x, training=True))
    trainer.start()
    assert entered.wait(10)
    # While the other thread is inside its training=True call, a plain call here runs in inference mode.
    outer(x)
    probe = layers.Dropout(0.99, seed=1)
    np.testing.assert_array_equal(probe(torch.ones(4, 8)).numpy(), np.ones((4, 8)))
    release.set()
    trainer.join(10)
    assert inner.seen == [True, False]


def test_device_scopes_are_per_thread():
    seen = {}
    inside, leave = threading.Event(), threading.Event()

    def scoped():
        with keras.device("meta"):
            seen["scoped"] = keras.backend.device()
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=scoped)
    thread.start()
    assert inside.wait(10)
    seen["other"] = keras.backend.device()
    leave.set()
    thread.join(10)
    assert seen["scoped"] == torch.device("meta")
    assert seen["other"] != torch.device("meta")


def test_name_counters_are_per_thread_and_reset_by_clear_session():
    keras.backend.clear_session()
    assert layers.Dense(1).name == "dense"
    names = []
    thread = threading.Thread(target=lambda: names.append(layers.Dense(1).name))
    thread.start()
    thread.join(10)
    assert names == ["dense"]          # a new thread counts from its own start
    assert layers.Dense(1).name == "dense_1"
    keras.backend.clear_session()
    assert layers.Dense(1).name == "dense"


def test_clear_session_inside_a_device_scope_leaves_the_scope_consistent():
    with keras.device("cpu"):
        keras.backend.clear_session()
        assert global_state.current_device_scope() is None
    assert global_state.current_device_scope() is None
