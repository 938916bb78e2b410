"""ModelCheckpoint: save the model or its weights during training, every epoch or every N batches."""
import importlib.util
import os
import warnings

from kerastorch.callbacks.callback import BatchCounter, host_logs
from kerastorch.callbacks.monitor_callback import MonitorCallback
from kerastorch.training import distributed
from kerastorch.training.progbar import print_msg

WEIGHTS_SUFFIXES = (".weights.safetensors", ".weights.h5")
MODEL_SUFFIXES = (".keras", ".h5")


class ModelCheckpoint(MonitorCallback):
    """Save the model (``.keras``) or its weights (``.weights.safetensors``) during training.

    Args:
        filepath: where to save; may hold ``str.format`` fields filled from the epoch (counted from 1), the
            batch (from 1, with an int ``save_freq``) and the logs, e.g. ``"ckpt/{epoch:02d}-{val_loss:.2f}.keras"``.
            It must end in ``.weights.safetensors`` (or ``.weights.h5``, which needs h5py) with
            ``save_weights_only=True``, otherwise in ``.keras``.
        monitor: the logged value that decides what is best (for ``save_best_only``).
        verbose: 1 prints a message at each save (or skipped save).
        save_best_only: save only when ``monitor`` improves on the best value seen.
        save_weights_only: save the weights only (``model.save_weights``), not the whole model (``model.save``).
        mode: ``"auto"``, ``"min"`` or ``"max"`` (see MonitorCallback).
        save_freq: ``"epoch"`` to save at each epoch end, or an int N to save every N batches.
        initial_value_threshold: the value ``monitor`` must beat for the first save (``save_best_only``).

    Each file is written under a temporary name in the same directory and renamed when complete, so an
    interrupted save never leaves a partial checkpoint.

    Example:

    >>> checkpoint = ModelCheckpoint("best.weights.safetensors", save_weights_only=True, save_best_only=True)
    >>> model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[checkpoint])
    >>> model.load_weights("best.weights.safetensors")
    """

    _handles_tensor_logs = True
    _may_stop_in_batch = False  # its batch hooks save; they never stop training

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._current_epoch = 0
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)
                                     or save_freq < 1):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or integer "
                             "values (a number of batches, at least 1)")
        # Counts batches across epochs and fit calls, as Keras does.
        self._batch_counter = None if save_freq == "epoch" else BatchCounter(save_freq)
        if save_weights_only:
            if not self.filepath.endswith(WEIGHTS_SUFFIXES):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must end in "
                    "`.weights.safetensors` (kerastorch's weights format) or `.weights.h5` (Keras's). Received: "
                    f"filepath={self.filepath}")
            if self.filepath.endswith(".weights.h5") and importlib.util.find_spec("h5py") is None:
                raise ValueError(f"Saving `.weights.h5` files needs h5py (pip install kerastorch[h5]), or use "
                                 f"`.weights.safetensors`. Received: filepath={self.filepath}")
        elif not self.filepath.endswith(MODEL_SUFFIXES):
            raise ValueError("The filepath provided must end in `.keras` (Keras model format), or in "
                             "`.weights.safetensors` with save_weights_only=True. Received: "
                             f"filepath={self.filepath}")
        _check_parent_is_a_directory(self.filepath)

    def on_train_begin(self, logs=None):
        # Fail now rather than after the first epoch's work.
        _check_parent_is_a_directory(self.filepath)
        self._saver()

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=host_logs(logs))

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch):
        return self._batch_counter is not None and self._batch_counter.passed(batch)

    def _should_save_model(self, epoch, logs, filepath):
        logs = logs or {}
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        best_text = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_text} to {current:.5f}, "
                          f"saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_text}")
        return False

    def _saver(self):
        """The model's method that writes the checkpoint (kerastorch's writers are atomic: a temporary file in
        the same directory, renamed when complete)."""
        name = "save_weights" if self.save_weights_only else "save"
        saver = getattr(self.model, name, None)
        if saver is None:
            raise NotImplementedError(f"ModelCheckpoint needs model.{name}(filepath), which "
                                      f"{type(self.model).__name__} does not have.")
        return saver

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IOError("Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an "
                          f"existing directory: {filepath}")
        with distributed.writing_on_chief() as writes:
            # Every rank decides alike (their logs are the same); rank 0 writes, the others wait.
            if writes:
                directory = os.path.dirname(filepath)
                if directory:
                    os.makedirs(directory, exist_ok=True)
                self._saver()(filepath, overwrite=True)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs):
        """``filepath`` with its fields filled: epoch and batch (both from 1), and the logged values."""
        logs = logs or {}
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as error:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {error}') from None


def _check_parent_is_a_directory(filepath):
    """Raise when the nearest existing folder above ``filepath`` is a file: no save could ever succeed there
    (the folders that do not exist yet are made at the first save; format fields such as ``{epoch}`` in them do
    not matter, since only existing paths are looked at)."""
    parent = os.path.dirname(os.path.abspath(filepath))
    while not os.path.exists(parent) and os.path.dirname(parent) != parent:
        parent = os.path.dirname(parent)
    if os.path.exists(parent) and not os.path.isdir(parent):
        raise ValueError(f"ModelCheckpoint cannot save to filepath={filepath}: {parent} is a file, not a directory. "
                         f"Expected a path whose parent folders are directories (or do not exist yet).")
