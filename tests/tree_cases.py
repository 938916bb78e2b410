"""The keras.tree cases that tools/golden_tree.py evaluates under Keras and tests/test_tree.py under kerastorch:
each is a Python expression over ``tree``, ``collections`` and ``Point`` (a namedtuple); the fixture keeps the
``repr`` of its value, or the name of the exception it raises."""
import collections

Point = collections.namedtuple("Point", ["x", "y"])

CASES = [
    "tree.flatten([[1, 2, 3], [4, [5], [[6]]]])",
    "tree.flatten(None)",
    "tree.flatten(1)",
    "tree.flatten({100: 'world!', 6: 'Hello'})",
    "tree.flatten({'b': (1, 2), 'a': [3, {'d': 4, 'c': 5}]})",
    "tree.flatten(collections.OrderedDict([('b', 1), ('a', 2)]))",
    "tree.flatten(Point(1, [2, 3]))",
    "tree.flatten([None, (None, 1)])",
    "tree.flatten([])",
    "tree.flatten(collections.deque([1, [2]]))",
    "tree.flatten_with_path([{'foo': 42}, (1, Point(2, 3))])",
    "tree.is_nested(42)",
    "tree.is_nested({'foo': 42})",
    "tree.is_nested(Point(1, 2))",
    "tree.is_nested('abc')",
    "tree.is_nested(None)",
    "tree.map_structure(lambda v: v ** 2, [[1], [2], [3]])",
    "tree.map_structure(lambda x, y: x * y, [[1], (2, 3)], [[4], (5, 6)])",
    "tree.map_structure(lambda v: v * 2, Point(1, 2))",
    "tree.map_structure(lambda v: v, {'b': 1, 'a': (2, None)})",
    "tree.map_structure(lambda v: -v, {'b': 1, 'a': (2, None)}, none_is_leaf=False)",
    "tree.map_structure(lambda v: v + 1, 3)",
    "tree.map_structure(lambda x, y: x + y, [1, 2], [1, 2, 3])",
    "tree.map_structure(lambda x, y: x + y, [1, 2], (1, 2))",
    "tree.map_structure_up_to([None, None], len, [[1, 1], [2, 2]])",
    "tree.map_structure_up_to([None, [None, None]], str, [[1, 1], [2, 2]])",
    "tree.map_structure_up_to({'a': None}, lambda x, y: (x, y), {'a': [1]}, {'a': (2,)})",
    "tree.pack_sequence_as({'key3': '', 'key1': '', 'key2': ''}, ['value1', 'value2', 'value3'])",
    "tree.pack_sequence_as((('a', 'b'), ('c', 'd', 'e'), 'f'), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])",
    "tree.pack_sequence_as({'key3': {'c': ('alpha', 'beta'), 'a': ('gamma')}, 'key1': {'e': 'val1', 'd': "
    "'val2'}}, ['val2', 'val1', 3.0, 1.0, 2.0])",
    "tree.pack_sequence_as(['a'], [7])",
    "tree.pack_sequence_as(Point(0, [0, 0]), [1, 2, 3])",
    "tree.pack_sequence_as(collections.OrderedDict([('b', 0), ('a', 0)]), [1, 2])",
    "tree.pack_sequence_as([0, 0], [1])",
    "tree.assert_same_structure([(0, 1)], [(2, 3)])",
    "tree.assert_same_structure([(0, 1)], [[2, 3]])",
    "tree.assert_same_structure({'a': 1}, collections.OrderedDict(a=2))",
    "tree.assert_same_structure({'a': 1}, {'b': 1})",
    "tree.assert_same_structure([1, 2], [1])",
    "tree.assert_same_structure(Point(0, 1), (0, 1))",
    "tree.assert_same_paths([0, 1], (2, 3))",
    "tree.assert_same_paths([0, 1], [2])",
    "tree.lists_to_tuples([1, [2, {'a': [3]}], (4, [5])])",
    "tree.map_shape_structure(lambda s: len(s), [(1, None), {'a': (2, 3, 4)}])",
    "tree.map_shape_structure(lambda s: s, (None, 3))",
]

TRAVERSALS = [
    # (structure expression, top_down): the visit order and the result of traverse(v.append, ...)
    ("[(1, 2), [3], {'a': 4}]", True),
    ("[(1, 2), [3], {'a': 4}]", False),
    ("(Point(1, [2]), [3], {'a': (4,)})", True),
]


def evaluate(tree, expression):
    """``repr`` of the expression's value, or ``'<error ExceptionName>'``."""
    try:
        return repr(eval(expression, {"tree": tree, "collections": collections, "Point": Point}))
    except Exception as error:  # noqa: BLE001 - the kind of failure is what is recorded
        return f"<error {type(error).__name__}>"


def traversal(tree, expression, top_down):
    visited = []
    structure = eval(expression, {"Point": Point})
    result = tree.traverse(visited.append, structure, top_down=top_down)
    replaced = tree.traverse(lambda s: "X" if isinstance(s, list) else None, structure, top_down=top_down)
    to_none = tree.traverse(lambda s: tree.MAP_TO_NONE if isinstance(s, tuple) else None, structure,
                            top_down=top_down)
    return [repr(visited), repr(result), repr(replaced), repr(to_none)]
