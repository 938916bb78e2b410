"""kerastorch.data.Dataset: tf.data's methods on torch tensors, and fit/evaluate/predict taking it directly."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch.data import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset


def values(dataset):
    return [v.tolist() if isinstance(v, torch.Tensor) else v for v in dataset]


def test_from_tensor_slices_slices_along_first_axis():
    x = np.arange(6).reshape(3, 2)
    assert values(Dataset.from_tensor_slices(x)) == [[0, 1], [2, 3], [4, 5]]


def test_from_tensor_slices_keeps_tuple_and_dict_structure():
    element = next(iter(Dataset.from_tensor_slices(({"a": np.zeros((2, 3))}, np.arange(2)))))
    assert isinstance(element, tuple) and set(element[0]) == {"a"} and element[0]["a"].shape == (3,)


def test_from_tensor_slices_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same first dimension"):
        Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))


def test_python_floats_are_float32_and_numpy_float64_kept():
    assert next(iter(Dataset.from_tensor_slices([1.0, 2.0]))).dtype == torch.float32
    assert next(iter(Dataset.from_tensor_slices(np.zeros(2)))).dtype == torch.float64


def test_strings_stay_numpy_and_become_bytes_in_as_numpy_iterator():
    dataset = Dataset.from_tensor_slices(["a", "bc", "d"])
    assert list(dataset.as_numpy_iterator()) == [b"a", b"bc", b"d"]
    assert next(iter(dataset.batch(2))).tolist() == ["a", "bc"]


def test_batch_stacks_and_keeps_remainder_unless_dropped():
    assert values(Dataset.range(5).batch(2)) == [[0, 1], [2, 3], [4]]
    assert values(Dataset.range(5).batch(2, drop_remainder=True)) == [[0, 1], [2, 3]]


def test_batch_of_slices_equals_batch_of_generated_elements():
    x = np.random.RandomState(0).rand(7, 2).astype("float32")
    fast = [b.numpy() for b in Dataset.from_tensor_slices(x).batch(3)]
    slow = [b.numpy() for b in Dataset.from_generator(lambda: iter(x)).batch(3)]
    assert all(np.array_equal(a, b) for a, b in zip(fast, slow)) and len(fast) == len(slow) == 3


def test_batch_rejects_non_positive_size():
    with pytest.raises(ValueError, match="batch_size=0"):
        Dataset.range(3).batch(0)


def test_unbatch_inverts_batch():
    assert values(Dataset.range(5).batch(2).unbatch()) == [0, 1, 2, 3, 4]


def test_map_passes_tuple_elements_as_arguments():
    dataset = Dataset.from_tensor_slices((np.arange(3), np.arange(3) * 10)).map(lambda a, b: a + b)
    assert values(dataset) == [0, 11, 22]


def test_filter_keeps_elements_where_predicate_holds():
    assert values(Dataset.range(6).filter(lambda v: v % 2 == 0)) == [0, 2, 4]


def test_take_skip_repeat_concatenate():
    assert values(Dataset.range(5).skip(1).take(2)) == [1, 2]
    assert values(Dataset.range(2).repeat(2)) == [0, 1, 0, 1]
    assert values(Dataset.range(2).concatenate(Dataset.range(1))) == [0, 1, 0]
    assert values(Dataset.range(3).repeat().take(4)) == [0, 1, 2, 0]


def test_zip_stops_at_the_shortest_and_accepts_dicts():
    assert [(a.item(), b.item()) for a, b in Dataset.zip((Dataset.range(2), Dataset.range(5)))] == [(0, 0), (1, 1)]
    assert list(next(iter(Dataset.zip({"a": Dataset.range(1)})))) == ["a"]


def test_cardinality_follows_the_transformations():
    base = Dataset.range(10)
    assert int(base.batch(3).cardinality()) == 4
    assert int(base.batch(3, drop_remainder=True).cardinality()) == 3
    assert int(base.repeat().cardinality()) == INFINITE_CARDINALITY
    assert int(base.filter(lambda v: v > 1).cardinality()) == UNKNOWN_CARDINALITY
    assert int(base.skip(4).take(3).cardinality()) == 3 and len(base.repeat(2)) == 20


def test_len_of_infinite_dataset_raises_type_error():
    with pytest.raises(TypeError, match="infinite"):
        len(Dataset.range(2).repeat())


def test_shuffle_with_seed_is_a_reproducible_permutation():
    a = values(Dataset.range(20).shuffle(20, seed=3).batch(20))[0]
    b = values(Dataset.range(20).shuffle(20, seed=3).batch(20))[0]
    assert a == b and sorted(a) == list(range(20)) and a != list(range(20))


def test_shuffle_reshuffles_each_iteration_unless_told_not_to():
    reshuffled = Dataset.range(30).shuffle(30, seed=1)
    assert values(reshuffled) != values(reshuffled)
    fixed = Dataset.range(30).shuffle(30, seed=1, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed)


def test_small_buffer_shuffle_keeps_every_element():
    dataset = Dataset.from_generator(lambda: iter(range(50))).shuffle(4, seed=0)
    assert sorted(values(dataset)) == list(range(50))


def test_cache_runs_its_input_once():
    calls = []

    def generate():
        calls.append(1)
        yield from range(3)
    dataset = Dataset.from_generator(generate).cache()
    assert values(dataset) == values(dataset) == [0, 1, 2] and len(calls) == 1


def test_prefetch_yields_the_same_elements_and_reraises_errors():
    assert values(Dataset.range(7).prefetch(AUTOTUNE)) == list(range(7))

    def broken():
        yield 1
        raise RuntimeError("broken source")
    with pytest.raises(RuntimeError, match="broken source"):
        list(Dataset.from_generator(broken).prefetch(2))


def test_from_generator_requires_a_callable():
    with pytest.raises(TypeError, match="callable"):
        Dataset.from_generator(iter([1, 2]))


def test_fit_evaluate_predict_take_a_dataset():
    rng = np.random.RandomState(0)
    x, y = rng.rand(16, 3).astype("float32"), rng.rand(16, 1).astype("float32")
    dataset = Dataset.from_tensor_slices((x, y)).shuffle(16, seed=0).batch(4).cache().prefetch(AUTOTUNE)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(dataset, epochs=2, verbose=0, validation_data=dataset)
    assert len(history.history["loss"]) == 2 and "val_loss" in history.history
    assert np.isfinite(model.evaluate(dataset, verbose=0))
    assert model.predict(dataset.map(lambda a, b: a), verbose=0).shape == (16, 1)
