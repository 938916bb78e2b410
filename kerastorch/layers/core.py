"""Core layers: Input/InputLayer, Dense, Activation, Lambda, Masking, Identity, TorchModuleWrapper.

Also the Keras 2 import path ``keras.layers.core``, which held Dropout, Flatten and Reshape too.
"""
import inspect
import numbers
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from kerastorch import activations, backend, constraints, initializers, registry, regularizers
from kerastorch.keras_tensor import KerasTensor, Node
from kerastorch.layers._weight_arguments import set_weight_arguments
from kerastorch.layers.layer import InputSpec, Layer, standardize_shape
from kerastorch._porting import missing_attribute


def _positive_int(value, name):
    # numpy integers are accepted as Keras 2 accepted them (`Dense(np.max(y) + 1)` in its examples).
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"Received an invalid value for `{name}`, expected a positive integer. "
                         f"Received: {name}={value}")
    return int(value)


def _shape_sequence(shape, argument):
    """``shape`` itself when it is a sequence of dimensions. A bare number is refused, as Keras refuses it:
    ``Input(4)`` reads as "4 features" to some and "rank 4" to others, so the tuple must be spelled out."""
    if isinstance(shape, str) or not hasattr(shape, "__iter__"):
        integer = isinstance(shape, numbers.Integral) and not isinstance(shape, bool)
        example = f"({int(shape)},)" if integer else "(3,)"
        raise ValueError(f"Cannot convert '{shape}' to a shape. `{argument}` must be a tuple (or list) of ints or "
                         f"None, such as {argument}={example}. Received: {argument}={shape!r}")
    return shape


class InputLayer(Layer):
    """The entry point of a model: holds the KerasTensor that stands for the model's input.

    Args:
        shape: the shape of one sample, without the batch dimension.
        batch_size: a fixed batch size, or None.
        dtype: the input's dtype (default floatx).
        batch_shape: the whole shape including the batch dimension (instead of shape/batch_size).
        input_tensor: an existing KerasTensor to wrap.
        name: the layer's name (default ``input_layer``, ``input_layer_1``, ...).
    """

    _config_dtype_as_policy = False   # Keras writes an input's dtype as a plain name

    def get_build_config(self):
        return None   # an input is never rebuilt from shapes

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        if "input_shape" in kwargs:
            warnings.warn("Argument `input_shape` is deprecated. Use `shape` instead.")
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, **kwargs)
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError(f"Argument `input_tensor` must be a KerasTensor. Received invalid type: "
                                 f"input_tensor={input_tensor} (of type {type(input_tensor)})")
            batch_shape, dtype = input_tensor.shape, input_tensor.dtype
        elif shape is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
        elif batch_shape is not None:
            batch_shape = standardize_shape(_shape_sequence(batch_shape, "batch_shape"))
        else:
            if shape is None:
                raise ValueError("You must pass a `shape` argument.")
            batch_shape = (batch_size,) + standardize_shape(_shape_sequence(shape, "shape"))
        self.batch_shape = tuple(batch_shape)
        # An input's dtype is floatx unless given: a mixed global policy is about computations, not inputs.
        dtype = str(dtype or backend.floatx()).replace("torch.", "")
        if dtype == "string":
            # Strings are no torch dtype: they stay numpy arrays on the host until a preprocessing layer
            # (StringLookup, TextVectorization, ...) turns them into tensors.
            self._set_dtype_policy(None)
            self._dtype = "string"
        else:
            try:
                backend.torch_dtype(dtype)
            except ValueError:
                raise ValueError(f"Invalid dtype: {dtype}. Argument `dtype` of an Input must name a tensor dtype, "
                                 f"such as 'float32', 'int64', 'bool' or 'string'. Received: dtype={dtype!r}") from None
            self._set_dtype_policy(dtype)
        self.optional = optional
        self.built = True
        if input_tensor is None:
            input_tensor = KerasTensor(self.batch_shape, self._dtype, name=self.name)
        self._input_tensor = input_tensor
        Node(self, (), {}, input_tensor)

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return self.batch_shape

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self._dtype, "sparse": False, "ragged": False,
                "name": self.name, "optional": self.optional}

    def extra_repr(self):
        return f"name={self.name!r}, batch_shape={self.batch_shape}"


def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None, name=None,
          tensor=None, optional=False):
    """A symbolic input of ``shape`` (one sample, without the batch dimension), to build a model from.

    >>> inputs = kerastorch.Input((784,))
    >>> outputs = kerastorch.layers.Dense(10)(inputs)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, ragged=ragged,
                       batch_shape=batch_shape, input_tensor=tensor, optional=optional, name=name)
    return layer.output


class Dense(Layer):
    """A densely-connected layer: ``activation(inputs @ kernel + bias)``, on the last axis of any input of rank
    >= 2.

    Args:
        units: the size of the output's last axis.
        activation: a name or callable; None means linear.
        use_bias: whether to add ``bias``.
        kernel_initializer, bias_initializer: initializers (default ``glorot_uniform`` and ``zeros``).
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to ``losses``.
        kernel_constraint, bias_constraint: applied after each optimizer step.

    Input shape: ``(batch_size, ..., input_dim)``.
    Output shape: ``(batch_size, ..., units)``.
    Weights: ``kernel`` of shape ``(input_dim, units)`` (Keras's layout) and ``bias`` of shape ``(units,)``.

    >>> layer = Dense(5, activation="relu")
    >>> layer(np.zeros((2, 3), "float32")).shape
    torch.Size([2, 5])
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = _positive_int(units, "units")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        set_weight_arguments(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        set_weight_arguments(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        if lora_rank:
            raise NotImplementedError("Dense(lora_rank=...) is not supported by kerastorch yet.")
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"The last dimension of the inputs to layer '{self.name}' must be defined. "
                             f"Received input shape {tuple(input_shape)}.")
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, self.units),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        if inputs.dtype != self.kernel.dtype:
            inputs = inputs.to(self.kernel.dtype)
        # F.linear takes (out, in); the transposed view of Keras's (in, out) kernel is that, with no copy.
        return self.activation(F.linear(inputs, self.kernel.T, self.bias))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }

    def extra_repr(self):
        return f"name={self.name!r}, units={self.units}, activation={activations.serialize(self.activation)}"


class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: a name (``"relu"``) or a callable on tensors.

    Input and output shape: the same, any.
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}

    def extra_repr(self):
        return f"name={self.name!r}, activation={activations.serialize(self.activation)}"


class Lambda(Layer):
    """Wraps a function of tensors as a layer: ``Lambda(lambda x: x ** 2)``.

    Args:
        function: called as ``function(inputs, **arguments)``.
        output_shape: the output shape (a tuple without the batch dimension, or a function of the input shape);
            inferred by running the function when omitted.
        arguments: extra keyword arguments for ``function``.

    A saved Lambda holds Python code, so loading one needs ``safe_mode=False``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Argument `function` must be callable. Received: function={function!r}")
        self.function = function
        self._output_shape = output_shape
        self.mask = mask
        self.supports_masking = mask is not None
        self.arguments = dict(arguments or {})
        parameters = inspect.signature(function).parameters if _has_signature(function) else {}
        self._function_takes_mask = "mask" in parameters
        self._function_takes_training = "training" in parameters

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._function_takes_mask:
            kwargs["mask"] = mask
        if self._function_takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, previous_mask):
        """``mask`` given as a function is called as ``mask(inputs, previous_mask)``; a tensor is the mask."""
        if callable(self.mask):
            return self.mask(inputs, previous_mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            raise NotImplementedError
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        first = input_shape
        while isinstance(first, (list, tuple)) and first and isinstance(first[0], (list, tuple)):
            first = first[0]  # several inputs: the batch size is the first input's, as in Keras
        return (first[0] if first else None,) + standardize_shape(self._output_shape)

    def get_config(self):
        # The functions stay functions here: the serializer writes them (a lambda as its code).
        return {**super().get_config(), "function": self.function, "output_shape": self._output_shape,
                "arguments": self.arguments}

    @classmethod
    def from_config(cls, config):
        config = {k: v for k, v in config.items()
                  if k not in ("function_type", "output_shape_type", "module", "output_shape_module")}
        return super().from_config(config)


def _has_signature(function):
    try:
        inspect.signature(function)
    except (TypeError, ValueError):
        return False
    return True


class Masking(Layer):
    """Masks the timesteps whose features all equal ``mask_value``: downstream layers that support masking skip
    them (an LSTM, ``GlobalAveragePooling1D``, the loss and the metrics).

    Args:
        mask_value: the value that marks a padded timestep (default 0).

    Input shape: ``(batch, timesteps, features)`` (any rank of at least 2).
    Output shape: the same; masked timesteps are all zeros, and the output carries the mask
        ``(batch, timesteps)``: True where a timestep has at least one feature other than ``mask_value``.

    >>> x = np.zeros((1, 3, 2)); x[0, 0] = 1.0
    >>> Masking(mask_value=0.0)(x)._keras_mask
    tensor([[ True, False, False]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float)):
            raise ValueError(f"Argument `mask_value` must be a number. Received: mask_value={mask_value!r}")
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def _keeps(self, inputs, keepdims):
        return torch.any(inputs != self.mask_value, dim=-1, keepdim=keepdims)

    def call(self, inputs):
        return torch.where(self._keeps(inputs, keepdims=True), inputs, torch.zeros((), dtype=inputs.dtype,
                                                                                  device=inputs.device))

    def compute_mask(self, inputs, previous_mask):
        return self._keeps(inputs, keepdims=False)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}

    def extra_repr(self):
        return f"name={self.name!r}, mask_value={self.mask_value}"


class Identity(Layer):
    """Returns its input unchanged (and its mask): a placeholder where a model's structure wants a layer.

    Input and output shape: the same, any.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


class TorchModuleWrapper(Layer):
    """Any ``torch.nn.Module`` as a layer: its parameters are the layer's trainable weights, and its whole
    ``state_dict`` (buffers included) is saved and loaded with the model.

    Args:
        module: the torch module. Lazy modules (``torch.nn.LazyLinear``) are initialized on the first call.
        output_shape: the output's full shape, for building functional models without running the module;
            found by running it on zeros when omitted.

    Unlike Keras, which pickles the module into the saved config, kerastorch saves only its class name and its
    state: loading never unpickles, so the module (or a function building it) is passed back by layer name,
    ``load_model(path, custom_objects={"block": build_block})``, and the saved state is loaded into it.

    >>> layer = TorchModuleWrapper(torch.nn.Linear(4, 2))
    >>> layer(torch.zeros(3, 4)).shape
    torch.Size([3, 2])
    """

    def __init__(self, module, name=None, output_shape=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(module, torch.nn.Module):
            raise ValueError(f"Argument `module` must be a torch.nn.Module. Received: module={module!r} (of type "
                             f"{type(module).__name__})")
        self.module = module.to(backend.device())
        self._output_shape = None if output_shape is None else tuple(output_shape)
        self.built = True

    def _own_weights(self, trainable):
        # Keras tracks the module's parameters as the layer's variables; buffers travel with the state_dict.
        return list(self.module.parameters()) if trainable else []

    def call(self, *args, training=None, **kwargs):
        if training is not None and self.module.training != bool(training):
            self.module.train(bool(training))
        return self.module(*args, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            raise NotImplementedError
        return self._output_shape

    def compute_output_spec(self, *args, **kwargs):
        # Without output_shape the module runs once on zeros: in eval mode, so that it changes no running
        # statistics and accepts a batch of one.
        was_training = self.module.training
        self.module.eval()
        try:
            return super().compute_output_spec(*args, **kwargs)
        finally:
            self.module.train(was_training)

    def save_own_variables(self, store):
        for key, value in self.module.state_dict().items():
            store[key] = value.detach().cpu().numpy()

    def load_own_variables(self, store):
        expected = self.module.state_dict()
        missing = [key for key in expected if key not in store]
        unexpected = [key for key in store if key not in expected]
        if missing or unexpected:
            raise ValueError(f"Layer '{self.name}' (TorchModuleWrapper) cannot load the saved state: missing "
                             f"{missing or 'nothing'}, unexpected {unexpected or 'nothing'}.")
        state = {}
        for key, current in expected.items():
            value = torch.as_tensor(store[key])
            if tuple(value.shape) != tuple(current.shape):
                raise ValueError(f"Layer '{self.name}' (TorchModuleWrapper): '{key}' has shape "
                                 f"{tuple(current.shape)}, but the saved value has shape {tuple(value.shape)}.")
            state[key] = value.to(dtype=current.dtype)
        self.module.load_state_dict(state)

    def get_config(self):
        # The module itself is not saved: pickling it is the only generic way, and loading a pickle runs code.
        # Its class is named for the error message; its state (parameters and buffers) is saved as weights.
        module_class = f"{type(self.module).__module__}.{type(self.module).__qualname__}"
        return {**super().get_config(), "module": {"torch_class": module_class},
                "output_shape": self._output_shape}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild the wrapper around a module the caller supplies, by layer name, in ``custom_objects``: the
        module itself or a function that returns one (``load_model(path, custom_objects={"block": make_block})``);
        its saved state is loaded into it afterwards. A module is never unpickled from a file."""
        config = dict(config)
        module = config.get("module")
        if not isinstance(module, torch.nn.Module):
            name = config.get("name")
            supplied = registry.get_registered_object(name, custom_objects)
            if supplied is not None and not isinstance(supplied, torch.nn.Module) and callable(supplied):
                supplied = supplied()
            if not isinstance(supplied, torch.nn.Module):
                described = module.get("torch_class") if isinstance(module, dict) else "a pickled torch module"
                raise ValueError(
                    f"Layer '{name}' is a TorchModuleWrapper around {described}. kerastorch never unpickles modules "
                    f"from files (that could run arbitrary code), so pass the module, or a function that builds "
                    f"it, by layer name: `load_model(path, custom_objects={{'{name}': build_module}})`. Its saved "
                    f"parameters and buffers are then loaded into it.")
            config["module"] = supplied
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = (config["dtype"].get("config") or {}).get("name")
        return cls(**config)

    def extra_repr(self):
        return f"name={self.name!r}"


# Keras 2's `keras.layers.core` also held these.
# Keras 2's keras.layers.core also held these layers.
from kerastorch.layers.regularization import (ActivityRegularization, Dropout, SpatialDropout1D,  # noqa: E402,F401
                                              SpatialDropout2D, SpatialDropout3D)
from kerastorch.layers.reshaping import Flatten, Permute, RepeatVector, Reshape  # noqa: E402,F401
from kerastorch.layers.einsum_dense import EinsumDense  # noqa: E402,F401


__getattr__ = missing_attribute(__name__)
