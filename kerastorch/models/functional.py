"""`Functional`: a model made from symbolic tensors, ``Model(inputs, outputs)``.

Calling layers on KerasTensors recorded a graph of Nodes. This model keeps the nodes that lead from its inputs
to its outputs and runs them, in an order where each node comes after the nodes it depends on, with real
tensors. Its configuration is Keras 3's: every layer (and operation) with the calls that connect it.
"""
import collections
import inspect

import torch

from kerastorch import _legacy, global_state
from kerastorch.keras_tensor import KerasTensor, flatten, map_structure
from kerastorch.layers.core import InputLayer
from kerastorch.layers.layer import Layer
from kerastorch.models.model import Model
from kerastorch import registry
from kerastorch.saving import serialization


def _node_of(tensor):
    history = tensor._keras_history
    if history is None:
        raise ValueError(f"The tensor {tensor!r} was not made by a layer call on a `keras.Input`, so a model "
                         f"cannot be built from it.")
    return history.operation._inbound_nodes[history.node_index]


def map_graph(inputs, outputs):
    """The nodes between ``inputs`` and ``outputs`` (flat lists of KerasTensors), as Keras orders them.

    Returns:
        ``(nodes, nodes_by_depth, operations)``: the nodes in an executable order, a dict depth -> nodes
        (depth 0 makes the outputs), and every layer or operation, deepest (closest to the inputs) first and,
        within a depth, in the order a depth-first walk from the outputs met them.
    """
    input_ids = {id(t) for t in inputs}
    ordered, finished, in_progress, first_seen = [], set(), set(), {}

    def visit(tensor):
        node = _node_of(tensor)
        if id(node) in finished:
            return
        is_input = isinstance(node.layer, InputLayer)
        if not is_input and id(tensor) in input_ids:
            finished.add(id(node))
            return
        if id(node) in in_progress:
            raise ValueError(f"Tensor {tensor!r} from layer '{node.layer.name}' is part of a cycle.")
        first_seen.setdefault(node.layer, len(first_seen))
        in_progress.add(id(node))
        if not is_input:
            for parent in node.input_tensors:
                visit(parent)
        in_progress.discard(id(node))
        finished.add(id(node))
        ordered.append(node)

    for tensor in outputs:
        visit(tensor)

    # Depth: the longest path from a node to an output; a layer takes the largest depth of its nodes.
    in_graph = {id(node) for node in ordered}
    node_depth, layer_depth = {}, {}
    for node in reversed(ordered):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(node.layer, 0))
        layer_depth[node.layer] = depth
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for tensor in inputs:
        node = _node_of(tensor)
        if isinstance(node.layer, InputLayer) and node.layer not in layer_depth:
            layer_depth[node.layer] = 0
            first_seen[node.layer] = -1
            node_depth[id(node)] = 0
            ordered.insert(0, node)

    by_id = {id(node): node for node in ordered}
    nodes_by_depth = collections.defaultdict(list)
    for node_id, depth in node_depth.items():
        nodes_by_depth[depth].append(by_id[node_id])
    operations = sorted(layer_depth, key=lambda layer: (-layer_depth[layer], first_seen[layer]))

    computable = {id(t) for t in inputs}
    for node in ordered:
        for tensor in node.input_tensors:
            if id(tensor) not in computable:
                raise ValueError(f"Graph disconnected: cannot find parent for tensor {tensor!r} at layer "
                                 f"'{node.layer.name}'. Every input the outputs depend on must be among the "
                                 f"model's inputs.")
        if not isinstance(node.layer, InputLayer):   # an Input is computable only as a model input
            computable.update(id(t) for t in node.output_tensors)

    names = [op.name for op in operations]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f'The name "{name}" is used {names.count(name)} times in the model. All operation '
                             f"names should be unique.")
    return ordered, dict(nodes_by_depth), operations


def conform_bool_input(value, input_dtype):
    """A bool tensor given to a floating Input, as that dtype: Keras converts an input to its Input's dtype, and
    Keras 2's examples feed one-hot bool arrays."""
    if value.dtype == torch.bool and str(input_dtype).startswith(("float", "bfloat")):
        return value.to(getattr(torch, str(input_dtype)))
    return value


def adjust_input_rank(value, reference_shape):
    """``value`` with the rank of ``reference_shape`` as Keras adjusts model inputs: a trailing axis of 1 is
    dropped or added (data of shape (N,) for ``Input((1,))``, (N, 28, 28) for ``Input((28, 28, 1))``). Any other
    difference is left for the shape checks to report. A mask attached to ``value`` stays attached."""
    rank, expected_rank = value.dim(), len(reference_shape)
    if rank == expected_rank:
        return value
    if rank == expected_rank + 1 and value.shape[-1] == 1:
        adjusted = value.squeeze(-1)
    elif rank == expected_rank - 1 and reference_shape and reference_shape[-1] == 1:
        adjusted = value.unsqueeze(-1)
    else:
        return value
    mask = getattr(value, "_keras_mask", None)
    if mask is not None:
        adjusted._keras_mask = mask
    return adjusted


def _keras2_singular_names(inputs, outputs, kwargs):
    """``inputs`` and ``outputs``, taking Keras 2's ``input=`` and ``output=`` (popped from ``kwargs``) for them."""
    for singular, given in (("input", inputs), ("output", outputs)):
        if singular in kwargs:
            if given is not None:
                raise ValueError(f"Pass either `{singular}s` or Keras 2's `{singular}` to Model, not both.")
            _legacy.warn_once("Model(input=..., output=...)", "`Model(inputs=..., outputs=...)`")
    inputs = kwargs.pop("input", inputs)
    outputs = kwargs.pop("output", outputs)
    if inputs is None or outputs is None:
        raise ValueError(f"A functional model needs `inputs` and `outputs`. Received: inputs={inputs!r}, "
                         f"outputs={outputs!r}")
    return inputs, outputs


def make_functional_subclass(cls):
    """Make ``cls``, a subclass of Model whose ``__init__`` calls ``super().__init__(inputs, outputs)``, a
    subclass of Functional: ``Model`` is replaced by ``Functional`` among its ancestors (as Keras does), so the
    instance gets the functional model's graph, ``layers``, ``inputs`` and ``call``."""
    if issubclass(cls, Functional) or not issubclass(cls, Model):
        return
    for base in cls.__bases__:
        make_functional_subclass(base)
    cls.__bases__ = tuple(Functional if base is Model else base for base in cls.__bases__)


class Functional(Model):
    """A model defined by its input and output KerasTensors (single tensors, lists or dicts of them).

    >>> inputs = Input((64,))
    >>> outputs = Dense(2)(Dense(8, activation="relu")(inputs))
    >>> model = Model(inputs, outputs)
    """

    _keras_module = "keras.src.models.functional"   # the module Keras writes in a config

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        inputs, outputs = _keras2_singular_names(inputs, outputs, kwargs)
        super().__init__(name=name, trainable=trainable, **kwargs)
        if isinstance(inputs, tuple):
            inputs = list(inputs)
        if isinstance(outputs, tuple):
            outputs = list(outputs)
        for tensor in flatten(inputs) + flatten(outputs):
            if not isinstance(tensor, KerasTensor):
                raise ValueError(f"All `inputs` and `outputs` of a functional model must be KerasTensors (made "
                                 f"by `keras.Input` and layer calls). Received: {tensor!r}")
        self.__dict__["_inputs_struct"] = inputs
        self.__dict__["_outputs_struct"] = outputs
        nodes, nodes_by_depth, operations = map_graph(flatten(inputs), flatten(outputs))
        self.__dict__["_nodes"] = nodes
        self.__dict__["_node_ids"] = {id(node) for node in nodes}
        self.__dict__["_nodes_by_depth"] = nodes_by_depth
        self.__dict__["_operations"] = operations
        for layer in operations:
            if isinstance(layer, InputLayer) or not isinstance(layer, Layer):
                continue
            key = self._module_key(layer)
            if key in self._modules and self._modules[key] is not layer:
                raise ValueError(f'The name "{layer.name}" is used 2 times in the model. All operation names '
                                 f"should be unique.")
            self.add_module(key, layer)
        self._build_shapes = map_structure(lambda t: t.shape, inputs)
        self.built = True

    # ---- structure -------------------------------------------------------------------------------------------

    @property
    def layers(self):
        """The model's layers, input layers included, operations (``x + y``) excluded, in Keras's order."""
        return [op for op in self._operations if isinstance(op, Layer)]

    @property
    def operations(self):
        return list(self._operations)

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

    @property
    def input_shape(self):
        return map_structure(lambda t: t.shape, self._inputs_struct)

    @property
    def output_shape(self):
        return map_structure(lambda t: t.shape, self._outputs_struct)

    @property
    def output_names(self):
        """The name of the layer that made each output."""
        return [t._keras_history.operation.name for t in self.outputs]

    @property
    def input_names(self):
        return [t._keras_history.operation.name for t in self.inputs]

    def _summary_layers(self):
        sequential_like = True
        for nodes in self._nodes_by_depth.values():
            if len(nodes) > 1 or (len(nodes) == 1 and len(nodes[0].input_tensors) > 1):
                sequential_like = False
                break
        if sequential_like:
            counts = collections.Counter(id(node.layer) for node in self._nodes)
            sequential_like = all(count == 1 for count in counts.values())
        return self._operations, sequential_like, self._node_ids

    # ---- running ---------------------------------------------------------------------------------------------

    def _flat_inputs(self, inputs):
        """The model's inputs, in the order of ``self.inputs``, from a tensor, a list or a dict."""
        expected = self.inputs
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict):
                keys = sorted(self._inputs_struct)
            else:
                keys = [t.name for t in expected]
            missing = [key for key in keys if key not in inputs]
            if missing:
                if len(inputs) == len(keys) and not isinstance(self._inputs_struct, dict):
                    return list(inputs.values())
                raise ValueError(f"Model '{self.name}' expects inputs named {keys}, but the input dict is "
                                 f"missing {missing}. Received keys: {list(inputs)}")
            return [inputs[key] for key in keys]
        given = flatten(inputs)
        if len(given) != len(expected):
            raise ValueError(f"Model '{self.name}' expects {len(expected)} input(s), but it received "
                             f"{len(given)} input tensors.")
        return given

    def _check_input(self, value, reference, index):
        """Keras's input rank adjustment (a trailing axis of 1 may be added or dropped) and shape check."""
        if not isinstance(value, torch.Tensor):
            return value
        value = adjust_input_rank(conform_bool_input(value, reference.dtype), reference.shape)
        if torch.jit.is_tracing():
            return value   # traced shapes are values: comparing them would freeze the example's batch size
        shape = tuple(value.shape)
        if len(shape) != len(reference.shape) or \
                any(r is not None and r != d for r, d in zip(reference.shape, shape)):
            raise ValueError(f'Input {index} of layer "{self.name}" is incompatible with the layer: expected '
                             f"shape={reference.shape}, found shape={shape}")
        return value

    def call(self, inputs, training=None, mask=None):
        values = {}
        masks = [None] * len(self.inputs) if mask is None else flatten(mask)
        for index, (tensor, value, value_mask) in enumerate(zip(self.inputs, self._flat_inputs(inputs), masks)):
            value = self._check_input(value, tensor, index)
            if value_mask is not None:
                value._keras_mask = value_mask
            values[id(tensor)] = value

        def fill(structure):
            return map_structure(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, structure)

        # The trainer's loops may run this graph through an execution plan (training/execution_plan.py): a node
        # is then skipped (a fused step computes what it fed) or computed by the plan from another node's inputs.
        plan = global_state.active_execution_plan()
        overrides = plan.functional_overrides(self) if plan is not None else None
        for node in self._nodes:
            if isinstance(node.layer, InputLayer) or all(id(t) in values for t in node.output_tensors):
                continue
            if overrides and id(node) in overrides:
                override = overrides[id(node)]
                if override is None:
                    continue
                source, step = override
                outputs = step(*fill(source.call_args), **fill(source.call_kwargs))
            else:
                outputs = node.layer(*fill(node.call_args), **fill(node.call_kwargs))
            for tensor, value in zip(node.output_tensors, flatten(outputs)):
                values[id(tensor)] = value
        if self._graph_losses:
            self._compute_graph_losses(values, fill)
        outputs = map_structure(lambda t: values[id(t)], self._outputs_struct)
        # A one-element output list gives its tensor, as in Keras.
        return outputs[0] if isinstance(outputs, list) and len(outputs) == 1 else outputs

    # ---- losses of the graph (Keras 2's `model.add_loss(tensor)`) -------------------------------------------

    _graph_losses = ()

    def add_loss(self, loss):
        """Add a penalty to the model's training loss.

        A KerasTensor of this model's graph (Keras 2's ``vae.add_loss(K.mean(reconstruction + kl))``, computed
        from the model's inputs through layers and ops) is computed again at every call of the model and becomes
        one of its ``losses``; any other value is added as ``Layer.add_loss`` adds it.

        Raises:
            ValueError: a KerasTensor that depends on an Input that is not one of the model's inputs.
        """
        tensors = flatten(loss)
        if not any(isinstance(t, KerasTensor) for t in tensors):
            return super().add_loss(loss)
        tensors = [t for t in tensors if isinstance(t, KerasTensor)]
        graph_losses = list(self._graph_losses) + tensors
        nodes, _, _ = map_graph(flatten(self._inputs_struct), graph_losses)
        own_inputs = {id(_node_of(t)) for t in flatten(self._inputs_struct)}
        for node in nodes:
            if isinstance(node.layer, InputLayer) and id(node) not in own_inputs:
                raise ValueError(f"The loss tensor given to add_loss depends on the input '{node.layer.name}', which "
                                 f"is not an input of the model '{self.name}' (its inputs: "
                                 f"{[t.name for t in flatten(self._inputs_struct)]}).")
        self.__dict__["_graph_losses"] = graph_losses
        self.__dict__["_graph_loss_nodes"] = [n for n in nodes if not isinstance(n.layer, InputLayer)]

    def _compute_graph_losses(self, values, fill):
        for node in self._graph_loss_nodes:
            if all(id(t) in values for t in node.output_tensors):
                continue  # computed for the outputs already
            for tensor, value in zip(node.output_tensors, flatten(node.layer(*fill(node.call_args),
                                                                             **fill(node.call_kwargs)))):
                values[id(tensor)] = value
        # Layer.__call__ emptied the list before this call; the graph's losses are this call's.
        self._activity_losses = self._activity_losses + [values[id(t)] for t in self._graph_losses]

    def compute_output_spec(self, inputs, training=None, mask=None):
        outputs = map_structure(lambda t: KerasTensor(t.shape, t.dtype), self._outputs_struct)
        return outputs[0] if isinstance(outputs, list) and len(outputs) == 1 else outputs

    def compute_output_shape(self, input_shape):
        return map_structure(lambda t: t.shape, self._outputs_struct)

    # ---- configuration ---------------------------------------------------------------------------------------

    def get_config(self):
        """Keras 3's functional config: ``name``, ``trainable``, ``layers`` (each with its ``inbound_nodes``),
        ``input_layers`` and ``output_layers``."""
        own = self._node_ids
        # Node indices count only this model's nodes of each layer; a nested functional model's indices start
        # at 1 in input_layers/output_layers (Keras 3 reserves 0 for the model's own graph).
        new_index = {}
        for layer in self._operations:
            kept = 1 if isinstance(layer, Functional) else 0
            for node in layer._inbound_nodes:
                if id(node) in own:
                    new_index[id(node)] = kept
                    kept += 1

        def history_of(tensor):
            layer, node_index, tensor_index = tensor._keras_history
            skipped = sum(1 for node in layer._inbound_nodes[:node_index] if id(node) not in own)
            return [layer.name, node_index - skipped, tensor_index]

        layer_configs = []
        for layer in self._operations:
            inbound = []
            for node in layer._inbound_nodes:
                if id(node) not in own or not node.input_tensors:
                    continue
                kwargs = dict(node.call_kwargs)
                if isinstance(layer, Model) or "mask" in inspect.signature(layer.call).parameters:
                    kwargs.setdefault("mask", None)   # Keras records the mask of layers that take one
                inbound.append({"args": serialization.serialize_keras_object(node.call_args, history_of),
                                "kwargs": serialization.serialize_keras_object(kwargs, history_of)})
            layer_config = serialization.serialize_keras_object(layer)
            layer_config["name"] = layer.name
            layer_config["inbound_nodes"] = inbound
            layer_configs.append(layer_config)

        def reference(tensor):
            layer, _, tensor_index = tensor._keras_history
            return [layer.name, new_index[id(_node_of(tensor))], tensor_index]

        return {"name": self.name, "trainable": self.trainable, "layers": layer_configs,
                "input_layers": map_structure(reference, self._inputs_struct),
                "output_layers": map_structure(reference, self._outputs_struct)}

    def get_build_config(self):
        # The graph fixes the shapes; Keras's config still carries the key.
        return {"input_shape": None} if self.built else None

    @classmethod
    def from_config(cls, config, custom_objects=None, layers=None):
        """Rebuild the graph: create every layer from its config, then replay the recorded calls.

        Args:
            config: the dict of ``get_config()``.
            custom_objects: user classes and functions the config names.
            layers: optional ``{layer name: layer}`` to use instead of creating those layers (``clone_model``).
        """
        config = dict(config)
        created, earlier_calls = {}, {}
        pending = collections.OrderedDict()
        for layer_data in config["layers"]:
            given = (layers or {}).get(layer_data.get("name"))
            layer = given if given is not None else serialization.deserialize_keras_object(
                layer_data, custom_objects, package="layers")
            name = layer_data.get("name", layer.name)
            created[name] = layer
            pending[name] = list(layer_data.get("inbound_nodes") or [])
            # A layer given in `layers` may have been called before; the config counts only the calls replayed here.
            earlier_calls[name] = len(layer._inbound_nodes) if given is not None else 0

        # Keras 2 (calls stored as lists) counted a nested model's own graph as its node 0; so does Keras 3 in
        # input_layers/output_layers for nested functional models. kerastorch's models have no such node.
        keras2 = any(isinstance(node, list) for data in config["layers"] for node in data.get("inbound_nodes") or [])

        def own_graph_nodes(layer):
            from kerastorch.models.sequential import Sequential
            if isinstance(layer, Functional):
                return 1
            return int(keras2 and isinstance(layer, Sequential) and layer._input_layer is not None)

        def tensor_at(layer_name, node_index, tensor_index, outer_reference=False):
            if layer_name not in created:
                raise ValueError(f"Invalid functional model configuration: it refers to layer '{layer_name}', "
                                 f"which is not among its layers.")
            if keras2 or outer_reference:
                node_index -= own_graph_nodes(created[layer_name])
            node_index += earlier_calls[layer_name]
            nodes = created[layer_name]._inbound_nodes
            if node_index >= len(nodes):
                raise IndexError(layer_name)
            return nodes[node_index].output_tensors[tensor_index]

        while any(pending.values()):
            progressed = False
            for name, node_list in pending.items():
                while node_list:
                    try:
                        args, kwargs = _node_arguments(node_list[0], tensor_at, serialization.deserialize_value,
                                                       created[name])
                    except IndexError:
                        break
                    created[name](*args, **_supported_kwargs(created[name], kwargs))
                    node_list.pop(0)
                    progressed = True
            if not progressed:
                stuck = [name for name, node_list in pending.items() if node_list]
                raise ValueError(f"Invalid functional model configuration: the calls of layers {stuck} refer to "
                                 f"tensors that no layer produces (the graph has a loop or is disconnected).")

        def to_tensor(reference):
            if isinstance(reference, (list, tuple)) and len(reference) == 3 and isinstance(reference[0], str):
                return tensor_at(*reference, outer_reference=True)
            if isinstance(reference, dict):
                return {key: to_tensor(value) for key, value in reference.items()}
            return [to_tensor(value) for value in reference]

        inputs = to_tensor(config["input_layers"])
        outputs = to_tensor(config["output_layers"])
        return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))


def _node_arguments(node_data, tensor_at, deserialize_value, layer=None):
    """The ``(args, kwargs)`` of one recorded call of ``layer``, in Keras 3's form or Keras 2's list of
    ``[layer_name, node_index, tensor_index, kwargs]``."""
    if isinstance(node_data, list):
        tensors, kwargs = [], {}
        for entry in node_data:
            if len(entry) not in (3, 4):
                raise ValueError(f"Invalid functional model configuration: inbound node entry {entry!r}.")
            tensors.append(tensor_at(entry[0], entry[1], entry[2]))
            if len(entry) == 4:
                kwargs = _keras2_call_kwargs(entry[3], tensor_at)
        from kerastorch.layers.recurrent.rnn import RNN
        if len(tensors) > 1 and isinstance(layer, RNN) and "initial_state" not in kwargs:
            # Keras 2 recorded an RNN called with `initial_state` as one called on [inputs, *states].
            return [tensors[0]], {**kwargs, "initial_state": tensors[1:]}
        return [tensors[0] if len(tensors) == 1 else tensors], kwargs
    resolve = lambda history: tensor_at(*history)  # noqa: E731
    args = serialization.deserialize_value(node_data.get("args", []), resolve)
    kwargs = serialization.deserialize_value(node_data.get("kwargs", {}), resolve)
    return list(args), dict(kwargs)


def _supported_kwargs(layer, kwargs):
    """``kwargs`` without the None-valued ones (Keras records ``mask=None``) that ``layer.call`` does not take."""
    parameters = inspect.signature(layer.call).parameters
    if any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in parameters or v is not None}


def _keras2_call_kwargs(kwargs, tensor_at):
    # Keras 2 stored tensor kwargs as ["layer", node, tensor] triples (a list of them for a list of tensors);
    # plain values stay as they are.
    def is_triple(value):
        return isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) \
            and isinstance(value[1], int) and isinstance(value[2], int)

    def revive(value):
        if is_triple(value):
            return tensor_at(*value)
        if isinstance(value, list) and value and all(is_triple(item) for item in value):
            return [tensor_at(*item) for item in value]
        return value
    return {key: revive(value) for key, value in dict(kwargs).items()}


# Keras 2 saved functional models as class "Model".
registry.register_builtin(Functional, "layers", names=("Functional", "Model"))
