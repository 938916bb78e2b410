"""Drawing a model as a graph: ``model_to_dot`` builds a ``pydot.Dot`` graph of its layers, ``plot_model`` renders
it to an image with Graphviz.

Each layer is a node whose label is an HTML-like table: the layer's name and class, and on request its
activation, input and output shapes, output dtype and whether it is trainable; each edge goes from the layer that
made a tensor to a layer that took it. A Sequential model is a chain of its layers; a subclassed model is a
single node; nested models are single nodes too, or dashed clusters of their own layers with
``expand_nested=True``.

pydot builds the graph (``pip install kerastorch[plot]``); rendering it (``plot_model``) also needs Graphviz's
``dot`` program (``apt install graphviz``, ``brew install graphviz``, ...). ``model_to_dot`` works without it.
"""
import os

_PLOT_EXTRA = "`pip install kerastorch[plot]` (or `pip install pydot`)"


def _pydot():
    try:
        import pydot
    except ImportError:
        raise ImportError(f"Plotting a model needs pydot, which is not installed. Install it with {_PLOT_EXTRA}; "
                          f"rendering the plot to a file also needs Graphviz's `dot` program.") from None
    return pydot


def _check_graphviz(pydot):
    try:
        pydot.Dot.create(pydot.Dot())
    except (OSError, pydot.PydotException) as error:   # pydot raises one of these when `dot` is missing
        raise ImportError(f"Rendering a model plot needs Graphviz's `dot` program, which was not found ({error}). "
                          f"Install Graphviz (e.g. `apt install graphviz` or `brew install graphviz`, see "
                          f"https://graphviz.org/download/); `keras.utils.model_to_dot(model)` builds the graph "
                          f"without it.") from None


def _model_classes():
    from kerastorch.models.functional import Functional
    from kerastorch.models.sequential import Sequential
    return Functional, Sequential


def _node_id(layer):
    return str(id(layer))


def _activation_name(activation):
    return getattr(activation, "name", None) or getattr(activation, "__name__", None) or str(activation)


def _structure_of(value, leaf):
    from kerastorch.tree import map_structure
    return map_structure(leaf, value)


def _shape_text(shape):
    if shape is None:
        return "?"
    if isinstance(shape, dict):
        return ", ".join(f"{key}: {value}" for key, value in shape.items())
    return str(shape)


def _tensor_attribute(layer, which, attribute):
    try:
        return _structure_of(getattr(layer, which), lambda tensor: getattr(tensor, attribute))
    except (AttributeError, ValueError, RuntimeError):   # a layer never called, or called more than once
        return None


def _cell(text, color="white", font_color=None, colspan=None):
    span = f' colspan="{colspan}"' if colspan else ""
    font = f' color="{font_color}"' if font_color else ""
    return f'<td bgcolor="{color}"{span}><font point-size="14"{font}>{text}</font></td>'


def layer_label(layer, show_shapes=False, show_dtype=False, show_layer_names=True, show_layer_activations=False,
                show_trainable=False):
    """The HTML-like table that labels ``layer``'s node (Graphviz's ``<<table>...</table>>`` syntax)."""
    class_name = type(layer).__name__
    details = []
    if show_shapes:
        if class_name != "InputLayer":
            details.append(_cell(f"Input shape: <b>{_shape_text(_tensor_attribute(layer, 'input', 'shape'))}</b>"))
        details.append(_cell(f"Output shape: <b>{_shape_text(_tensor_attribute(layer, 'output', 'shape'))}</b>"))
    if show_dtype:
        dtype = _tensor_attribute(layer, "output", "dtype")
        details.append(_cell(f"Output dtype: <b>{dtype or '?'}</b>"))
    if show_trainable and layer.weights:
        details.append(_cell("<b>Trainable</b>", "forestgreen", "white") if layer.trainable
                       else _cell("<b>Non-trainable</b>", "firebrick", "white"))
    # The title spans the detail row: shapes take two columns, dtype and trainability one each.
    span = max(1, (2 if show_shapes else 0) + int(show_dtype) + int(show_trainable))
    title = f"<b>{layer.name}</b> ({class_name})" if show_layer_names else f"<b>{class_name}</b>"
    rows = [f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" color="white">{title}</font></td></tr>']
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        rows.append(f'<tr><td bgcolor="white" colspan="{span}"><font point-size="14">Activation: '
                    f'<b>{_activation_name(layer.activation)}</b></font></td></tr>')
    if details:
        rows.append(f"<tr>{''.join(details)}</tr>")
    return f'<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">{"".join(rows)}</table>>'


def _add_node(dot, pydot, layer, label_options):
    node = pydot.Node(_node_id(layer), label=layer_label(layer, **label_options))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    dot.add_node(node)


def _add_edge(dot, pydot, source, destination):
    source_id, destination_id = _node_id(source), _node_id(destination)
    if not dot.get_edge(source_id, destination_id):
        edge = pydot.Edge(source_id, destination_id)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def _innermost_source(layer, tensor_index, model_classes):
    """The layer (not a nested model) that makes output ``tensor_index`` of ``layer``."""
    while isinstance(layer, model_classes):
        layer, _, tensor_index = layer.outputs[tensor_index]._keras_history
    return layer


def _innermost_destination(layer, input_index, model_classes):
    """The layer (not a nested model) that first takes input ``input_index`` of ``layer``."""
    functional, _ = model_classes
    while isinstance(layer, model_classes):
        if isinstance(layer, functional):
            layer = layer.inputs[input_index]._keras_history.operation
        else:
            layer = layer.layers[0]
    return layer


def _graph_edges(model, layers):
    """``[(source, destination, input_index)]`` for the calls of ``layers`` that belong to ``model``'s graph."""
    functional, _ = _model_classes()
    own = getattr(model, "_node_ids", None) if isinstance(model, functional) else None
    edges = []
    for layer in layers:
        for node in layer._inbound_nodes:
            if own is not None and id(node) not in own:
                continue
            for input_index, tensor in enumerate(node.input_tensors):
                history = tensor._keras_history
                if history is None:
                    continue
                edges.append((history.operation, history.tensor_index, layer, input_index))
    return edges


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False, show_trainable=False,
                 splines="ortho", **kwargs):
    """The model as a ``pydot.Dot`` graph (Graphviz's dot source: ``model_to_dot(model).to_string()``).

    Args:
        model: a built kerastorch model.
        show_shapes: show each layer's input and output shapes.
        show_dtype: show each layer's output dtype.
        show_layer_names: show each layer's name before its class.
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right), Graphviz's ``rankdir``.
        expand_nested: draw nested Functional and Sequential models as clusters of their layers.
        dpi: the resolution of a rendered image, in dots per inch.
        subgraph: return a ``pydot.Cluster`` (how nested models are drawn) instead of a ``pydot.Dot``.
        show_layer_activations: show the activation of layers that have one.
        show_trainable: show whether each layer with weights is trainable.
        splines: how Graphviz draws edges: ``"ortho"`` (right angles), ``"curved"``, ``"polyline"``,
            ``"spline"`` or ``"line"``.

    Raises:
        ImportError: when pydot is not installed (``pip install kerastorch[plot]``).
        ValueError: for a model that is not built, or an argument kerastorch does not know.
    """
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if not getattr(model, "built", False):
        raise ValueError("This model has not yet been built. Build the model first by calling `build()` or by "
                         "calling the model on a batch of data.")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"Invalid `rankdir`: expected 'TB', 'LR', 'BT' or 'RL'. Received: rankdir={rankdir!r}")
    pydot = _pydot()
    functional, sequential = model_classes = _model_classes()
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    label_options = {"show_shapes": show_shapes, "show_dtype": show_dtype, "show_layer_names": show_layer_names,
                     "show_layer_activations": show_layer_activations, "show_trainable": show_trainable}
    if isinstance(model, sequential):
        layers = list(model.layers)
    elif isinstance(model, functional):
        layers = list(model._operations)
    else:   # a subclassed model: its graph is its Python code
        _add_node(dot, pydot, model, label_options)
        return dot
    for layer in layers:
        if expand_nested and isinstance(layer, model_classes):
            dot.add_subgraph(model_to_dot(layer, rankdir=rankdir, expand_nested=True, subgraph=True,
                                          **label_options))
        else:
            _add_node(dot, pydot, layer, label_options)
    if isinstance(model, sequential):
        if not expand_nested:
            for source, destination in zip(layers, layers[1:]):
                _add_edge(dot, pydot, source, destination)
            return dot
        # Expanded, a Sequential's inner edges come from its layers' calls; the edge into its first layer is
        # drawn by the model that calls it.
        layers = layers[1:]
    for source, tensor_index, destination, input_index in _graph_edges(model, layers):
        if expand_nested:
            source = _innermost_source(source, tensor_index, model_classes)
            destination = _innermost_destination(destination, input_index, model_classes)
        _add_edge(dot, pydot, source, destination)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               splines="ortho", **kwargs):
    """Draw the model's graph into an image file with Graphviz.

    >>> keras.utils.plot_model(model, to_file="model.png", show_shapes=True)

    Args:
        model: a built kerastorch model.
        to_file: the image file; its extension is the format (``.png``, ``.svg``, ``.pdf``, ``.dot``...; none
            means png).
        show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi, show_layer_activations,
        show_trainable, splines: as for :func:`model_to_dot`.

    Returns:
        An ``IPython.display.Image`` of the file when IPython is installed (and the format is not pdf), so that a
        notebook shows it; otherwise None.

    Raises:
        ImportError: when pydot or Graphviz's ``dot`` program is missing, naming what to install.
    """
    if not getattr(model, "built", False):
        raise ValueError("This model has not yet been built. Build the model first by calling `build()` or by "
                         "calling the model on a batch of data.")
    pydot = _pydot()
    _check_graphviz(pydot)
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable,
                       splines=splines, **kwargs)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format=extension)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
