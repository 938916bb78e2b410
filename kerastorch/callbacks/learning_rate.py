"""Callbacks that set the optimizer's learning rate: LearningRateScheduler and ReduceLROnPlateau.

Both read the rate as Keras does, through a float32 value (``0.1`` reads as ``0.10000000149011612``), so the
rates they compute, log and print are Keras's to the last digit.
"""
import warnings

import numpy as np

from kerastorch.callbacks.callback import Callback
from kerastorch.callbacks.monitor_callback import MonitorCallback
from kerastorch.training.progbar import print_msg


def _optimizer_of(model, callback_name):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f"{callback_name} needs a compiled model whose optimizer has a `learning_rate`. "
                         f"Received a model with optimizer={optimizer!r}.")
    return optimizer


def read_learning_rate(optimizer):
    """The optimizer's current learning rate as a Python float, through float32 as Keras keeps it."""
    return float(np.float32(optimizer.learning_rate))


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, current_rate)``.

    Args:
        schedule: a function ``(epoch, lr) -> new lr`` (epoch counts from 0), or Keras 2's ``(epoch) -> lr``.
            It must return a float.
        verbose: 1 prints the rate set at each epoch.

    The rate in effect is also logged as ``learning_rate`` at each epoch end (so it is in the History).

    Example:

    >>> def schedule(epoch, lr):
    ...     return lr if epoch < 10 else lr * 0.9
    >>> model.fit(x, y, epochs=15, callbacks=[LearningRateScheduler(schedule)])
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"`schedule` must be a function (epoch, lr) -> lr. Received: schedule={schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = _optimizer_of(self.model, "LearningRateScheduler")
        try:
            learning_rate = self.schedule(epoch, read_learning_rate(optimizer))
        except TypeError:  # Keras 2's schedule(epoch)
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {learning_rate}")
        optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = read_learning_rate(_optimizer_of(self.model, "LearningRateScheduler"))


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for ``patience`` epochs.

    Args:
        monitor: the logged value to watch (default ``"val_loss"``).
        factor: the multiplier, below 1.
        patience: epochs without improvement before the rate is reduced.
        verbose: 1 prints a message at each reduction.
        mode: ``"auto"``, ``"min"`` or ``"max"`` (see MonitorCallback).
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the rate is never reduced below this.
        **kwargs: Keras 2's ``epsilon`` (now ``min_delta``) is accepted with a DeprecationWarning.

    The current rate is also logged as ``learning_rate`` at each epoch end.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0, **kwargs):
        if "epsilon" in kwargs:
            warnings.warn("`epsilon` argument is deprecated and will be removed, use `min_delta` instead.",
                          DeprecationWarning, stacklevel=2)
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise ValueError(f"Unrecognized arguments for ReduceLROnPlateau: {sorted(kwargs)}.")
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        optimizer = _optimizer_of(self.model, "ReduceLROnPlateau")
        logs["learning_rate"] = read_learning_rate(optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(list(logs.keys()))}.", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(optimizer, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, optimizer, epoch):
        old_lr = read_learning_rate(optimizer)
        if old_lr <= np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True
