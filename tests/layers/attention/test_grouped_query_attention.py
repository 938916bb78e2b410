"""GroupedQueryAttention beyond the fixtures: its paths agree, which one a call takes, Keras's names, errors."""
import pytest
import torch

from kerastorch import layers
from kerastorch.saving import serialization

from test_multi_head_attention import padded, sdpa_ran


def seeded_layer(**arguments):
    torch.manual_seed(0)
    return layers.GroupQueryAttention(**{"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2,
                                         **arguments})


def test_weights_have_keras_names_and_shapes():
    layer = layers.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2, name="gqa")
    layer(torch.zeros(2, 5, 8), torch.zeros(2, 6, 8))
    assert [(w.path, tuple(w.shape)) for w in layer.weights] == [
        ("gqa/query/kernel", (8, 4, 3)), ("gqa/query/bias", (4, 3)), ("gqa/key/kernel", (8, 2, 3)),
        ("gqa/key/bias", (2, 3)), ("gqa/value/kernel", (8, 2, 3)), ("gqa/value/bias", (2, 3)),
        ("gqa/attention_output/kernel", (4, 3, 8)), ("gqa/attention_output/bias", (8,))]


@pytest.mark.parametrize("masks", ["none", "causal", "value_padding", "attention_mask"])
def test_fused_and_explicit_paths_agree(masks):
    layer = seeded_layer()
    x, _ = padded()
    value, value_mask = padded(steps=5, lengths=(5, 1, 3), seed=1)
    kwargs = {"use_causal_mask": masks == "causal"}
    if masks == "value_padding":
        kwargs["value_mask"] = value_mask
    if masks == "attention_mask":
        kwargs["attention_mask"] = torch.ones(3, 6, 5, dtype=torch.bool).tril()
    fused = layer(x, value, **kwargs)
    explicit, scores = layer(x, value, return_attention_scores=True, **kwargs)
    assert tuple(scores.shape) == (3, 4, 6, 5)
    torch.testing.assert_close(fused, explicit, atol=1e-5, rtol=1e-5)


def test_scores_are_asked_for_explicitly_else_the_fused_kernel_runs():
    layer = seeded_layer()
    x = torch.randn(2, 5, 8)
    assert sdpa_ran(lambda: layer(x, x))
    assert not sdpa_ran(lambda: layer(x, x, return_attention_scores=True))


def test_config_is_written_under_keras_exported_name():
    entry = serialization.serialize_keras_object(seeded_layer())
    assert entry["class_name"] == "GroupQueryAttention"
    again = serialization.deserialize_keras_object(entry)
    assert isinstance(again, layers.GroupedQueryAttention) and again.num_key_value_heads == 2


def test_query_heads_not_a_multiple_of_key_value_heads_are_refused():
    with pytest.raises(ValueError, match="num_query_heads=6, num_key_value_heads=4"):
        layers.GroupQueryAttention(head_dim=3, num_query_heads=6, num_key_value_heads=4)


def test_attention_mask_of_a_wrong_shape_is_refused():
    layer = seeded_layer(name="gqa")
    with pytest.raises(ValueError, match=r"Layer 'gqa'.*attention_mask.shape=\(2, 4, 4\)"):
        layer(torch.zeros(2, 5, 8), torch.zeros(2, 4, 8), attention_mask=torch.ones(2, 4, 4, dtype=torch.bool))


def test_rank_other_than_three_is_refused():
    layer = seeded_layer(name="gqa")
    with pytest.raises(ValueError, match=r"Layer 'gqa'.*query.shape=\(2, 3, 5, 8\)"):
        layer(torch.zeros(2, 3, 5, 8), torch.zeros(2, 3, 5, 8))


def test_symbolic_query_and_value_of_different_features_are_refused():
    import kerastorch as keras
    q, v = keras.Input((5, 8)), keras.Input((4, 6))
    with pytest.raises(ValueError, match="last dimension of `query_shape` and `value_shape` must be equal"):
        seeded_layer()(q, v)
