"""Models: Model, Sequential, and (Keras 2's path) the functions that save and load them."""
from kerastorch._porting import missing_attribute
from kerastorch.models.cloning import clone_model
from kerastorch.models.functional import Functional
from kerastorch.models.model import Model
from kerastorch.models.sequential import Sequential
from kerastorch.saving import load_model, model_from_json, save_model

__getattr__ = missing_attribute(__name__)
