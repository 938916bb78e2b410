"""Keras 2's ``keras.utils.vis_utils``: ``plot_model`` and ``model_to_dot``.

Both are ``keras.utils``' (kerastorch.utils.model_visualization's), looked up there on first access: this path
gives them wherever kerastorch.utils provides them, and names them as missing where it does not.
"""
from kerastorch import _legacy
from kerastorch._porting import missing_attribute

_legacy.alias_module(__name__, "`keras.utils` (`from keras.utils import plot_model`)")
__getattr__ = missing_attribute(__name__, elsewhere={"plot_model": "kerastorch.utils",
                                                     "model_to_dot": "kerastorch.utils"})
