"""Attention and AdditiveAttention beyond the fixtures: the dot path's fused kernel agrees with the explicit one,
dropout as Keras's, errors."""
import pytest
import torch

from kerastorch import layers

from test_multi_head_attention import sdpa_ran


def inputs(seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(3, 5, 6, generator=generator), torch.randn(3, 4, 6, generator=generator)


@pytest.mark.parametrize("use_scale", [False, True])
@pytest.mark.parametrize("causal", [False, True])
def test_fused_and_explicit_dot_paths_agree(use_scale, causal):
    layer = layers.Attention(use_scale=use_scale)
    query, value = inputs()
    value_mask = torch.tensor([[True, True, False, False], [True, True, True, True], [True, False, True, False]])
    if use_scale:
        layer([query, value])
        layer.set_weights([torch.tensor(0.7).numpy()])
    fused = layer([query, value], mask=[None, value_mask], use_causal_mask=causal)
    explicit, _ = layer([query, value], mask=[None, value_mask], use_causal_mask=causal,
                        return_attention_scores=True)
    torch.testing.assert_close(fused, explicit, atol=1e-5, rtol=1e-5)


def test_dot_scores_run_on_the_fused_kernel_unless_asked_for():
    layer = layers.Attention()
    query, value = inputs()
    assert layer.uses_fused_kernel() and sdpa_ran(lambda: layer([query, value]))
    assert not sdpa_ran(lambda: layer([query, value], return_attention_scores=True))
    assert not layers.Attention(score_mode="concat").uses_fused_kernel()
    assert not layers.AdditiveAttention().uses_fused_kernel()


@pytest.mark.parametrize("layer_class", [layers.Attention, layers.AdditiveAttention])
def test_dropout_drops_probabilities_as_keras_dropout_does(layer_class):
    # Every value step is the same one-hot row per position: the output is the dropped probabilities themselves.
    torch.manual_seed(0)
    layer = layer_class(dropout=0.5, use_scale=False)
    query = torch.zeros(256, 4, 4)
    value = torch.eye(4).expand(256, 4, 4)
    outputs = layer([query, value], training=True)
    kept = outputs != 0
    assert 0.45 < kept.float().mean().item() < 0.55
    torch.testing.assert_close(outputs[kept], torch.full_like(outputs[kept], 0.25 / 0.5))
    torch.testing.assert_close(layer([query, value]), torch.full((256, 4, 4), 0.25))


def test_weights_have_keras_names():
    layer = layers.Attention(use_scale=True, score_mode="concat", name="att")
    layer(list(inputs()))
    assert [(w.path, tuple(w.shape)) for w in layer.weights] == [("att/scale", ()), ("att/concat_score_weight", ())]
    additive = layers.AdditiveAttention(name="add_att")
    additive(list(inputs()))
    assert [(w.path, tuple(w.shape)) for w in additive.weights] == [("add_att/scale", (6,))]


@pytest.mark.parametrize("call, words", [
    (lambda layer, q, v: layer(q), "must be called on a list of inputs"),
    (lambda layer, q, v: layer([q]), "length 2 or 3"),
    (lambda layer, q, v: layer([q, v, torch.zeros(3, 7, 6)]), "same number of steps"),
    (lambda layer, q, v: layer([q, torch.zeros(3, 4, 5)]), "same last dimension"),
])
def test_bad_inputs_are_refused_naming_the_layer(call, words):
    with pytest.raises(ValueError, match=f"Layer 'att'.*{words}"):
        call(layers.Attention(name="att"), *inputs())


def test_unknown_score_mode_is_refused():
    with pytest.raises(ValueError, match="score_mode='cosine'"):
        layers.Attention(score_mode="cosine")
