"""What ``compile(loss=..., metrics=...)`` configures: the compiled losses and metrics of a model's outputs.

``CompiledLoss`` holds one loss (and weight) per output, with a loss tracker per output when there are several;
``CompiledMetrics`` holds the metrics of each output. Both are given the user's arguments at compile time and
build themselves from the first batch's targets and predictions (a dict of outputs, a list, or one tensor): the
output names, which loss goes with which output, and which accuracy ``'accuracy'`` means come from that batch.
``Model.compute_loss`` and ``Model.compute_metrics`` call them; a user's override of either may too.

Predictions go to the losses and metrics as the model returned them, so a mask a layer attached to an output
(``_keras_mask``) reaches them and masked timesteps do not count.
"""
import torch

from kerastorch import backend
from kerastorch import losses as losses_module
from kerastorch import metrics as metrics_module
from kerastorch.keras_tensor import flatten
from kerastorch.training.data import flatten_targets, per_output, per_output_sample_weights

_SHAPE_PICKED_METRICS = ("accuracy", "acc", "crossentropy", "ce")


def output_names(y_pred, model_outputs=None):
    """The names of a model's outputs, as Keras names them in logs: a dict's keys (sorted, as they flatten),
    else the layers that made a functional model's outputs, else ``output_0, output_1, ...``; ``[None]`` for a
    single output (its logs carry no prefix).

    Args:
        y_pred: the model's predictions for a batch.
        model_outputs: a functional model's symbolic ``outputs``, or None.
    """
    preds = flatten(y_pred)
    if isinstance(y_pred, dict) and len(preds) > 1:
        return sorted(y_pred)
    if len(preds) == 1:
        return [None]
    if isinstance(model_outputs, list) and len(model_outputs) == len(preds):
        return [t._keras_history.operation.name if t._keras_history else f"output_{i}"
                for i, t in enumerate(model_outputs)]
    return [f"output_{i}" for i in range(len(preds))]


def single_output_name(y_pred, model_outputs=None):
    """The name of a model's only output, which a loss or metrics dict may be keyed by: a one-entry dict's key,
    else the layer that made a functional model's output; None when it has no name."""
    if isinstance(y_pred, dict) and len(y_pred) == 1:
        return next(iter(y_pred))
    if isinstance(model_outputs, list) and len(model_outputs) == 1 and model_outputs[0]._keras_history:
        return model_outputs[0]._keras_history.operation.name
    return None


def _as_loss(fn):
    if isinstance(fn, losses_module.Loss):
        return fn
    return losses_module.LossFunctionWrapper(fn, name=getattr(fn, "__name__", None))


class CompiledLoss:
    """The compiled loss of a model: each output's loss, times its weight, summed.

    Args:
        loss: compile's ``loss``: a loss (name, function, Loss), a list with one per output, or a dict keyed by
            output name; None entries give an output no loss.
        loss_weights: None, a number, a list or a dict like ``loss``: each output's loss is multiplied by it.
        model_outputs: a functional model's symbolic outputs (for the outputs' names), or None.

    Attributes:
        loss, loss_weights: the arguments, as given.
        built: whether the first batch has been seen.
        output_names: the outputs' names once built (``[None]`` for a single output).
        losses: one Loss (or None) per output once built.
    """

    def __init__(self, loss, loss_weights=None, model_outputs=None):
        for spec in flatten(loss):
            if spec is not None:
                losses_module.get(spec)   # unknown names fail at compile time, with the valid names listed
        self.loss = loss
        self.loss_weights = loss_weights
        self._model_outputs = model_outputs
        self.built = False
        self.output_names = None
        self.losses = None
        self._weights = None
        self._trackers = []

    def build(self, y_true, y_pred):
        """Resolve each output's loss and weight from a batch, and make the per-output loss trackers."""
        names = output_names(y_pred, self._model_outputs)
        single_name = single_output_name(y_pred, self._model_outputs)
        specs = per_output(self.loss, names, "loss", single_name) if self.loss is not None else [None] * len(names)
        self.losses = [None if spec is None else _as_loss(losses_module.get(spec)) for spec in specs]
        weights = per_output(self.loss_weights, names, "loss_weights", single_name) \
            if self.loss_weights is not None else [None] * len(names)
        self._weights = [1.0 if w is None else float(w) for w in weights]
        self._trackers = []
        if len(names) > 1:
            with backend.device_scope(flatten(y_pred)[0].device):
                trackers = [metrics_module.Mean(name=f"{name}_loss") for name in names]
            # Keras lists the per-output losses of dict outputs in the order of the loss dict, else in output
            # order; the trackers are kept in that order, paired with their output's index.
            order = [names.index(k) for k in self.loss if k in names] \
                if isinstance(self.loss, dict) and isinstance(y_pred, dict) else []
            order += [i for i in range(len(names)) if i not in order]
            self._trackers = [(index, trackers[index]) for index in order]
        self._tracker_of = dict(self._trackers)
        self.output_names = names
        self.built = True

    @property
    def needs_targets(self):
        """Whether any output has a loss (which needs the targets to compute)."""
        return any(spec is not None for spec in flatten(self.loss))

    @property
    def metrics(self):
        """The per-output loss trackers (``<output>_loss``), in Keras's order; empty for a single output."""
        return [tracker for _, tracker in self._trackers]

    def reset_state(self):
        for tracker in self.metrics:
            tracker.reset_state()

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The weighted sum of the outputs' losses (a 0-dim tensor), or None when no output has a loss. Updates
        the per-output loss trackers.

        Args:
            y_true: the targets, structured like the outputs (or a dict keyed by output name).
            y_pred: the model's predictions.
            sample_weight: None, one weight array for every output, or one per output.
        """
        if not self.built:
            self.build(y_true, y_pred)
        names = self.output_names
        ys = flatten_targets(y_true, names)
        preds = flatten(y_pred)
        sample_weights = per_output_sample_weights(sample_weight, names)
        total = None
        for index, (fn, target, pred, weights, factor) in enumerate(
                zip(self.losses, ys, preds, sample_weights, self._weights)):
            if fn is None:
                continue
            try:
                value = fn(target, pred, sample_weight=weights)
            except (RuntimeError, IndexError):
                # A bad class index fails deep in a kernel (a generator's batches are not checked up front);
                # name the label instead, when that is the cause.
                fn.check_labels(target, pred)
                raise
            tracker = self._tracker_of.get(index)
            if tracker is not None:
                # Weighted by batch size, as Keras weights them, so a partial last batch counts less.
                tracker.update_state(value.detach(), sample_weight=pred.shape[0])
            value = value * factor if factor != 1.0 else value
            total = value if total is None else total + value
        return total

    def check_targets(self, y_true, y_pred, all_targets=None):
        """Ask each output's loss whether its targets fit the output (shapes, and sparse labels' range).

        Run once per fit and per new evaluation data: the label check reads values back from the device.

        Args:
            y_true: a batch's targets.
            y_pred: the model's predictions for it.
            all_targets: every target of in-memory data (the label range is checked over all of it), or None.
        """
        if not self.built:
            self.build(y_true, y_pred)
        names = self.output_names
        preds = flatten(y_pred)
        for fn, target, pred in zip(self.losses, flatten_targets(y_true, names), preds):
            if fn is not None and isinstance(target, torch.Tensor):
                fn.check_target_shape(tuple(target.shape), tuple(pred.shape))
        labels = flatten_targets(all_targets if all_targets is not None else y_true, names)
        for fn, target, pred in zip(self.losses, labels, preds):
            if fn is not None:
                fn.check_labels(target, pred)


class CompiledMetrics:
    """The compiled metrics of a model: per output, the ``metrics`` and the ``weighted_metrics``.

    Args:
        metrics: compile's ``metrics``: a list (for every output), a list of lists (one per output) or a dict
            keyed by output name; entries are names, functions or Metric instances.
        weighted_metrics: the same, for metrics that receive the sample weights.
        model_outputs: a functional model's symbolic outputs (for the outputs' names), or None.

    Attributes:
        built: whether the first batch has been seen.
    """

    def __init__(self, metrics=None, weighted_metrics=None, model_outputs=None):
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
            raise ValueError(f"Expected `metrics` argument to be a list, tuple, or dict. Received instead: "
                             f"metrics={metrics} of type {type(metrics)}")
        for spec in flatten(metrics) + flatten(weighted_metrics):
            if isinstance(spec, str) and spec.lower() not in _SHAPE_PICKED_METRICS:
                metrics_module.get(spec)   # unknown names fail at compile time, with the valid names listed
        self._metric_specs = metrics
        self._weighted_specs = weighted_metrics
        self._model_outputs = model_outputs
        self.built = False
        self.output_names = None
        self._per_output = []   # per output: a list of (metric, weighted)

    def build(self, y_true, y_pred, losses=None):
        """Make each output's metrics from a batch (``'accuracy'`` is picked from its shapes, as in Keras).

        Args:
            y_true, y_pred: a batch's targets and the model's predictions for it.
            losses: the outputs' compiled losses, or None.
        """
        preds = flatten(y_pred)
        names = output_names(y_pred, self._model_outputs)
        ys = flatten_targets(y_true, names)
        losses = losses or [None] * len(names)
        per_output_metrics = []
        single_name = single_output_name(y_pred, self._model_outputs)
        with backend.device_scope(preds[0].device):
            # Metric state is made where the model's outputs are, whatever the default device is.
            for index, (name, target, pred) in enumerate(zip(names, ys, preds)):
                entries = []
                for specs, weighted in ((self._metric_specs, False), (self._weighted_specs, True)):
                    for spec in self._specs_for(specs, names, index, single_name):
                        metric = metrics_module.resolve(spec, target, pred, loss=losses[index])
                        if name is not None:
                            metric.name = f"{name}_{metric.name}"
                        if weighted and any(m.name == metric.name for m, _ in entries):
                            metric.name = f"weighted_{metric.name}"
                        entries.append((metric, weighted))
                per_output_metrics.append(entries)
        for entries in per_output_metrics:
            for metric, _ in entries:
                if hasattr(metric, "to"):
                    metric.to(preds[0].device)
        self._per_output = per_output_metrics
        self.output_names = names
        self.built = True

    @staticmethod
    def _specs_for(specs, names, index, single_name=None):
        if specs is None:
            return []
        one_list_per_output = isinstance(specs, dict) or \
            (len(names) > 1 and specs and isinstance(specs[0], (list, tuple, dict)))
        chosen = per_output(specs, names, "metrics", single_name)[index] if one_list_per_output else specs
        return flatten(chosen) if chosen is not None else []

    @property
    def metrics(self):
        """Every compiled metric, output by output, in the order given."""
        return [metric for entries in self._per_output for metric, _ in entries]

    def reset_state(self):
        for metric in self.metrics:
            metric.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Update each output's metrics with its targets and predictions (weighted metrics also with
        ``sample_weight``). Builds the metrics on the first call."""
        if not self.built:
            self.build(y_true, y_pred)
        ys = flatten_targets(y_true, self.output_names)
        for entries, target, pred in zip(self._per_output, ys, flatten(y_pred)):
            for metric, weighted in entries:
                metric.update_state(target, pred, sample_weight=sample_weight if weighted else None)
