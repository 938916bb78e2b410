"""The Keras-API implementations: kerastorch (eager, or ``jit_compile=True``), Keras 3 on torch and tf.keras.

They share this code, so all three build the workload's model with the same layer calls and run the same
``compile``/``fit``/``predict``; only the module imported as ``keras`` differs (for Keras 3, KERAS_BACKEND is set
by the parent before the child starts).
"""
import time

from benchmarks import keras_blocks
from benchmarks import workloads as w


def import_keras(impl_name):
    if impl_name.startswith("kerastorch"):
        import kerastorch as keras
    else:
        import keras
    return keras


def _backend(impl_name):
    return "tensorflow" if impl_name == "tf-keras" else "torch"


def set_threads(impl_name, threads):
    """The same number of compute threads for every implementation (set before any op runs)."""
    if _backend(impl_name) == "tensorflow":
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    else:
        import torch
        torch.set_num_threads(threads)


def versions(impl_name, keras):
    found = {"keras" if not impl_name.startswith("kerastorch") else "kerastorch": keras.__version__}
    if _backend(impl_name) == "tensorflow":
        import tensorflow as tf
        found["tensorflow"] = tf.__version__
    else:
        import torch
        found["torch"] = torch.__version__
    return found


def _keras_layer(keras, layer, output_dtype=None):
    """One plain layer spec as a Keras layer. ``output_dtype`` keeps the softmax in float32 under mixed precision."""
    layers = keras.layers
    if isinstance(layer, w.Dense):
        extra = {"dtype": output_dtype} if output_dtype else {}
        return layers.Dense(layer.units, activation=layer.activation, **extra)
    if isinstance(layer, w.Conv):
        return layers.Conv2D(layer.filters, layer.kernel, activation=layer.activation, padding=layer.padding)
    if isinstance(layer, w.MaxPool):
        return layers.MaxPooling2D(layer.size)
    if isinstance(layer, w.Flatten):
        return layers.Flatten()
    if isinstance(layer, w.GlobalAvgPool):
        return layers.GlobalAveragePooling2D()
    if isinstance(layer, w.GlobalAvgPool1D):
        return layers.GlobalAveragePooling1D()
    if isinstance(layer, w.Embedding):
        return layers.Embedding(layer.input_dim, layer.output_dim)
    if isinstance(layer, w.LSTM):
        return layers.LSTM(layer.units)
    raise ValueError(f"Not a plain layer spec: {layer!r}")


def _conv_bn(keras, x, filters, kernel, strides):
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    return keras.layers.BatchNormalization()(x)


def _apply(keras, layer, x, output_dtype):
    """Apply one layer spec to a symbolic tensor (functional API), expanding the ResNet blocks."""
    layers = keras.layers
    if isinstance(layer, w.ConvBNReLU):
        return layers.Activation("relu")(_conv_bn(keras, x, layer.filters, layer.kernel, layer.strides))
    if isinstance(layer, w.Residual):
        shortcut = x
        y = layers.Activation("relu")(_conv_bn(keras, x, layer.filters, 3, layer.strides))
        y = _conv_bn(keras, y, layer.filters, 3, 1)
        if layer.strides != 1 or x.shape[-1] != layer.filters:
            shortcut = _conv_bn(keras, x, layer.filters, 1, layer.strides)
        return layers.Activation("relu")(layers.Add()([y, shortcut]))
    if isinstance(layer, w.TokenAndPosition):
        return keras_blocks.token_and_position_embedding(keras)(layer.vocab, layer.steps, layer.dim)(x)
    if isinstance(layer, w.TransformerBlock):
        return keras_blocks.transformer_block(keras, x, layer.num_heads, layer.key_dim, layer.ff_dim, layer.dropout)
    return _keras_layer(keras, layer, output_dtype)(x)


def build_model(keras, workload):
    """The workload's model in ``keras``; returns (model, where it came from)."""
    if workload.application:
        applications = getattr(keras, "applications", None)
        application = getattr(applications, workload.application, None) if applications is not None else None
        if application is not None:
            return (application(weights=None, classes=workload.classes),
                    f"{keras.__name__}.applications.{workload.application}")
    output_dtype = "float32" if workload.mixed_precision else None
    last = len(workload.layers) - 1
    if workload.is_sequential:
        model = keras.Sequential([keras.Input(workload.input_shape, dtype=workload.input_dtype)] + [
            _keras_layer(keras, layer, output_dtype if i == last else None) for i, layer in enumerate(workload.layers)])
        return model, "Sequential from the workload's layer specs"
    inputs = keras.Input(workload.input_shape, dtype=workload.input_dtype)
    x = inputs
    for i, layer in enumerate(workload.layers):
        x = _apply(keras, layer, x, output_dtype if i == last else None)
    return keras.Model(inputs, x), "functional model from the workload's layer specs"


def run(workload, data, weights, options):
    """Build, compile and fit (or predict) the workload; returns the timings and the final logs.

    Args:
        workload: a Workload.
        data: {"x": ..., "y": ...} numpy arrays.
        weights: the initial weights in Keras's order, or None for the library's own initialisation.
        options: {"impl", "threads", "epochs", "calls", "seed"}.
    """
    impl = options["impl"]
    set_threads(impl, options["threads"])
    keras = import_keras(impl)
    keras.utils.set_random_seed(options["seed"])
    if workload.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    model, source = build_model(keras, workload)
    if weights is not None:
        model.set_weights(weights)
    result = {"model_source": source, "versions": versions(impl, keras), "params": int(model.count_params())}
    synchronize = _synchronizer(impl)

    if workload.task == "predict":
        result.update(_time_predict(model, data["x"], workload.batch_size, options["calls"], synchronize))
        return result

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss=workload.loss,
                  metrics=["accuracy"], jit_compile=True if impl == "kerastorch-jit" else "auto")
    timer = _epoch_timer(keras, synchronize)
    history = model.fit(data["x"], data["y"], batch_size=workload.batch_size, epochs=options["epochs"], verbose=0,
                        shuffle=True, callbacks=[timer])
    result.update(epoch_times=timer.times, epoch_cpu_times=timer.cpu_times, loss=float(history.history["loss"][-1]),
                  accuracy=float(history.history["accuracy"][-1]))
    jit = getattr(model, "jit_compile", None)
    if jit is not None:
        result["jit_compile"] = jit
    return result


def _synchronizer(impl):
    """A function that waits for queued GPU work, so that a timer's stop includes it (no-op on the CPU)."""
    if _backend(impl) == "torch":
        import torch
        if torch.cuda.is_available():
            return torch.cuda.synchronize
    return lambda: None


def _epoch_timer(keras, synchronize):
    class EpochTimer(keras.callbacks.Callback):
        """Seconds of each epoch, from on_epoch_begin to on_epoch_end: wall clock, and this process's CPU time
        (all its threads), which load from other work on the machine disturbs less."""

        def __init__(self):
            super().__init__()
            self.times, self.cpu_times = [], []

        def on_epoch_begin(self, epoch, logs=None):
            synchronize()
            self._start, self._cpu_start = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            synchronize()
            self.times.append(time.perf_counter() - self._start)
            self.cpu_times.append(time.process_time() - self._cpu_start)

    return EpochTimer()


def _time_predict(model, x, batch_size, calls, synchronize):
    start = time.perf_counter()
    model.predict(x, batch_size=batch_size, verbose=0)   # warm-up: first-call allocation, tracing
    synchronize()
    warmup = time.perf_counter() - start
    times, cpu_times = [], []
    for _ in range(calls):
        start, cpu_start = time.perf_counter(), time.process_time()
        out = model.predict(x, batch_size=batch_size, verbose=0)
        synchronize()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    return {"call_times": times, "call_cpu_times": cpu_times, "warmup_time": warmup, "output_shape": list(out.shape)}
