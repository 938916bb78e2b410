"""Records what Keras 3's `keras.utils.model_to_dot` draws for small models: tests/golden/utils/plot_model.json.

    /work/kvenv/bin/python tools/golden_plot_model.py      (KERAS_BACKEND=torch is set here; needs pydot)

For each model in MODELS and each set of options in OPTIONS: the labels of the nodes (Graphviz HTML-like tables),
the edges as (source label, destination label), the graph's attributes and the names of its clusters. Node ids
are Python object ids in Keras, so edges are recorded by label. tests/utils/test_plot_model.py builds the same
models with kerastorch and compares.
"""
import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "torch")
OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "utils" / "plot_model.json"

# Each snippet builds `model` from `keras`.
MODELS = {
    "functional_nested": """
a = keras.Input((5,), name="a")
b = keras.Input((3,), name="b")
h = keras.layers.concatenate([keras.layers.Dense(4, activation="tanh", name="d1")(a), b], name="cat")
inner = keras.Sequential([keras.Input((7,)), keras.layers.Dense(3, name="i1"),
                          keras.layers.Dense(2, activation="softmax", name="i2")], name="inner")
inner.layers[0].trainable = False
model = keras.Model([a, b], inner(h), name="two")
""",
    "sequential": """
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu", name="s1"),
                          keras.layers.BatchNormalization(name="bn"), keras.layers.Dropout(0.1, name="drop")],
                         name="seq")
""",
    "convnet": """
inputs = keras.Input((8, 8, 3), name="image")
x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
x = keras.layers.MaxPooling2D(name="pool")(x)
shortcut = keras.layers.Conv2D(4, 4, strides=2, padding="valid", name="shortcut")(inputs)
x = keras.layers.Add(name="add")([x, keras.layers.Cropping2D(((0, 0), (0, 0)), name="crop")(shortcut)])
outputs = keras.layers.Dense(2, name="head")(keras.layers.GlobalAveragePooling2D(name="gap")(x))
model = keras.Model(inputs, outputs, name="convnet")
""",
}
OPTIONS = [
    {},
    {"show_shapes": True, "show_dtype": True, "show_layer_activations": True, "show_trainable": True},
    {"show_layer_names": False, "rankdir": "LR", "dpi": 96},
    {"expand_nested": True, "show_shapes": True},
]


def build(keras, name):
    keras.utils.set_random_seed(0)
    scope = {"keras": keras}
    exec(MODELS[name], scope)
    return scope["model"]


def describe(dot):
    """Labels, edges (by label), graph attributes and cluster names of a pydot graph and its clusters."""
    labels = {}

    def nodes(graph):
        for node in graph.get_nodes():
            if node.get_name() not in ("node", "graph", "edge"):
                labels[node.get_name()] = node.get_label()
        for sub in graph.get_subgraphs():
            nodes(sub)

    edges = []

    def collect(graph):
        for edge in graph.get_edges():
            edges.append([labels.get(edge.get_source()), labels.get(edge.get_destination())])
        for sub in graph.get_subgraphs():
            collect(sub)

    nodes(dot)
    collect(dot)
    return {"labels": sorted(labels.values()), "edges": sorted(edges), "graph": dict(dot.get_attributes()),
            "clusters": [sub.get_name() for sub in dot.get_subgraphs()]}


def main():
    import keras
    cases = {}
    for name in MODELS:
        for options in OPTIONS:
            dot = keras.utils.model_to_dot(build(keras, name), **options)
            cases[f"{name} {json.dumps(options, sort_keys=True)}"] = {"model": name, "options": options,
                                                                      **describe(dot)}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"keras_version": keras.__version__, "sources": MODELS, "cases": cases}, indent=1)
                   + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
