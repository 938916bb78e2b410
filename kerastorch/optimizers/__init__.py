"""Optimizers with Keras 3's names, defaults and update rules, running as torch foreach ops.

``kerastorch.optimizers.get('adam')`` (any case), an instance, or a config dict gives an optimizer;
``kerastorch.optimizers.schedules`` holds the learning-rate schedules.
"""
import sys

from kerastorch import _legacy, _lookup, registry
from kerastorch._porting import missing_attribute
from kerastorch.optimizers import schedules
from kerastorch.optimizers.adadelta import Adadelta
from kerastorch.optimizers.adagrad import Adagrad
from kerastorch.optimizers.adam import Adam, AdamW
from kerastorch.optimizers.adamax import Adamax
from kerastorch.optimizers.lion import Lion
from kerastorch.optimizers.loss_scale_optimizer import LossScaleOptimizer
from kerastorch.optimizers.nadam import Nadam
from kerastorch.optimizers.optimizer import Optimizer
from kerastorch.optimizers.rmsprop import RMSprop
from kerastorch.optimizers.sgd import SGD

ALL_OPTIMIZERS = {cls.__name__.lower(): cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax,
                                                          Nadam, Lion)}

# Keras 2's lowercase names of the optimizers (keras.optimizers.adam(lr=0.01)) are kerastorch module names too:
# those modules stay modules and, called, build the optimizer (warning once).
for _cls in (SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam):
    _legacy.make_module_callable(sys.modules[f"{__name__}.{_cls.__name__.lower()}"], _cls,
                                 f"keras.optimizers.{_cls.__name__.lower()}", f"`keras.optimizers.{_cls.__name__}`")

__getattr__ = missing_attribute(__name__)

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion",
           "LossScaleOptimizer", "schedules", "get", "serialize", "deserialize"]


def serialize(optimizer):
    """The optimizer as Keras 3 writes it: ``{'module', 'class_name', 'config', 'registered_name'}``."""
    from kerastorch.saving import serialization
    return serialization.serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    """A new optimizer from ``serialize``'s dict; built-in class names match in any case, and
    ``custom_objects`` maps the names of user-defined optimizer classes to the classes."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected an optimizer config: a dict with 'class_name' and 'config'. Received: {config!r}")
    from kerastorch.saving import serialization
    config = dict(config)
    if not registry.get_registered_object(config["class_name"], custom_objects):
        config["class_name"] = _builtin_name(config["class_name"], {**ALL_OPTIMIZERS,
                                                                    "lossscaleoptimizer": LossScaleOptimizer})
    return serialization.deserialize_keras_object(config, custom_objects, package="optimizers")


def _builtin_name(name, table):
    # Any spelling of a built-in's name is its class name; an unknown name lists the valid ones, closest first.
    return _lookup.lookup("optimizer", str(name).lower(), table).__name__


def get(identifier):
    """An optimizer from a name (``'adam'``, ``'SGD'``, ...; a new instance with Keras's defaults), a config
    dict, or an instance (returned as is). None gives None."""
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _lookup.lookup("optimizer", identifier.lower(), ALL_OPTIMIZERS)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Expected an optimizer name such as 'adam', a "
        "config dict or an Optimizer instance.")
