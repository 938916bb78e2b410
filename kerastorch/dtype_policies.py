"""Dtype policies: the dtype a layer keeps its weights in and the dtype it computes in.

``"float32"`` (the default), ``"float16"``, ``"bfloat16"`` and ``"float64"`` use one dtype for both.
``"mixed_float16"`` and ``"mixed_bfloat16"`` keep float32 weights and compute in the half type: the layer casts
its floating inputs to float16/bfloat16 and runs its call under ``torch.autocast``, so matrix products and
convolutions read half-precision copies of the float32 weights (made once per forward pass), gradients flow back
to the float32 weights, and the layer's outputs are in the half type.

A layer built with ``dtype=None`` takes the global policy current at its construction
(``set_global_policy``/``keras.config.set_dtype_policy``), as in Keras.
"""
from kerastorch import backend, registry

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_GLOBAL = []   # the global policy when one was set; floatx() otherwise


class DTypePolicy:
    """A layer's dtype policy (Keras 2's ``Policy``).

    Args:
        name: ``"float32"``, ``"float16"``, ``"bfloat16"``, ``"float64"``, ``"mixed_float16"`` or
            ``"mixed_bfloat16"``; None means ``backend.floatx()``.

    >>> policy = DTypePolicy("mixed_float16")
    >>> policy.compute_dtype, policy.variable_dtype
    ('float16', 'float32')
    """

    def __init__(self, name=None):
        if name is None:
            name = backend.floatx()
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, such as 'mixed_float16'. Received: name={name!r} (of type "
                            f"{type(name)})")
        if name in _MIXED:
            compute, variable = _MIXED[name], "float32"
        elif _is_dtype_name(name):
            # Any dtype: float32 weights and maths, or an int32 Input's.
            compute = variable = str(backend.torch_dtype(name)).replace("torch.", "")
        else:
            raise ValueError(f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid policies include "
                             f"'mixed_float16', 'mixed_bfloat16', and the name of any float dtype such as "
                             f"'float32'.")
        self._name = name
        self._compute_dtype = compute
        self._variable_dtype = variable

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights."""
        return self._variable_dtype

    @property
    def is_mixed(self):
        return self._compute_dtype != self._variable_dtype

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


Policy = DTypePolicy   # Keras 2's name


registry.register_builtin(DTypePolicy, "dtype_policies", module="keras")   # Keras writes keras.DTypePolicy


def _is_dtype_name(name):
    try:
        backend.torch_dtype(name)
    except (ValueError, TypeError):
        return False
    return True


def get(identifier):
    """A DTypePolicy from a policy, a name, a torch/numpy dtype, Keras 3's config dict, or None (the global
    policy)."""
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return DTypePolicy(**(identifier.get("config") or {}))
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    name = getattr(identifier, "name", None)   # numpy dtypes
    if not isinstance(name, str):
        name = str(identifier).replace("torch.", "")
    return DTypePolicy(name)


def set_global_policy(policy):
    """Make ``policy`` (a DTypePolicy or a name such as ``"mixed_float16"``) the default of layers made from
    now on; ``"float32"`` goes back to full precision."""
    if not isinstance(policy, (str, DTypePolicy)):
        raise ValueError(f"Invalid `policy` argument. Expected the string name of a policy (such as "
                         f"'mixed_float16') or a `DTypePolicy` instance. Received: policy={policy!r} (of type "
                         f"{type(policy)})")
    policy = get(policy)
    _GLOBAL.clear()
    _GLOBAL.append(policy)


def global_policy():
    """The policy that layers made with ``dtype=None`` take."""
    return _GLOBAL[0] if _GLOBAL else DTypePolicy(backend.floatx())


# Keras 3's names for the same (keras.config.set_dtype_policy / keras.config.dtype_policy).
set_dtype_policy = set_global_policy
dtype_policy = global_policy
