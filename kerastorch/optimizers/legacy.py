"""Keras 2's optimizers (``keras.optimizers.legacy``, tf.keras's ``optimizer_v2``): kerastorch's optimizers, which
take Keras 2's ``lr``, ``decay`` and ``epsilon=None`` themselves. ``Nadam`` here keeps Keras 2's momentum schedule
(``schedule_decay=0.004``)."""
from kerastorch import _legacy
from kerastorch._porting import missing_attribute
from kerastorch.optimizers import nadam
from kerastorch.optimizers.adadelta import Adadelta  # noqa: F401
from kerastorch.optimizers.adagrad import Adagrad  # noqa: F401
from kerastorch.optimizers.adam import Adam  # noqa: F401
from kerastorch.optimizers.adamax import Adamax  # noqa: F401
from kerastorch.optimizers.optimizer import Optimizer  # noqa: F401
from kerastorch.optimizers.rmsprop import RMSprop  # noqa: F401
from kerastorch.optimizers.sgd import SGD  # noqa: F401

_legacy.alias_module(__name__, "`keras.optimizers` (`keras.optimizers.Adam`)")
__getattr__ = missing_attribute(__name__)


def Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, schedule_decay=0.004, **kwargs):  # noqa: N802
    """Keras 2's Nadam: ``keras.optimizers.Nadam`` with Keras 2's momentum schedule,
    ``mu_t = beta_1 * (1 - 0.5 * 0.96 ** (schedule_decay * t))``.

    Args:
        learning_rate, beta_1, beta_2, epsilon: as for ``keras.optimizers.Nadam``.
        schedule_decay: the rate of the momentum schedule. Defaults to Keras 2's 0.004.
        **kwargs: the arguments every optimizer takes (``clipnorm``, ``name``, Keras 2's ``lr``, ...).
    """
    return nadam.Nadam(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                       schedule_decay=schedule_decay, **kwargs)
