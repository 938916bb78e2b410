"""EarlyStopping: stop training when a monitored value has stopped improving."""
import warnings

import torch

from kerastorch.callbacks.monitor_callback import MonitorCallback
from kerastorch.training.progbar import print_msg


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Args:
        monitor: the logged value to watch (default ``"val_loss"``).
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement after which training stops.
        verbose: 1 prints a message when stopping and when restoring weights.
        mode: ``"auto"``, ``"min"`` or ``"max"`` (see MonitorCallback).
        baseline: training stops if the value does not beat this within ``patience`` epochs.
        restore_best_weights: at the end of training, put back the weights of the best epoch seen (when a
            best epoch was seen, whether or not training stopped early).
        start_from_epoch: epochs to wait before watching (a warm-up).

    Example:

    >>> callback = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    >>> model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[callback])
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        # An instance may serve several fit calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _copy_weights(self):
        # Device copies: no transfer to the host, and restoring is a device copy back.
        with torch.no_grad():
            return [weight.detach().clone() for weight in self.model.weights]

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until something better comes, the first watched epoch is the best.
            self.best_weights = self._copy_weights()
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._copy_weights()
            # The wait restarts only when the baseline is beaten too.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            with torch.no_grad():
                for weight, best in zip(self.model.weights, self.best_weights):
                    weight.copy_(best)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                          f"Available metrics are: {','.join(list(logs.keys()))}", stacklevel=2)
        return value
