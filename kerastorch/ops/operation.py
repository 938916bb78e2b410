"""`Operation`: one step of a computation graph, the base of every layer and of every ``keras.ops`` function.

Called on real tensors an operation computes (``call``); called on KerasTensors it computes nothing, records a
``Node`` (which operation, on which symbolic inputs, making which outputs) and returns KerasTensors of the
outputs' shapes and dtypes (``compute_output_spec``). A functional model runs these nodes again, with real
tensors, whatever made them: a layer call or ``x + y``.

`Layer` (a torch.nn.Module) derives from this class and adds weights, building and masks.
"""
from kerastorch import global_state
from kerastorch.keras_tensor import Node, any_symbolic


class Operation:
    """A named step of a graph.

    Args:
        name: the operation's name (default: its class name in snake case, made unique: ``add``, ``add_1``).

    Subclasses implement ``call`` (the computation on real tensors) and ``compute_output_spec`` (the
    KerasTensors a call on KerasTensors returns).
    """

    def __init__(self, name=None):
        if name is None:
            name = global_state.auto_name(type(self).__name__)
        elif not isinstance(name, str) or "/" in name:
            raise ValueError(f"Argument `name` must be a string without '/'. Received: name={name!r}")
        self.name = name
        self._inbound_nodes = []

    def __call__(self, *args, **kwargs):
        if any_symbolic((args, kwargs)):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def symbolic_call(self, *args, **kwargs):
        """Record this call on KerasTensors as a node of the graph; returns the output KerasTensors."""
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, args, kwargs, outputs)
        return outputs

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not implement `call`.")

    def compute_output_spec(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not implement `compute_output_spec`.")

    # ---- an operation has no weights (Layer overrides all of these) -------------------------------------------

    built = True
    trainable = True
    _build_shapes = None

    @property
    def weights(self):
        return []

    trainable_weights = non_trainable_weights = weights

    def count_params(self):
        return 0

    # ---- graph information -----------------------------------------------------------------------------------

    def _first_node(self, what):
        if not self._inbound_nodes:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no defined {what}.")
        return self._inbound_nodes[0]

    @property
    def input(self):
        """The symbolic input(s) of this operation's first call."""
        node = self._first_node("input")
        return node.input_tensors[0] if len(node.input_tensors) == 1 else node.input_tensors

    @property
    def output(self):
        """The symbolic output(s) of this operation's first call."""
        return self._first_node("output").outputs

    # ---- Keras 2's graph accessors: one call (node) by index, and shapes ------------------------------------------
    # Keras 3 keeps `input` and `output` (the first call's); Keras 2 programs also read these.

    def _node_at(self, node_index, what):
        node = self._first_node(what)
        if not isinstance(node_index, int) or not 0 <= node_index < len(self._inbound_nodes):
            raise ValueError(f"Asked to get the {what} of {self.name} at node {node_index!r}, but it has "
                             f"{len(self._inbound_nodes)} inbound node(s): node_index must be in "
                             f"[0, {len(self._inbound_nodes) - 1}].")
        return self._inbound_nodes[node_index] if node_index else node

    def get_input_at(self, node_index):
        """The symbolic input(s) of call number ``node_index`` (Keras 2)."""
        tensors = self._node_at(node_index, "input").input_tensors
        return tensors[0] if len(tensors) == 1 else tensors

    def get_output_at(self, node_index):
        """The symbolic output(s) of call number ``node_index`` (Keras 2)."""
        return self._node_at(node_index, "output").outputs

    def get_input_shape_at(self, node_index):
        """The input shape(s) of call number ``node_index`` (Keras 2)."""
        return _shapes_of(self.get_input_at(node_index))

    def get_output_shape_at(self, node_index):
        """The output shape(s) of call number ``node_index`` (Keras 2)."""
        return _shapes_of(self.get_output_at(node_index))

    @property
    def input_shape(self):
        """Keras 2's ``layer.input_shape``: the input shape(s), the same for every call of the layer."""
        return self._one_shape("input", self.get_input_shape_at)

    @property
    def output_shape(self):
        """Keras 2's ``layer.output_shape``: the output shape(s), the same for every call of the layer."""
        return self._one_shape("output", self.get_output_shape_at)

    def _one_shape(self, what, shape_at):
        self._first_node(f"{what} shape")
        shapes = [shape_at(index) for index in range(len(self._inbound_nodes))]
        if any(shape != shapes[0] for shape in shapes):
            raise AttributeError(f"The layer {self.name} was called on inputs of different shapes, so it has no "
                                 f"single {what} shape ({shapes}); use get_{what}_shape_at(node_index).")
        return shapes[0]

    # ---- configuration ---------------------------------------------------------------------------------------

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _shapes_of(tensors):
    """The shape tuple of a tensor, or the list of those of a list or tuple of tensors."""
    if isinstance(tensors, (list, tuple)):
        return [tuple(tensor.shape) for tensor in tensors]
    return tuple(tensors.shape)
