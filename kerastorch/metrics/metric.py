"""The Metric base class and the state variables it owns.

A metric keeps running totals in small non-trainable `Variable`s on the device (``add_variable``), folds each
batch into them in place (``update_state``) and turns them into a value on request (``result``). Nothing here reads a tensor back to
the host, so updating a metric every training step never waits for the device.
"""
import functools

import torch

from kerastorch import backend, initializers
# Metrics and layers share one name counter, as in Keras (clear_session resets it).
from kerastorch import global_state, registry
from kerastorch.layers.variables import Variable


# Keras 3 has one variable type; the old name of the metric state's type stays importable.
MetricVariable = Variable


def _without_gradients(update_state):
    """Run ``update_state`` under ``torch.no_grad``: folding a model output into state must not grow the graph."""
    @functools.wraps(update_state)
    def update_state_without_gradients(self, *args, **kwargs):
        if not torch.is_grad_enabled():  # already inside (an engine's no_grad, or a parent class's update)
            return update_state(self, *args, **kwargs)
        with torch.no_grad():
            return update_state(self, *args, **kwargs)
    update_state_without_gradients._without_gradients = True
    return update_state_without_gradients


def _indexed(device):
    """``cuda`` as ``cuda:<current index>``, so it compares equal to the device of the tensors it holds."""
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device


class Metric:
    """Accumulates a statistic over batches: Keras's ``keras.metrics.Metric`` on torch tensors.

    Subclasses create their state in ``__init__`` with ``self.add_variable(...)`` (or by assigning a tensor to an
    attribute), fold a batch into it in ``update_state`` with in-place ops (``var.assign_add(x)``, ``var.add_(x)``)
    and compute the value in ``result``. ``reset_state`` zeroes every state tensor unless a subclass says otherwise.

    Args:
        name: The name the metric logs under. Defaults to the snake-cased class name, made unique
            (``precision``, ``precision_1``, ...).
        dtype: The float type of the state and of ``result()``. Defaults to ``kerastorch.backend.floatx()``.

    Example:

    ```python
    class BinaryTruePositives(keras.metrics.Metric):
        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = (y_true.bool() & y_pred.bool()).float()
            if sample_weight is not None:
                values = values * sample_weight
            self.true_positives.assign_add(values.sum())

        def result(self):
            return self.true_positives
    ```
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass(cls, "metrics", snake_case=True)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        update_state = cls.__dict__.get("update_state")
        if update_state is not None and not getattr(update_state, "_without_gradients", False):
            cls.update_state = _without_gradients(update_state)

    def __init__(self, name=None, dtype=None):
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_metrics", [])
        self.name = name or global_state.auto_name(type(self).__name__)
        self._torch_dtype = backend.torch_dtype(dtype)
        self._dtype = str(self._torch_dtype).removeprefix("torch.")
        self._device = _indexed(backend.device())
        # Constant tensors a metric needs on its device (thresholds, label weights): moved by ``to``, never reset.
        self._constants = {}

    # ---- state ---------------------------------------------------------------------------------------------

    @property
    def dtype(self):
        """The metric's float type, as a string (``'float32'``)."""
        return self._dtype

    @property
    def device(self):
        """The device the state lives on."""
        return self._device

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """Create a state variable on the metric's device and track it.

        Args:
            shape: The tensor's shape (``()`` for a scalar).
            initializer: ``'zeros'`` (the default), any name ``kerastorch.initializers.get`` knows, a number, or a
                callable ``f(shape, dtype=...)`` returning the values.
            dtype: Its dtype; defaults to the metric's dtype.
            aggregation: How replicas combine it (``"sum"``, ``"mean"``, ...), recorded on the variable.
            name: The variable's name; its ``path`` is ``"<metric name>/<name>"``, as in Keras.

        Returns:
            A non-trainable `Variable` (a ``torch.Tensor``) with ``assign``/``assign_add``/``assign_sub``.
        """
        self._check_super_called()
        torch_dtype = backend.torch_dtype(dtype) if dtype is not None else self._torch_dtype
        shape = tuple(shape) if isinstance(shape, (list, tuple)) else (() if shape is None else (shape,))
        if initializer in (None, "zeros", "Zeros"):
            data = torch.zeros(shape, dtype=torch_dtype, device=self._device)
        elif initializer in ("ones", "Ones"):
            data = torch.ones(shape, dtype=torch_dtype, device=self._device)
        elif isinstance(initializer, (int, float)):
            data = torch.full(shape, initializer, dtype=torch_dtype, device=self._device)
        else:
            if not callable(initializer):
                initializer = initializers.get(initializer)
            data = torch.as_tensor(initializer(shape, dtype=torch_dtype), dtype=torch_dtype).to(self._device)
        variable = self._new_variable(data, name, aggregation)
        self._variables.append(variable)
        return variable

    def _new_variable(self, data, name, aggregation="sum"):
        name = name or "variable"
        return Variable(data, trainable=False, aggregation=aggregation, name=name, path=f"{self.name}/{name}")

    def add_weight(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None):
        """Keras 2's name for ``add_variable``."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, aggregation=aggregation,
                                 name=name)

    @property
    def variables(self):
        """Every state tensor: this metric's, then those of the metrics it holds."""
        variables = list(self._variables)
        for metric in self._metrics:
            variables.extend(metric.variables)
        return variables

    def __setattr__(self, name, value):
        # Tensors assigned to attributes are state, as Keras tracks the variables a metric holds; metrics assigned
        # to attributes contribute their variables.
        if isinstance(value, torch.Tensor) and "_variables" in self.__dict__:
            value = self._track_state(name, value)
        elif isinstance(value, Metric) and "_metrics" in self.__dict__:
            if not any(metric is value for metric in self._metrics):
                self._metrics.append(value)
        object.__setattr__(self, name, value)

    def _track_state(self, name, value):
        """``value`` as a state tensor on the metric's device, taking the slot of the tensor ``name`` held before,
        so a functional update (``self.total = self.total + x``) replaces its state instead of adding to it."""
        if not isinstance(value, Variable):
            value = self._new_variable(value.to(self._device), name)
        previous = self.__dict__.get(name)
        for slot, variable in enumerate(self._variables):
            if variable is value or (previous is not None and variable is previous):
                self._variables[slot] = value
                return value
        self._variables.append(value)
        return value

    def _check_super_called(self):
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}.__init__() must call `super().__init__()` before creating state.")

    def to(self, device):
        """Move the state (and the metrics held inside) to ``device``, in place. Returns the metric."""
        device = _indexed(torch.device(device))
        for variable in self._variables:
            variable.data = variable.data.to(device)
        for key, constant in self._constants.items():
            self._constants[key] = constant.to(device)
        for metric in self._metrics:
            metric.to(device)
        self._device = device
        return self

    def _tensor(self, x, dtype=None):
        """``x`` (tensor, array, list or number) as a tensor on the metric's device (and of ``dtype`` if given)."""
        if not isinstance(x, torch.Tensor):
            return torch.as_tensor(x, dtype=dtype, device=self._device)
        # Comparisons first: they are cheaper than a no-op .to(), and this runs several times per step.
        if x.device != self._device:
            x = x.to(self._device)
        if dtype is not None and x.dtype != dtype:
            x = x.to(dtype)
        return x

    # ---- the protocol subclasses implement ----------------------------------------------------------------

    def update_state(self, *args, **kwargs):
        """Fold one batch into the state."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        """The current value, as a tensor (no host sync)."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Zero every state tensor in place (called at the start of each epoch and evaluation)."""
        for variable in self.variables:
            variable.zero_()

    def reset_states(self):
        """Keras 2's name for ``reset_state``."""
        self.reset_state()

    def __call__(self, *args, **kwargs):
        """Update with this batch, then return ``result()``."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    # ---- configuration ------------------------------------------------------------------------------------

    def get_config(self):
        """The constructor arguments that rebuild this metric."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
