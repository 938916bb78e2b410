"""Record what Keras 3 does in five corners where kerastorch differed, for tests/reliability/test_parity_gaps.py.

Run by hand with Keras installed:  KERAS_BACKEND=torch COLUMNS=80 python tools/golden_parity_gaps.py

- clone_model of a compiled model: is the clone compiled, with which optimizer/loss objects, built or not;
- summary() of models never built (printed, not refused);
- the same layer instance twice in a Sequential: summary, weights, a call, a fit step, the config;
- Input(4) and other non-tuple shapes: the error;
- saving a model that is not built: the warning, and what load_model gives back.
Each case is a snippet run with a module bound to the name `keras`; the test runs the same snippet on kerastorch.
"""
import contextlib
import io
import json
import os
import pathlib
import tempfile
import warnings
import zipfile

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ["COLUMNS"] = "80"

import numpy as np  # noqa: E402

import keras  # noqa: E402

# A subclassed model used by several cases; the test defines the same class on kerastorch.
SUBCLASS = """
class Sub(keras.Model):
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.d = keras.layers.Dense(units, name='d')

    def call(self, x):
        return self.d(x)

    def get_config(self):
        return {'units': self.units, **super().get_config()}
"""

CLONE_CASES = {
    "sequential_objects": """
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss=keras.losses.MeanSquaredError(),
              metrics=['mae', keras.metrics.RootMeanSquaredError()])
""",
    "sequential_trained": """
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss='mse', metrics=['mae'])
model.fit(np.ones((4, 3), 'float32'), np.ones((4, 2), 'float32'), verbose=0)
""",
    "functional_strings": """
inputs = keras.Input((3,))
model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
model.compile('sgd', 'mse', metrics=['mae'])
""",
    "sequential_uncompiled": """
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
""",
    "subclass_unbuilt": SUBCLASS + """
model = Sub()
model.compile('sgd', 'mse')
""",
    "subclass_built": SUBCLASS + """
model = Sub()
model(np.ones((2, 3), 'float32'))
model.compile('sgd', 'mse')
""",
}

SUMMARY_CASES = {
    "sequential_unbuilt": """
model = keras.Sequential([keras.layers.Dense(2, name='dense')], name='unbuilt')
""",
    "sequential_empty": """
model = keras.Sequential(name='empty')
""",
    "sequential_unbuilt_two_layers": """
model = keras.Sequential([keras.layers.Dense(4, name='first'), keras.layers.Dense(2, name='second')],
                         name='two')
""",
    "subclass_unbuilt": SUBCLASS + """
model = Sub(name='sub')
""",
}

SHARED = """
shared = keras.layers.Dense(3, kernel_initializer='ones', bias_initializer='ones', name='shared')
model = keras.Sequential([keras.Input((3,)), shared, shared], name='twice')
"""

INPUT_CASES = {
    "int": "keras.Input(4)",
    "float": "keras.Input(4.0)",
    "str": "keras.Input('4')",
    "shape_int": "keras.Input(shape=4)",
    "batch_shape_int": "keras.Input(batch_shape=4)",
    "input_layer_shape_int": "keras.layers.InputLayer(shape=4)",
    "input_layer_batch_shape_int": "keras.layers.InputLayer(batch_shape=4)",
    "tuple": "keras.Input((4,))",
    "list": "keras.Input([4])",
}

SAVE_CASES = {
    "sequential": """
model = keras.Sequential([keras.layers.Dense(2)])
""",
    "sequential_compiled": """
model = keras.Sequential([keras.layers.Dense(2)])
model.compile('adam', 'mse')
""",
    "sequential_empty": """
model = keras.Sequential()
""",
    "subclass": SUBCLASS + """
model = Sub()
""",
}


def run(source):
    keras.backend.clear_session()
    scope = {"keras": keras, "np": np}
    exec(source, scope)
    return scope


def summary_of(model):
    lines = []
    model.summary(print_fn=lambda text, line_break=True: lines.append(text))
    return "\n".join(lines)


def to_list(tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor)).tolist()


def clone_record(source):
    scope = run(source)
    model = scope["model"]
    clone = keras.models.clone_model(model)
    record = {"compiled": bool(clone.compiled), "has_optimizer_attribute": hasattr(clone, "optimizer")}
    if not clone.compiled:
        return record
    optimizer = clone.optimizer
    record.update({
        "optimizer_class": type(optimizer).__name__,
        "optimizer_is_original": optimizer is model.optimizer,
        "learning_rate": float(keras.ops.convert_to_numpy(optimizer.learning_rate)),
        "optimizer_built": bool(optimizer.built),
        "optimizer_iterations": int(keras.ops.convert_to_numpy(optimizer.iterations)),
        "loss_is_original": clone.loss is model.loss,
        "loss_is_string": isinstance(clone.loss, str),
        "loss_class": type(clone.loss).__name__,
        "compile_config_matches_original": clone.get_compile_config() == model.get_compile_config(),
    })
    x = np.ones((4, 3), "float32")
    history = clone.fit(x, np.ones((4, 2), "float32"), verbose=0)
    record["fit_history_keys"] = sorted(history.history)
    return record


def shared_record():
    scope = run(SHARED)
    model, shared = scope["model"], scope["shared"]
    config = model.get_config()
    record = {
        "summary": summary_of(model),
        "layers": [layer.name for layer in model.layers],
        "layers_are_one_instance": model.layers[0] is model.layers[1] is shared,
        "weights": len(model.weights),
        "get_weights": len(model.get_weights()),
        "call": to_list(model(np.ones((1, 3), "float32"))),
        "config_layer_names": [entry["config"]["name"] for entry in config["layers"]],
    }
    rebuilt = keras.Sequential.from_config(config)
    record["from_config_layers"] = [layer.name for layer in rebuilt.layers]
    record["from_config_call"] = to_list(rebuilt(np.ones((1, 3), "float32")))
    model.compile(keras.optimizers.SGD(0.01), "mse")
    history = model.fit(np.ones((4, 3), "float32"), np.zeros((4, 3), "float32"), epochs=1, verbose=0)
    record["fit_loss"] = history.history["loss"]
    record["kernel_after_fit"] = to_list(shared.kernel)
    record["bias_after_fit"] = to_list(shared.bias)
    keras.backend.clear_session()
    unbuilt = keras.layers.Dense(3)
    record["unbuilt_twice_layers"] = len(keras.Sequential([unbuilt, unbuilt]).layers)
    return record


def input_record(expression):
    keras.backend.clear_session()
    try:
        result = eval(expression, {"keras": keras})
    except Exception as error:  # noqa: BLE001 - recording whatever Keras raises
        return {"error": type(error).__name__, "message": str(error)}
    shape = result.shape if hasattr(result, "shape") else result.batch_shape
    return {"shape": list(shape)}


def save_record(source):
    scope = run(source)
    model = scope["model"]
    path = os.path.join(tempfile.mkdtemp(), "model.keras")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.save(path)
    record = {"warnings": [[w.category.__name__, str(w.message)] for w in caught
                           if issubclass(w.category, UserWarning)]}
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        record["members"] = sorted(archive.namelist())
    record["build_config"] = config.get("build_config")
    record["has_compile_config"] = bool(config.get("compile_config"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = keras.models.load_model(path, custom_objects={"Sub": scope.get("Sub")} if "Sub" in scope else None)
    record["load_warnings"] = [[w.category.__name__, str(w.message)] for w in caught
                               if issubclass(w.category, UserWarning)]
    record.update({"loaded_class": type(loaded).__name__, "loaded_built": bool(loaded.built),
                   "loaded_weights": len(loaded.weights), "loaded_compiled": bool(loaded.compiled),
                   "loaded_layer_classes": [type(layer).__name__ for layer in loaded.layers]})
    if loaded.layers:
        record["call_shape_after_load"] = list(loaded(np.ones((2, 3), "float32")).shape)
    return record


def main():
    with contextlib.redirect_stdout(io.StringIO()):
        record = {
            "keras_version": keras.__version__,
            "subclass_source": SUBCLASS.strip() + "\n",
            "clone": {name: {"source": src.strip() + "\n", **clone_record(src)} for name, src in CLONE_CASES.items()},
            "summary": {name: {"source": src.strip() + "\n", "summary": summary_of(run(src)["model"])}
                        for name, src in SUMMARY_CASES.items()},
            "shared": {"source": SHARED.strip() + "\n", **shared_record()},
            "input": {name: {"expression": expr, **input_record(expr)} for name, expr in INPUT_CASES.items()},
            "save_unbuilt": {name: {"source": src.strip() + "\n", **save_record(src)}
                             for name, src in SAVE_CASES.items()},
        }
    out = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "models" / "parity_gaps.json"
    out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
