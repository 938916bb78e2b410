"""Models: Model, Sequential, and (Keras's and Keras 2's path) the functions that save and load them."""
from kerastorch._porting import missing_attribute
from kerastorch.models.cloning import clone_model
from kerastorch.models.functional import Functional
from kerastorch.models.model import Model
from kerastorch.models.sequential import Sequential

_missing = missing_attribute(__name__)
_FROM_SAVING = ("load_model", "model_from_json", "save_model")


def __getattr__(name):
    # keras.models.load_model is keras.saving.load_model; saving sits above models, so it is looked up on use.
    if name in _FROM_SAVING:
        from kerastorch import saving
        return getattr(saving, name)
    return _missing(name)
