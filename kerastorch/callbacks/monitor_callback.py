"""MonitorCallback: the shared logic of callbacks that watch one logged value (EarlyStopping, ModelCheckpoint,
ReduceLROnPlateau): which direction is an improvement, and by how much it must improve."""
import operator
import warnings

from kerastorch.callbacks.callback import Callback


def _metric_direction(model, metric_name):
    """``"up"`` or ``"down"`` when the model's compiled metric called ``metric_name`` says which way is better;
    None when there is no such metric (or the model has none yet)."""
    try:
        pending = list(model.metrics)
    except Exception:  # an uncompiled model, or a trainer that is not there yet: no metrics to ask
        return None
    direction = None
    while pending:
        metric = pending.pop(0)
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            pending = list(inner) + pending  # a container of metrics (Keras's CompileMetrics)
        if getattr(metric, "name", None) == metric_name and hasattr(metric, "_direction"):
            direction = metric._direction
    return direction


class MonitorCallback(Callback):
    """Base class of callbacks that watch ``logs[monitor]``.

    Args:
        monitor: the logged value to watch, e.g. ``"val_loss"``.
        mode: ``"min"``, ``"max"``, or ``"auto"``: minimize losses, and for a metric follow its direction
            (accuracy goes up, errors go down); another name that contains "acc" is maximized (Keras 2's rule),
            any other unknown metric is an error then.
        baseline: a value to beat; None for none.
        min_delta: the smallest change that counts as an improvement.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{self.__class__.__name__} mode '{mode}' is unknown, fallback to auto mode.",
                          stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        """Choose ``monitor_op`` (``operator.lt`` or ``operator.gt``); called at the first epoch end, when the
        model's metrics exist."""
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            metric_name = self.monitor.removeprefix("val_")
            if metric_name == "loss":
                self.monitor_op = operator.lt
            direction = _metric_direction(self.model, metric_name)
            if direction is not None:
                self.monitor_op = operator.gt if direction == "up" else operator.lt
            elif self.monitor_op is None and "acc" in metric_name:
                # Keras 2's rule for names the model does not log ('val_acc' for a metric named 'accuracy',
                # as in its examples): an accuracy is maximized.
                self.monitor_op = operator.gt
            if self.monitor_op is None:
                raise ValueError(
                    f"{self.__class__.__name__} callback received monitor={self.monitor}, but Keras isn't able "
                    "to automatically determine whether that metric should be maximized or minimized. Pass "
                    "`mode='max'` in order to monitor based on the highest metric value, or pass `mode='min'` "
                    "in order to use the lowest value.")
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        return self.monitor_op(monitor_value - self.min_delta, reference_value)
