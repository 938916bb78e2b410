"""The Callback base class and CallbackList, which calls a list of callbacks at each stage of fit/evaluate/predict.

Logs: the training engine hands batch hooks a mapping of 0-dim tensors, possibly on a GPU, each computed when
read, and epoch hooks dicts of floats. Reading a device tensor waits for the device, so at each batch
CallbackList calls only the callbacks that do something at that hook, and converts the logs to Python numbers
only when one of those needs numbers: one that does not declare ``_handles_tensor_logs = True`` (the built-in
callbacks that read batch logs handle tensors themselves, and read them sparingly). All other hooks get Python
numbers, as in Keras. Callbacks see the keys sorted and nested dicts flattened, as Keras hands them over.
"""
import torch

from kerastorch.training import distributed
from kerastorch.training.progbar import to_host_numbers

# Hooks that run at every batch, and the hooks whose override means a callback reads that batch's logs
# (Callback.on_train_batch_end calls on_batch_end, Keras's older name).
_BATCH_HOOK_READERS = {
    "on_train_batch_begin": ("on_train_batch_begin", "on_batch_begin"),
    "on_train_batch_end": ("on_train_batch_end", "on_batch_end"),
    "on_test_batch_begin": ("on_test_batch_begin",),
    "on_test_batch_end": ("on_test_batch_end",),
    "on_predict_batch_begin": ("on_predict_batch_begin",),
    "on_predict_batch_end": ("on_predict_batch_end",),
}


class Callback:
    """Base class of callbacks: objects whose hooks ``fit``, ``evaluate`` and ``predict`` call.

    Subclass it and override the hooks you need; each is a no-op here. ``self.model`` is the model being
    trained (set ``self.model.stop_training = True`` to end training after the current batch), and
    ``self.params`` is ``{"verbose": ..., "epochs": ..., "steps": ...}`` (``steps`` per epoch, None when
    unknown).

    Logs: epoch hooks get ``{"loss": 0.21, "accuracy": 0.93, "val_loss": ...}`` as Python floats; batch hooks
    get the running values so far in the epoch, also as floats (unless the class sets
    ``_handles_tensor_logs = True``, in which case they may be 0-dim torch tensors that are costly to read).

    Example:

    >>> class StopAtLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         if logs["loss"] < 0.1:
    ...             self.model.stop_training = True
    """

    # Whether this callback's batch hooks accept logs whose values are tensors on the device.
    _handles_tensor_logs = False
    # Whether, in a data-parallel run, only rank 0 runs this callback (it prints or writes files and decides
    # nothing that the other ranks must follow).
    _chief_only = False
    # Whether its training batch hooks may set ``model.stop_training`` (the ranks of a data-parallel run then
    # agree on it after every batch: one small all-reduce per step).
    _may_stop_in_batch = True

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        """The model (unwrapped from DistributedDataParallel, if it was wrapped)."""
        model = self._model
        if isinstance(model, torch.nn.parallel.DistributedDataParallel):
            return model.module
        return model

    @model.setter
    def model(self, model):
        # Keras 2 callbacks sometimes assign self.model themselves.
        self._model = model

    def on_batch_begin(self, batch, logs=None):
        """Keras 2's name for ``on_train_batch_begin``, which calls it."""

    def on_batch_end(self, batch, logs=None):
        """Keras 2's name for ``on_train_batch_end``, which calls it."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each training epoch (``epoch`` counts from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each training epoch, with the epoch's metrics (``val_`` ones included)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch (``batch`` counts from 0 in each epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch, with the epoch's metrics so far."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each batch of ``evaluate`` (and of fit's validation)."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each batch of ``evaluate`` (and of fit's validation)."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each batch of ``predict``."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each batch of ``predict``; ``logs["outputs"]`` holds the batch's outputs."""

    def on_train_begin(self, logs=None):
        """Called once when ``fit`` starts."""

    def on_train_end(self, logs=None):
        """Called once when ``fit`` ends, with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called when ``evaluate`` (or fit's validation) starts."""

    def on_test_end(self, logs=None):
        """Called when ``evaluate`` (or fit's validation) ends, with its results."""

    def on_predict_begin(self, logs=None):
        """Called when ``predict`` starts."""

    def on_predict_end(self, logs=None):
        """Called when ``predict`` ends."""


def flat_sorted_logs(logs):
    """The logs as Keras hands them to callbacks: nested dicts merged in, keys sorted; values unchanged.

    A mapping other than a dict is the engine's batch logs, whose values are computed when read and whose keys
    come sorted already: it is returned as it is, unread.
    """
    if logs is None:
        return {}
    if not isinstance(logs, dict):
        return logs
    result = {}
    for key, value in sorted(logs.items()):
        if isinstance(value, dict):
            result.update(flat_sorted_logs(value))
        else:
            result[key] = value
    return result


def host_logs(logs):
    """``flat_sorted_logs`` with values as Python numbers, as Keras's callbacks receive them.

    Single-element tensors become floats (all of a device's in one transfer), larger tensors numpy arrays;
    anything ``float()`` accepts becomes a float (``1`` -> ``1.0``), and other values stay as they are.
    """
    logs = dict(flat_sorted_logs(logs))
    keys = [key for key, value in logs.items() if isinstance(value, torch.Tensor) and value.numel() == 1]
    for key, number in zip(keys, to_host_numbers([logs[key] for key in keys])):
        logs[key] = number
    for key, value in logs.items():
        if isinstance(value, torch.Tensor):
            logs[key] = value.detach().cpu().numpy()
            continue
        try:
            logs[key] = float(value)
        except (TypeError, ValueError):
            pass
    return logs


def _overrides(callback, hook_name):
    """Whether ``callback``'s ``hook_name`` is something other than Callback's no-op (a method or a function
    set on the instance, as LambdaCallback does)."""
    hook = getattr(callback, hook_name)
    return getattr(hook, "__func__", hook) is not getattr(Callback, hook_name)


class CallbackList(Callback):
    """Calls each of a list of callbacks at every hook, in order.

    Args:
        callbacks: a list (possibly nested) of Callback instances.
        add_history: append a ``History`` (unless the list has one); it becomes ``model.history``.
        add_progbar: append a ``ProgbarLogger`` (unless the list has one), after the History.
        model: the model the callbacks work with.
        **params: passed to every callback's ``set_params`` (``verbose``, ``epochs``, ``steps``) when given.
    """

    _handles_tensor_logs = True

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = _flatten_callbacks(callbacks)
        self._history = None
        self._progbar = None
        self._add_default_callbacks(add_history, add_progbar)
        self.leave_output_to_chief()
        self.set_model(model)
        self.set_params(params)

    def _add_default_callbacks(self, add_history, add_progbar):
        from kerastorch.callbacks.history import History
        from kerastorch.callbacks.progbar_logger import ProgbarLogger
        for callback in self.callbacks:
            if isinstance(callback, ProgbarLogger):
                self._progbar = callback
            elif isinstance(callback, History):
                self._history = callback
        # Keras's order: the user's callbacks, then History, then the progress bar, so that what callbacks
        # add to the epoch logs (learning_rate) is recorded and printed.
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def leave_output_to_chief(self):
        """In a data-parallel run, on ranks other than 0: drop the callbacks that only print or write files
        (progress bar, CSVLogger, TensorBoard), and silence the others' messages (``verbose``): output and
        files come once, from rank 0. Saving callbacks stay: their saves write on rank 0 and wait on the
        others (``distributed.writing_on_chief``), and their decisions are needed on every rank."""
        if not distributed.is_chief():
            self.callbacks = [callback for callback in self.callbacks if not callback._chief_only]
            for callback in self.callbacks:
                if isinstance(getattr(callback, "verbose", None), int):
                    callback.verbose = 0
        self._find_host_log_readers()

    def may_stop_in_batch(self):
        """Whether a callback that runs on every rank has a training batch hook that may set ``stop_training``
        mid-epoch (chief-only and saving callbacks never do)."""
        batch_hooks = ("on_train_batch_end", "on_batch_end", "on_train_batch_begin", "on_batch_begin")
        return any(not callback._chief_only and callback._may_stop_in_batch
                   and any(_overrides(callback, hook) for hook in batch_hooks)
                   for callback in self.callbacks)

    def _find_host_log_readers(self):
        """For each batch hook: the callbacks that do something there (the others are not called, which keeps
        a training step's overhead near zero), and whether one of them needs the logs as Python numbers."""
        self._callbacks_for = {
            hook: [callback for callback in self.callbacks if any(_overrides(callback, name) for name in readers)]
            for hook, readers in _BATCH_HOOK_READERS.items()
        }
        self._host_logs_for = {
            hook: any(not callback._handles_tensor_logs for callback in callbacks)
            for hook, callbacks in self._callbacks_for.items()
        }

    def append(self, callback):
        """Add a callback at the end of the list."""
        self.callbacks.extend(_flatten_callbacks([callback]))
        self._find_host_log_readers()

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _call_batch_hook(self, hook, batch, logs):
        callbacks = self._callbacks_for[hook]
        if not callbacks:
            return
        logs = host_logs(logs) if self._host_logs_for[hook] else flat_sorted_logs(logs)
        for callback in callbacks:
            getattr(callback, hook)(batch, logs)

    def _call_hook(self, hook, *args):
        *positional, logs = args
        # One dict for all: what a callback adds (learning_rate) is seen by those after it, as in Keras.
        logs = host_logs(logs)
        for callback in self.callbacks:
            getattr(callback, hook)(*positional, logs)

    def on_batch_begin(self, batch, logs=None):
        self._call_batch_hook("on_train_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._call_batch_hook("on_train_batch_end", batch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_batch_hook("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch_hook("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch_hook("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch_hook("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch_hook("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch_hook("on_predict_batch_end", batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call_hook("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call_hook("on_epoch_end", epoch, logs)

    def on_train_begin(self, logs=None):
        self._call_hook("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call_hook("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._call_hook("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call_hook("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call_hook("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call_hook("on_predict_end", logs)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)


class BatchCounter:
    """Counts training batches across epochs (whose batch indices restart at 0) and says when every ``n``-th
    has passed: ModelCheckpoint's and BackupAndRestore's ``save_freq=n``."""

    def __init__(self, n):
        self.n = n
        self.since_last = 0
        self.last_batch = None

    def passed(self, batch):
        """Record batch ``batch`` (0-based in its epoch); True when ``n`` batches have passed since last True."""
        if self.last_batch is None or batch <= self.last_batch:
            self.since_last += batch + 1  # a new epoch
        else:
            self.since_last += batch - self.last_batch
        self.last_batch = batch
        if self.since_last >= self.n:
            self.since_last = 0
            return True
        return False


def _flatten_callbacks(callbacks):
    """The callbacks of a possibly nested list, checked to be Callback instances."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise ValueError(f"`callbacks` must be a list of keras.callbacks.Callback instances. Received: "
                         f"callbacks={callbacks!r} of type {type(callbacks).__name__}")
    flat = []
    for position, item in enumerate(callbacks):
        if isinstance(item, (list, tuple)):
            flat.extend(_flatten_callbacks(item))
        elif isinstance(item, Callback):
            flat.append(item)
        else:
            raise ValueError(
                f"Each callback must be an instance of keras.callbacks.Callback. Received at position "
                f"{position}: {item!r} of type {type(item).__name__}. Subclass keras.callbacks.Callback, or "
                f"wrap functions in keras.callbacks.LambdaCallback.")
    return flat
