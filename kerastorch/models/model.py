"""`Model`: a Layer that groups layers and trains them (compile / fit / evaluate / predict).

``Model(inputs, outputs)`` makes a functional model; ``class M(Model)`` with a ``call`` makes a subclassed one.
The training loops live in ``kerastorch.training``; this class only holds what the user configured.
"""
import torch

from kerastorch.layers.layer import Layer
from kerastorch.models.keras2_api import Keras2ModelMethods, warn_loader_arguments
from kerastorch.saving import serialization

# The keyword arguments that make a functional model (Keras 2 also spelled them `input` and `output`).
_FUNCTIONAL_KEYWORDS = ("inputs", "outputs", "input", "output")


def _functional_arguments(args, kwargs):
    """Whether a Model constructor call describes a functional model: ``(inputs, outputs)`` given."""
    return len(args) >= 2 or any(keyword in kwargs for keyword in _FUNCTIONAL_KEYWORDS)


class Model(Keras2ModelMethods, Layer):
    """A group of layers with training and inference features.

    Build one in three ways: ``Sequential([...])``, ``Model(inputs, outputs)`` from symbolic tensors, or by
    subclassing with layers assigned in ``__init__`` and a ``call(self, inputs, training=None)``.
    """

    _keras_module = "keras.src.models.model"   # the module Keras writes in a config (not exported there)

    _casts_outputs = False
    # A model's layers attach masks to its outputs themselves; the model passes them on without a warning.
    _drops_masks_silently = True

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_arguments(args, kwargs):
            from kerastorch.models.functional import Functional
            return Functional.__new__(Functional)
        instance = super().__new__(cls)
        # A subclassed model's constructor arguments, from which get_config() describes it when they are plain
        # values (as Keras records them).
        object.__setattr__(instance, "_constructor_arguments", (args, kwargs))
        return instance

    def __init__(self, *args, trainable=True, name=None, dtype=None, **kwargs):
        if args or any(keyword in kwargs for keyword in _FUNCTIONAL_KEYWORDS):
            # A subclass of Model whose __init__ calls super().__init__(inputs, outputs): a functional model.
            from kerastorch.models.functional import Functional, make_functional_subclass
            make_functional_subclass(type(self))
            Functional.__init__(self, *args, trainable=trainable, name=name, dtype=dtype, **kwargs)
            return
        super().__init__(trainable=trainable, name=name, dtype=dtype, **kwargs)
        self.stop_training = False
        self.history = None
        self._trainer = None
        # What compile configures, held here only (the trainer reads it at each step). Set without Layer's
        # metric tracking: model.metrics lists them in Keras's order itself.
        self._set_compiled_state(optimizer=None, compiled_loss=None, compiled_metrics=None, loss_tracker=None,
                                 run_eagerly=False, jit_compile=False, compiled=False)

    # ---- structure -------------------------------------------------------------------------------------------

    def _module_key(self, layer):
        """The submodule name ``layer`` is registered under (so ``state_dict()`` keys read ``dense.kernel``): its
        Keras name, with dots replaced, and ``_layer`` appended where the name is already an attribute of the
        model (a layer named ``double`` or ``eval``, say)."""
        key = layer.name.replace(".", "_")
        if key in self._modules:
            return key
        if hasattr(type(self), key) or key in self.__dict__ or key in self._parameters or key in self._buffers:
            key = f"{key}_layer"
        return key

    @property
    def layers(self):
        return self._layers

    def get_layer(self, name=None, index=None):
        """The layer called ``name``, or at position ``index`` of ``layers``."""
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: index={index}, name={name}.")
        if isinstance(name, int) and index is None:
            name, index = None, name
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(self.layers)} layers.")
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: {[l.name for l in self.layers]}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def _summary_layers(self):
        return self.layers, True, None

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print Keras 3's table of this model's layers, output shapes and parameter counts."""
        from kerastorch.models.summary import render_summary
        # An unbuilt model prints too, as in Keras: its layers show "?" and "0 (unbuilt)".
        text = render_summary(self, line_length=line_length, positions=positions, expand_nested=expand_nested,
                              show_trainable=show_trainable, layer_range=layer_range)
        # As Keras does, the text handed to print_fn ends with a newline.
        if print_fn is None:
            print(text)
        else:
            print_fn(text + "\n")

    def build(self, input_shape=None):
        """Build a subclassed model for inputs of ``input_shape`` by running it once on zeros of that shape
        (unknown dimensions taken as 1), in inference mode."""
        if self.built or input_shape is None or type(self).call is Model.call:
            self.built = True
            return
        from kerastorch import backend
        self.built = True
        shape = [1 if d is None else d for d in input_shape]
        was_training = self.training
        self.eval()
        with torch.no_grad():
            self(torch.zeros(shape, device=backend.device()))
        self.train(was_training)

    def _maybe_build(self, input_shape):
        if not self.built and type(self).build is Model.build:
            # A subclassed model builds its layers during its first real call.
            self._build_shapes = input_shape
            self.built = True
            return
        super()._maybe_build(input_shape)

    def call(self, inputs, training=None):
        raise NotImplementedError(f"Model {type(self).__name__} has no `call` method: subclass Model and define "
                                  f"call(self, inputs, training=None), or use Model(inputs, outputs).")

    def __call__(self, *args, **kwargs):
        outputs = super().__call__(*args, **kwargs)
        self.built = True
        return outputs

    # ---- training API: the work is done in kerastorch.training ------------------------------------------------

    def _get_trainer(self):
        if self._trainer is None:
            from kerastorch.training.trainer import Trainer
            self._trainer = Trainer(self)
        return self._trainer

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Configure training: the optimizer, the loss(es), and the metrics to report."""
        self._compile_arguments = {"loss": loss, "loss_weights": loss_weights, "metrics": metrics,
                                   "weighted_metrics": weighted_metrics, "run_eagerly": run_eagerly,
                                   "steps_per_execution": steps_per_execution, "jit_compile": jit_compile is True}
        self._get_trainer().compile(optimizer=optimizer, loss=loss, loss_weights=loss_weights, metrics=metrics,
                                    weighted_metrics=weighted_metrics, run_eagerly=run_eagerly,
                                    jit_compile=jit_compile, auto_scale_loss=auto_scale_loss)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1, max_queue_size=None, workers=None, use_multiprocessing=None):
        """Train for ``epochs`` epochs; returns a History whose ``history`` dict has one list per logged value.

        ``max_queue_size``, ``workers`` and ``use_multiprocessing`` are tf.keras 2's, accepted with a warning and
        without effect (the batches are read in the training loop's thread)."""
        warn_loader_arguments("fit", max_queue_size, workers, use_multiprocessing)
        return self._get_trainer().fit(
            x=x, y=y, batch_size=batch_size, epochs=epochs, verbose=verbose, callbacks=callbacks,
            validation_split=validation_split, validation_data=validation_data, shuffle=shuffle,
            class_weight=class_weight, sample_weight=sample_weight, initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch, validation_steps=validation_steps,
            validation_batch_size=validation_batch_size, validation_freq=validation_freq)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, max_queue_size=None, workers=None, use_multiprocessing=None):
        """The loss and metrics on the given data: a scalar, a list in ``metrics_names`` order, or a dict.
        (tf.keras 2's loader arguments: as for ``fit``.)"""
        warn_loader_arguments("evaluate", max_queue_size, workers, use_multiprocessing)
        return self._get_trainer().evaluate(x=x, y=y, batch_size=batch_size, verbose=verbose,
                                            sample_weight=sample_weight, steps=steps, callbacks=callbacks,
                                            return_dict=return_dict)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, max_queue_size=None,
                workers=None, use_multiprocessing=None):
        """The model's outputs on ``x``, batch by batch, as numpy arrays. (tf.keras 2's loader arguments: as
        for ``fit``.)"""
        warn_loader_arguments("predict", max_queue_size, workers, use_multiprocessing)
        return self._get_trainer().predict(x, batch_size=batch_size, verbose=verbose, steps=steps,
                                           callbacks=callbacks)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        return self._get_trainer().train_on_batch(x, y, sample_weight=sample_weight, class_weight=class_weight,
                                                  return_dict=return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        return self._get_trainer().test_on_batch(x, y, sample_weight=sample_weight, return_dict=return_dict)

    def predict_on_batch(self, x):
        return self._get_trainer().predict_on_batch(x)

    # Keras's overridable steps. Override train_step/test_step for a custom loop (a GAN, say): they receive the
    # batch as `(x, y)`, `(x, y, sample_weight)` or `(x,)` and return a dict of logs.

    def train_step(self, data):
        from kerastorch.training.data import unpack_x_y_sample_weight
        return self._get_trainer().train_step(*unpack_x_y_sample_weight(data))

    def test_step(self, data):
        from kerastorch.training.data import unpack_x_y_sample_weight
        return self._get_trainer().test_step(*unpack_x_y_sample_weight(data))

    def predict_step(self, data):
        from kerastorch.training.data import unpack_x_y_sample_weight
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of a batch: the compiled loss(es) plus the model's penalties (``model.losses``).

        Override it in a subclass for a loss of your own (Keras's hook); fit, evaluate and a default
        ``train_step`` call it with the batch and the model's predictions.

        Args:
            x: the inputs (unused by the default).
            y: the targets, or None.
            y_pred: the model's predictions for x.
            sample_weight: None, or weights for the samples (one array per output for several).
            training: whether the loss is for a training step (unused by the default).
        """
        total = None
        if self.compiled_loss is not None and y is not None:
            total = self.compiled_loss(y, y_pred, sample_weight)
        for penalty in self._get_trainer().penalties():
            penalty = penalty.sum()
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with a batch and return every metric's result, by name.

        Args:
            x: the inputs (unused by the default).
            y: the targets.
            y_pred: the model's predictions for x.
            sample_weight: None, or weights for the samples (weighted metrics use them).
        """
        if self.compiled_metrics is not None:
            with torch.no_grad():
                if not self.compiled_metrics.built:
                    self._get_trainer().build_compiled(y, y_pred)
                self.compiled_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        return {metric.name: metric.result() for metric in self.metrics}

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    @property
    def metrics_names(self):
        return [metric.name for metric in self.metrics]

    @property
    def metrics(self):
        """The loss tracker, the per-output loss trackers and the compiled metrics, then metrics assigned as
        attributes of the model or its layers (``self.loss_tracker = Mean(name="loss")``)."""
        found = []
        if self.compiled:
            found.append(self._loss_tracker)
            if self.compiled_loss.built:
                found.extend(self.compiled_loss.metrics)
            if self.compiled_metrics.built:
                found.extend(self.compiled_metrics.metrics)
        for module in self.modules():
            for metric in module.__dict__.get("_tracked_metrics", ()):
                if all(m is not metric for m in found):
                    found.append(metric)
        return found

    @property
    def loss(self):
        """compile's ``loss`` argument (None before compile). Setting it recompiles the loss alone."""
        return None if self.compiled_loss is None else self.compiled_loss.loss

    @loss.setter
    def loss(self, value):
        trainer = self._get_trainer()
        trainer.set_loss(value)

    def _set_compiled_state(self, optimizer, compiled_loss, compiled_metrics, loss_tracker, run_eagerly,
                            jit_compile, compiled=True):
        """Set what compile configures (called by the trainer's compile)."""
        state = {"optimizer": optimizer, "compiled_loss": compiled_loss, "compiled_metrics": compiled_metrics,
                 "_loss_tracker": loss_tracker, "run_eagerly": run_eagerly, "jit_compile": jit_compile,
                 "compiled": compiled}
        for name, value in state.items():
            object.__setattr__(self, name, value)

    # ---- configuration ---------------------------------------------------------------------------------------

    def get_config(self):
        """The constructor arguments of a subclassed model when they are plain values (numbers, strings, lists,
        dicts of them), with ``name``, ``trainable`` and ``dtype``. Override it (and ``from_config``) otherwise."""
        import inspect
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        args, kwargs = getattr(self, "_constructor_arguments", ((), {}))
        try:
            bound = inspect.signature(type(self).__init__).bind(self, *args, **kwargs).arguments
        except TypeError:
            return config
        for key, value in list(bound.items())[1:]:
            if _is_plain(value):
                if isinstance(value, dict) and key in inspect.signature(type(self).__init__).parameters and \
                        inspect.signature(type(self).__init__).parameters[key].kind == \
                        inspect.Parameter.VAR_KEYWORD:
                    config.update(value)
                else:
                    config[key] = value
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from ``get_config()``'s dict: a functional config rebuilds the graph; otherwise the class is
        called with the config's entries that its constructor accepts."""
        import inspect
        from kerastorch.models.functional import Functional
        config = dict(config)
        if "layers" in config and "output_layers" in config and (cls is Model or issubclass(cls, Functional)):
            return Functional.from_config(config, custom_objects=custom_objects)
        if "dtype" in config:
            config["dtype"] = serialization.dtype_name(config["dtype"])
        parameters = inspect.signature(cls.__init__).parameters
        if not any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
            config = {k: v for k, v in config.items() if k in parameters}
        model = cls(**config)
        return model

    def get_compile_config(self):
        """How the model was compiled, in Keras 3's serialized form (empty when it was not)."""
        if not self.compiled or not hasattr(self, "_compile_arguments"):
            return {}
        arguments = self._compile_arguments
        return {"optimizer": serialization.serialize_keras_object(self.optimizer),
                "loss": _serialize_spec(arguments["loss"]),
                "loss_weights": arguments["loss_weights"],
                "metrics": _serialize_spec(arguments["metrics"]),
                "weighted_metrics": _serialize_spec(arguments["weighted_metrics"]),
                "run_eagerly": arguments["run_eagerly"],
                "steps_per_execution": arguments["steps_per_execution"],
                "jit_compile": arguments["jit_compile"]}

    def compile_from_config(self, config, custom_objects=None):
        """Compile as ``get_compile_config()`` describes; the optimizer is built when the model is."""
        config = dict(config)
        optimizer = config.pop("optimizer", "rmsprop")
        if isinstance(optimizer, dict):
            optimizer = serialization.deserialize_keras_object(optimizer, custom_objects, package="optimizers")
        loss = _deserialize_spec(config.pop("loss", None), custom_objects, "losses")
        metrics = _deserialize_spec(config.pop("metrics", None), custom_objects, "metrics")
        weighted = _deserialize_spec(config.pop("weighted_metrics", None), custom_objects, "metrics")
        known = ("loss_weights", "run_eagerly", "steps_per_execution", "jit_compile")
        self.compile(optimizer=optimizer, loss=loss, metrics=metrics, weighted_metrics=weighted,
                     **{k: v for k, v in config.items() if k in known})
        # As Keras does, so that optimizer state can be loaded (or cloned into) before any training step.
        trainable = [w for w in self.trainable_weights if w.requires_grad] if self.built else []
        if trainable and not self.optimizer.built:
            self.optimizer.build(trainable)

    def get_build_config(self):
        # Written only when the shapes it was built for are known, as for every layer.
        return {"input_shape": self._build_shapes} if self.built and self._build_shapes is not None else None

    def build_from_config(self, config):
        shape = config.get("input_shape") if isinstance(config, dict) else None
        if shape is not None:
            self.build(shape)

    # ---- saving: kerastorch.saving does the work --------------------------------------------------------------

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the model (config, weights, optimizer state) as a ``.keras`` file, or (``.h5``) in Keras 2's legacy
        layout; Keras 3 loads both."""
        from kerastorch import saving
        if zipped is not None:
            kwargs["zipped"] = zipped
        saving.save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights to ``.weights.safetensors``, ``.weights.h5`` (Keras 3's layout; needs h5py) or another
        ``.h5`` name (Keras 2's layout)."""
        from kerastorch import saving
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights from ``.weights.safetensors``, ``.weights.h5``, ``.keras`` or Keras 2 ``.h5`` files."""
        from kerastorch import saving
        by_name = kwargs.pop("by_name", None)
        if kwargs:
            raise ValueError(f"Invalid keyword arguments: {list(kwargs)}")
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    def to_json(self, **kwargs):
        """The model's config (Keras 3's schema) as a JSON string; ``model_from_json`` rebuilds the model."""
        from kerastorch import saving
        return saving.model_to_json(self, **kwargs)


def _is_plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _serialize_spec(spec):
    """A loss or metric argument of compile() as Keras writes it: names stay names, objects become configs."""
    if spec is None or isinstance(spec, (str, int, float)):
        return spec
    if isinstance(spec, (list, tuple)):
        return [_serialize_spec(s) for s in spec]
    if isinstance(spec, dict):
        return {k: _serialize_spec(v) for k, v in spec.items()}
    return serialization.serialize_keras_object(spec)


def _deserialize_spec(spec, custom_objects, kind):
    if isinstance(spec, list):
        return [_deserialize_spec(s, custom_objects, kind) for s in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _deserialize_spec(v, custom_objects, kind) for k, v in spec.items()}
    if isinstance(spec, dict):
        return serialization.deserialize_keras_object(spec, custom_objects, package=kind)
    return spec
