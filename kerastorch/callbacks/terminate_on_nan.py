"""TerminateOnNaN: stop training when the loss becomes NaN or infinite."""
import math

import torch

from kerastorch.callbacks.callback import Callback
from kerastorch.training import progbar
from kerastorch.training.progbar import print_msg, to_host_numbers


class TerminateOnNaN(Callback):
    """Stop training (or raise) when the loss becomes NaN or infinite.

    Args:
        raise_error: raise a RuntimeError instead of stopping training quietly after a message.

    The loss a batch reports is a tensor on the device. Rather than reading it after every batch (which would
    make each step wait for the device), the first batch with a non-finite loss, and that loss, are recorded
    on the device, and read at most every ``check_interval`` seconds and at the end of each epoch. Training may
    thus run a few batches past the bad one before stopping; the message names the batch where the loss first
    became NaN or infinite.
    """

    _handles_tensor_logs = True
    check_interval = 0.1

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error
        self._reset()

    def _reset(self):
        self._first_bad_batch = None  # device tensor: the first batch whose loss was not finite, or -1
        self._bad_loss = None
        self._reported = False
        self._last_check = progbar._now()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset()

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        if not isinstance(loss, torch.Tensor):
            if math.isnan(loss) or math.isinf(loss):
                self._terminate(batch, loss)
            return
        loss = loss.detach()
        if self._first_bad_batch is None:
            self._first_bad_batch = torch.full((), -1, dtype=torch.int64, device=loss.device)
            self._bad_loss = torch.zeros((), dtype=loss.dtype, device=loss.device)
        newly_bad = ~torch.isfinite(loss) & (self._first_bad_batch < 0)
        self._first_bad_batch = torch.where(newly_bad, batch, self._first_bad_batch)
        self._bad_loss = torch.where(newly_bad, loss, self._bad_loss)
        if progbar._now() - self._last_check >= self.check_interval:
            self._check_recorded()

    def on_epoch_end(self, epoch, logs=None):
        self._check_recorded()

    def _check_recorded(self):
        self._last_check = progbar._now()
        if self._first_bad_batch is None or self._reported:
            return
        bad_batch, bad_loss = to_host_numbers([self._first_bad_batch, self._bad_loss])
        if bad_batch >= 0:
            self._terminate(int(bad_batch), bad_loss)

    def _terminate(self, batch, loss):
        self._reported = True
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                               "Terminating training immediately.")
        print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
