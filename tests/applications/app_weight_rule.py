"""A deterministic, architecture-independent rule that fills every weight of an application model, used on both
sides of the applications parity fixtures: tools/golden_applications_*.py fills the Keras 3 model with it and
records its outputs; the tests fill the kerastorch model the same way and compare. No weight file is committed:
the rule is the fixture.

Pure numpy and no kerastorch import, so the recorders (run with Keras's own Python) import it too.
"""
import numpy as np


def weight_values(entries, seed=0):
    """One array per ``(name, shape)`` in ``entries``, in order.

    The name is the weight's short Keras name (``kernel``, ``bias``, ``gamma``, ``moving_variance``,
    ``depthwise_kernel`` ...). Kernels get N(0, 1/fan_in) with fan_in the product of all dimensions but the last
    (for a depthwise kernel ``(kh, kw, in, multiplier)``, ``kh * kw``), which keeps activations of order one
    through a deep network at inference; normalization statistics stay near the identity so that batch norm in
    inference mode neither blows up nor flattens the signal.

    Args:
        entries: a sequence of ``(name, shape)`` pairs, the model's weights in Keras's order.
        seed: the seed of the one random stream the weights are drawn from, in order.
    """
    rng = np.random.RandomState(seed)
    values = []
    for name, shape in entries:
        shape = tuple(int(d) for d in shape)
        short = name.rsplit("/", 1)[-1].split(":")[0]
        if short == "moving_variance" or short == "variance":
            value = 1.0 + 0.1 * rng.random_sample(shape)
        elif short in ("gamma", "scale"):
            value = 1.0 + 0.1 * (rng.random_sample(shape) - 0.5)
        elif len(shape) <= 1:
            value = 0.05 * rng.standard_normal(shape)
        else:
            if short == "depthwise_kernel":
                fan_in = int(np.prod(shape[:-2]))
            else:
                fan_in = int(np.prod(shape[:-1]))
            value = rng.standard_normal(shape) / np.sqrt(max(fan_in, 1))
        values.append(value.astype("float32"))
    return values
