"""ProgbarLogger: the progress bar and per-epoch lines that fit, evaluate and predict print."""
from kerastorch.callbacks.callback import Callback
from kerastorch.training.progbar import Progbar, print_msg


class ProgbarLogger(Callback):
    """Prints Keras's progress bar (verbose=1) or one line per epoch (verbose=2), and ``Epoch i/N`` headers.

    ``fit``, ``evaluate`` and ``predict`` add one when ``verbose`` is not 0. Inside ``fit`` the validation
    pass prints nothing of its own; its results appear on the epoch's line as ``val_`` values. The bar reads
    the batch logs (tensors on the device) only when it redraws, at most every 0.05 s.
    """

    _chief_only = True  # it prints or writes files: rank 0 alone does, in a data-parallel run

    _handles_tensor_logs = True

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        verbose = params["verbose"]
        if verbose not in ("auto", 0, 1, 2):
            raise ValueError(f"Argument `verbose` must be 'auto', 0, 1 or 2. Received: verbose={verbose!r}")
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params["epochs"]
        self.target = params["steps"]

    def on_train_begin(self, logs=None):
        self._called_in_fit = True  # validation inside fit stays silent

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)  # the outputs are not shown

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self):
        if self.progbar is None:
            # Every value is shown as the engine computed it (a running mean over the epoch), not re-averaged.
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step",
                                   stateless_metrics=set())

    def _update_progbar(self, batch, logs):
        self._maybe_init_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            # The mapping itself: the bar reads its values only when it redraws.
            self.progbar.update(self.seen, logs if logs is not None else {}, finalize=False)

    def _finalize_progbar(self, logs):
        if self.target is None:
            # The number of steps was unknown: from now on it is what this epoch had.
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, logs or {}, finalize=True)
