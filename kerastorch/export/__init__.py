"""Leaving with a model: ONNX files, ``torch.export`` programs, and plain PyTorch source.

``model.export(path, format=...)`` dispatches here (``export_model``); ``to_pytorch(model, outdir)`` writes a
PyTorch module's source and its safetensors weights, which run without kerastorch.
"""
from kerastorch.export.onnx import export_onnx
from kerastorch.export.pytorch_source import to_pytorch
from kerastorch.export.torch_export import export_torch

SUPPORTED_FORMATS = ("onnx", "torch")
# The formats Keras 3 names that need TensorFlow, OpenVINO or LiteRT's converters, which a torch model lacks.
KERAS_ONLY_FORMATS = ("tf_saved_model", "openvino", "litert")


def export_model(model, filepath, format="onnx", verbose=None, input_signature=None, **kwargs):
    """Export ``model`` in ``format`` (see ``Model.export``)."""
    if format == "onnx":
        return export_onnx(model, filepath, verbose=verbose, input_signature=input_signature, **kwargs)
    if format == "torch":
        return export_torch(model, filepath, verbose=verbose, input_signature=input_signature, **kwargs)
    if format in KERAS_ONLY_FORMATS:
        raise ValueError(f"format={format!r} is not available in kerastorch: it needs "
                         f"{'TensorFlow' if format == 'tf_saved_model' else format}'s own converter. Supported "
                         f"formats are: {list(SUPPORTED_FORMATS)}.")
    raise ValueError(f"Unrecognized format={format!r}. Supported formats are: {list(SUPPORTED_FORMATS)}.")


__all__ = ["export_model", "export_onnx", "export_torch", "to_pytorch", "SUPPORTED_FORMATS"]
