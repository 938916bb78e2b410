"""Models: Model, Sequential, and (Keras's and Keras 2's path) the functions that save and load them."""
from kerastorch import _legacy
from kerastorch._porting import missing_attribute
from kerastorch.models.cloning import clone_model
from kerastorch.models.functional import Functional
from kerastorch.models.model import Model
from kerastorch.models.sequential import Sequential

# keras.models.load_model is keras.saving.load_model; saving sits above models, so it is looked up on use.
__getattr__ = missing_attribute(__name__, elsewhere={name: "kerastorch.saving"
                                                     for name in ("load_model", "model_from_json", "save_model")})


def model_from_config(config, custom_objects=None):
    """Keras 2's ``keras.models.model_from_config``: a new model (fresh weights) from a model's
    ``{"class_name": ..., "config": ...}`` dict, as ``model_from_json`` reads it from JSON.

    Args:
        config: the dict (Keras 3's or Keras 2's schema).
        custom_objects: optional ``{name: class}`` for the user's own layers.
    """
    _legacy.warn_once("keras.models.model_from_config", "`keras.saving.deserialize_keras_object`")
    from kerastorch.saving.saving_lib import model_from_config_dict
    return model_from_config_dict(config, custom_objects=custom_objects, compile=False)
