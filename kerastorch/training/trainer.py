"""The loops of fit / evaluate / predict and their steps.

Each training step is: forward (through the model's execution plan), loss (``model.compute_loss``: the compiled
loss plus regularization penalties), backward, optimizer step, metric update, all on the model's device with no
host sync. Logged values stay tensors until something prints them: batch logs are read lazily (the progress bar
reads them only when it redraws), epoch logs become floats once per epoch.

The model holds everything compile configured (``model.optimizer``, ``model.compiled_loss``,
``model.compiled_metrics``); the trainer reads it from the model at each step, so reassigning
``model.optimizer`` after compile trains with the new one. The trainer keeps only what one loop caches: the
trainable weights, the regularized weights, the execution plan. User input is parsed in ``training/data.py``.
"""
import warnings

import torch

from kerastorch import backend
from kerastorch import metrics as metrics_module
from kerastorch import optimizers
from kerastorch.keras_tensor import flatten, map_structure
from kerastorch.layers.layer import Layer
from kerastorch.optimizers.optimizer import gradients_reduced_by
from kerastorch.training import data as data_module
from kerastorch.training import distributed
from kerastorch.training.compile_utils import CompiledLoss, CompiledMetrics
from kerastorch.training.data import DataHandler, move_to_device
from kerastorch.training.execution_plan import plan_for
from kerastorch.training.logs import (BatchLogs, concatenate_outputs, outputs_to_host, python_logs,
                                     wait_for_host_copies)
from kerastorch.training.process import cpu_training_settings


class Trainer:
    """Runs compile / fit / evaluate / predict for one model."""

    def __init__(self, model):
        self.model = model
        self._reset_loop_state()

    def _reset_loop_state(self):
        self._custom_compute_loss = False
        self._custom_compute_metrics = False
        self._logs = None
        self._y_all = None
        self._targets_checked = False
        self._compiled_forward = None
        self._plan = None
        self._regularized = None
        self._layers_with_calls = []
        self._trainable = None
        self._replicas = None

    # ---- compile ---------------------------------------------------------------------------------------------

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, jit_compile="auto", auto_scale_loss=True):
        """Set the model's optimizer, compiled loss, compiled metrics and loss tracker (the model holds them)."""
        model = self.model
        optimizer = optimizers.get(optimizer)
        if auto_scale_loss and optimizer is not None and model.dtype_policy.name == "mixed_float16" \
                and not isinstance(optimizer, optimizers.LossScaleOptimizer):
            # float16 gradients underflow without loss scaling (bfloat16 has float32's range and needs none).
            optimizer = optimizers.LossScaleOptimizer(optimizer, name="loss_scale_optimizer")
        outputs = getattr(model, "outputs", None)
        compiled_loss = CompiledLoss(loss, loss_weights, model_outputs=outputs)
        compiled_metrics = CompiledMetrics(metrics, weighted_metrics, model_outputs=outputs)
        with backend.device_scope(self._device()):
            loss_tracker = metrics_module.Mean(name="loss")
        model._set_compiled_state(optimizer=optimizer, compiled_loss=compiled_loss,
                                  compiled_metrics=compiled_metrics, loss_tracker=loss_tracker,
                                  run_eagerly=run_eagerly, jit_compile=jit_compile is True)
        self._reset_loop_state()

    def set_loss(self, loss):
        """``model.loss = ...``: a new compiled loss with the same loss weights (compile's other settings kept)."""
        model = self.model
        loss_weights = model.compiled_loss.loss_weights if model.compiled_loss is not None else None
        object.__setattr__(model, "compiled_loss", CompiledLoss(loss, loss_weights,
                                                                model_outputs=getattr(model, "outputs", None)))
        self._reset_loop_state()

    def _require_compiled(self, what):
        if not self.model.compiled:
            raise ValueError(f"You must call `compile()` before using the model: `{what}` needs a loss and an "
                             f"optimizer. Call `model.compile(optimizer=..., loss=...)` first.")

    # ---- the compiled losses and metrics, built on the first batch ---------------------------------------------

    def build_compiled(self, y, y_pred):
        """Build the model's compiled loss and metrics from a batch (if not yet), and the batch logs over them."""
        model = self.model
        if y is not None:
            if not model.compiled_loss.built:
                model.compiled_loss.build(y, y_pred)
            if not model.compiled_metrics.built:
                model.compiled_metrics.build(y, y_pred, losses=model.compiled_loss.losses)
        self._logs = BatchLogs(self.compiled_metric_list())

    def compiled_metric_list(self):
        """The loss tracker, the per-output loss trackers and the compiled metrics: what the logs report."""
        model = self.model
        found = [model._loss_tracker]
        if model.compiled_loss.built:
            found.extend(model.compiled_loss.metrics)
        if model.compiled_metrics.built:
            found.extend(model.compiled_metrics.metrics)
        return found

    def reset_metrics(self):
        for metric in self.model.metrics:
            metric.reset_state()

    def _first_batch(self, y, y_pred):
        """Build what the first batch decides, and check the targets against the outputs once per data."""
        if y is None and not self._custom_compute_loss and self.model.compiled_loss.needs_targets:
            raise ValueError(f"Targets are missing: the model was compiled with "
                             f"loss={self.model.compiled_loss.loss!r}, which compares predictions with targets, "
                             f"but the data has none (`y` is None, or the data yields only inputs). Pass `y`, "
                             f"yield `(x, y)` batches, or compile without a loss.")
        if self._logs is None or (y is not None and not self.model.compiled_loss.built):
            self.build_compiled(y, y_pred)
        if not self._targets_checked and y is not None:
            self.model.compiled_loss.check_targets(y, y_pred, all_targets=self._y_all)
            self._targets_checked = True

    def penalties(self):
        """``model.losses``, from lists made once per fit: the regularized trainable weights, and the layers,
        whose ``add_loss``/activity penalties of this call are collected."""
        if self._regularized is None:
            return self.model.losses
        penalties = [regularizer(weight) for weight, regularizer in self._regularized]
        for layer in self._layers_with_calls:
            if layer._activity_losses:
                penalties.extend(layer._activity_losses)
        return penalties

    # ---- steps -----------------------------------------------------------------------------------------------

    def _forward(self, x, training):
        """The model on a batch, as every loop runs it: the jit-compiled module when compiled so, else through
        the execution plan when the model has one."""
        if training and self._compiled_forward is not None:
            return self._compiled_forward(x)
        plan = self._plan
        if plan is not None:
            with plan.active():
                return self.model(x, training=training)
        return self.model(x, training=training)

    def _update_metrics(self, x, y, y_pred, sample_weight):
        model = self.model
        if self._custom_compute_metrics:
            model.compute_metrics(x, y, y_pred, sample_weight)
        else:
            model.compiled_metrics.update_state(y, y_pred, sample_weight)

    def train_step(self, x, y, sample_weight):
        model = self.model
        y_pred = self._forward(x, True)
        if self._logs is None or not self._targets_checked:
            self._first_batch(y, y_pred)
        if self._trainable is None:
            # An unbuilt model has just created its weights in this first forward pass.
            self._prepare_training()
            if self._replicas is not None:
                # Rank 0's weights were just broadcast: the pass must see them.
                y_pred = self._forward(x, True)
        loss = model.compute_loss(x, y, y_pred, sample_weight, training=True)
        count = flatten(x)[0].shape[0]
        model._loss_tracker.update_state(loss.detach(), sample_weight=count)
        params = self._trainable
        if params:
            for p in params:
                p.grad = None
            optimizer = model.optimizer
            optimizer.scale_loss(loss).backward()
            if self._replicas is not None:
                self._replicas.all_reduce_gradients_(params, count)
            optimizer.step(params)
        if y is not None:
            with torch.no_grad():
                self._update_metrics(x, y, y_pred, sample_weight)
        return self._logs.fresh()

    def _empty_share_step(self, x, y, sample_weight, training):
        """A rank's step on an empty share of a global batch (``x`` holds one sample to build from): builds what
        the first batch builds if needed, and in training takes part in the gradient all-reduce with nothing."""
        model = self.model
        if self._logs is None or not self._targets_checked or (training and self._trainable is None):
            self._first_batch(y, self._inference_pass(x))
        if training:
            if self._trainable is None:
                self._prepare_training()
            params = self._trainable
            if params:
                for p in params:
                    p.grad = None
                self._replicas.all_reduce_gradients_(params, 0)
                model.optimizer.step(params)
        return self._logs.fresh()

    @torch.no_grad()
    def test_step(self, x, y, sample_weight):
        model = self.model
        y_pred = self._forward(x, False)
        if self._logs is None or not self._targets_checked:
            self._first_batch(y, y_pred)
        has_compiled_loss = y is not None and model.compiled_loss.loss is not None
        if has_compiled_loss or self._custom_compute_loss or self.penalties():
            loss = model.compute_loss(x, y, y_pred, sample_weight, training=False)
            model._loss_tracker.update_state(loss, sample_weight=flatten(x)[0].shape[0])
        if y is not None:
            self._update_metrics(x, y, y_pred, sample_weight)
        return self._logs.fresh()

    def _step_function(self, name):
        """The trainer's own step, or a wrapper around the model's override of ``train_step``/``test_step``
        (Keras's hook for GANs and custom loops), which receives the batch as Keras passes it. Also notes,
        once per loop, whether the model overrides ``compute_loss``/``compute_metrics``."""
        from kerastorch.models.model import Model
        model_class = type(self.model)
        self._custom_compute_loss = model_class.compute_loss is not Model.compute_loss
        self._custom_compute_metrics = model_class.compute_metrics is not Model.compute_metrics
        if getattr(model_class, name) is getattr(Model, name):
            own_step = getattr(self, name)
            if self._replicas is None:
                return own_step
            training = name == "train_step"
            return lambda x, y, sample_weight, empty=False: (
                self._empty_share_step(x, y, sample_weight, training) if empty else own_step(x, y, sample_weight))
        user_step = getattr(self.model, name)
        replicas = self._replicas

        def step(x, y, sample_weight, empty=False):
            if self._logs is None and y is not None:
                self._setup_from_batch(x, y)
            if name == "train_step" and self._trainable is None:
                self._prepare_training()
            batch = (x,) if y is None and sample_weight is None else \
                (x, y) if sample_weight is None else (x, y, sample_weight)
            if replicas is None or name != "train_step":
                return user_step(batch)
            # Data-parallel: what the step hands optimizer.apply is averaged over the ranks, weighted by their
            # shares' sizes (an empty share's step runs on its stand-in sample, and weighs nothing).
            count = 0 if empty else flatten(x)[0].shape[0]
            with gradients_reduced_by(
                    lambda grads, variables: replicas.average_gradients(grads, variables, count)):
                return user_step(batch)
        return step

    def _inference_pass(self, x):
        """The model's outputs for ``x`` in inference mode without gradients (what building from a batch needs),
        leaving the model's training flag as it was."""
        model = self.model
        was_training = model.training
        model.eval()
        with torch.no_grad():
            y_pred = self._forward(x, False)
        model.train(was_training)
        return y_pred

    def _setup_from_batch(self, x, y):
        """Build the compiled metrics from one inference pass, before a user's step uses ``model.metrics``."""
        self.build_compiled(y, self._inference_pass(x))

    def _prepare_training(self):
        """What a fit caches once the model is built: the weights to train, the penalties' sources, the plan."""
        model = self.model
        self._trainable = [p for p in model.trainable_weights if p.requires_grad]
        self._regularized = [(w, w.regularizer) for w in model.trainable_weights
                             if getattr(w, "regularizer", None) is not None]
        self._layers_with_calls = [m for m in model.modules() if isinstance(m, Layer)]
        if not self._trainable:
            warnings.warn("The model does not have any trainable weights.", stacklevel=3)
        elif not model.optimizer.built:
            model.optimizer.build(self._trainable)
        if model.jit_compile and self._compiled_forward is None:
            # One graph per batch shape (the full batches and the last, partial one), as Keras's XLA path traces:
            # torch 2.14's dynamic-shape compile failed in inductor on the partial batch of a pooling model.
            self._compiled_forward = torch.compile(model, dynamic=False)
        self._plan = plan_for(model)
        if self._replicas is not None:
            self._replicas.broadcast_weights_(model)

    def _start_replicas(self, broadcast=True):
        """The Replicas of this loop (None on one process). With ``broadcast``, rank 0's weights are broadcast
        if the model is built (training broadcasts them in ``_prepare_training``, once the model is built)."""
        self._replicas = distributed.replicas_for(self._device())
        if broadcast and self._replicas is not None and self.model.built and self.model.weights:
            self._replicas.broadcast_weights_(self.model)
        return self._replicas

    def _global_logs(self, logs):
        """The loop's logs as floats, the metric states first combined over the ranks of a data-parallel run.

        The logs a model's own step returns are read again from the combined metrics where they name one; any
        other value (a step's own loss) is rank 0's, so every rank logs the same."""
        replicas = self._replicas
        if replicas is None:
            return python_logs(logs or self._logs)
        replicas.all_reduce_metrics_(self.model.metrics)
        if logs is None or isinstance(logs, BatchLogs):
            return python_logs(logs or self._logs)
        results = {metric.name: metric.result() for metric in self.model.metrics}
        return replicas.broadcast_numbers(python_logs({key: results.get(key, value) for key, value in logs.items()}))

    # ---- devices ---------------------------------------------------------------------------------------------

    def _device(self):
        for p in self.model.parameters():
            return p.device
        for b in self.model.buffers():
            return b.device
        return self.model._device or backend.device()

    def _state_follows_model(self, device):
        """After ``model.to(...)`` or ``model.double()`` between loops: the metric state goes to the model's
        device, and the optimizer's slots to their variables' device and dtype (a check per loop, not per step)."""
        model = self.model
        for metric in model.metrics:
            if metric.device != device:
                metric.to(device)
        if model.optimizer is not None and model.optimizer.built:
            model.optimizer.follow_variables()

    # ---- fit -------------------------------------------------------------------------------------------------

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1):
        from kerastorch.callbacks import CallbackList
        self._require_compiled("fit")
        model = self.model
        verbose = 1 if verbose == "auto" else verbose
        data_module.check_epochs(epochs)
        data_module.check_steps(steps_per_epoch, "steps_per_epoch")
        data_module.check_steps(validation_steps, "validation_steps")
        data_module.check_validation_freq(validation_freq)
        (x, y, sample_weight), validation = data_module.fit_data(x, y, sample_weight, validation_split,
                                                                 validation_data)
        device = self._device()
        self._state_follows_model(device)
        replicas = self._start_replicas(broadcast=False)
        data = DataHandler(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
                           steps_per_epoch=steps_per_epoch, device=device, class_weight=class_weight,
                           replicas=replicas)
        val_data = None
        if validation is not None:
            val_x, val_y, val_sw = validation
            val_data = DataHandler(val_x, val_y, val_sw, batch_size=validation_batch_size or batch_size,
                                   steps_per_epoch=validation_steps, device=device,
                                   names=("validation_data[0]", "validation_data[1]", "validation_data[2]"),
                                   replicas=replicas)
        self._y_all = data.targets
        self._targets_checked = False
        data.checked = True

        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                                     verbose=verbose, epochs=epochs, steps=data.steps)
        elif self._replicas is not None:
            callbacks.leave_output_to_chief()   # a list the user made, maybe before the process group existed
        model.stop_training = False
        self._trainable = None
        self._plan = plan_for(model)
        if model.built and model.weights:
            self._prepare_training()
        train_step = self._step_function("train_step")
        # A stop decided by a batch hook is agreed on at each batch, so no rank waits alone in the next step.
        agree_batch_stops = replicas is not None and callbacks.may_stop_in_batch()
        training_logs = {}
        with cpu_training_settings(device):
            callbacks.on_train_begin()
            # BackupAndRestore's on_train_begin says where an interrupted run resumes.
            initial_epoch = getattr(model, "_initial_epoch", None) or initial_epoch
            try:
                for epoch in range(initial_epoch, epochs):
                    self.reset_metrics()
                    callbacks.on_epoch_begin(epoch)
                    model.train()
                    logs, steps_run = None, 0
                    for step, (bx, by, bsw) in enumerate(data.epoch(epoch)):
                        steps_run += 1
                        callbacks.on_train_batch_begin(step)
                        logs = train_step(bx, by, bsw, True) if data.empty_share else train_step(bx, by, bsw)
                        callbacks.on_train_batch_end(step, logs)
                        if agree_batch_stops:
                            model.stop_training = replicas.any_true(model.stop_training)
                        if model.stop_training:
                            break
                    model.eval()
                    if steps_run == 0:
                        if epoch == initial_epoch:
                            raise ValueError("The training data yielded no batches: `x` is empty, or a generator "
                                             "that is already exhausted.")
                        break   # a generator ran out in an earlier epoch (the data handler has warned)
                    epoch_logs = self._global_logs(logs)
                    if replicas is not None:
                        replicas.broadcast_non_trainable_(model)
                    if val_data is not None and data_module.validation_due(epoch, validation_freq):
                        val_logs = self._evaluate_handler(val_data, callbacks)
                        epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
                        epoch_logs = python_logs(epoch_logs)
                    callbacks.on_epoch_end(epoch, epoch_logs)
                    if replicas is not None:
                        model.stop_training = replicas.any_true(model.stop_training)
                    training_logs = epoch_logs
                    if model.stop_training or data.exhausted:
                        break
            finally:
                model.eval()
                self._y_all = None
            callbacks.on_train_end(logs=training_logs)
        return model.history

    # ---- evaluate --------------------------------------------------------------------------------------------

    def _evaluate_handler(self, data, callbacks=None):
        """Run a test loop over ``data``; returns the logs as floats. Metrics are reset first."""
        self.reset_metrics()
        model = self.model
        was_training = model.training
        model.eval()
        training_targets, training_checked, training_plan = self._y_all, self._targets_checked, self._plan
        if not data.checked:
            # New data gets the checks training data got, once: target shapes, and every sparse label's range.
            self._targets_checked = False
            self._y_all = data.targets
        self._plan = plan_for(model)
        if callbacks is not None:
            callbacks.on_test_begin()
        logs = None
        test_step = self._step_function("test_step")
        try:
            for step, (bx, by, bsw) in enumerate(data.epoch()):
                if callbacks is not None:
                    callbacks.on_test_batch_begin(step)
                logs = test_step(bx, by, bsw, True) if data.empty_share else test_step(bx, by, bsw)
                if callbacks is not None:
                    callbacks.on_test_batch_end(step, logs)
        finally:
            self._y_all, self._plan = training_targets, training_plan
            if not data.checked:
                # Training data keeps its own check state; new data is checked once.
                self._targets_checked = training_checked
        data.checked = True
        logs = self._global_logs(logs)
        if callbacks is not None:
            callbacks.on_test_end(logs)
        model.train(was_training)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        from kerastorch.callbacks import CallbackList
        self._require_compiled("evaluate")
        verbose = 1 if verbose == "auto" else verbose
        data_module.check_steps(steps, "steps")
        data_module.warn_non_finite_inputs(x, y)
        device = self._device()
        self._state_follows_model(device)
        data = DataHandler(x, y, sample_weight, batch_size=batch_size, steps_per_epoch=steps, device=device,
                           replicas=self._start_replicas())
        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self.model, verbose=verbose,
                                     epochs=1, steps=data.steps)
        elif self._replicas is not None:
            callbacks.leave_output_to_chief()   # a list the user made, maybe before the process group existed
        logs = self._evaluate_handler(data, callbacks)
        if return_dict:
            return logs
        return self._in_metrics_order(logs)

    def _in_metrics_order(self, logs):
        """Logs as a list in ``model.metrics`` order (the loss first), then any other keys sorted, as Keras
        lists them; a single value alone."""
        model = self.model
        names = [metric.name for metric in model.metrics if metric.name in logs]
        if model.compiled_loss.built and len(model.compiled_loss.output_names) > 1:
            # With several outputs Keras lists the losses first, then every other value in sorted order.
            compiled = {metric.name for metric in model.compiled_metrics.metrics}
            names = [name for name in names if name not in compiled]
        values = [logs[name] for name in names] + [logs[key] for key in sorted(logs) if key not in names]
        return values[0] if len(values) == 1 else values

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._require_compiled("test_on_batch")
        device = self._device()
        self._state_follows_model(device)
        data = DataHandler(x, y, sample_weight, batch_size=data_module.num_samples(x), device=device,
                           replicas=self._start_replicas(broadcast=False))
        self.reset_metrics()
        self._plan = plan_for(self.model)
        test_step = self._step_function("test_step")
        logs = None
        for bx, by, bsw in data.epoch():
            logs = test_step(bx, by, bsw, True) if data.empty_share else test_step(bx, by, bsw)
        logs = self._global_logs(logs)
        if return_dict:
            return logs
        return self._in_metrics_order(logs)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._require_compiled("train_on_batch")
        device = self._device()
        self._state_follows_model(device)
        replicas = self._start_replicas(broadcast=False)
        data = DataHandler(x, y, sample_weight, batch_size=data_module.num_samples(x), device=device,
                           class_weight=class_weight, replicas=replicas)
        self._y_all = None
        if self._trainable is None and self.model.built and self.model.weights:
            self._prepare_training()
        self.reset_metrics()
        self._plan = plan_for(self.model)
        train_step = self._step_function("train_step")
        self.model.train()
        logs = None
        try:
            for bx, by, bsw in data.epoch():
                logs = train_step(bx, by, bsw, True) if data.empty_share else train_step(bx, by, bsw)
        finally:
            self.model.eval()
        logs = self._global_logs(logs)
        if return_dict:
            return logs
        return self._in_metrics_order(logs)

    # ---- predict ---------------------------------------------------------------------------------------------

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        from kerastorch.callbacks import CallbackList
        verbose = 1 if verbose == "auto" else verbose
        data_module.check_steps(steps, "steps")
        replicas = self._start_replicas()
        data = DataHandler(x, None, None, batch_size=batch_size, steps_per_epoch=steps, device=self._device(),
                           replicas=replicas)
        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self.model, verbose=verbose,
                                     epochs=1, steps=data.steps)
        elif self._replicas is not None:
            callbacks.leave_output_to_chief()   # a list the user made, maybe before the process group existed
        model = self.model
        was_training = model.training
        model.eval()
        self._plan = plan_for(model)
        callbacks.on_predict_begin()
        outputs = []
        with torch.inference_mode():
            for step, (bx, _, _) in enumerate(data.epoch()):
                callbacks.on_predict_batch_begin(step)
                batch_outputs = self._forward(bx, False)
                if data.empty_share:
                    # The one sample of an empty share only gives the outputs' structure and shapes.
                    batch_outputs = map_structure(lambda t: t[:0], batch_outputs)
                outputs.append(outputs_to_host(batch_outputs))
                callbacks.on_predict_batch_end(step, {"outputs": batch_outputs})
        model.train(was_training)
        callbacks.on_predict_end()
        if not outputs:
            raise ValueError("Unexpected result of `predict_function` (Empty batch_outputs). Please use "
                             "`Model.compile(..., run_eagerly=True)`, or `tf.data.Dataset` ... the data is empty.")
        wait_for_host_copies(self._device())
        if replicas is not None:
            return map_structure(lambda t: t.numpy(), replicas.gather_outputs(outputs))
        return concatenate_outputs(outputs)

    def predict_on_batch(self, x):
        model = self.model
        was_training = model.training
        model.eval()
        x = move_to_device(x, self._device())
        self._plan = plan_for(model)
        with torch.inference_mode():
            outputs = self._forward(x, False)
        model.train(was_training)
        return map_structure(lambda t: t.detach().cpu().numpy(), outputs)

