"""``keras.utils.pad_sequences``: sequences of different lengths padded (or cut) into one array."""
import numpy as np

_SIDES = ("pre", "post")


def _check_side(argument, value):
    if value not in _SIDES:
        raise ValueError(f'`{argument}` must be "pre" or "post". Received: {argument}={value!r}')


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pads (or truncates) sequences to one length and stacks them into an array.

    Args:
        sequences: a list of sequences (lists or arrays; their items may themselves be arrays of one shape).
        maxlen: the length of the output; the longest sequence's length when None.
        dtype: the output's dtype (strings too: ``dtype=object`` or a numpy string dtype).
        padding: ``"pre"`` or ``"post"``: where the padding goes.
        truncating: ``"pre"`` or ``"post"``: which end of a longer sequence is cut.
        value: the padding value.

    Returns:
        A numpy array of shape ``(len(sequences), maxlen) + item_shape``.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"`sequences` must be iterable. Received: sequences={sequences!r}")
    _check_side("padding", padding)
    _check_side("truncating", truncating)
    lengths = []
    item_shape = ()
    found_shape = False
    for index, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError:
            raise ValueError(f"`sequences` must be a list of iterables. Found non-iterable at index {index}: "
                             f"{sequence!r}") from None
        if not found_shape and len(sequence):
            item_shape = np.asarray(sequence).shape[1:]
            found_shape = True
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    is_text = np.dtype(dtype).kind in "OUS"
    if isinstance(value, str) and not is_text:
        raise ValueError(f"`dtype` {dtype} is not compatible with `value`'s type {type(value)}. You should set "
                         f"`dtype=object` for variable length strings.")
    result = np.full((len(lengths), maxlen) + item_shape, value, dtype=dtype)
    for index, sequence in enumerate(sequences):
        if not len(sequence) or not maxlen:
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != item_shape:
            raise ValueError(f"Shape of sample {kept.shape[1:]} of sequence at position {index} is different from "
                             f"expected shape {item_shape}")
        if padding == "post":
            result[index, :len(kept)] = kept
        else:
            result[index, maxlen - len(kept):] = kept
    return result
