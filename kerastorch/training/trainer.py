"""The training engine behind compile / fit / evaluate / predict.

Each training step is: forward, loss (+ regularization penalties), backward, optimizer step, metric update, all
on the model's device with no host sync. Logged values stay tensors until something prints them: batch logs
are read lazily (the progress bar reads them only when it redraws), epoch logs become floats once per epoch.
"""
import contextlib
import warnings
from collections.abc import MutableMapping

import numpy as np
import torch

from kerastorch import backend
from kerastorch.keras_tensor import flatten, map_structure
from kerastorch.training.cpu_memory import keep_freed_memory
from kerastorch.training.execution_plan import plan_for
from kerastorch.training.data import (DataHandler, is_array_structure, move_to_device, train_validation_split,
                                      warn_non_finite)

_SPARSE_LOSSES = ("sparse_categorical_crossentropy", "sparse_categorical_focal_crossentropy")
_STRICT_SHAPE_LOSSES = ("categorical_crossentropy", "binary_crossentropy", "categorical_focal_crossentropy",
                        "binary_focal_crossentropy", "kl_divergence", "categorical_hinge")


class BatchLogs(MutableMapping):
    """The logs of one batch: metric name -> 0-dim tensor, computed only when read (reading one costs a host
    sync when the model is on a GPU). Names come in sorted order, as Keras hands logs to callbacks.

    Each step returns a fresh one (``fresh()``), so a callback may write entries into it, as into Keras's
    dict of batch logs, without the entries leaking into the next batch.
    """

    def __init__(self, metrics):
        self._metrics = sorted(metrics, key=lambda metric: metric.name)
        self._written = {}

    def fresh(self):
        """New logs over the same metrics, with nothing written."""
        logs = BatchLogs([])
        logs._metrics = self._metrics
        return logs

    def __getitem__(self, name):
        if name in self._written:
            return self._written[name]
        for metric in self._metrics:
            if metric.name == name:
                return metric.result()
        raise KeyError(name)

    def __setitem__(self, name, value):
        self._written[name] = value

    def __delitem__(self, name):
        # Only written entries can go; the metrics' own entries are part of the model.
        del self._written[name]

    def __iter__(self):
        return iter(sorted({m.name for m in self._metrics} | set(self._written)))

    def __len__(self):
        return len({m.name for m in self._metrics} | set(self._written))

    def copy(self):
        return dict(self)


def _as_float(value):
    if isinstance(value, torch.Tensor):
        return float(value.detach().cpu()) if value.numel() == 1 else value.detach().cpu().numpy()
    return value


def _python_logs(logs):
    """Logs as Python numbers, keyed in sorted order: Keras sorts every logs dict it gives to callbacks, so
    History's keys and evaluate's dict come out sorted (``accuracy``, ``loss``, ``val_accuracy``, ...)."""
    logs = logs or {}
    return {name: _as_float(logs[name]) for name in sorted(logs)}


def _loss_name(loss):
    name = getattr(loss, "name", None)
    fn = getattr(loss, "fn", None)
    return getattr(fn, "__name__", None) or name or getattr(loss, "__name__", "")


class Trainer:
    """Holds what ``compile`` configured and runs the loops of fit / evaluate / predict for one model."""

    def __init__(self, model):
        self.model = model
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self._loss_fns = None
        self._loss_weights = None
        self._metric_specs = None
        self._weighted_metric_specs = None
        self._output_metrics = None   # per output: list of (metric, weighted)
        self._loss_tracker = None
        self._output_loss_trackers = []
        self._labels_checked = False
        self._signature_checked = False
        self.jit_compile = False
        self._compiled_forward = None
        self._logs = None
        self._y_all = None
        self._regularized = None
        self._layers_with_calls = []
        self._trainable = None
        self._execution_plan = None   # the fast paths of fit / evaluate / predict (training/execution_plan.py)

    # ---- compile ---------------------------------------------------------------------------------------------

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, jit_compile="auto", auto_scale_loss=True):
        from kerastorch import metrics as metrics_module
        from kerastorch import optimizers
        self.optimizer = optimizers.get(optimizer)
        if auto_scale_loss and self.optimizer is not None and self.model.dtype_policy.name == "mixed_float16" \
                and not isinstance(self.optimizer, optimizers.LossScaleOptimizer):
            # float16 gradients underflow without loss scaling (bfloat16 has float32's range and needs none).
            self.optimizer = optimizers.LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")
        self.model.optimizer = self.optimizer
        self.loss = loss
        self._loss_weights = loss_weights
        self._metric_specs = metrics
        self._weighted_metric_specs = weighted_metrics
        self._output_metrics = None
        self._loss_fns = None
        with backend.device_scope(self._device()):
            self._loss_tracker = metrics_module.Mean(name="loss")
        self._output_loss_trackers = []
        self._loss_tracker_order = None
        self._logs = None
        self._labels_checked = False
        self._signature_checked = False
        self.run_eagerly = run_eagerly
        self.jit_compile = jit_compile is True
        self._compiled_forward = None
        if loss is not None:
            self._validate_loss_identifiers(loss)
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
            raise ValueError(f"Expected `metrics` argument to be a list, tuple, or dict. Received instead: "
                             f"metrics={metrics} of type {type(metrics)}")
        for spec in flatten(metrics) + flatten(weighted_metrics):
            if isinstance(spec, str) and spec.lower() not in ("accuracy", "acc", "crossentropy", "ce"):
                metrics_module.get(spec)   # unknown names fail now, with the valid names listed
        self.compiled = True
        self.model.compiled = True

    @staticmethod
    def _validate_loss_identifiers(loss):
        from kerastorch import losses
        for spec in flatten(loss):
            if spec is not None:
                losses.get(spec)

    def _require_compiled(self, what):
        if not self.compiled:
            raise ValueError(f"You must call `compile()` before using the model: `{what}` needs a loss and an "
                             f"optimizer. Call `model.compile(optimizer=..., loss=...)` first.")

    # ---- outputs, losses and metrics, resolved on the first batch ---------------------------------------------

    def _output_names(self, num_outputs):
        outputs = getattr(self.model, "outputs", None)
        if isinstance(outputs, list) and len(outputs) == num_outputs and num_outputs > 1:
            return [t._keras_history.operation.name if t._keras_history else f"output_{i}"
                    for i, t in enumerate(outputs)]
        if num_outputs == 1:
            return [None]
        return [f"output_{i}" for i in range(num_outputs)]

    def _per_output(self, spec, names, what):
        """A per-output list from a single value, a list, or a dict keyed by output name."""
        if isinstance(spec, dict):
            unknown = set(spec) - set(names)
            if unknown:
                raise ValueError(f"Unknown entries in {what} dictionary: {sorted(unknown)}. Only expected the "
                                 f"following keys: {names}")
            return [spec.get(name) for name in names]
        if isinstance(spec, (list, tuple)) and len(names) > 1:
            if len(spec) != len(names):
                raise ValueError(f"`{what}` should have one entry per output: the model has {len(names)} "
                                 f"outputs, but {what} has {len(spec)} entries.")
            return list(spec)
        return [spec] * len(names)

    def _setup_outputs(self, y, y_pred):
        preds = flatten(y_pred)
        with backend.device_scope(preds[0].device):
            # Metric state is made where the model's outputs are, whatever the default device is.
            self._build_output_metrics(y, y_pred, preds)
        self._logs = BatchLogs(self.metrics)

    def _build_output_metrics(self, y, y_pred, preds):
        from kerastorch import losses
        from kerastorch import metrics as metrics_module
        # Dict outputs are named by their keys (flattened in sorted order), others by the layers that made them.
        names = sorted(y_pred) if isinstance(y_pred, dict) and len(preds) > 1 else self._output_names(len(preds))
        self._names = names
        if self.loss is not None:
            loss_specs = self._per_output(self.loss, names, "loss")
            self._loss_fns = [None if s is None else _as_loss(losses.get(s)) for s in loss_specs]
        else:
            self._loss_fns = [None] * len(preds)
        weights = self._per_output(self._loss_weights, names, "loss_weights") if self._loss_weights is not None \
            else [None] * len(preds)
        self._loss_weight_values = [1.0 if w is None else float(w) for w in weights]
        if len(preds) > 1:
            self._output_loss_trackers = [metrics_module.Mean(name=f"{name}_loss") for name in names]
            # Keras lists the per-output losses of dict outputs in the order of the loss dict, else in output order.
            order = [names.index(k) for k in self.loss if k in names] \
                if isinstance(self.loss, dict) and isinstance(y_pred, dict) else []
            self._loss_tracker_order = order + [i for i in range(len(names)) if i not in order]
        ys = self._flatten_targets(y, names)
        self._output_metrics = []
        for index, (name, y_true_i, y_pred_i) in enumerate(zip(names, ys, preds)):
            entries = []
            for specs, weighted in ((self._metric_specs, False), (self._weighted_metric_specs, True)):
                if specs is None:
                    continue
                per_output = self._per_output(specs, names, "metrics") if isinstance(specs, dict) or \
                    (len(names) > 1 and specs and isinstance(specs[0], (list, tuple, dict))) else [specs] * len(names)
                for spec in flatten(per_output[index]) if per_output[index] is not None else []:
                    metric = metrics_module.resolve(spec, y_true_i, y_pred_i, loss=self._loss_fns[index])
                    if name is not None:
                        metric.name = f"{name}_{metric.name}"
                    if weighted and any(m.name == metric.name for m, _ in entries):
                        metric.name = f"weighted_{metric.name}"
                    entries.append((metric, weighted))
            self._output_metrics.append(entries)
        device = preds[0].device
        for metric in self.metrics:
            if hasattr(metric, "to"):
                metric.to(device)

    def _flatten_targets(self, y, names):
        if isinstance(y, dict):
            missing = [n for n in names if n not in y]
            if missing:
                raise ValueError(f"The target dictionary is missing entries for outputs {missing}. Received "
                                 f"keys: {list(y)}")
            return [y[n] for n in names]
        if len(names) == 1:
            return [y]
        ys = flatten(y)
        if len(ys) != len(names):
            raise ValueError(f"The model has {len(names)} outputs but received {len(ys)} targets.")
        return ys

    @property
    def metrics(self):
        found = []
        if self._loss_tracker is not None:
            found.append(self._loss_tracker)
        order = getattr(self, "_loss_tracker_order", None) or range(len(self._output_loss_trackers))
        found.extend(self._output_loss_trackers[i] for i in order)
        for entries in self._output_metrics or []:
            found.extend(metric for metric, _ in entries)
        return found

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    def _check_signature(self, y, y_pred):
        """Once per fit: y must fit the model's output, and sparse labels must be valid class indices."""
        for index, (fn, y_true, pred) in enumerate(zip(self._loss_fns, self._flatten_targets(y, self._names),
                                                       flatten(y_pred))):
            if fn is None or not isinstance(y_true, torch.Tensor):
                continue
            name = _loss_name(fn)
            target_shape, output_shape = tuple(y_true.shape), tuple(pred.shape)
            if name in _SPARSE_LOSSES:
                if target_shape not in (output_shape[:-1], output_shape[:-1] + (1,)):
                    raise ValueError(
                        f"Arguments `target` and `output` of loss '{name}' have incompatible shapes: "
                        f"target.shape={target_shape}, output.shape={output_shape}. Sparse labels hold one class "
                        f"index per sample, so the target needs the output's shape without its last axis.")
                continue
            adjusted = target_shape
            if len(adjusted) == len(output_shape) - 1 and output_shape[-1] == 1:
                adjusted = adjusted + (1,)
            elif len(adjusted) == len(output_shape) + 1 and adjusted[-1] == 1:
                adjusted = adjusted[:-1]
            compatible = adjusted == output_shape
            if not compatible and name not in _STRICT_SHAPE_LOSSES:
                try:
                    compatible = torch.broadcast_shapes(adjusted, output_shape) == output_shape
                except RuntimeError:
                    compatible = False
            if not compatible:
                raise ValueError(f"Arguments `target` and `output` must have the same shape. Received: "
                                 f"target.shape={target_shape}, output.shape={output_shape} (loss '{name}', "
                                 f"model output {index}).")

    def _check_sparse_labels(self, y_all, y_pred):
        """Sparse labels outside [0, classes) would fail deep in a kernel; say so clearly, once."""
        for fn, y_true, pred in zip(self._loss_fns, self._flatten_targets(y_all, self._names), flatten(y_pred)):
            if fn is None or _loss_name(fn) not in _SPARSE_LOSSES or not isinstance(y_true, torch.Tensor):
                continue
            if y_true.numel() == 0:
                continue
            num_classes = pred.shape[-1]
            ignore = getattr(fn, "_fn_kwargs", {}).get("ignore_class", getattr(fn, "ignore_class", None))
            labels = y_true if ignore is None else y_true[y_true != ignore]
            if labels.numel() == 0:
                continue
            low, high = (float(v) for v in torch.stack([labels.min(), labels.max()]).double().cpu())
            if low < 0 or high >= num_classes:
                bad = high if high >= num_classes else low
                raise ValueError(f"Received a label value of {bad:g} which is outside the valid range of "
                                 f"[0, {num_classes}) for loss '{_loss_name(fn)}': the model has {num_classes} "
                                 f"outputs, so sparse labels must be integers from 0 to {num_classes - 1}.")

    # ---- steps -----------------------------------------------------------------------------------------------

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of a batch: each output's compiled loss, weighted, plus the model's penalties."""
        total = None
        if self._loss_fns is not None and y is not None:
            ys = self._flatten_targets(y, self._names)
            preds = flatten(y_pred)
            sample_weights = self._flatten_targets(sample_weight, self._names) \
                if isinstance(sample_weight, (dict, list, tuple)) and len(self._names) > 1 \
                else [sample_weight] * len(preds)
            for index, (fn, y_true, pred, sw, weight) in enumerate(
                    zip(self._loss_fns, ys, preds, sample_weights, self._loss_weight_values)):
                if fn is None:
                    continue
                try:
                    value = fn(y_true, pred, sample_weight=sw)
                except (RuntimeError, IndexError):
                    # A bad class index fails deep in a kernel (batches of a generator are not checked up
                    # front); name the label instead, when that is the cause.
                    self._check_sparse_labels(y, y_pred)
                    raise
                if self._output_loss_trackers:
                    # Weighted by batch size, as Keras weights them, so a partial last batch counts less.
                    self._output_loss_trackers[index].update_state(value.detach(), sample_weight=pred.shape[0])
                value = value * weight if weight != 1.0 else value
                total = value if total is None else total + value
        for penalty in self._penalties():
            penalty = penalty.sum()
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total

    def _penalties(self):
        """``model.losses``, from lists made once per fit: the regularized trainable weights, and the layers,
        whose ``add_loss``/activity penalties of this call are collected."""
        if self._regularized is None:
            return self.model.losses
        penalties = [regularizer(weight) for weight, regularizer in self._regularized]
        for layer in self._layers_with_calls:
            if layer._activity_losses:
                penalties.extend(layer._activity_losses)
        return penalties

    def _update_metrics(self, y, y_pred, sample_weight):
        ys = self._flatten_targets(y, self._names)
        for entries, y_true, pred in zip(self._output_metrics, ys, flatten(y_pred)):
            for metric, weighted in entries:
                metric.update_state(y_true, pred, sample_weight=sample_weight if weighted else None)

    def _plan_scope(self):
        """The block in which one step's forward pass runs the model through its execution plan."""
        plan = self._execution_plan
        return plan.active() if plan is not None else contextlib.nullcontext()

    def _forward(self, x, training):
        with self._plan_scope():
            if self._compiled_forward is not None and training:
                return self._compiled_forward(x)
            return self.model(x, training=training)

    def _first_batch(self, x, y, y_pred, y_all=None):
        if self._output_metrics is None:
            self._setup_outputs(y, y_pred)
        if not self._signature_checked and y is not None:
            self._check_signature(y, y_pred)
            self._signature_checked = True
        if not self._labels_checked and y is not None:
            self._check_sparse_labels(y_all if y_all is not None else y, y_pred)
            self._labels_checked = True

    def train_step(self, x, y, sample_weight):
        y_pred = self._forward(x, True)
        if self._output_metrics is None or not self._signature_checked:
            self._first_batch(x, y, y_pred, self._y_all)
        if self._trainable is None:
            # An unbuilt model has just created its weights in this first forward pass.
            self._prepare_training()
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        self._loss_tracker.update_state(loss.detach(), sample_weight=flatten(x)[0].shape[0])
        params = self._trainable
        if params:
            for p in params:
                p.grad = None
            self.optimizer.scale_loss(loss).backward()
            self.optimizer.step(params)
        if y is not None:
            with torch.no_grad():
                self._update_metrics(y, y_pred, sample_weight)
        return self._logs.fresh()

    @torch.no_grad()
    def test_step(self, x, y, sample_weight):
        with self._plan_scope():
            y_pred = self.model(x, training=False)
        if self._output_metrics is None or not self._signature_checked:
            self._first_batch(x, y, y_pred, self._y_all)
        if (y is not None and any(f is not None for f in self._loss_fns)) or self._penalties():
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
            self._loss_tracker.update_state(loss, sample_weight=flatten(x)[0].shape[0])
        if y is not None:
            self._update_metrics(y, y_pred, sample_weight)
        return self._logs.fresh()

    # ---- fit -------------------------------------------------------------------------------------------------

    def _device(self):
        for p in self.model.parameters():
            return p.device
        for b in self.model.buffers():
            return b.device
        return self.model._device or backend.device()

    def _loop_device(self):
        """The device that fit/evaluate/predict run on; on the CPU, freed memory is kept for the next step."""
        device = self._device()
        if device.type == "cpu":
            keep_freed_memory()
        return device

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1):
        from kerastorch.callbacks import CallbackList
        self._require_compiled("fit")
        model = self.model
        self._execution_plan = plan_for(model)
        verbose = 1 if verbose == "auto" else verbose
        if not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"`epochs` must be a non-negative integer. Received: epochs={epochs!r}")
        if validation_split and not 0 <= validation_split < 1:
            raise ValueError(f"`validation_split` must be a float in [0, 1). Received: validation_split="
                             f"{validation_split}")
        _warn_non_finite_arrays(x, y, "x", "y")
        if validation_split and validation_data is None:
            if not is_array_structure(x):
                raise ValueError("`validation_split` is only supported for Tensors or NumPy arrays. Found: "
                                 f"x={type(x).__name__}. Pass `validation_data` instead.")
            (x, y, sample_weight), validation_data = train_validation_split((x, y, sample_weight),
                                                                            validation_split)
        elif validation_data is not None:
            val_x, val_y, _ = _unpack_validation(validation_data)
            _warn_non_finite_arrays(val_x, val_y, "validation_data[0]", "validation_data[1]")
        device = self._loop_device()
        data = DataHandler(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
                           steps_per_epoch=steps_per_epoch, device=device, class_weight=class_weight)
        val_data = None
        if validation_data is not None:
            val_x, val_y, val_sw = _unpack_validation(validation_data)
            val_data = DataHandler(val_x, val_y, val_sw, batch_size=validation_batch_size or batch_size,
                                   steps_per_epoch=validation_steps, device=device)
        self._y_all = data.targets
        self._labels_checked = False
        self._signature_checked = False
        data.checked = True

        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                                     verbose=verbose, epochs=epochs, steps=data.steps)
        model.stop_training = False
        self._trainable = None
        if model.built and model.weights:
            self._prepare_training()
        train_step = self._step_function("train_step")
        callbacks.on_train_begin()
        initial_epoch = getattr(model, "_initial_epoch", None) or initial_epoch
        training_logs = {}
        epoch_logs = {}
        flush = _FlushDenormals(self._device())
        try:
            for epoch in range(initial_epoch, epochs):
                for metric in model.metrics:
                    metric.reset_state()
                callbacks.on_epoch_begin(epoch)
                model.train()
                logs, steps_run = None, 0
                for step, (bx, by, bsw) in enumerate(data.epoch()):
                    steps_run += 1
                    callbacks.on_train_batch_begin(step)
                    logs = train_step(bx, by, bsw)
                    callbacks.on_train_batch_end(step, logs)
                    if model.stop_training:
                        break
                model.eval()
                if steps_run == 0:
                    if epoch == initial_epoch:
                        raise ValueError("The training data yielded no batches: `x` is empty, or a generator that "
                                         "is already exhausted.")
                    break   # a generator ran out in an earlier epoch (the data handler has warned)
                epoch_logs = _python_logs(logs or self._logs)
                if val_data is not None and _should_validate(epoch, validation_freq):
                    val_logs = self._evaluate_handler(val_data, callbacks)
                    epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
                    epoch_logs = _python_logs(epoch_logs)
                callbacks.on_epoch_end(epoch, epoch_logs)
                training_logs = epoch_logs
                if model.stop_training or data.exhausted:
                    break
        finally:
            flush.restore()
            model.eval()
            self._y_all = None
        callbacks.on_train_end(logs=training_logs)
        return model.history

    def _prepare_training(self):
        model = self.model
        from kerastorch.layers.layer import Layer
        self._trainable = [p for p in model.trainable_weights if p.requires_grad]
        self._regularized = [(w, w.regularizer) for w in model.trainable_weights
                             if getattr(w, "regularizer", None) is not None]
        self._layers_with_calls = [m for m in model.modules() if isinstance(m, Layer)]
        if not self._trainable:
            warnings.warn("The model does not have any trainable weights.", stacklevel=3)
        elif not self.optimizer.built:
            self.optimizer.build(self._trainable)
        if self.jit_compile and self._compiled_forward is None:
            # One graph per batch shape (the full batches and the last, partial one), as Keras's XLA path traces:
            # torch 2.14's dynamic-shape compile failed in inductor on the partial batch of a pooling model.
            self._compiled_forward = torch.compile(model, dynamic=False)

    def _step_function(self, name):
        """The trainer's own step, or a wrapper around the model's override of ``train_step``/``test_step``
        (Keras's hook for GANs and custom loops), which receives the batch as Keras passes it."""
        from kerastorch.models.model import Model
        override = getattr(type(self.model), name)
        if override is getattr(Model, name):
            return getattr(self, name)
        user_step = getattr(self.model, name)

        def step(x, y, sample_weight):
            if self._output_metrics is None and y is not None:
                self._setup_from_batch(x, y)
            if name == "train_step" and self._trainable is None:
                self._prepare_training()
            data = (x,) if y is None and sample_weight is None else \
                (x, y) if sample_weight is None else (x, y, sample_weight)
            return user_step(data)
        return step

    def _setup_from_batch(self, x, y):
        """Resolve the compiled metrics from one inference pass, before a user's step uses ``model.metrics``."""
        model = self.model
        was_training = model.training
        model.eval()
        with torch.no_grad():
            y_pred = model(x, training=False)
        model.train(was_training)
        self._setup_outputs(y, y_pred)

    def _float_logs(self):
        return _python_logs(self._logs)

    # ---- evaluate --------------------------------------------------------------------------------------------

    def _evaluate_handler(self, data, callbacks=None):
        """Run a test loop over ``data``; returns the logs as floats. Metrics are reset first."""
        self.reset_metrics()
        model = self.model
        was_training = model.training
        model.eval()
        training_targets = self._y_all
        if not data.checked:
            # New data gets the checks training data got, once: target shapes, and every sparse label's range.
            self._signature_checked = self._labels_checked = False
            self._y_all = data.targets
        if callbacks is not None:
            callbacks.on_test_begin()
        logs = None
        test_step = self._step_function("test_step")
        try:
            for step, (bx, by, bsw) in enumerate(data.epoch()):
                if callbacks is not None:
                    callbacks.on_test_batch_begin(step)
                logs = test_step(bx, by, bsw)
                if callbacks is not None:
                    callbacks.on_test_batch_end(step, logs)
        finally:
            self._y_all = training_targets
        data.checked = True
        logs = _python_logs(logs or self._logs)
        if callbacks is not None:
            callbacks.on_test_end(logs)
        model.train(was_training)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        from kerastorch.callbacks import CallbackList
        self._require_compiled("evaluate")
        self._execution_plan = plan_for(self.model)
        verbose = 1 if verbose == "auto" else verbose
        _warn_non_finite_arrays(x, y, "x", "y")
        data = DataHandler(x, y, sample_weight, batch_size=batch_size, steps_per_epoch=steps,
                           device=self._loop_device())
        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self.model, verbose=verbose,
                                     epochs=1, steps=data.steps)
        logs = self._evaluate_handler(data, callbacks)
        if return_dict:
            return logs
        return self._in_metrics_order(logs)

    def _in_metrics_order(self, logs):
        """Logs as a list in ``model.metrics`` order (the loss first), then any other keys sorted, as Keras
        lists them; a single value alone."""
        names = [metric.name for metric in self.model.metrics if metric.name in logs]
        if len(getattr(self, "_names", ())) > 1:
            # With several outputs Keras lists the losses first, then every other value in sorted order.
            compiled = {metric.name for entries in self._output_metrics or [] for metric, _ in entries}
            names = [name for name in names if name not in compiled]
        values = [logs[name] for name in names] + [logs[key] for key in sorted(logs) if key not in names]
        return values[0] if len(values) == 1 else values

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._require_compiled("test_on_batch")
        data = DataHandler(x, y, sample_weight, batch_size=_num_samples(x), device=self._device())
        self.reset_metrics()
        for bx, by, bsw in data.epoch():
            self.test_step(bx, by, bsw)
        logs = self._float_logs()
        if return_dict:
            return logs
        return self._in_metrics_order(logs)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._require_compiled("train_on_batch")
        data = DataHandler(x, y, sample_weight, batch_size=_num_samples(x), device=self._device(),
                           class_weight=class_weight)
        self._y_all = None
        if self._trainable is None and self.model.built and self.model.weights:
            self._prepare_training()
        self.reset_metrics()
        self.model.train()
        try:
            for bx, by, bsw in data.epoch():
                self.train_step(bx, by, bsw)
        finally:
            self.model.eval()
        logs = self._float_logs()
        if return_dict:
            return logs
        return self._in_metrics_order(logs)

    # ---- predict ---------------------------------------------------------------------------------------------

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        from kerastorch.callbacks import CallbackList
        verbose = 1 if verbose == "auto" else verbose
        data = DataHandler(x, None, None, batch_size=batch_size, steps_per_epoch=steps,
                           device=self._loop_device())
        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self.model, verbose=verbose,
                                     epochs=1, steps=data.steps)
        model = self.model
        self._execution_plan = plan_for(model)
        was_training = model.training
        model.eval()
        callbacks.on_predict_begin()
        outputs = []
        with torch.inference_mode():
            for step, (bx, _, _) in enumerate(data.epoch()):
                callbacks.on_predict_batch_begin(step)
                with self._plan_scope():
                    batch_outputs = model(bx, training=False)
                outputs.append(batch_outputs)
                callbacks.on_predict_batch_end(step, {"outputs": batch_outputs})
        model.train(was_training)
        callbacks.on_predict_end()
        if not outputs:
            raise ValueError("Unexpected result of `predict_function` (Empty batch_outputs). Please use "
                             "`Model.compile(..., run_eagerly=True)`, or `tf.data.Dataset` ... the data is empty.")
        return _concatenate(outputs)

    def predict_on_batch(self, x):
        model = self.model
        was_training = model.training
        model.eval()
        x = move_to_device(x, self._device())
        with torch.inference_mode():
            outputs = model(x, training=False)
        model.train(was_training)
        return map_structure(lambda t: t.detach().cpu().numpy(), outputs)


class _FlushDenormals:
    """Flush denormal floats to zero on the CPU while training, as TensorFlow (and so tf.keras) always does.

    Optimizer state of weights whose gradients stop (Adam's first moment after a ReLU unit dies decays by 0.9 a
    step) drifts into the denormal range within an epoch or two, and arithmetic on denormals is many times slower
    on x86 CPUs: the mlp benchmark's second epoch took twice as long as its first. Values below 1.2e-38 becoming
    0 changes no result at float32 tolerance. The previous mode is probed (there is no getter) and restored.
    """

    def __init__(self, device):
        self._previous = None
        if device.type == "cpu":
            was_flushing = bool(torch.tensor(1e-39) * 2 == 0)
            if torch.set_flush_denormal(True):
                self._previous = was_flushing

    def restore(self):
        if self._previous is not None:
            torch.set_flush_denormal(self._previous)


def _concatenate(batches):
    first = batches[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(batches).cpu().numpy()
    if isinstance(first, dict):
        return {k: torch.cat([b[k] for b in batches]).cpu().numpy() for k in first}
    if isinstance(first, (list, tuple)):
        return [torch.cat([b[i] for b in batches]).cpu().numpy() for i in range(len(first))]
    raise ValueError(f"Unexpected model output type: {type(first).__name__}")


def _as_loss(fn):
    from kerastorch import losses
    if isinstance(fn, losses.Loss):
        return fn
    return losses.LossFunctionWrapper(fn, name=getattr(fn, "__name__", None))


def _warn_non_finite_arrays(x, y, x_name, y_name):
    """Warn once per call, naming the array, when in-memory inputs or targets hold NaN or inf."""
    if is_array_structure(x):
        warn_non_finite(x, x_name)
    if is_array_structure(y):
        warn_non_finite(y, y_name)


def _unpack_validation(validation_data):
    if isinstance(validation_data, (tuple, list)):
        if len(validation_data) == 2:
            return validation_data[0], validation_data[1], None
        if len(validation_data) == 3:
            return tuple(validation_data)
        raise ValueError(f"When passing a tuple as `validation_data`, it must contain 2 (x, y) or 3 "
                         f"(x, y, sample_weight) items. Received a tuple of {len(validation_data)} items.")
    return validation_data, None, None


def _should_validate(epoch, validation_freq):
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def _num_samples(x):
    leaves = [leaf for leaf in flatten(x) if hasattr(leaf, "shape")]
    if not leaves:
        x = np.asarray(x)
        return x.shape[0]
    return int(leaves[0].shape[0])
