"""`to_categorical` and `normalize`, on numpy arrays as Keras's utilities are."""
import numpy as np


def to_categorical(x, num_classes=None):
    """One-hot encode integer class labels: shape ``(n,)`` (or ``(n, 1)``) becomes ``(n, num_classes)``.

    Args:
        x: integer labels in [0, num_classes).
        num_classes: the number of classes; ``max(x) + 1`` when None.
    """
    x = np.asarray(x)
    if x.size and not np.issubdtype(x.dtype, np.integer):
        if not np.all(np.equal(np.mod(x, 1), 0)):
            raise ValueError(f"`to_categorical` expects integer class labels. Received an array of dtype {x.dtype} "
                             f"with non-integer values.")
    x = x.astype("int64")
    shape = x.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if num_classes is None:
        num_classes = int(x.max()) + 1 if x.size else 0
    if x.size and (x.min() < 0 or x.max() >= num_classes):
        raise ValueError(f"`to_categorical` received labels outside [0, {num_classes}): min {x.min()}, "
                         f"max {x.max()}.")
    categorical = np.zeros((x.shape[0], num_classes))
    categorical[np.arange(x.shape[0]), x] = 1
    return categorical.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms leave zeros)."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
