"""``keras.tree``: functions on nested structures of lists, tuples, namedtuples, dicts and deques.

A structure is a leaf unless it is a list, a tuple (namedtuples included), a ``collections.deque`` or a mapping.
Mappings are walked in sorted key order, except ``OrderedDict``, walked in its own order, as Keras does; ``None``
is a leaf. Everything here is plain Python: no tensor is touched, so it runs under ``torch.compile``.
"""
import collections
import collections.abc

__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten", "flatten_with_path",
           "is_nested", "lists_to_tuples", "map_shape_structure", "map_structure", "map_structure_up_to",
           "pack_sequence_as", "traverse"]


class MAP_TO_NONE:
    """What a ``traverse`` function returns to replace a sub-structure by ``None``."""


def is_nested(structure):
    """Whether ``structure`` is a list, tuple, namedtuple, deque or mapping (not a leaf)."""
    return isinstance(structure, (list, tuple, collections.deque, collections.abc.Mapping))


def _is_namedtuple(structure):
    return isinstance(structure, tuple) and hasattr(type(structure), "_fields")


def _keys(mapping):
    if isinstance(mapping, collections.OrderedDict):
        return list(mapping)
    try:
        return sorted(mapping)
    except TypeError as error:
        raise TypeError(f"keras.tree needs sortable dict keys. Received keys {list(mapping)!r}") from error


def _children(structure):
    """``[(path key, child), ...]`` of a nested structure, in flattening order."""
    if isinstance(structure, collections.abc.Mapping):
        return [(key, structure[key]) for key in _keys(structure)]
    return list(enumerate(structure))


def _rebuild(structure, values):
    """A structure of ``structure``'s type holding ``values`` (in flattening order)."""
    if isinstance(structure, collections.abc.Mapping):
        by_key = dict(zip(_keys(structure), values))
        if isinstance(structure, collections.defaultdict):
            result = collections.defaultdict(structure.default_factory)
            result.update((key, by_key[key]) for key in structure)
            return result
        return type(structure)((key, by_key[key]) for key in structure)
    if _is_namedtuple(structure):
        return type(structure)(*values)
    if isinstance(structure, collections.deque):
        return collections.deque(values, maxlen=structure.maxlen)
    return type(structure)(values)


def flatten(structure):
    """The leaves of ``structure`` as a list: ``flatten({"b": 1, "a": [2, 3]}) == [2, 3, 1]``."""
    return [leaf for _, leaf in flatten_with_path(structure)]


def flatten_with_path(structure):
    """``[(path, leaf), ...]``: each leaf with the tuple of indices and keys that leads to it."""
    if not is_nested(structure):
        return [((), structure)]
    pairs = []
    for key, child in _children(structure):
        pairs.extend(((key,) + path, leaf) for path, leaf in flatten_with_path(child))
    return pairs


def pack_sequence_as(structure, flat_sequence):
    """The leaves of ``flat_sequence`` (in order) placed into the layout of ``structure``."""
    if not isinstance(flat_sequence, collections.abc.Iterable) or isinstance(flat_sequence, (str, bytes)):
        raise TypeError(f"`flat_sequence` must be a sequence. Received: {flat_sequence!r}")
    flat_sequence = list(flat_sequence)
    expected = len(flatten(structure))
    if expected != len(flat_sequence):
        raise ValueError(f"The target structure has {expected} leaves, but `flat_sequence` has "
                         f"{len(flat_sequence)} items. Structure: {structure!r}")
    leaves = iter(flat_sequence)

    def pack(node):
        if not is_nested(node):
            return next(leaves)
        return _rebuild(node, [pack(child) for _, child in _children(node)])

    return pack(structure)


def _same_structure(a, b, check_types, path=()):
    """``None`` when ``a`` and ``b`` are nested alike, else the reason they are not."""
    if is_nested(a) != is_nested(b):
        return f"at {path or 'the top'}, one is a leaf and the other is not: {a!r} and {b!r}"
    if not is_nested(a):
        return None
    if check_types:
        mapping_a = isinstance(a, collections.abc.Mapping)
        if mapping_a != isinstance(b, collections.abc.Mapping) or (not mapping_a and type(a) is not type(b)):
            return f"at {path or 'the top'}, the types differ: {type(a).__name__} and {type(b).__name__}"
    if isinstance(a, collections.abc.Mapping) or isinstance(b, collections.abc.Mapping):
        if not (isinstance(a, collections.abc.Mapping) and isinstance(b, collections.abc.Mapping)) \
                or set(a) != set(b):
            return f"at {path or 'the top'}, the keys differ: {sorted(map(str, a))} and {sorted(map(str, b))}"
        pairs = [(key, a[key], b[key]) for key in _keys(a)]
    else:
        if len(a) != len(b):
            return f"at {path or 'the top'}, the lengths differ: {len(a)} and {len(b)}"
        pairs = [(index, x, y) for index, (x, y) in enumerate(zip(a, b))]
    for key, x, y in pairs:
        reason = _same_structure(x, y, check_types, path + (key,))
        if reason:
            return reason
    return None


def assert_same_structure(a, b, check_types=None):
    """Raise a ValueError unless ``a`` and ``b`` are nested alike: same container types (any mappings with the
    same keys count as alike; a list is not a tuple, nor one namedtuple another) and the same lengths.

    Args:
        check_types: accepted for compatibility; it has no effect, as in Keras 3.
    """
    reason = _same_structure(a, b, check_types=True)
    if reason:
        raise ValueError(f"The two structures don't have the same nested structure ({reason}).\n"
                         f"First structure: {a!r}\nSecond structure: {b!r}")


def assert_same_paths(a, b):
    """Raise a ValueError unless ``a`` and ``b`` have the same leaf paths (container types are not compared)."""
    paths_a = {path for path, _ in flatten_with_path(a)}
    paths_b = {path for path, _ in flatten_with_path(b)}
    if paths_a != paths_b:
        raise ValueError(f"The two structures don't have the same paths. Only in the first: "
                         f"{sorted(map(str, paths_a - paths_b))}; only in the second: "
                         f"{sorted(map(str, paths_b - paths_a))}")


def map_structure(func, *structures, none_is_leaf=True):
    """``func`` applied leaf by leaf to ``structures`` (nested alike), in their layout.

    Args:
        none_is_leaf: when False, ``None`` leaves are kept as ``None`` instead of being passed to ``func``.
    """
    if not callable(func):
        raise TypeError(f"`func` must be callable. Received: {func!r}")
    if not structures:
        raise TypeError("map_structure needs at least one structure.")
    for other in structures[1:]:
        assert_same_structure(structures[0], other)

    def apply(*leaves):
        if not none_is_leaf and leaves[0] is None:
            return None
        return func(*leaves)

    flat = [flatten(s) for s in structures]
    return pack_sequence_as(structures[0], [apply(*leaves) for leaves in zip(*flat)])


def map_structure_up_to(shallow_structure, func, *structures):
    """``func`` applied to the sub-structures of ``structures`` found at the leaves of ``shallow_structure``."""
    if not structures:
        raise TypeError("map_structure_up_to needs at least one structure.")

    def cut(shallow, deep, path=()):
        if not is_nested(shallow):
            return [deep]
        if not is_nested(deep):
            raise ValueError(f"The structure is shallower than `shallow_structure` at {path or 'the top'}: "
                             f"{deep!r} where {shallow!r} is expected.")
        if isinstance(shallow, collections.abc.Mapping):
            if not isinstance(deep, collections.abc.Mapping) or not set(shallow) <= set(deep):
                raise ValueError(f"At {path or 'the top'}, the keys of {deep!r} do not cover those of {shallow!r}.")
            children = [(key, shallow[key], deep[key]) for key in _keys(shallow)]
        else:
            if len(shallow) != len(deep):
                raise ValueError(f"At {path or 'the top'}, the lengths differ: {len(shallow)} and {len(deep)}.")
            children = [(i, s, d) for i, (s, d) in enumerate(zip(shallow, deep))]
        return [leaf for key, s, d in children for leaf in cut(s, d, path + (key,))]

    columns = [cut(shallow_structure, structure) for structure in structures]
    return pack_sequence_as(shallow_structure, [func(*values) for values in zip(*columns)])


def traverse(func, structure, top_down=True):
    """Apply ``func`` to every sub-structure of ``structure`` (leaves included), depth first.

    Top down: where ``func`` returns a value other than None, that value replaces the sub-structure and its
    children are not visited. Bottom up: children first; a non-None result replaces the (rebuilt) sub-structure.
    Return ``MAP_TO_NONE`` to put ``None`` in the result.
    """
    if not callable(func):
        raise TypeError(f"`func` must be callable. Received: {func!r}")

    def result_of(value):
        return None if value is MAP_TO_NONE else value

    def visit(node):
        if top_down:
            value = func(node)
            if value is not None:
                return result_of(value)
            if not is_nested(node):
                return node
            return _rebuild(node, [visit(child) for _, child in _children(node)])
        rebuilt = _rebuild(node, [visit(child) for _, child in _children(node)]) if is_nested(node) else node
        value = func(rebuilt)
        return rebuilt if value is None else result_of(value)

    return visit(structure)


def lists_to_tuples(structure):
    """``structure`` with every list turned into a tuple."""
    def convert(node):
        if not is_nested(node):
            return node
        values = [convert(child) for _, child in _children(node)]
        return tuple(values) if isinstance(node, list) else _rebuild(node, values)

    return convert(structure)


def _is_shape(structure):
    return isinstance(structure, (list, tuple)) and not _is_namedtuple(structure) and all(
        d is None or isinstance(d, int) and not isinstance(d, bool) for d in structure)


def map_shape_structure(func, structure):
    """``func`` applied to every shape (a tuple or list of ints and Nones) in ``structure``."""
    if _is_shape(structure) or not is_nested(structure):
        return func(structure)
    return _rebuild(structure, [map_shape_structure(func, child) for _, child in _children(structure)])
