"""``keras.mixed_precision``: dtype policies and loss scaling (see ``kerastorch.dtype_policies``).

``set_global_policy("mixed_float16")`` before building a model makes its layers keep float32 weights and compute
in float16 (``"mixed_bfloat16"``: bfloat16); ``compile`` then wraps the optimizer in a ``LossScaleOptimizer``.
Keras 2's names (``Policy``, ``experimental.set_policy``) work too.
"""
import types

from kerastorch._porting import missing_attribute
from kerastorch.dtype_policies import (DTypePolicy, Policy, dtype_policy, global_policy, set_dtype_policy,
                                       set_global_policy)
from kerastorch.optimizers.loss_scale_optimizer import LossScaleOptimizer

# TensorFlow 2.1-2.3's spelling, still in tutorials: mixed_precision.experimental.set_policy('mixed_float16').
experimental = types.SimpleNamespace(Policy=DTypePolicy, set_policy=set_global_policy, global_policy=global_policy,
                                     LossScaleOptimizer=LossScaleOptimizer)

__all__ = ["DTypePolicy", "Policy", "LossScaleOptimizer", "dtype_policy", "global_policy", "set_dtype_policy",
           "set_global_policy"]

__getattr__ = missing_attribute(__name__)
