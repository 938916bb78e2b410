"""`Layer`: a torch.nn.Module with Keras's build-on-first-call, naming, weights and configuration.

A Layer's weights are `Variable`s (``torch.nn.Parameter``s whose ``requires_grad`` is Keras's ``trainable``),
all registered as parameters under Keras's names (``kernel``, ``bias``, ``moving_mean``...) and kept in Keras's
layouts, so ``get_weights()`` returns what Keras returns and ``state_dict()`` what PyTorch expects. The
computation is ``call()``, which ``forward()`` runs, so any PyTorch code can use a layer as a module.
"""
import inspect
import warnings

import numpy as np
import torch

from kerastorch import backend, constraints, dtype_policies, global_state, initializers, registry, regularizers
from kerastorch.global_state import to_snake_case, unique_name  # noqa: F401  (their old home)
from kerastorch.keras_tensor import KerasTensor, any_symbolic, flatten, map_structure
# Variable lives in its own module; importing it here keeps `kerastorch.layers.layer.Variable` working.
from kerastorch.layers import variables
from kerastorch.layers.variables import Variable
from kerastorch.ops.operation import Operation


# torch.jit.is_tracing() without its is_scripting() call: this runs in every layer call (eager Python is never
# scripted).
_is_tracing = torch._C._is_tracing


def standardize_shape(shape):
    """A shape as a tuple of ints and Nones, refusing anything else."""
    if isinstance(shape, (int, np.integer)) or shape is None:
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise ValueError(f"Cannot convert '{shape}' to a shape.") from None
    result = []
    for dim in shape:
        if dim is None:
            result.append(None)
        elif isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
            if dim < 0:
                raise ValueError(f"Negative dimensions are not allowed. Received: shape={shape}")
            result.append(int(dim))
        else:
            raise ValueError(f"Cannot convert '{shape}' to a shape. Found invalid entry '{dim}'.")
    return tuple(result)


def shape_of(value):
    """The Keras shape (tuple) of a tensor, KerasTensor or array; a structure of shapes for a structure."""
    if isinstance(value, (list, tuple)) and not hasattr(value, "shape"):
        return [shape_of(v) for v in value]
    if isinstance(value, dict):
        return {k: shape_of(v) for k, v in value.items()}
    return tuple(value.shape)


class InputSpec:
    """What a layer accepts: rank (``ndim``, ``min_ndim``, ``max_ndim``), fixed ``axes`` values, or a ``shape``."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def __repr__(self):
        fields = ("dtype", "shape", "ndim", "max_ndim", "min_ndim", "axes")
        return "InputSpec(" + ", ".join(f"{f}={getattr(self, f)}" for f in fields if getattr(self, f)) + ")"


def check_input_spec(specs, inputs, layer_name):
    """Raise Keras's ValueError when ``inputs`` do not fit the layer's InputSpec(s)."""
    if not isinstance(specs, (list, tuple)):
        specs = [specs]
    inputs = flatten(inputs)
    if len(inputs) != len(specs):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received {len(inputs)} '
                         f"input tensors.")
    for index, (x, spec) in enumerate(zip(inputs, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        shape = tuple(x.shape)
        ndim = len(shape)
        where = f"Input {index}" + (f" with name '{spec.name}'" if spec.name else "") + \
            f" of layer '{layer_name}' is incompatible with the layer"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f"{where}: expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        for axis, value in spec.axes.items():
            if value is not None and -ndim <= axis < ndim and shape[axis] not in (value, None):
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value {value}, "
                                 f"but received input with shape {shape}")
        if spec.shape is not None:
            for spec_dim, dim in zip(spec.shape, shape):
                if spec_dim is not None and dim is not None and spec_dim != dim:
                    raise ValueError(f"{where}: expected shape={spec.shape}, found shape={shape}")


def _to_tensor(value, device, float_dtype):
    """numpy arrays, Python numbers and lists become tensors on ``device``; floats become ``float_dtype``."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (np.ndarray, np.generic, list, float, int, bool)):
        array = np.asarray(value)
        if any(stride < 0 for stride in array.strides):   # a flipped view (caffe preprocessing): torch refuses it
            array = np.ascontiguousarray(array)
        if array.dtype.kind == "f":
            return torch.as_tensor(array, dtype=float_dtype, device=device)
        if array.dtype.kind in "iub":
            return torch.as_tensor(array, device=device)
        if array.dtype.kind in "USO":
            return array   # strings stay a host array: the preprocessing layers read them
        raise ValueError(f"Cannot convert an array of dtype {array.dtype} to a tensor.")
    return value


class Layer(torch.nn.Module, Operation):
    """The base class of every kerastorch layer and model.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: the layer's name; unique names per class are made when it is None (``dense``, ``dense_1``, ...).
        dtype: the dtype of the weights and of the computation (default ``backend.floatx()``).
        activity_regularizer: a penalty on the layer's output, added to ``losses``.
        input_shape, batch_input_shape, input_dim, batch_size: Keras 2's way of declaring the input of the first
            layer of a Sequential model.
    """

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True, name=None,
                 **kwargs):
        torch.nn.Module.__init__(self)
        input_shape = kwargs.pop("input_shape", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_size = kwargs.pop("batch_size", None)
        kwargs.pop("input_dtype", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        Operation.__init__(self, name=name)
        self.built = False
        self._trainable = bool(trainable)
        self._set_dtype_policy(dtype)
        self.autocast = autocast
        self.input_spec = None
        self._weight_names = []          # attribute names of this layer's own weights, in creation order
        self._non_trainable_weight_names = set()   # those created non-trainable (Keras's second list)
        self._weight_aliases = {}        # attribute name -> registered weight name, for `self.w = add_weight(...)`
        self._build_shapes = None
        self._checked_input_shape = None
        self._activity_losses = []
        self._device = None
        self.activity_regularizer = regularizers.get(activity_regularizer) if activity_regularizer else None

        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        for argument, shape in (("input_shape", input_shape), ("batch_input_shape", batch_input_shape)):
            if isinstance(shape, (int, float, str, np.integer)) and not isinstance(shape, bool):
                # As Input(4): a bare number is no shape (Keras refuses it with these words).
                raise ValueError(f"Cannot convert '{shape}' to a shape. `{argument}` must be a tuple (or list) of "
                                 f"ints or None, such as {argument}=({shape},). Received: {argument}={shape!r}")
        if batch_input_shape is not None:
            self._batch_input_shape = standardize_shape(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + standardize_shape(input_shape)
        else:
            self._batch_input_shape = None
        if self._batch_input_shape is not None:
            warnings.warn("Do not pass an `input_shape`/`input_dim` argument to a layer. When using Sequential "
                          "models, prefer using an `Input(shape)` object as the first layer in the model instead.",
                          UserWarning, stacklevel=3)
        call_parameters = inspect.signature(self.call).parameters
        self._call_has_training = "training" in call_parameters
        self._call_has_mask = "mask" in call_parameters
        # Keras passes `<argument>_mask` to calls that name one (an attention layer's `query_mask`...).
        self._call_mask_arguments = tuple(name[:-len("_mask")] for name in call_parameters
                                          if name.endswith("_mask") and name[:-len("_mask")] in call_parameters)
        self._call_parameter_names = tuple(call_parameters)
        self._computes_mask = type(self).compute_mask is not Layer.compute_mask
        # Keras layers compute in inference mode unless fit (or `training=True`) says otherwise.
        self.training = False

    # ---- dtypes ----------------------------------------------------------------------------------------------

    def _set_dtype_policy(self, dtype):
        policy = dtype_policies.get(dtype)
        self._dtype_policy = policy
        self._dtype = policy.variable_dtype
        self._torch_dtype = backend.torch_dtype(policy.variable_dtype)
        self._compute_torch_dtype = backend.torch_dtype(policy.compute_dtype)
        self._mixed = policy.is_mixed

    @property
    def dtype_policy(self):
        """The layer's ``DTypePolicy``: the dtypes of its weights and of its computations."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        if self.built and dtype_policies.get(value).variable_dtype != self._dtype:
            raise ValueError(f"Layer '{self.name}' is already built with {self._dtype} weights; its dtype policy can "
                             f"only change to one with the same variable dtype. Received: {value!r}")
        self._set_dtype_policy(value)

    @property
    def dtype(self):
        """The dtype of the layer's weights, as a string."""
        return self._dtype

    @property
    def compute_dtype(self):
        """The dtype the layer computes in and outputs (float16 under ``"mixed_float16"``)."""
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self._dtype

    # ---- attribute tracking ----------------------------------------------------------------------------------

    def __setattr__(self, name, value):
        if isinstance(value, torch.Tensor) and "_weight_names" in self.__dict__:
            registered = self._registered_name_of(value)
            if registered is not None and registered != name:
                self._weight_aliases[name] = registered
                return
            if registered is None:
                value = self._track_assigned_tensor(name, value)
        if isinstance(value, list) and value and all(isinstance(v, torch.nn.Module) for v in value):
            value = torch.nn.ModuleList(value)
        if _is_metric(value) and "_weight_names" in self.__dict__:
            tracked = self.__dict__.setdefault("_tracked_metrics", [])
            if all(m is not value for m in tracked):
                tracked.append(value)
        super().__setattr__(name, value)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            aliases = self.__dict__.get("_weight_aliases")
            if aliases and name in aliases:
                return super().__getattr__(aliases[name])
            descriptor = getattr(type(self), name, None)
            if isinstance(descriptor, property) and descriptor.fget is not None:
                # A property raised AttributeError and Python fell back to this method, which would replace the
                # property's message by torch's "has no attribute": call it again to raise its own error.
                return descriptor.fget(self)
            raise

    def _registered_name_of(self, tensor):
        for weight_name in self._weight_names:
            if self._get_own_weight(weight_name) is tensor:
                return weight_name
        return None

    def _get_own_weight(self, weight_name):
        weight = self._parameters.get(weight_name)
        if weight is None:
            # A DataParallel replica holds its weights as plain attributes (and has no parameters).
            weight = self.__dict__.get(weight_name)
        return weight

    def _track_assigned_tensor(self, name, value):
        """What ``self.<name> = value`` stores when ``value`` is not one of this layer's weights yet.

        A Variable becomes a weight of this layer (Keras tracks the variables assigned to a layer). A plain
        ``torch.nn.Parameter`` assigned over a weight (``load_state_dict(assign=True)``, ``to_empty``) is kept as a
        Variable with the old one's Keras attributes, so the weight keeps its name, path and flags.
        """
        if isinstance(value, Variable):
            if name not in self._weight_names:
                self._weight_names.append(name)
            if value.trainable:
                self._non_trainable_weight_names.discard(name)
            else:
                self._non_trainable_weight_names.add(name)
        elif isinstance(value, torch.nn.Parameter) and name in self._weight_names:
            previous = self._parameters.get(name)
            if isinstance(previous, Variable):
                value = variables.adopt_parameter(value, like=previous)
        return value

    @property
    def _layers(self):
        """Directly tracked sublayers, in assignment order (lists of layers included)."""
        found = []
        for module in self._modules.values():
            if isinstance(module, Layer):
                found.append(module)
            elif isinstance(module, (torch.nn.ModuleList, torch.nn.Sequential)):
                found.extend(m for m in module if isinstance(m, Layer))
        return found

    # ---- weights ---------------------------------------------------------------------------------------------

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", overwrite_with_gradient=False,
                   name=None):
        """Create a weight of ``shape``, registered on this module under ``name``, and return it.

        Every weight is a `Variable`, registered as a parameter; a non-trainable one (running statistics) has
        ``requires_grad=False``. ``regularizer`` adds a penalty to ``losses``; ``constraint`` is applied after each
        optimizer step.
        """
        shape = standardize_shape(() if shape is None else shape)
        if any(d is None for d in shape):
            raise ValueError(f"Weights must have a fully defined shape. Layer '{self.name}' received "
                             f"shape={shape} for weight {name!r}.")
        dtype = _standardize_dtype_name(dtype or self._dtype)
        if initializer is None:
            initializer = "glorot_uniform" if backend.torch_dtype(dtype).is_floating_point else "zeros"
        value = initializers.get(initializer)(shape, dtype=dtype)
        value = torch.as_tensor(value, dtype=backend.torch_dtype(dtype)).to(self._weight_device())
        name = self._free_weight_name(name or "variable")
        weight = Variable(value, trainable=trainable and self.trainable, autocast=autocast,
                          aggregation=aggregation, name=name, path=f"{self.name}/{name}")
        weight.regularizer = regularizers.get(regularizer) if regularizer is not None else None
        weight.constraint = constraints.get(constraint) if constraint is not None else None
        weight.overwrite_with_gradient = bool(overwrite_with_gradient)
        self.register_parameter(name, weight)
        self._weight_names.append(name)
        if not trainable:
            self._non_trainable_weight_names.add(name)
        return weight

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True, regularizer=None,
                     constraint=None, name=None):
        """Keras's other name for ``add_weight``."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype, trainable=trainable,
                               autocast=autocast, regularizer=regularizer, constraint=constraint, name=name)

    def _free_weight_name(self, name):
        candidate, suffix = name, 1
        while candidate in self._parameters or candidate in self._buffers or candidate in self._modules \
                or candidate in self.__dict__:
            candidate, suffix = f"{name}_{suffix}", suffix + 1
        return candidate

    def _weight_device(self):
        return self._input_device()

    def _own_weights(self, trainable):
        """This layer's own weights created trainable (``trainable=True``) or not, in creation order: Keras's
        two lists, whose concatenation is the order of ``weights`` and of saved files. A frozen weight stays in
        its list."""
        non_trainable = self._non_trainable_weight_names
        result = []
        for weight_name in self._weight_names:
            if (weight_name in non_trainable) != trainable:
                weight = self._get_own_weight(weight_name)
                if weight is not None:
                    result.append(weight)
        return result

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        # Only the weights created trainable follow the layer: running statistics never become trainable.
        value = bool(value)
        self._trainable = value
        for weight in self._own_weights(trainable=True):
            if isinstance(weight, Variable):
                weight.trainable = value
            else:
                weight.requires_grad_(value)
        for layer in self._layers:
            layer.trainable = value

    @property
    def trainable_weights(self):
        """The weights training updates: those of ``weights`` whose ``trainable`` (``requires_grad``) is set;
        none when the layer is frozen."""
        if not self.trainable:
            return []
        return [w for w in self.weights if w.requires_grad]

    @property
    def non_trainable_weights(self):
        """The other weights (running statistics, frozen weights), in the order of ``weights``."""
        if not self.trainable:
            return self.weights
        return [w for w in self.weights if not w.requires_grad]

    @property
    def weights(self):
        """Every weight, own weights first (created trainable, then non-trainable), then each sublayer's."""
        weights = self._own_weights(trainable=True) + self._own_weights(trainable=False)
        for layer in self._layers:
            weights.extend(layer.weights)
        return _unique(weights)

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def get_weights(self):
        """The weights as numpy arrays, in Keras's order and layouts: copies, as Keras's are, so a snapshot
        does not change as training goes on."""
        return [w.detach().to("cpu", copy=True).numpy() for w in self.weights]

    def set_weights(self, weights):
        """Assign numpy arrays (or tensors) to the weights, in the order of ``get_weights()``."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of "
                             f"length {len(weights)}, but the layer was expecting {len(own)} weights.")
        values = []
        for variable, value in zip(own, weights):
            value = torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value)
            if tuple(variable.shape) != tuple(value.shape):
                raise ValueError(f"Layer {self.name} weight shape {tuple(variable.shape)} is not compatible with "
                                 f"provided weight shape {tuple(value.shape)}.")
            values.append(value)
        with torch.no_grad():
            for variable, value in zip(own, values):
                variable.copy_(value.to(dtype=variable.dtype, device=variable.device))

    # ---- saving: the hooks the serializer and the savers call ---------------------------------------------------

    # What Layer's own ``**kwargs`` accept (Keras 2's input declarations): the serializer keeps them in configs.
    _init_kwargs = ("input_shape", "batch_input_shape", "input_dim", "batch_size", "input_dtype")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass(cls, "layers")   # kerastorch's layers are found by their class name

    def get_build_config(self):
        """``{"input_shape": ...}`` once built for known shapes (saved configs rebuild from it), else None."""
        return {"input_shape": self._build_shapes} if self.built and self._build_shapes is not None else None

    def build_from_config(self, config):
        """Build for the shapes of ``get_build_config()``'s dict."""
        shape = config.get("input_shape") if isinstance(config, dict) else None
        if shape is not None and not self.built:
            self._maybe_build(shape)
            self.built = True

    def save_own_variables(self, store):
        """Put this layer's own variables (not its sublayers') into ``store`` as ``"0"``, ``"1"``...: CPU
        tensors, trainable first, in creation order, as Keras saves them."""
        for position, weight in enumerate(self._own_weights(trainable=True) + self._own_weights(trainable=False)):
            store[str(position)] = weight.detach().cpu()

    def load_own_variables(self, store):
        """Assign this layer's own variables from ``store`` (``"0"``, ``"1"``... -> arrays), after checking the
        count and every shape, so that a mismatch changes nothing."""
        own = self._own_weights(trainable=True) + self._own_weights(trainable=False)
        if len(store) != len(own):
            raise ValueError(f"Layer '{self.name}' expected {len(own)} variables, but received {len(store)} "
                             f"variables during loading.")
        values = [torch.as_tensor(np.asarray(store[str(i)])) for i in range(len(own))]
        for weight, value in zip(own, values):
            if tuple(value.shape) != tuple(weight.shape):
                raise ValueError(f"Layer '{self.name}': a variable has shape {tuple(weight.shape)}, but the "
                                 f"saved value has shape {tuple(value.shape)}.")
        with torch.no_grad():
            for weight, value in zip(own, values):
                weight.copy_(value.to(device=weight.device, dtype=weight.dtype))

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the layer isn't built. "
                             f"You can build it manually via: `{self.name}.build(batch_input_shape)`.")
        return int(sum(w.numel() for w in self.weights))

    @property
    def losses(self):
        """Penalties from the last call (``add_loss``, activity regularizers) and of the trainable weights'
        regularizers, sublayers included."""
        penalties = []
        for layer in self.modules():
            if isinstance(layer, Layer):
                penalties.extend(layer._activity_losses)
        for weight in self.trainable_weights:
            regularizer = getattr(weight, "regularizer", None)
            if regularizer is not None:
                penalties.append(regularizer(weight))
        return penalties

    def add_loss(self, loss):
        self._activity_losses.append(loss)

    # ---- building and calling --------------------------------------------------------------------------------

    def build(self, input_shape=None):
        """Create the weights for inputs of ``input_shape``. Subclasses override it; the base only marks built."""
        self.built = True

    def _maybe_build(self, input_shape):
        if self.built:
            return
        self._build_shapes = input_shape
        self.build(input_shape)
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return inputs

    def forward(self, *args, **kwargs):
        return self.call(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        if args:
            inputs = args[0]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
            args = (inputs,)
        else:
            raise ValueError(f"Layer '{self.name}' was called without inputs.")
        compute_dtype = self._compute_torch_dtype
        if isinstance(inputs, torch.Tensor):
            # The hot path: one tensor in, cast to the layer's float type when it is another float type.
            previous_mask = getattr(inputs, "_keras_mask", None)
            if self.autocast and inputs.dtype != compute_dtype and inputs.is_floating_point():
                inputs = inputs.to(compute_dtype)
                if previous_mask is not None:
                    inputs._keras_mask = previous_mask
                args = (inputs,) + args[1:]
        elif isinstance(inputs, KerasTensor) or any_symbolic((args, kwargs)):
            return self._symbolic_call(args, kwargs)
        else:
            device = self._input_device()
            if isinstance(inputs, (list, tuple)) and all(isinstance(v, (int, float)) for v in flatten(inputs)):
                args = (np.asarray(inputs),) + args[1:]   # a nested list of numbers is one array
            args = tuple(map_structure(lambda v: _to_tensor(v, device, compute_dtype), a) for a in args)
            if self.autocast and isinstance(args[0], torch.Tensor) and args[0].is_floating_point() \
                    and args[0].dtype != compute_dtype:
                args = (args[0].to(compute_dtype),) + args[1:]
            previous_mask = masks_of(args[0])
        if not self.built:
            self._maybe_build(shape_of(args[0]))
        if self.input_spec is not None and not torch.compiler.is_compiling() and not _is_tracing():
            # Checked once per new input shape; skipped while torch.compile or torch.jit.trace (and so ONNX's
            # TorchScript exporter) trace: under torch.compile, writing the last checked shape would be a guard that
            # recompiles whenever the batch size changes; under jit.trace, shapes are traced values, and comparing
            # them would freeze the traced batch size into the graph (with a TracerWarning).
            shape = shape_of(args[0])
            if shape != self._checked_input_shape:
                check_input_spec(self.input_spec, args[0], self.name)
                self._checked_input_shape = shape

        training = kwargs.get("training")
        if training is None:
            training = global_state.current_training()
            if training is None:
                training = self.training
        if self._call_has_training:
            kwargs["training"] = training
        elif "training" in kwargs:
            del kwargs["training"]
        # Masks: the one given as `mask=`, else the one attached to the first input (Keras's `_keras_mask`).
        if self._call_has_mask:
            given = kwargs.get("mask")
            if given is None:
                if previous_mask is not None:
                    kwargs["mask"] = previous_mask
            else:
                previous_mask = given
        if self._call_mask_arguments:
            self._fill_argument_masks(args, kwargs)
        if self._activity_losses:
            self._activity_losses = []
        if self._mixed or global_state.mixed_depth():
            outputs = self._call_with_policy(args, kwargs, training)
        else:
            outputs = self._call_module(args, kwargs, training)
        if self.activity_regularizer is not None:
            self._activity_losses = [self.activity_regularizer(o) / o.shape[0] for o in flatten(outputs)]
        if previous_mask is not None or self._computes_mask:
            self._attach_output_masks(args[0], outputs, previous_mask)
        return outputs

    # ---- masks -----------------------------------------------------------------------------------------------

    @property
    def supports_masking(self):
        """Whether the layer passes masks on (``compute_mask``); by default, whether it overrides
        ``compute_mask``."""
        supports = self.__dict__.get("_supports_masking")
        return self._computes_mask if supports is None else supports

    @supports_masking.setter
    def supports_masking(self, value):
        self.__dict__["_supports_masking"] = bool(value)

    def compute_mask(self, inputs, previous_mask):
        """The mask of the outputs for ``inputs`` whose mask is ``previous_mask``: by default the same mask."""
        return previous_mask

    def _attach_output_masks(self, inputs, outputs, previous_mask):
        """Attach ``compute_mask``'s masks to the outputs that have none, or warn that a mask stops here."""
        if not self.supports_masking:
            if previous_mask is not None and not self._drops_masks_silently:
                warnings.warn(f"Layer '{self.name}' (of type {type(self).__name__}) was passed an input with a mask "
                              f"attached to it. However, this layer does not support masking and will therefore "
                              f"destroy the mask information. Downstream layers will not see the mask.",
                              stacklevel=3)
            return
        flat_outputs = [o for o in flatten(outputs) if isinstance(o, torch.Tensor)]
        if not flat_outputs or all(getattr(o, "_keras_mask", None) is not None for o in flat_outputs):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        for tensor, mask in zip(flat_outputs, flatten(masks)):
            if mask is not None and getattr(tensor, "_keras_mask", None) is None:
                tensor._keras_mask = mask

    # Models pass masks on through their layers, which attach them to the outputs themselves.
    _drops_masks_silently = False

    def _fill_argument_masks(self, args, kwargs):
        """``<argument>_mask=`` for a call that takes one, from the mask attached to that argument."""
        named = dict(zip(self._call_parameter_names, args))
        named.update(kwargs)
        for argument in self._call_mask_arguments:
            key = f"{argument}_mask"
            if kwargs.get(key) is None and named.get(argument) is not None:
                mask = masks_of(named[argument])
                if mask is not None:
                    kwargs[key] = mask

    # A layer's outputs are in its compute dtype even where autocast ran an op in float32 (softmax, layer norm);
    # a model's outputs are its layers' (a float32 output layer stays float32).
    _casts_outputs = True

    def _call_module(self, args, kwargs, training):
        if not self._modules:
            return torch.nn.Module.__call__(self, *args, **kwargs)
        global_state.push_training(training)
        try:
            return torch.nn.Module.__call__(self, *args, **kwargs)
        finally:
            global_state.pop_training()

    def _call_with_policy(self, args, kwargs, training):
        """The call under a mixed policy: in torch.autocast at the compute dtype (matrix products and convolutions
        read half-precision copies of the float32 weights), outputs in the compute dtype. A full-precision layer
        inside a mixed one (a float32 output layer) runs with that autocast turned off."""
        first = next((t for t in flatten(args) if isinstance(t, torch.Tensor)), None)
        device_type = first.device.type if first is not None else backend.device().type
        compute_dtype = self._compute_torch_dtype
        if not self._mixed:
            with torch.autocast(device_type, enabled=False):
                return self._call_module(args, kwargs, training)
        global_state.enter_mixed()
        try:
            if torch.is_autocast_enabled(device_type) and torch.get_autocast_dtype(device_type) == compute_dtype:
                outputs = self._call_module(args, kwargs, training)
            else:
                with torch.autocast(device_type, dtype=compute_dtype):
                    outputs = self._call_module(args, kwargs, training)
        finally:
            global_state.exit_mixed()
        if not self._casts_outputs:
            return outputs
        return map_structure(
            lambda t: t.to(compute_dtype) if isinstance(t, torch.Tensor) and t.is_floating_point()
            and t.dtype != compute_dtype else t, outputs)

    def _input_device(self):
        """Where numpy inputs go: the device of the layer's weights (or its sublayers'), else the default."""
        if self._device is None:
            for tensor in self.parameters():
                self._device = tensor.device
                break
            else:
                return backend.device()
        return self._device

    def _apply(self, fn, *args, **kwargs):
        # `.to()`, `.cuda()`, `.half()`: forget the cached device so the next call looks again.
        result = super()._apply(fn, *args, **kwargs)
        for module in self.modules():
            if isinstance(module, Layer):
                module._device = None
                module._torch_dtype_from_weights()
        return result

    def _torch_dtype_from_weights(self):
        for tensor in self.parameters(recurse=False):
            if tensor.is_floating_point() and tensor.dtype != self._torch_dtype:
                # `.half()`, `.double()`, `.to(dtype)`: weights and computation now both use the new type.
                self._set_dtype_policy(str(tensor.dtype).replace("torch.", ""))
            break

    def _symbolic_call(self, args, kwargs):
        """Record a call on KerasTensors: build from their shapes, check them, and return KerasTensors."""
        inputs = args[0]
        input_shape = map_structure(lambda t: t.shape, inputs) if not isinstance(inputs, KerasTensor) \
            else inputs.shape
        if isinstance(input_shape, tuple) is False and isinstance(input_shape, list):
            input_shape = [tuple(s) for s in input_shape]
        self._maybe_build(input_shape)
        if self.input_spec is not None:
            check_input_spec(self.input_spec, inputs, self.name)
        return Operation.symbolic_call(self, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement compute_output_shape.")

    def compute_output_spec(self, *args, **kwargs):
        """KerasTensors for the outputs of a call on KerasTensors: from ``compute_output_shape`` when the layer
        has one, else by running the layer once on zeros (unknown dimensions taken as 1)."""
        inputs = args[0]
        try:
            shape = inputs.shape if isinstance(inputs, KerasTensor) else \
                map_structure(lambda t: t.shape, inputs)
            output_shape = self.compute_output_shape(shape)
        except NotImplementedError:
            return self._probe_output_spec(args, kwargs)
        dtype = self.compute_dtype
        if _is_shape(output_shape):
            return KerasTensor(output_shape, dtype)
        return map_structure_of_shapes(lambda s: KerasTensor(s, dtype), output_shape)

    def _probe_output_spec(self, args, kwargs):
        device = self._device or backend.device()

        def zeros_like_spec(t):
            if not isinstance(t, KerasTensor):
                return t
            return torch.zeros([1 if d is None else d for d in t.shape], dtype=backend.torch_dtype(t.dtype),
                               device=device)

        first = flatten(args[0])[0]
        batch_unknown = isinstance(first, KerasTensor) and first.shape and first.shape[0] is None
        real_args = map_structure(zeros_like_spec, args)
        real_kwargs = map_structure(zeros_like_spec, {k: v for k, v in kwargs.items() if k != "training"})
        with torch.no_grad():
            if self._mixed:
                real_args = map_structure(
                    lambda t: t.to(self._compute_torch_dtype) if isinstance(t, torch.Tensor) and t.is_floating_point()
                    else t, real_args)
                with torch.autocast(device.type, dtype=self._compute_torch_dtype):
                    outputs = self.call(*real_args, **real_kwargs)
                outputs = map_structure(lambda t: t.to(self._compute_torch_dtype) if isinstance(t, torch.Tensor)
                                        and t.is_floating_point() else t, outputs)
            else:
                outputs = self.call(*real_args, **real_kwargs)

        def to_spec(t):
            shape = list(t.shape)
            if batch_unknown and shape:
                shape[0] = None
            return KerasTensor(shape, str(t.dtype).replace("torch.", ""))
        return map_structure(to_spec, outputs)

    # ---- configuration ---------------------------------------------------------------------------------------

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype_policy.name}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        dtype = config.get("dtype")
        if isinstance(dtype, dict):
            config["dtype"] = dtype.get("config", {}).get("name", backend.floatx())
        return cls(**config)

    def extra_repr(self):
        return f"name={self.name!r}"



def masks_of(value):
    """The masks attached to ``value`` (a tensor, or a list/tuple of them): a mask, a list of masks (None where an
    element has none), or None when nothing carries one."""
    if isinstance(value, torch.Tensor):
        return getattr(value, "_keras_mask", None)
    if isinstance(value, (list, tuple)):
        masks = [getattr(v, "_keras_mask", None) for v in value]
        return masks if any(m is not None for m in masks) else None
    if isinstance(value, dict):
        masks = {k: getattr(v, "_keras_mask", None) for k, v in value.items()}
        return masks if any(m is not None for m in masks.values()) else None
    return None


def _is_metric(value):
    return not isinstance(value, (torch.nn.Module, type)) and all(
        callable(getattr(value, attr, None)) for attr in ("update_state", "result", "reset_state"))


def _unique(weights):
    seen, result = set(), []
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            result.append(w)
    return result


def _standardize_dtype_name(dtype):
    if dtype is None:
        return backend.floatx()
    if isinstance(dtype, dict):
        dtype = dtype.get("config", {}).get("name", backend.floatx())
    name = getattr(dtype, "name", None) if not isinstance(dtype, str) else dtype
    if name is None:
        name = str(dtype).replace("torch.", "")
    backend.torch_dtype(name)  # validates
    return name


def _is_shape(value):
    return isinstance(value, tuple) and all(d is None or isinstance(d, int) for d in value)


def map_structure_of_shapes(fn, structure):
    if _is_shape(structure):
        return fn(structure)
    if isinstance(structure, list):
        return [map_structure_of_shapes(fn, s) for s in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure_of_shapes(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure_of_shapes(fn, s) for k, s in structure.items()}
    raise ValueError(f"Not a shape: {structure!r}")
