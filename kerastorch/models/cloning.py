"""`clone_model`: the same architecture with new layers (and so new weights)."""
from kerastorch.keras_tensor import KerasTensor, flatten
from kerastorch.layers.core import InputLayer
from kerastorch.layers.layer import Layer


def _fresh_copy(layer):
    return type(layer).from_config(layer.get_config())


def _with_compile_state(clone, model):
    """``clone`` compiled as ``model`` is, as Keras does: from its compile config, so the clone gets a new
    optimizer (fresh state, same settings) and new loss and metric objects, never the model's own."""
    if model.compiled:
        clone.compile_from_config(model.get_compile_config())
    return clone


def clone_model(model, input_tensors=None, clone_function=None, **kwargs):
    """A new model with ``model``'s architecture, whose layers are new instances with freshly initialized weights
    (copy them with ``clone.set_weights(model.get_weights())``).

    Args:
        model: a Sequential, functional or subclassed model.
        input_tensors: for Sequential and functional models, Inputs to build the clone on instead of new ones.
        clone_function: ``fn(layer) -> layer`` that makes each layer of the clone (default: a new instance from
            the layer's config); return the layer itself to share it.
    """
    from kerastorch.models.functional import Functional
    from kerastorch.models.model import Model
    from kerastorch.models.sequential import Sequential
    if kwargs:
        raise ValueError(f"Unsupported arguments to clone_model: {sorted(kwargs)}")
    make = clone_function or _fresh_copy
    if input_tensors is not None and not all(isinstance(t, KerasTensor) for t in flatten(input_tensors)):
        raise ValueError(f"`input_tensors` must be KerasTensors made by `keras.Input`. Received: {input_tensors!r}")
    if isinstance(model, Sequential):
        layers = [make(layer) for layer in model.layers]
        if input_tensors is not None:
            layers = [flatten(input_tensors)[0]] + layers
        elif model._input_layer is not None:
            reference = model._input_layer
            layers = [InputLayer(batch_shape=reference.batch_shape, dtype=reference.dtype, name=reference.name)] + layers
        return _with_compile_state(Sequential(layers, name=model.name, trainable=model.trainable), model)
    if isinstance(model, Functional):
        replacements = {op.name: make(op) for op in model.operations if isinstance(op, Layer) and not isinstance(op, InputLayer)}
        clone = Functional.from_config(model.get_config(), layers=replacements)
        if input_tensors is not None:
            clone = Functional(input_tensors, clone(input_tensors), name=model.name)
        return _with_compile_state(clone, model)
    if isinstance(model, Model):
        if clone_function is not None or input_tensors is not None:
            raise ValueError("`clone_function` and `input_tensors` apply to Sequential and functional models only; "
                             "a subclassed model is cloned from its config.")
        clone = type(model).from_config(model.get_config())
        # As a saved model is revived: built for the same shapes, then compiled.
        build_config = model.get_build_config()
        if build_config is not None:
            clone.build_from_config(build_config)
        return _with_compile_state(clone, model)
    raise ValueError(f"Expected a kerastorch Model to clone. Received: {model!r}")
