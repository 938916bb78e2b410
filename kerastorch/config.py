"""``keras.config``: Keras 3's home for the global settings (float type, fuzz factor, image layout, dtype
policy); the same functions as ``kerastorch.backend`` and ``kerastorch.dtype_policies``."""
from kerastorch._porting import missing_attribute
from kerastorch.backend import (backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx,
                                set_image_data_format)
from kerastorch.dtype_policies import DTypePolicy, dtype_policy, set_dtype_policy

__all__ = ["backend", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx",
           "set_image_data_format", "DTypePolicy", "dtype_policy", "set_dtype_policy"]

__getattr__ = missing_attribute(__name__)
