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

    # ---- configuration ---------------------------------------------------------------------------------------

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
