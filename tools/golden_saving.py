"""Writes the saving fixtures from real Keras 3 (torch backend), for tests/saving/.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_saving.py

tests/golden/saving/
  keras3_functional.keras, keras3_functional.weights.h5: a functional model with Conv2D, BatchNormalization,
      Add, a nested Sequential, Dropout and Dense, trained one epoch with Adam (so the moving statistics and the
      optimizer state are not trivial), saved by Keras 3.
  keras2_full.h5, keras2_weights.h5: the same architecture and weights in Keras 2's legacy HDF5 layout. Keras 2
      cannot run here, so they are written with h5py from the format's documentation: root attributes
      `keras_version`, `backend`, `model_config` (the JSON of Keras 2's `{"class_name", "config"}` schema:
      layers with `inbound_nodes` as lists of `[layer, node_index, tensor_index, kwargs]`, initializers without
      `module`, dtypes as strings, a nested Sequential that starts with its InputLayer and is therefore referred
      to by node index 1) and `training_config`; a `model_weights` group whose `layer_names` attribute lists
      every layer, each layer group listing its `weight_names` (`conv2d/kernel:0`...) in Keras 2's order
      (trainable, then non-trainable weights) with the values as datasets at those paths. The weights file
      holds the same group at its root.
  keras3_lambda.keras: a model with a Lambda layer made from a Python lambda, saved by Keras 3.
  keras3_custom.keras: a model with a custom registered layer class `MyPackage>Scale`.
  saving.npz: `x` (the input), `y` (Keras's predictions of the model above), `x_custom`/`y_custom`.
  saving.json: the Keras version, the layer names and weight paths of the Keras 3 files, and the error text
      Keras gives for a Lambda loaded with safe_mode=True.
"""
import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "saving"


def conv_model():
    """The interop model: Conv2D, BatchNormalization, Add, a nested Sequential with Dropout, Dense."""
    inputs = keras.Input((8, 8, 3), name="image")
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv2d")(inputs)
    x = keras.layers.BatchNormalization(name="batch_normalization")(x)
    shortcut = keras.layers.Conv2D(4, 1, name="conv2d_1")(inputs)
    x = keras.layers.Add(name="add")([x, shortcut])
    x = keras.layers.Flatten(name="flatten")(x)
    head = keras.Sequential([keras.Input((256,), name="dense_input"),
                             keras.layers.Dense(8, activation="relu", name="dense"),
                             keras.layers.Dropout(0.5, name="dropout")], name="head")
    x = head(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="dense_1")(x)
    return keras.Model(inputs, outputs, name="interop")


def keras2_initializer(name):
    return {"class_name": name, "config": {"seed": None} if name.startswith("Glorot") else {}}


def keras2_dense(name, units, activation):
    return {"name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
            "use_bias": True, "kernel_initializer": keras2_initializer("GlorotUniform"),
            "bias_initializer": keras2_initializer("Zeros"), "kernel_regularizer": None, "bias_regularizer": None,
            "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}


def keras2_conv(name, filters, kernel, padding):
    return {"name": name, "trainable": True, "dtype": "float32", "filters": filters, "kernel_size": [kernel, kernel],
            "strides": [1, 1], "padding": padding, "data_format": "channels_last", "dilation_rate": [1, 1],
            "groups": 1, "activation": "linear", "use_bias": True,
            "kernel_initializer": keras2_initializer("GlorotUniform"), "bias_initializer": keras2_initializer("Zeros"),
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None}


def keras2_model_config():
    """The interop model's config as Keras 2 (tf.keras 2.x) writes it into an .h5 file."""
    def node(*sources):
        return [[[name, index, 0, {}] for name, index in sources]]

    bn = {"name": "batch_normalization", "trainable": True, "dtype": "float32", "axis": [3], "momentum": 0.99,
          "epsilon": 0.001, "center": True, "scale": True, "beta_initializer": keras2_initializer("Zeros"),
          "gamma_initializer": keras2_initializer("Ones"), "moving_mean_initializer": keras2_initializer("Zeros"),
          "moving_variance_initializer": keras2_initializer("Ones"), "beta_regularizer": None,
          "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None}
    head = {"name": "head", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 256], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "dense_input"}},
        {"class_name": "Dense", "config": keras2_dense("dense", 8, "relu")},
        {"class_name": "Dropout", "config": {"name": "dropout", "trainable": True, "dtype": "float32", "rate": 0.5,
                                             "noise_shape": None, "seed": None}}]}
    layers = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8, 8, 3], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "image"},
         "name": "image", "inbound_nodes": []},
        {"class_name": "Conv2D", "config": keras2_conv("conv2d", 4, 3, "same"), "name": "conv2d",
         "inbound_nodes": node(("image", 0))},
        {"class_name": "BatchNormalization", "config": bn, "name": "batch_normalization",
         "inbound_nodes": node(("conv2d", 0))},
        {"class_name": "Conv2D", "config": keras2_conv("conv2d_1", 4, 1, "valid"), "name": "conv2d_1",
         "inbound_nodes": node(("image", 0))},
        {"class_name": "Add", "config": {"name": "add", "trainable": True, "dtype": "float32"}, "name": "add",
         "inbound_nodes": node(("batch_normalization", 0), ("conv2d_1", 0))},
        {"class_name": "Flatten", "config": {"name": "flatten", "trainable": True, "dtype": "float32",
                                             "data_format": "channels_last"}, "name": "flatten",
         "inbound_nodes": node(("add", 0))},
        # A nested model built from an InputLayer keeps its own first node, so the outer graph counts from 1.
        {"class_name": "Sequential", "config": head, "name": "head", "inbound_nodes": node(("flatten", 0))},
        {"class_name": "Dense", "config": keras2_dense("dense_1", 3, "softmax"), "name": "dense_1",
         "inbound_nodes": node(("head", 1))},
    ]
    return {"class_name": "Functional", "config": {"name": "interop", "layers": layers,
                                                   "input_layers": [["image", 0, 0]],
                                                   "output_layers": [["dense_1", 0, 0]]}}


KERAS2_TRAINING_CONFIG = {
    "loss": "sparse_categorical_crossentropy",
    "metrics": [[{"class_name": "MeanMetricWrapper",
                  "config": {"name": "accuracy", "dtype": "float32", "fn": "sparse_categorical_accuracy"}}]],
    "weighted_metrics": None, "loss_weights": None,
    "optimizer_config": {"class_name": "Adam", "config": {
        "name": "Adam", "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
        "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None, "jit_compile": True,
        "is_legacy_optimizer": False, "learning_rate": 0.0010000000474974513, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-07, "amsgrad": False}},
}


def keras2_weight_groups(model):
    """``[(layer_name, [(weight_name, array)])]`` in the order of the layers, with Keras 2's weight names."""
    groups = []
    for layer in model.layers:
        weights = layer.trainable_weights + layer.non_trainable_weights
        names = []
        for w in weights:
            # Keras 2 named a variable "<layer that created it>/<weight>:0" (a nested model's layers by their own
            # names).
            owner = w.path.split("/")[-2]
            names.append(f"{owner}/{w.path.split('/')[-1]}:0")
        groups.append((layer.name, list(zip(names, [np.asarray(w.numpy()) for w in weights]))))
    return groups


def write_keras2_group(group, model):
    groups = keras2_weight_groups(model)
    group.attrs["layer_names"] = np.array([name.encode("utf8") for name, _ in groups])
    group.attrs["backend"] = b"tensorflow"
    group.attrs["keras_version"] = b"2.13.1"
    for layer_name, weights in sorted(groups):
        layer_group = group.create_group(layer_name)
        layer_group.attrs["weight_names"] = np.array([n.encode("utf8") for n, _ in weights], dtype="S")
        for weight_name, value in weights:
            layer_group.create_dataset(weight_name, data=value)


def h5_paths(path):
    found = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.append([name, list(obj.shape)]) if isinstance(obj, h5py.Dataset)
                     else None)
    return found


@keras.saving.register_keras_serializable(package="MyPackage")
class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(7)
    rng = np.random.RandomState(0)
    model = conv_model()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(rng.rand(32, 8, 8, 3).astype("float32"), rng.randint(0, 3, 32), epochs=1, batch_size=8, verbose=0)
    x = rng.rand(5, 8, 8, 3).astype("float32")
    y = model.predict(x, verbose=0)
    model.save(OUT / "keras3_functional.keras")
    model.save_weights(OUT / "keras3_functional.weights.h5")

    with h5py.File(OUT / "keras2_full.h5", "w") as f:
        f.attrs["keras_version"] = b"2.13.1"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(keras2_model_config()).encode("utf8")
        f.attrs["training_config"] = json.dumps(KERAS2_TRAINING_CONFIG).encode("utf8")
        write_keras2_group(f.create_group("model_weights"), model)
    with h5py.File(OUT / "keras2_weights.h5", "w") as f:
        write_keras2_group(f, model)

    keras.backend.clear_session()
    inputs = keras.Input((3,), name="values")
    outputs = keras.layers.Lambda(lambda v: v * 3.0 + 1.0, name="affine")(inputs)
    keras.Model(inputs, outputs).save(OUT / "keras3_lambda.keras")
    try:
        keras.models.load_model(OUT / "keras3_lambda.keras")
        lambda_error = None
    except ValueError as error:
        lambda_error = str(error)

    keras.backend.clear_session()
    keras.utils.set_random_seed(3)
    inputs = keras.Input((4,), name="values")
    hidden = Scale(0.5, name="scale")(keras.layers.Dense(3, name="dense")(inputs))
    custom = keras.Model(inputs, hidden, name="custom")
    x_custom = rng.rand(2, 4).astype("float32")
    y_custom = custom.predict(x_custom, verbose=0)
    custom.save(OUT / "keras3_custom.keras")

    np.savez(OUT / "saving.npz", x=x, y=y, x_custom=x_custom, y_custom=y_custom)
    summary = {
        "keras_version": keras.__version__,
        "layers": [layer.name for layer in model.layers],
        "weights_h5_paths": h5_paths(OUT / "keras3_functional.weights.h5"),
        "lambda_safe_mode_error": lambda_error,
    }
    (OUT / "saving.json").write_text(json.dumps(summary, indent=1) + "\n")
    for path in sorted(OUT.iterdir()):
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
