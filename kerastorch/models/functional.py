"""`Functional`: a model made from symbolic tensors, ``Model(inputs, outputs)``.

Calling layers on KerasTensors recorded a graph of Nodes. This model keeps the nodes that lead from its inputs
to its outputs, in an order where each node comes after the nodes it depends on, and runs them with real
tensors.
"""
from kerastorch.keras_tensor import KerasTensor, flatten, map_structure
from kerastorch.layers.core import InputLayer
from kerastorch.layers.layer import Layer
from kerastorch.models.model import Model


def _topological_nodes(outputs):
    """The nodes that produce ``outputs``, each after its parents."""
    ordered, visited = [], set()

    def visit(node):
        if id(node) in visited:
            return
        visited.add(id(node))
        for parent in node.parent_nodes:
            visit(parent)
        ordered.append(node)

    for tensor in flatten(outputs):
        history = tensor._keras_history
        visit(history.operation._inbound_nodes[history.node_index])
    return ordered


class Functional(Model):
    """A model defined by its input and output KerasTensors.

    >>> inputs = Input((64,))
    >>> outputs = Dense(2)(Dense(8, activation="relu")(inputs))
    >>> model = Model(inputs, outputs)
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        for tensor in flatten(inputs) + flatten(outputs):
            if not isinstance(tensor, KerasTensor):
                raise ValueError(f"All `inputs` and `outputs` of a functional model must be KerasTensors (made "
                                 f"by `keras.Input` and layer calls). Received: {tensor!r}")
        self.__dict__["_inputs_struct"] = inputs
        self.__dict__["_outputs_struct"] = outputs
        nodes = _topological_nodes(outputs)
        input_ids = {id(t) for t in flatten(inputs)}
        for node in nodes:
            if isinstance(node.layer, InputLayer) and id(node.outputs) not in input_ids:
                raise ValueError(f"Graph disconnected: the output depends on input '{node.layer.name}', which is "
                                 f"not among the model's inputs.")
        self.__dict__["_nodes"] = nodes
        layers = []
        for node in nodes:
            if node.layer not in layers:
                layers.append(node.layer)
        self.__dict__["_graph_layers"] = layers
        for layer in layers:
            if not isinstance(layer, InputLayer):
                key = layer.name.replace(".", "_")
                if key in self._modules and self._modules[key] is not layer:
                    raise ValueError(f"The name \"{layer.name}\" is used 2 times in the model. All operation "
                                     f"names should be unique.")
                self.add_module(key, layer)
        self.built = True

    @property
    def layers(self):
        return list(self._graph_layers)

    @property
    def inputs(self):
        return flatten(self._inputs_struct)

    @property
    def outputs(self):
        return flatten(self._outputs_struct)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    def _summary_layers(self):
        relevant = {id(node) for node in self._nodes}
        sequential_like = all(len(node.input_tensors) <= 1 for node in self._nodes)
        if sequential_like:
            counts = {}
            for node in self._nodes:
                counts[id(node.layer)] = counts.get(id(node.layer), 0) + 1
            sequential_like = all(c == 1 for c in counts.values())
        return self.layers, sequential_like, relevant

    def call(self, inputs, training=None):
        values = {}
        given = flatten(inputs) if not isinstance(inputs, dict) else \
            [inputs[t.name] if t.name in inputs else inputs[k] for k, t in _named_inputs(self._inputs_struct)]
        expected = flatten(self._inputs_struct)
        if len(given) != len(expected):
            raise ValueError(f"Model '{self.name}' expects {len(expected)} input(s), but it received "
                             f"{len(given)} input tensors.")
        for tensor, value in zip(expected, given):
            values[id(tensor)] = value
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            args = map_structure(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.call_args)
            kwargs = map_structure(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.call_kwargs)
            outputs = node.layer(*args, **kwargs)
            for tensor, value in zip(node.output_tensors, flatten(outputs)):
                values[id(tensor)] = value
        return map_structure(lambda t: values[id(t)], self._outputs_struct)

    def compute_output_spec(self, inputs, training=None, mask=None):
        return map_structure(lambda t: KerasTensor(t.shape, t.dtype), self._outputs_struct)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}


def _named_inputs(structure):
    if isinstance(structure, dict):
        return list(structure.items())
    return [(t.name, t) for t in flatten(structure)]
