"""keras.utils.model_to_dot and plot_model: the graph Keras 3 draws (tests/golden/utils/plot_model.json, recorded by
tools/golden_plot_model.py), rendering with Graphviz, and clear errors when pydot or Graphviz is missing."""
import shutil
import sys

import numpy as np
import pytest

import kerastorch as keras
from kerastorch import layers
from golden_loader import golden_json

pydot = pytest.importorskip("pydot")
GOLDEN = golden_json("utils/plot_model.json")
needs_graphviz = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` program is not installed")


def build(name):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    scope = {"keras": keras}
    exec(GOLDEN["sources"][name], scope)
    return scope["model"]


def describe(dot):
    """What the golden file records of a graph: labels, edges by label, graph attributes, cluster names."""
    labels = {}

    def nodes(graph):
        for node in graph.get_nodes():
            if node.get_name() not in ("node", "graph", "edge"):
                labels[node.get_name()] = node.get_label()
        for sub in graph.get_subgraphs():
            nodes(sub)

    edges = []

    def collect(graph):
        edges.extend([labels.get(e.get_source()), labels.get(e.get_destination())] for e in graph.get_edges())
        for sub in graph.get_subgraphs():
            collect(sub)

    nodes(dot)
    collect(dot)
    return {"labels": sorted(labels.values()), "edges": sorted(edges), "graph": dict(dot.get_attributes()),
            "clusters": [sub.get_name() for sub in dot.get_subgraphs()]}


def small_model():
    inputs = keras.Input((4,), name="x")
    return keras.Model(inputs, layers.Dense(2, activation="relu", name="out")(inputs), name="small")


@pytest.mark.parametrize("case", sorted(GOLDEN["cases"]))
def test_model_to_dot_draws_what_keras_draws(case):
    recorded = GOLDEN["cases"][case]
    dot = keras.utils.model_to_dot(build(recorded["model"]), **recorded["options"])
    assert describe(dot) == {key: recorded[key] for key in ("labels", "edges", "graph", "clusters")}


def test_model_to_dot_source_names_every_layer():
    source = keras.utils.model_to_dot(build("convnet")).to_string()
    for name in ("image", "conv", "pool", "shortcut", "crop", "add", "gap", "head"):
        assert f"<b>{name}</b>" in source


def test_subclassed_model_is_one_node():
    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Net()
    model(np.zeros((1, 3), "float32"))
    labels = describe(keras.utils.model_to_dot(model))["labels"]
    assert len(labels) == 1 and "<b>net</b> (Net)" in labels[0]


def test_model_to_dot_of_an_unbuilt_model_is_refused():
    model = keras.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        keras.utils.model_to_dot(model)


def test_model_to_dot_names_an_unknown_argument():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments.*colour"):
        keras.utils.model_to_dot(small_model(), colour="red")


def test_model_to_dot_refuses_an_invalid_rankdir():
    with pytest.raises(ValueError, match="rankdir.*'UP'"):
        keras.utils.model_to_dot(small_model(), rankdir="UP")


@needs_graphviz
def test_plot_model_writes_a_png(tmp_path):
    keras.utils.plot_model(small_model(), to_file=tmp_path / "model.png", show_shapes=True)
    assert (tmp_path / "model.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_graphviz
def test_plot_model_format_follows_the_extension(tmp_path):
    keras.utils.plot_model(small_model(), to_file=tmp_path / "model.svg", show_layer_names=True)
    text = (tmp_path / "model.svg").read_text()
    assert "<svg" in text and "out" in text


@needs_graphviz
def test_plot_model_without_an_extension_writes_png(tmp_path):
    keras.utils.plot_model(small_model(), to_file=tmp_path / "model")
    assert (tmp_path / "model").read_bytes()[:4] == b"\x89PNG"


def test_plot_model_without_graphviz_names_what_to_install(tmp_path, monkeypatch):
    # A PATH without Graphviz's `dot` program: model_to_dot still works, plot_model says what to install.
    monkeypatch.setenv("PATH", str(tmp_path))
    model = small_model()
    keras.utils.model_to_dot(model)
    with pytest.raises(ImportError, match=r"Graphviz's `dot` program.*model_to_dot"):
        keras.utils.plot_model(model, to_file=tmp_path / "m.png")
    assert not (tmp_path / "m.png").exists()


def test_missing_pydot_names_the_plot_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)   # what `import pydot` meets when it is not installed
    with pytest.raises(ImportError, match=r"pip install kerastorch\[plot\]"):
        keras.utils.model_to_dot(small_model())
    with pytest.raises(ImportError, match=r"pip install kerastorch\[plot\]"):
        keras.utils.plot_model(small_model())
