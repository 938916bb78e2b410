"""The implementations a workload runs on. Each module has ``run(workload, data, weights, options) -> dict``.

``interpreter`` says which Python runs the child: "self" (the one running the harness, which has kerastorch
and torch), "keras" (one with keras and torch: ``--keras-python``) or "tf" (one with keras and tensorflow:
``--tf-python``). ``env`` is added to the child's environment.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Impl:
    name: str
    label: str
    module: str
    tasks: tuple
    interpreter: str = "self"
    env: dict = field(default_factory=dict)
    applications_only: bool = False   # runs only workloads that name a torchvision-available application


IMPLS = {impl.name: impl for impl in (
    Impl("kerastorch", "kerastorch", "keras_api", ("fit", "predict")),
    Impl("kerastorch-jit", "kerastorch jit_compile=True", "keras_api", ("fit",)),
    Impl("torch-loop", "hand-written PyTorch loop", "torch_loop", ("fit",)),
    Impl("torchvision", "torchvision", "torchvision_impl", ("predict",), applications_only=True),
    Impl("keras3-torch", "Keras 3 (torch backend)", "keras_api", ("fit", "predict"), "keras",
         {"KERAS_BACKEND": "torch"}),
    Impl("tf-keras", "tf.keras (Keras 3, tensorflow backend)", "keras_api", ("fit", "predict"), "tf",
         {"KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "2"}),
)}


def get(name):
    if name not in IMPLS:
        raise ValueError(f"Unknown implementation {name!r}. Expected one of: {', '.join(IMPLS)}")
    return IMPLS[name]


def applies(impl, workload):
    """Whether ``impl`` runs ``workload`` (the torch loop trains, torchvision predicts with its VGG16...)."""
    if workload.task not in impl.tasks:
        return False
    return workload.application is not None if impl.applications_only else True
