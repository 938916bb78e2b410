"""Writes the fixtures of the functional API from real Keras 3 (torch backend), for tests/models/.

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_functional.py

tests/golden/layers/merging.npz: for each merging-layer case (see MERGE_CASES): `x<i>/<id>` the inputs and `y/<id>`
    Keras's output; `cases` is a JSON list of {"id", "layer", "kwargs", "shapes", "output_shape", "config"}.
tests/golden/models/functional.json: for each snippet in GRAPH_CASES (run with `keras` bound to Keras here, and to
    kerastorch by the tests): the summary text (COLUMNS=80), `model.layers` names, and the structure of
    get_config(): each entry's name, class_name, module, registered_name and inbound_nodes, and the
    input_layers/output_layers. For each snippet in TRAINING_CASES: the History keys of a fit with
    validation_split, evaluate(return_dict=True)'s keys, the length of evaluate's list, the names of the values in
    that list (matched by value to the dict) and the shapes predict returns. `subclassed_summary`: the summary of
    a subclassed three-layer model after fit.
"""
import contextlib
import io
import json
import os
import pathlib
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ["COLUMNS"] = "80"

import keras  # noqa: E402
import numpy as np  # noqa: E402

GOLDEN = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden"

MERGE_CASES = [
    ("add_two", "Add", {}, [(2, 3, 4), (2, 3, 4)]),
    ("add_three", "Add", {}, [(2, 5), (2, 5), (2, 5)]),
    ("add_broadcast_axis", "Add", {}, [(2, 3, 4), (2, 1, 4)]),
    ("add_lower_rank", "Add", {}, [(2, 4), (2, 3, 4)]),
    ("subtract", "Subtract", {}, [(3, 4), (3, 4)]),
    ("multiply", "Multiply", {}, [(2, 3, 4), (2, 3, 4), (2, 3, 4)]),
    ("average", "Average", {}, [(2, 6), (2, 6), (2, 6)]),
    ("maximum", "Maximum", {}, [(2, 3, 4), (2, 3, 4)]),
    ("minimum", "Minimum", {}, [(2, 7), (2, 7)]),
    ("concatenate_last", "Concatenate", {}, [(2, 3, 4), (2, 3, 2)]),
    ("concatenate_axis1", "Concatenate", {"axis": 1}, [(2, 3, 4), (2, 5, 4)]),
    ("dot_vectors", "Dot", {"axes": 1}, [(3, 5), (3, 5)]),
    ("dot_vectors_normalized", "Dot", {"axes": 1, "normalize": True}, [(3, 5), (3, 5)]),
    ("dot_axes_pair", "Dot", {"axes": [1, 2]}, [(2, 3, 5), (2, 4, 3)]),
    ("dot_last_axes_normalized", "Dot", {"axes": -1, "normalize": True}, [(2, 4, 6), (2, 7, 6)]),
    ("dot_vector_matrix", "Dot", {"axes": [1, 1]}, [(2, 4), (2, 4, 3)]),
]

RESIDUAL_MLP = """
inputs = keras.Input((16,), name="features")
x = keras.layers.Dense(16, activation="relu")(inputs)
residual = x
x = keras.layers.Dense(16, activation="relu")(x)
x += residual
outputs = keras.layers.Dense(1)(x)
model = keras.Model(inputs, outputs, name="residual_mlp")
"""

TICKET_ROUTER = """
title = keras.Input((6,), name="title")
body = keras.Input((10,), name="body")
merged = keras.layers.concatenate([keras.layers.Dense(4, name="title_dense")(title),
                                   keras.layers.Dense(4, name="body_dense")(body)])
hidden = keras.layers.Dense(8, activation="relu", name="hidden")(merged)
priority = keras.layers.Dense(1, name="priority")(hidden)
department = keras.layers.Dense(3, activation="softmax", name="department")(hidden)
model = keras.Model({"title": title, "body": body}, {"priority": priority, "department": department},
                    name="ticket_router")
"""

THREE_LAYERS = """
class ThreeLayers(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = keras.layers.Dense(16, activation="relu")
        self.hidden2 = keras.layers.Dense(8, activation="relu")
        self.classifier = keras.layers.Dense(3, activation="softmax")

    def call(self, inputs, training=None):
        return self.classifier(self.hidden2(self.hidden1(inputs)))

model = ThreeLayers(name="three_layers")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
"""

GRAPH_CASES = {
    "residual_mlp": RESIDUAL_MLP,
    "two_inputs_two_outputs": TICKET_ROUTER,
    "operations": """
inputs = keras.Input((4,), name="x")
h = keras.layers.Dense(4, name="dense")(inputs)
doubled = h * 2
shifted = 1.0 - doubled
scaled = -shifted / 2
first = scaled[:, 0]
pair = keras.layers.Add(name="sum")([h, scaled])
model = keras.Model(inputs, [pair, first], name="ops")
""",
    "shared_and_nested": """
inner_in = keras.Input((5,), name="inner_in")
inner = keras.Model(inner_in, keras.layers.Dense(5, activation="tanh", name="inner_dense")(inner_in),
                    name="inner")
a = keras.Input((5,), name="a")
b = keras.Input((5,), name="b")
shared = keras.layers.Dense(5, name="shared")
left = inner(shared(a))
right = shared(b)
merged = keras.layers.Average(name="mean")([left, right, inner(right)])
model = keras.Model([a, b], keras.layers.Dense(2, name="head")(merged), name="shared_nested")
""",
    "merging_zoo": """
a = keras.Input((3, 4), name="a")
b = keras.Input((3, 4), name="b")
parts = [keras.layers.Subtract()([a, b]), keras.layers.Multiply()([a, b]), keras.layers.Maximum()([a, b]),
         keras.layers.Minimum()([a, b])]
cat = keras.layers.Concatenate(axis=1)(parts)
dot = keras.layers.Dot(axes=(2, 2), normalize=True)([cat, a])
model = keras.Model([a, b], keras.layers.Flatten()(dot), name="zoo")
""",
}

TRAINING_CASES = {
    "residual_mlp": (RESIDUAL_MLP + """
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
x_data = np.random.RandomState(0).rand(64, 16).astype("float32")
y_data = x_data.sum(axis=1, keepdims=True)
""", "single"),
    "two_inputs_two_outputs": (TICKET_ROUTER + """
model.compile(optimizer="rmsprop",
              loss={"priority": "mse", "department": "sparse_categorical_crossentropy"},
              loss_weights={"priority": 1.0, "department": 0.2},
              metrics={"priority": ["mae"], "department": ["accuracy"]})
rng = np.random.RandomState(0)
x_data = {"title": rng.rand(40, 6).astype("float32"), "body": rng.rand(40, 10).astype("float32")}
y_data = {"priority": rng.rand(40, 1).astype("float32"), "department": rng.randint(0, 3, 40)}
""", "dict"),
    "two_outputs_list": ("""
inputs = keras.Input((5,), name="inputs")
hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
score = keras.layers.Dense(1, name="score")(hidden)
label = keras.layers.Dense(2, activation="softmax", name="label")(hidden)
model = keras.Model(inputs, [score, label], name="two_heads")
model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[0.5, 1.0],
              metrics=[["mae"], ["accuracy"]])
rng = np.random.RandomState(0)
x_data = rng.rand(40, 5).astype("float32")
y_data = [rng.rand(40, 1).astype("float32"), rng.randint(0, 2, 40)]
""", "list"),
    "subclassed": (THREE_LAYERS + """
rng = np.random.RandomState(0)
x_data = rng.rand(48, 10).astype("float32")
y_data = rng.randint(0, 3, 48)
""", "single"),
}

SUBCLASSED_SUMMARY = THREE_LAYERS + """
model.fit(np.random.rand(48, 10).astype("float32"), np.random.randint(0, 3, 48), batch_size=16, verbose=0)
"""


def run(source):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    scope = {"keras": keras, "np": np}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(source, scope)
    return scope


def summary_text(model):
    lines = []
    model.summary(print_fn=lambda text, line_break=True: lines.append(text))
    return "\n".join(lines)


def config_structure(model):
    config = model.get_config()
    entries = [{key: entry.get(key) for key in ("name", "class_name", "module", "registered_name", "inbound_nodes")}
               for entry in config["layers"]]
    return {"layers": entries, "input_layers": config["input_layers"], "output_layers": config["output_layers"]}


def shapes(value):
    if isinstance(value, dict):
        return {k: list(v.shape) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [list(v.shape) for v in value]
    return list(value.shape)


def training_record(source):
    scope = run(source)
    model, x_data, y_data = scope["model"], scope["x_data"], scope["y_data"]
    with contextlib.redirect_stdout(io.StringIO()):
        history = model.fit(x_data, y_data, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
        logs = model.evaluate(x_data, y_data, verbose=0, return_dict=True)
        values = model.evaluate(x_data, y_data, verbose=0)
        predictions = model.predict(x_data, verbose=0)
    values = values if isinstance(values, list) else [values]
    names = [min(logs, key=lambda k: abs(logs[k] - v)) for v in values]
    return {"history_keys": list(history.history), "evaluate_keys": list(logs), "evaluate_list_names": names,
            "predict_shapes": shapes(predictions), "predict_type": type(predictions).__name__,
            "predict_keys": list(predictions) if isinstance(predictions, dict) else None}


def merging_fixtures():
    rng = np.random.RandomState(0)
    arrays, cases = {}, []
    for case_id, layer_name, kwargs, input_shapes in MERGE_CASES:
        keras.backend.clear_session()
        layer = getattr(keras.layers, layer_name)(**kwargs)
        inputs = [rng.uniform(-1, 1, shape).astype("float32") for shape in input_shapes]
        output = keras.ops.convert_to_numpy(layer(inputs))
        symbolic = layer.compute_output_shape([(None,) + s[1:] for s in input_shapes])
        for i, x in enumerate(inputs):
            arrays[f"x{i}/{case_id}"] = x
        arrays[f"y/{case_id}"] = output
        config = {k: v for k, v in layer.get_config().items() if k not in ("name", "dtype", "trainable")}
        cases.append({"id": case_id, "layer": layer_name, "kwargs": kwargs, "shapes": input_shapes,
                      "output_shape": list(symbolic), "config": config})
    arrays["cases"] = np.array(json.dumps(cases))
    np.savez(GOLDEN / "layers" / "merging.npz", **arrays)


def main():
    merging_fixtures()
    graphs = {}
    for name, source in GRAPH_CASES.items():
        model = run(source)["model"]
        graphs[name] = {"source": source.strip() + "\n", "summary": summary_text(model),
                        "layers": [layer.name for layer in model.layers], "config": config_structure(model)}
    training = {name: {"source": source.strip() + "\n", "kind": kind, **training_record(source)}
                for name, (source, kind) in TRAINING_CASES.items()}
    subclassed = {"source": SUBCLASSED_SUMMARY.strip() + "\n",
                  "summary": summary_text(run(SUBCLASSED_SUMMARY)["model"])}
    out = GOLDEN / "models" / "functional.json"
    out.write_text(json.dumps({"keras_version": keras.__version__, "graphs": graphs, "training": training,
                               "subclassed_summary": subclassed},
                              indent=1) + "\n")
    print(f"wrote {out} and {GOLDEN / 'layers' / 'merging.npz'}")


if __name__ == "__main__":
    main()
