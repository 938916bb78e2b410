"""A weight's initializer, regularizer and constraint, kept on its layer under Keras's argument names
(``<prefix>_initializer``, ``<prefix>_regularizer``, ``<prefix>_constraint``): resolved once in the constructor,
used to create the weight in ``build``, written back by ``get_config``. One rule for the convolutions, the recurrent
cells and the convolutional LSTM."""
from kerastorch import constraints, initializers, regularizers


def set_weight_arguments(layer, prefix, initializer, regularizer, constraint):
    """Resolve and store the three arguments of the weight named by ``prefix`` (``"kernel"``, ``"bias"``, ...)."""
    setattr(layer, f"{prefix}_initializer", initializers.get(initializer))
    setattr(layer, f"{prefix}_regularizer", regularizers.get(regularizer))
    setattr(layer, f"{prefix}_constraint", constraints.get(constraint))


def weight_arguments_config(layer, prefixes):
    """The config entries of the weights named by ``prefixes``, in Keras's order: every initializer, then every
    regularizer, then every constraint."""
    config = {f"{p}_initializer": initializers.serialize(getattr(layer, f"{p}_initializer")) for p in prefixes}
    config.update({f"{p}_regularizer": regularizers.serialize(getattr(layer, f"{p}_regularizer")) for p in prefixes})
    config.update({f"{p}_constraint": constraints.serialize(getattr(layer, f"{p}_constraint")) for p in prefixes})
    return config


def add_weight_from_arguments(layer, name, prefix, shape, initializer=None):
    """``layer.add_weight`` with the stored arguments of ``prefix`` (``initializer`` replaces the stored one, as
    LSTM's unit_forget_bias does)."""
    return layer.add_weight(name=name, shape=shape,
                            initializer=initializer or getattr(layer, f"{prefix}_initializer"),
                            regularizer=getattr(layer, f"{prefix}_regularizer"),
                            constraint=getattr(layer, f"{prefix}_constraint"))
