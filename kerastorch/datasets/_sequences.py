"""What imdb and reuters do to their word-index sequences (Keras's arguments, in Keras's order)."""
def shift_and_mark(sequences, start_char, index_from):
    """Each sequence's indices raised by ``index_from``, and ``start_char`` put first when given."""
    if start_char is not None:
        return [[start_char] + [int(w) + index_from for w in s] for s in sequences]
    return [[int(w) + index_from for w in s] for s in sequences]


def drop_long(maxlen, sequences, labels):
    """Only the sequences shorter than ``maxlen`` (and their labels)."""
    kept = [i for i, s in enumerate(sequences) if len(s) < maxlen]
    return [sequences[i] for i in kept], [labels[i] for i in kept]


def limit_vocabulary(sequences, num_words, skip_top, oov_char):
    """Indices outside ``[skip_top, num_words)`` replaced by ``oov_char``, or dropped when it is None;
    ``num_words`` None means the largest index seen."""
    if not num_words:
        num_words = max(max(s) for s in sequences if s)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in s] for s in sequences]
    return [[w for w in s if skip_top <= w < num_words] for s in sequences]
