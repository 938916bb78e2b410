"""keras.random: reproducible from a seed, advancing SeedGenerator state, the right distributions, usable inside
a layer's call and under torch.compile without host syncs."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import random


def test_an_int_seed_gives_the_same_numbers_at_every_call():
    torch.testing.assert_close(random.normal((4, 3), seed=7), random.normal((4, 3), seed=7))
    assert not torch.equal(random.normal((4, 3), seed=7), random.normal((4, 3), seed=8))


def test_a_seed_generator_advances_and_replays_from_the_same_seed():
    first, second = random.SeedGenerator(3), random.SeedGenerator(3)
    a, b = random.uniform((5,), seed=first), random.uniform((5,), seed=first)
    assert not torch.equal(a, b)
    torch.testing.assert_close(random.uniform((5,), seed=second), a)
    assert first.state.tolist() == [3, 2] and first.state.dtype == torch.int64


def test_seed_generator_config_round_trips():
    generator = random.SeedGenerator(5, name="noise")
    assert generator.get_config() == {"seed": 5, "name": "noise"}
    assert random.SeedGenerator.from_config(generator.get_config()).state.tolist() == [5, 0]


def test_set_random_seed_makes_unseeded_draws_reproducible():
    keras.utils.set_random_seed(11)
    a = random.normal((3,))
    keras.utils.set_random_seed(11)
    torch.testing.assert_close(random.normal((3,)), a)


@pytest.mark.parametrize("function, args, mean, variance", [
    (random.normal, {"mean": 1.0, "stddev": 2.0}, 1.0, 4.0),
    (random.uniform, {"minval": -1.0, "maxval": 3.0}, 1.0, 16 / 12),
    (random.truncated_normal, {}, 0.0, 0.7737),
    (random.gamma, {"alpha": 2.5}, 2.5, 2.5),
    (random.gamma, {"alpha": 0.5}, 0.5, 0.5),
    (random.beta, {"alpha": 2.0, "beta": 3.0}, 0.4, 0.04),
    (random.binomial, {"counts": 10, "probabilities": 0.3}, 3.0, 2.1),
])
def test_distribution_has_the_expected_moments(function, args, mean, variance):
    sample = function((40000,), seed=1, **args).double()
    assert abs(sample.mean().item() - mean) < 0.03 * max(1.0, abs(mean))
    assert abs(sample.var().item() - variance) < 0.05 * max(1.0, variance)


def test_truncated_normal_stays_within_two_standard_deviations():
    sample = random.truncated_normal((10000,), mean=1.0, stddev=0.5, seed=2)
    assert sample.min() >= 0.0 and sample.max() <= 2.0


def test_randint_covers_its_range_uniformly_with_an_int_dtype():
    sample = random.randint((20000,), 2, 7, seed=3)
    assert sample.dtype == torch.int32 and sample.min() == 2 and sample.max() == 6
    counts = torch.bincount(sample.long() - 2)
    assert (counts - 4000).abs().max() < 300


def test_categorical_follows_the_softmax_of_the_logits():
    logits = torch.log(torch.tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]]))
    sample = random.categorical(logits, 20000, seed=4)
    assert sample.shape == (2, 20000) and sample.dtype == torch.int32
    frequencies = torch.stack([torch.bincount(row.long(), minlength=3) for row in sample]).double() / 20000
    torch.testing.assert_close(frequencies, torch.tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]], dtype=torch.float64),
                               atol=0.015, rtol=0)


def test_dropout_zeroes_the_rate_and_rescales_the_rest():
    out = random.dropout(torch.ones(10000), 0.25, seed=5)
    kept = out[out != 0]
    assert abs((out == 0).float().mean().item() - 0.25) < 0.02
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / 0.75))
    rows = random.dropout(torch.ones(6, 50), 0.5, noise_shape=(6, 1), seed=6)
    assert all(len(set(row.tolist())) == 1 for row in rows)


def test_shuffle_permutes_along_the_axis():
    x = torch.arange(12).reshape(6, 2)
    shuffled = random.shuffle(x, seed=7)
    assert sorted(shuffled[:, 0].tolist()) == x[:, 0].tolist()
    torch.testing.assert_close(shuffled[:, 1] - shuffled[:, 0], torch.ones(6, dtype=torch.int64))


def test_bad_arguments_are_refused_with_keras_words():
    with pytest.raises(ValueError, match="floating point"):
        random.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="integer"):
        random.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="2-D"):
        random.categorical(torch.zeros(3), 2)
    with pytest.raises(ValueError, match="seed"):
        random.SeedGenerator(1.5)


def test_draws_under_torch_compile_advance_the_state_like_eager_ones():
    eager, compiled_generator = random.SeedGenerator(9), random.SeedGenerator(9)
    draw = torch.compile(lambda g: random.normal((3,), seed=g), fullgraph=True)
    for _ in range(2):
        torch.testing.assert_close(draw(compiled_generator), random.normal((3,), seed=eager))
    assert compiled_generator.state.tolist() == [9, 2]


def test_keras_random_is_importable_under_the_keras_name():
    import importlib
    from kerastorch import _porting
    _porting.install()
    try:
        assert importlib.import_module("keras.random") is random
    finally:
        _porting.uninstall()
