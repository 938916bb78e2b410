"""`Variable`: the one type of state in kerastorch, a `torch.nn.Parameter` with Keras's variable API.

Trainable weights (``kernel``), non-trainable state (BatchNormalization's ``moving_mean``) and metric
accumulators (``mean/total``) are all Variables. Each is a ``torch.nn.Parameter`` whose ``requires_grad`` is its
Keras ``trainable`` flag, so a layer registers every one of its variables as a parameter: ``state_dict()``,
``.to(device)``, ``.half()``, ``copy.deepcopy`` and ``torch.compile`` treat them all alike, and ``.to()`` keeps
the very object (and its Keras attributes), changing only its data.

Like ``torch.nn.Parameter`` a Variable opts out of ``__torch_function__``: torch ops on it run at full speed and
return ordinary tensors.

``dtype`` and ``shape`` are torch's (``torch.float32``, ``torch.Size``), not Keras's strings and tuples: a
Variable *is* a tensor, and torch's own code (optimizers, ``Module._apply``, autocast, ``torch.compile``) reads
``.dtype`` as a ``torch.dtype``; Keras's string is ``str(v.dtype).removeprefix("torch.")``. ``torch.Size``
compares equal to the tuple Keras returns.
"""
import copy

import numpy as np
import torch

from kerastorch import backend, global_state, initializers

_AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")
_SYNCHRONIZATIONS = ("none", "on_read", "on_write", "auto")


def _can_require_grad(tensor):
    return tensor.is_floating_point() or tensor.is_complex()


def _initial_value(initializer, shape, dtype):
    """The Variable's first value as a detached tensor: from an initializer (name or callable, which needs
    ``shape``) or from a value (tensor, array, list, number)."""
    if isinstance(initializer, str) or (callable(initializer) and not isinstance(initializer, torch.Tensor)):
        if shape is None:
            raise ValueError(f"When creating a Variable from an initializer, the `shape` argument should be "
                             f"specified. Received: initializer={initializer!r} and shape=None")
        if isinstance(initializer, str):
            initializer = initializers.get(initializer)
        torch_dtype = backend.torch_dtype(dtype)
        value = initializer(tuple(shape), dtype=str(torch_dtype).removeprefix("torch."))
        return torch.as_tensor(value, dtype=torch_dtype).to(backend.device())
    if initializer is None:
        raise ValueError("A Variable needs an initial value or an initializer. Received: initializer=None")
    if isinstance(initializer, torch.Tensor):
        value = initializer.detach()
        return value if dtype is None else value.to(backend.torch_dtype(dtype))
    array = np.asarray(initializer)
    if dtype is None and array.dtype.kind == "f" and not isinstance(initializer, np.ndarray):
        dtype = backend.floatx()   # Python floats become floatx, as in Keras; arrays keep their dtype
    if array.dtype.kind not in "fiucb":
        raise ValueError(f"Cannot make a Variable from a value of dtype {array.dtype}: {initializer!r}")
    torch_dtype = None if dtype is None else backend.torch_dtype(dtype)
    return torch.as_tensor(array, dtype=torch_dtype, device=backend.device())


class Variable(torch.nn.Parameter):
    """A piece of state: a ``torch.nn.Parameter`` that also answers to Keras's ``keras.Variable`` API.

    Args:
        initializer: the initial value (a tensor, numpy array, list or number), or an initializer (a name such
            as ``"zeros"`` or a callable ``f(shape, dtype=...)``), which needs ``shape``.
        shape: the shape, when ``initializer`` is an initializer.
        dtype: the dtype (a Keras name such as ``"float32"`` or a ``torch.dtype``). Defaults to the value's, or
            to ``kerastorch.backend.floatx()`` for initializers and Python floats.
        trainable: whether gradients update it; this is ``requires_grad`` (always False for integer and boolean
            variables, which torch cannot differentiate).
        autocast: whether mixed-precision computations may read it in their compute dtype.
        aggregation: how replicas combine it (``"none"``, ``"mean"``, ``"sum"``, ``"only_first_replica"``).
        synchronization: when replicas synchronize it (``"none"``, ``"on_read"``, ``"on_write"``, ``"auto"``).
        name: its name; defaults to a unique ``"variable"``, ``"variable_1"``...
        path: its path in the object tree (``"dense/kernel"``); defaults to ``name``.

    Example:

    ```python
    v = keras.Variable(np.zeros((2, 3)), name="state", trainable=False)
    v.assign_add(np.ones((2, 3)))
    torch.relu(v)          # any torch op takes it
    v.numpy()
    ```
    """

    def __new__(cls, initializer=None, shape=None, dtype=None, trainable=True, autocast=True, aggregation="none",
                synchronization="auto", name=None, *, path=None):
        if isinstance(shape, bool):
            # torch's own code rebuilds parameters as `type(p)(data, requires_grad)`.
            shape, trainable = None, shape
        if name is None:
            name = global_state.unique_name("variable")
        elif not isinstance(name, str) or "/" in name:
            raise ValueError(f"Argument `name` must be a string without '/'. Received: name={name!r}")
        aggregation = "none" if aggregation is None else aggregation
        if aggregation not in _AGGREGATIONS:
            raise ValueError(f"Invalid value for argument `aggregation`. Expected one of {_AGGREGATIONS}. "
                             f"Received: aggregation={aggregation!r}")
        synchronization = "none" if synchronization is None else synchronization
        if synchronization not in _SYNCHRONIZATIONS:
            raise ValueError(f"Invalid value for argument `synchronization`. Expected one of {_SYNCHRONIZATIONS}. "
                             f"Received: synchronization={synchronization!r}")
        value = _initial_value(initializer, shape, dtype)
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise ValueError(f"Variable {name!r}: the initial value has shape {tuple(value.shape)}, but "
                             f"shape={tuple(shape)} was requested.")
        variable = torch.Tensor._make_subclass(cls, value, bool(trainable) and _can_require_grad(value))
        variable.__dict__.update(_keras_name=name, _keras_path=path or name, _autocast=bool(autocast),
                                 _aggregation=aggregation, _synchronization=synchronization,
                                 _overwrite_with_gradient=False, _regularizer=None, _constraint=None)
        return variable

    def __init__(self, *args, **kwargs):
        # Everything happens in __new__; torch.Tensor's __init__ must not see Keras's arguments.
        pass

    # ---- Keras's attributes ----------------------------------------------------------------------------------

    @property
    def name(self):
        """The variable's own name (``"kernel"``)."""
        return self._keras_name

    @property
    def path(self):
        """Its path in the object tree: ``"dense/kernel"`` for a layer's weight, ``"mean/total"`` for a
        metric's state."""
        return self._keras_path

    @property
    def trainable(self):
        """Whether training updates it: ``requires_grad``. Settable."""
        return self.requires_grad

    @trainable.setter
    def trainable(self, value):
        # An integer variable (a counter, a seed) cannot require gradients: it stays non-trainable.
        self.requires_grad_(bool(value) and _can_require_grad(self))

    @property
    def value(self):
        """The current value: the variable itself, a tensor (gradients flow through it when trainable)."""
        return self

    @property
    def autocast(self):
        return self._autocast

    @property
    def aggregation(self):
        return self._aggregation

    @property
    def synchronization(self):
        return self._synchronization

    @property
    def overwrite_with_gradient(self):
        """Whether the optimizer replaces the value by its gradient instead of applying an update."""
        return self._overwrite_with_gradient

    @overwrite_with_gradient.setter
    def overwrite_with_gradient(self, value):
        if not isinstance(value, bool):
            raise TypeError(f"`overwrite_with_gradient` must be a boolean. Received: {value!r}")
        self._overwrite_with_gradient = value

    @property
    def regularizer(self):
        """A penalty on the value, added to the owning layer's ``losses``; None for none."""
        return self._regularizer

    @regularizer.setter
    def regularizer(self, value):
        if value is not None and not callable(value):
            raise ValueError(f"Invalid value for attribute `regularizer`. Expected a callable (such as a "
                             f"`keras.regularizers.Regularizer` instance) or None. Received: regularizer={value!r}")
        self._regularizer = value

    @property
    def constraint(self):
        """A projection applied to the value after each optimizer step; None for none."""
        return self._constraint

    @constraint.setter
    def constraint(self, value):
        if value is not None and not callable(value):
            raise ValueError(f"Invalid value for attribute `constraint`. Expected a callable (such as a "
                             f"`keras.constraints.Constraint` instance) or None. Received: constraint={value!r}")
        self._constraint = value

    # ---- reading and writing ---------------------------------------------------------------------------------

    def numpy(self, *, force=False):
        """The value as a new numpy array on the host (a copy, as Keras's is: it does not change with the
        variable). ``force`` is torch's argument, accepted for torch's callers (ONNX export); a Variable is
        always detached and copied, so it changes nothing."""
        return self.detach().to("cpu", copy=True).numpy()

    def _operand(self, value):
        """``value`` in a form in-place torch ops accept against this variable."""
        if isinstance(value, torch.Tensor):
            if value.device != self.device and value.dim() > 0:
                return value.to(self.device)
            return value
        if isinstance(value, (int, float, bool)):
            return value
        return torch.as_tensor(np.asarray(value), dtype=self.dtype, device=self.device)

    def _shape_error(self, value):
        shape = tuple(value.shape) if hasattr(value, "shape") else np.shape(value)
        return ValueError(f"The shape of the target variable and the shape of the value in `assign` must match "
                          f"(or broadcast). variable.shape={tuple(self.shape)}, Received: value.shape={shape}. "
                          f"Target variable: {self.path}")

    def assign(self, value):
        """Overwrite the value in place (the storage, and every reference to it, stays the same), broadcasting
        ``value`` to the variable's shape. Returns the variable."""
        value = self._operand(value)
        write = self.copy_ if isinstance(value, torch.Tensor) else self.fill_
        try:
            # Under no_grad whenever gradients are on: an assignment is never part of a graph, and a variable
            # must stay a leaf even when `value` requires grad.
            if torch.is_grad_enabled():
                with torch.no_grad():
                    write(value)
            else:
                write(value)
        except RuntimeError as error:
            if any(word in str(error) for word in ("size", "shape", "broadcast")):
                raise self._shape_error(value) from error
            raise
        return self

    def assign_add(self, value):
        """Add ``value`` in place. Returns the variable."""
        value = self._operand(value)
        if torch.is_grad_enabled():
            with torch.no_grad():
                return self.add_(value)
        return self.add_(value)

    def assign_sub(self, value):
        """Subtract ``value`` in place. Returns the variable."""
        value = self._operand(value)
        if torch.is_grad_enabled():
            with torch.no_grad():
                return self.sub_(value)
        return self.sub_(value)

    # ---- copies and pickles ----------------------------------------------------------------------------------

    def _keras_state(self):
        return dict(self.__dict__)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        # torch.nn.Parameter's own deepcopy would keep the data but drop the Keras attributes.
        copied = torch.Tensor._make_subclass(type(self), self.data.clone(memory_format=torch.preserve_format),
                                             self.requires_grad)
        memo[id(self)] = copied
        copied.__dict__.update(copy.deepcopy(self._keras_state(), memo))
        return copied

    def __reduce_ex__(self, protocol):
        # Pickled (torch.save of a model, multiprocessing) as a Variable, attributes included.
        return _rebuild_variable, (self.data, self.requires_grad, self._keras_state())

    def __repr__(self):
        return (f"<Variable path={self.path}, shape={tuple(self.shape)}, dtype={str(self.dtype)[6:]}, "
                f"value={self.numpy()}>")


def adopt_parameter(parameter, like):
    """``parameter`` (a plain ``torch.nn.Parameter`` that replaces the Variable ``like``, as
    ``load_state_dict(assign=True)`` makes) as a Variable sharing its data, with ``like``'s Keras attributes."""
    return _rebuild_variable(parameter.detach(), parameter.requires_grad, {**like.__dict__, **parameter.__dict__})


def _rebuild_variable(data, requires_grad, state):
    variable = torch.Tensor._make_subclass(Variable, data, requires_grad)
    variable.__dict__.update(state)
    return variable


# `torch.load(..., weights_only=True)` may rebuild Variables (a `state_dict(keep_vars=True)`, a pickled weight):
# the function only makes a tensor and sets plain attributes.
torch.serialization.add_safe_globals([_rebuild_variable, Variable])
