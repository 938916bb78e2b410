"""fit flushes denormal floats on the CPU while it trains (as TensorFlow does), and restores the mode after."""
import numpy as np
import torch

import kerastorch as keras


def _flushing():
    return bool(torch.tensor(1e-39) * 2 == 0)


class RecordFlushMode(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.mode = _flushing()


def _fit(callbacks=()):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), verbose=0, callbacks=list(callbacks))


def test_fit_flushes_denormals_and_restores_the_previous_mode():
    if not torch.set_flush_denormal(False):
        return   # this CPU cannot flush denormals; nothing to check
    recorder = RecordFlushMode()
    _fit([recorder])
    assert recorder.mode is True
    assert _flushing() is False
    torch.set_flush_denormal(True)
    try:
        _fit()
        assert _flushing() is True
    finally:
        torch.set_flush_denormal(False)
