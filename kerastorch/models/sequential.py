"""`Sequential`: a plain stack of layers, each taking the previous one's output."""
import torch

from kerastorch import global_state
from kerastorch.keras_tensor import KerasTensor
from kerastorch.layers.core import InputLayer
from kerastorch.layers.layer import Layer
from kerastorch.models.functional import adjust_input_rank, conform_bool_input
from kerastorch.models.keras2_api import Keras2SequentialMethods
from kerastorch.models.model import Model
from kerastorch.saving import serialization


def _known_input_shape(model):
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):
        return None
    if isinstance(shape, tuple) and all(d is None or isinstance(d, int) for d in shape):
        return shape
    return None


class Sequential(Keras2SequentialMethods, Model):
    """A linear stack of layers.

    Args:
        layers: a list of layers (an ``Input`` may come first).
        trainable: whether the model's weights are trained.
        name: the model's name (default ``sequential``, ``sequential_1``, ...).

    The layers are registered as submodules under their Keras names, so ``state_dict()`` keys read
    ``dense.kernel``, ``dense_1.bias``. A layer may appear more than once (as in Keras): it is applied at each of
    its positions with one set of weights, registered once. The model is built, and its output shapes known, as
    soon as the input shape is: from an ``Input``, a first layer's ``input_shape``, ``build(input_shape)`` or the
    first call.

    >>> model = Sequential([Input((3,)), Dense(5, activation="relu"), Dense(2, activation="softmax")])
    """

    _keras_module = "keras"   # Keras writes keras.Sequential

    def __init__(self, layers=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.__dict__["_input_layer"] = None
        self.__dict__["_graph_outputs"] = None
        # The stack in order, a shared layer at each of its positions; ``_modules`` holds each layer once.
        self.__dict__["_stack"] = []
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    @property
    def layers(self):
        return list(self._stack)

    def add(self, layer, rebuild=True):
        """Append ``layer`` (or an ``Input``) to the stack."""
        if isinstance(layer, KerasTensor):
            history = layer._keras_history
            if history is None or not isinstance(history.operation, InputLayer):
                raise ValueError("Only an `Input` tensor can be added to a Sequential model; tensors made by "
                                 "other layers cannot.")
            layer = history.operation
        if not isinstance(layer, Layer):
            if isinstance(layer, torch.nn.Module):
                raise ValueError(f"Only instances of `keras.Layer` can be added to a Sequential model. Received: "
                                 f"{layer} (of type {type(layer).__name__}). Wrap torch modules in "
                                 f"`kerastorch.layers.TorchModuleWrapper`.")
            raise ValueError(f"Only instances of `keras.Layer` can be added to a Sequential model. Received: "
                             f"{layer!r} (of type {type(layer).__name__})")
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self.layers:
                raise ValueError(f"Sequential model '{self.name}' already has an input; an InputLayer can only "
                                 f"be its first layer.")
            self.__dict__["_input_layer"] = layer
        else:
            # The same instance again is shared, as Keras allows; another layer of the same name is refused.
            names = {l.name for l in self.layers if l is not layer}
            if self._input_layer is not None:
                names.add(self._input_layer.name)
            if layer.name in names:
                raise ValueError(f"All layers added to a Sequential model should have unique names. Name "
                                 f"'{layer.name}' is already the name of a layer in this model. Update the `name` "
                                 f"argument to pass a unique name.")
            if self._input_layer is None and not self.layers:
                # The first layer may know its input: Keras 2's input_shape=, or a built model's input_shape.
                known = layer._batch_input_shape
                if known is None and isinstance(layer, Model):
                    known = _known_input_shape(layer)
                if known is not None:
                    self.__dict__["_input_layer"] = InputLayer(batch_shape=known)
            if not any(l is layer for l in self._stack):
                self.add_module(self._module_key(layer), layer)
            self._stack.append(layer)
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        last = self._stack.pop()
        if not any(l is last for l in self._stack):
            for key, module in list(self._modules.items()):
                if module is last:
                    del self._modules[key]
        if rebuild:
            self.built = False
            self._maybe_rebuild()
        return last

    def _maybe_rebuild(self):
        if self._input_layer is not None and self.layers:
            self._build_graph(self._input_layer)

    def _build_graph(self, input_layer):
        x = input_layer.output
        for layer in self.layers:
            x = layer(x)
        self.__dict__["_graph_outputs"] = x
        self._build_shapes = input_layer.batch_shape
        self.built = True

    def build(self, input_shape=None):
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("You must provide an `input_shape` argument.")
            input_shape = self._input_layer.batch_shape
        input_shape = tuple(input_shape)
        if self._input_layer is None or tuple(self._input_layer.batch_shape[1:]) != input_shape[1:]:
            self.__dict__["_input_layer"] = InputLayer(batch_shape=(None,) + input_shape[1:])
        self._build_graph(self._input_layer)

    def call(self, inputs, training=None, mask=None):
        x = inputs
        if isinstance(x, dict) and (self._input_layer is not None or
                                    (self.layers and type(self.layers[0]).__module__.startswith("kerastorch."))):
            # A Sequential model has a single input; only a user's own first layer may take a dict.
            raise ValueError(f"A Sequential model takes a single input (a tensor), not a dict. Received: a dict "
                             f"with keys {list(x)}. Pass the array itself, or build a functional model with named "
                             f"inputs.")
        if isinstance(x, torch.Tensor):
            if mask is not None:
                x._keras_mask = mask
            if self._input_layer is not None:
                x = adjust_input_rank(conform_bool_input(x, self._input_layer.output.dtype),
                                      self._input_layer.batch_shape)
        # The trainer's loops may run the stack through an execution plan (training/execution_plan.py): steps that
        # compute several layers at once. Any other call runs exactly the layers; masks ride on the tensors.
        plan = global_state.active_execution_plan()
        steps = plan.sequential_steps(self) if plan is not None else None
        for step in self.layers if steps is None else steps:
            x = step(x)
        return x

    def compute_output_spec(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self.layers:
            layer._maybe_build(x.shape)
            x = layer.compute_output_spec(x)
        return x

    def compute_output_shape(self, input_shape):
        return self.compute_output_spec(KerasTensor(input_shape)).shape

    @property
    def inputs(self):
        return [self._input_layer.output] if self._input_layer is not None else None

    @property
    def input(self):
        if self._input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input yet.")
        return self._input_layer.output

    @property
    def outputs(self):
        return [self._graph_outputs] if self._graph_outputs is not None else None

    @property
    def output(self):
        if self._graph_outputs is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined output yet.")
        return self._graph_outputs

    @property
    def input_shape(self):
        return self._input_layer.batch_shape if self._input_layer is not None else None

    @property
    def output_shape(self):
        return self._graph_outputs.shape if self._graph_outputs is not None else None

    def get_config(self):
        layers = [] if self._input_layer is None else [self._input_layer]
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
                  "layers": serialization.serialize_keras_object(layers + list(self.layers))}
        if self.built and self.input_shape is not None:
            config["build_input_shape"] = self.input_shape
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers, revived = [], []
        for layer_config in config.get("layers", []):
            # A layer listed again with the same config is one shared layer (get_config lists it at each
            # position); Keras lists it once, losing its later uses.
            earlier = next((layer for c, layer in revived if c == layer_config), None)
            if earlier is None:
                earlier = serialization.deserialize_keras_object(layer_config, custom_objects, package="layers")
                revived.append((layer_config, earlier))
            layers.append(earlier)
        return cls(layers, name=config.get("name"), trainable=config.get("trainable", True))
