"""``model.export(path, format="onnx")``: the model's inference graph as an ONNX file, through ``torch.onnx``."""
import warnings

import torch

from kerastorch import tree
from kerastorch.export import _signature

_DEPENDENCIES = ("onnx", "onnxscript")


def _check_dependencies():
    import importlib.util
    missing = [name for name in _DEPENDENCIES if importlib.util.find_spec(name) is None]
    if missing:
        raise ImportError(f"Exporting to ONNX needs the packages {missing}, which are not installed. Install "
                          f"them with `pip install kerastorch[export]` (or `pip install onnx onnxscript`).")


def export_onnx(model, filepath, verbose=None, input_signature=None, opset_version=None, **kwargs):
    """Write ``model``'s inference pass (its ``call`` in inference mode) to the ONNX file ``filepath``.

    Unknown axes of the inputs (the batch axis) stay dynamic in the file: the batch axis is named ``batch``
    and others ``dim_{input}_{axis}``. The inputs are named after the model's inputs (``input_{i}`` where one
    has no name), and the outputs after the layers that make them. As Keras does on torch, a graph with dynamic
    axes goes through torch's TorchScript exporter and a fully static one through its dynamo exporter; where the
    first fails, the other (with the same dynamic axes) is tried.

    Args:
        model: a built ``keras.Model``.
        filepath: the path of the ``.onnx`` file to write.
        verbose: whether to print a message once the file is written; None means True (torch's own exporter
            stays quiet: its verbose output would hold local paths).
        input_signature: the inputs' shapes and dtypes (see ``Model.export``); None takes the model's inputs.
        opset_version: the ONNX opset; None takes torch's default, as Keras does.
        **kwargs: more arguments for ``torch.onnx.export``.
    """
    _check_dependencies()
    filepath = str(filepath)
    signature = _signature.input_signature_of(model, input_signature)
    flat_specs = tree.flatten(signature)
    names = _signature.input_names(signature)
    output_names = _output_names(model)
    dynamic_axes = {}
    for index, (name, spec) in enumerate(zip(names, flat_specs)):
        axes = {axis: ("batch" if axis == 0 else f"dim_{index}_{axis}")
                for axis, size in enumerate(spec.shape) if size is None}
        if axes:
            dynamic_axes[name] = axes
    if dynamic_axes and output_names and all(name in dynamic_axes and 0 in dynamic_axes[name] for name in names):
        dynamic_axes.update({name: {0: "batch"} for name in output_names})

    flat_args = tuple(tree.flatten(_signature.example_arguments(signature, device=_signature.device_of(model))))
    module = _signature.FlatInputs(model, signature)

    def torchscript():
        torch.onnx.export(module, flat_args, filepath, dynamo=False, input_names=names, output_names=output_names,
                          opset_version=opset_version, dynamic_axes=dynamic_axes or None, export_params=True,
                          do_constant_folding=True, verbose=False, **kwargs)

    def dynamo():
        dimensions = {}
        shapes = tuple({axis: dimensions.setdefault(label, torch.export.Dim(label)) for axis, label in
                        dynamic_axes.get(name, {}).items()} or None for name in names)
        program = torch.onnx.export(module, flat_args, dynamo=True, input_names=names, output_names=output_names,
                                    opset_version=opset_version, verbose=False,
                                    dynamic_shapes={"flat": shapes} if dynamic_axes else None, **kwargs)
        program.save(filepath)

    # Keras's order on torch: the TorchScript exporter for dynamic axes, the dynamo one for static shapes; here
    # each falls back on the other (the TorchScript tracer fails on some graphs that dynamo exports).
    exporters = (torchscript, dynamo) if dynamic_axes else (dynamo, torchscript)
    was_training = model.training
    model.eval()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # the exporters' deprecation and tracer notes on Python-side checks
            try:
                exporters[0]()
            except Exception as first:   # noqa: BLE001 -- any exporter failure: try the other exporter
                try:
                    exporters[1]()
                except Exception as second:
                    raise RuntimeError(f"Failed to export model '{model.name}' to ONNX. The {exporters[0].__name__} "
                                       f"exporter failed with: {first}\nThe {exporters[1].__name__} exporter "
                                       f"failed with: {second}") from second
    finally:
        model.train(was_training)
    if verbose is None or verbose:
        print(f"Saved artifact at '{filepath}'.")
    return filepath


def _output_names(model):
    """The names of the layers that make the model's outputs, when each output has its own."""
    outputs = getattr(model, "outputs", None) or []
    histories = [getattr(t, "_keras_history", None) for t in outputs]
    if not outputs or any(h is None for h in histories):
        return None
    names = [h.operation.name for h in histories]
    return names if len(set(names)) == len(names) else None
