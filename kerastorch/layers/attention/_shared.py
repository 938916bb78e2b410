"""What MultiHeadAttention and GroupedQueryAttention share: argument checks, the projections' arguments and
config, building from the shapes of several inputs, and Keras's handling of the inputs' masks."""
import numbers

import torch

from kerastorch import constraints, initializers, regularizers
from kerastorch.layers.layer import shape_of


def positive_int(layer_class, value, argument, optional=False):
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{layer_class}: received an invalid value for argument `{argument}`, expected a positive "
                         f"integer{' or None' if optional else ''}. Received: {argument}={value!r}")
    return int(value)


def checked_options(layer_class, dropout, sliding_window, use_gate):
    """``dropout`` as a float, after refusing what kerastorch does not support."""
    if sliding_window is not None or use_gate:
        raise NotImplementedError(f"{layer_class}(sliding_window=..., use_gate=True) is not supported by kerastorch "
                                  f"yet.")
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
        raise ValueError(f"{layer_class}: `dropout` must be a number in [0, 1). Received: dropout={dropout!r}")
    return float(dropout)


def set_projection_arguments(layer, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                             activity_regularizer, kernel_constraint, bias_constraint):
    """Keep the arguments of the projections on ``layer`` (as Keras's private attributes)."""
    layer._kernel_initializer = initializers.get(kernel_initializer)
    layer._bias_initializer = initializers.get(bias_initializer)
    layer._kernel_regularizer = regularizers.get(kernel_regularizer)
    layer._bias_regularizer = regularizers.get(bias_regularizer)
    layer._activity_regularizer = regularizers.get(activity_regularizer)
    layer._kernel_constraint = constraints.get(kernel_constraint)
    layer._bias_constraint = constraints.get(bias_constraint)


def projection_config(layer):
    """The config entries of the projections' arguments."""
    return {
        "kernel_initializer": initializers.serialize(layer._kernel_initializer),
        "bias_initializer": initializers.serialize(layer._bias_initializer),
        "kernel_regularizer": regularizers.serialize(layer._kernel_regularizer),
        "bias_regularizer": regularizers.serialize(layer._bias_regularizer),
        "activity_regularizer": regularizers.serialize(layer._activity_regularizer),
        "kernel_constraint": constraints.serialize(layer._kernel_constraint),
        "bias_constraint": constraints.serialize(layer._bias_constraint),
    }


def nest_weight_paths(layer, sublayers):
    """The projections' weights get Keras's paths below ``layer`` (``mha/query/kernel``). The projections take the
    masked inputs without the warning a layer gives when a mask stops there: ``layer`` uses the masks itself."""
    for sublayer in sublayers:
        sublayer._drops_masks_silently = True
        for weight in sublayer.weights:
            weight._keras_path = f"{layer.name}/{sublayer.name}/{weight.name}"


def build_shapes(layer, layer_class, query_shape, value_shape, key_shape):
    """``(query_shape, value_shape, key_shape)`` of a build as tuples (the key's defaulting to the value's), or the
    ValueError of a build given no value shape."""
    if value_shape is None:
        raise ValueError(f"Layer '{layer.name}' ({layer_class}) is built from the shapes of `query` and `value`. "
                         f"Received: query_shape={query_shape} and no value_shape.")
    value_shape = tuple(value_shape)
    return tuple(query_shape), value_shape, value_shape if key_shape is None else tuple(key_shape)


def check_key_value_shapes(layer, value_shape, key_shape):
    if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): all dimensions of `value` and `key`, except "
                         f"the last one, must be equal. Received: value_shape={tuple(value_shape)} and "
                         f"key_shape={tuple(key_shape)}")


def common_sublayer_kwargs(layer):
    """The arguments every projection of an attention layer shares: each gets its own copy of the initializers."""
    return dict(kernel_initializer=initializers.get(initializers.serialize(layer._kernel_initializer)),
                bias_initializer=initializers.get(initializers.serialize(layer._bias_initializer)),
                kernel_regularizer=layer._kernel_regularizer, bias_regularizer=layer._bias_regularizer,
                activity_regularizer=layer._activity_regularizer, kernel_constraint=layer._kernel_constraint,
                bias_constraint=layer._bias_constraint, dtype=layer.dtype_policy)


def call_with_shapes(layer, args, kwargs, names):
    """``(args, kwargs)`` with ``query``/``value``/``key`` given by keyword moved to their positions, after
    building ``layer`` from the shapes of all three (Layer's own build sees only the first input)."""
    args = list(args)
    for position, name in enumerate(names):
        if name in kwargs:
            if len(args) > position:
                raise TypeError(f"{type(layer).__name__}() got multiple values for argument '{name}'")
            while len(args) < position:
                args.append(None)
            args.append(kwargs.pop(name))
    if len(args) < 2 or args[0] is None or args[1] is None:
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}) must be called with `query` and `value` "
                         f"(and optionally `key`). Received: {len([a for a in args if a is not None])} of them.")
    while len(args) > 2 and args[-1] is None:
        args.pop()
    if not layer.built:
        shapes = [None if a is None else tuple(shape_of(a)) for a in args[:3]]
        layer._build_shapes = dict(zip(("query_shape", "value_shape", "key_shape"), shapes))
        layer.build(*shapes)
        layer.built = True
    return tuple(args), kwargs


def shapes_build_config(layer):
    """Keras's build config of a layer built from several inputs: ``{"shapes_dict": {"query_shape": ...}}``."""
    if not layer.built or not isinstance(layer._build_shapes, dict):
        return None
    return {"shapes_dict": {k: v for k, v in layer._build_shapes.items() if v is not None}}


def build_from_shapes_config(layer, config):
    shapes = (config or {}).get("shapes_dict") or {}
    if not layer.built and shapes.get("query_shape") is not None:
        layer._build_shapes = {k: tuple(v) for k, v in shapes.items()}
        layer.build(*(shapes.get(k) for k in ("query_shape", "value_shape", "key_shape")))
        layer.built = True


