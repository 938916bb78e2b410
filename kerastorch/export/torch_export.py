"""``model.export(path, format="torch")``: a ``torch.export`` ExportedProgram saved with ``torch.export.save``."""
import inspect
import warnings

import torch

from kerastorch import tree
from kerastorch.export import _signature

_DEFAULT = object()


def export_torch(model, filepath, verbose=None, input_signature=None, **kwargs):
    """Save ``model``'s inference pass as a ``torch.export`` ExportedProgram (a ``.pt2`` file).

    Load it anywhere with ``torch.export.load(filepath).module()``, without kerastorch. The program takes the
    model's positional arguments (one tensor, or a list of them for a multi-input model).

    Args:
        model: a built ``keras.Model``.
        filepath: the path to write; it must end with ``.pt2``.
        verbose: whether to print a message once the file is written; None means True.
        input_signature: the inputs' shapes and dtypes (see ``Model.export``); None takes the model's inputs.
        **kwargs: arguments of ``torch.export.export`` (``strict``, ``dynamic_shapes``,
            ``prefer_deferred_runtime_asserts_over_guards``, ``preserve_module_call_signature``). ``strict``
            defaults to False. Without ``dynamic_shapes`` the batch axis of every input is dynamic (where the
            signature leaves it unknown); Keras traces a static batch of 1 there. ``dynamic_shapes=None`` asks
            for static shapes.
    """
    filepath = str(filepath)
    if not filepath.endswith(".pt2"):
        raise ValueError(f"The PyTorch export requires the filepath to end with '.pt2'. Got: {filepath}")
    supported = sorted(name for name in inspect.signature(torch.export.export).parameters
                       if name not in ("mod", "args", "kwargs"))
    unknown = sorted(set(kwargs) - set(supported))
    if unknown:
        raise ValueError(f'Unsupported arguments for `format="torch"`: {", ".join(unknown)}. Supported arguments '
                         f'are: {", ".join(supported)}.')
    kwargs.setdefault("strict", False)
    dynamic_shapes = kwargs.pop("dynamic_shapes", _DEFAULT)
    signature = _signature.input_signature_of(model, input_signature)
    args = _signature.example_arguments(signature, device=_signature.device_of(model))
    if dynamic_shapes is _DEFAULT:
        batch = torch.export.Dim("batch")
        dynamic_shapes = {"args": tuple(
            tree.map_structure(lambda spec: {0: batch} if spec.shape and spec.shape[0] is None else None, entry)
            for entry in signature)}
    elif isinstance(dynamic_shapes, dict) and dynamic_shapes and not {"args", "kwargs"} & set(dynamic_shapes) \
            and all(isinstance(k, int) for k in dynamic_shapes):
        dynamic_shapes = {"args": (dynamic_shapes,)}   # one input's axes, as Keras accepts them
    was_training = model.training
    model.eval()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*not properly registered as a submodule.*")
            try:
                program = torch.export.export(model, args, dynamic_shapes=dynamic_shapes, **kwargs)
            except Exception as error:
                raise RuntimeError(f"Failed to export model '{model.name}' with torch.export. Common causes: "
                                   f"unsupported operations, data-dependent control flow, or shape constraints "
                                   f"not satisfied. Original error: {error}") from error
    finally:
        model.train(was_training)
    torch.export.save(program, filepath)
    if verbose is None or verbose:
        print(f"Saved PyTorch ExportedProgram at '{filepath}'.")
    return filepath
