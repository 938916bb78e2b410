"""MultiHeadAttention beyond the fixtures: its two paths agree, which one a call takes, dropout as Keras's, errors,
Keras's saved files, and a training step."""
import io
import zipfile

import h5py
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import layers
from golden_loader import golden_json, golden_npz, golden_path

GOLDEN = golden_npz("layers/attention.npz")
META = golden_json("layers/attention.json")


def seeded_layer(seed=0, **arguments):
    torch.manual_seed(seed)
    arguments = {"num_heads": 2, "key_dim": 4, **arguments}
    return layers.MultiHeadAttention(**arguments)


def padded(batch=3, steps=6, features=8, lengths=(6, 4, 2), seed=0):
    x = torch.randn(batch, steps, features, generator=torch.Generator().manual_seed(seed))
    mask = torch.arange(steps)[None, :] < torch.tensor(lengths)[:, None]
    return x, mask


def sdpa_ran(run):
    """Whether ``run()`` called torch's scaled_dot_product_attention, as torch's profiler records it."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        run()
    return any("scaled_dot_product" in event.name for event in profile.events())


def test_weights_have_keras_names_and_shapes():
    layer = layers.MultiHeadAttention(num_heads=3, key_dim=4, value_dim=5, name="mha")
    x, v = torch.zeros(2, 6, 8), torch.zeros(2, 7, 10)
    layer(x, v)
    assert [(w.path, tuple(w.shape)) for w in layer.weights] == [
        ("mha/query/kernel", (8, 3, 4)), ("mha/query/bias", (3, 4)), ("mha/key/kernel", (10, 3, 4)),
        ("mha/key/bias", (3, 4)), ("mha/value/kernel", (10, 3, 5)), ("mha/value/bias", (3, 5)),
        ("mha/attention_output/kernel", (3, 5, 8)), ("mha/attention_output/bias", (8,))]


@pytest.mark.parametrize("masks", ["none", "causal", "attention_mask", "padding_with_dropout", "cross_padding"])
def test_fused_and_explicit_paths_agree(masks):
    layer = seeded_layer(dropout=0.2 if masks == "padding_with_dropout" else 0.0)
    x, mask = padded()
    value, value_mask = padded(steps=5, lengths=(5, 1, 3), seed=1)
    kwargs = {}
    if masks == "causal":
        kwargs["use_causal_mask"] = True
    if masks == "attention_mask":
        kwargs["attention_mask"] = torch.rand(3, 6, 5, generator=torch.Generator().manual_seed(2)) > 0.3
        kwargs["attention_mask"][:, :, 0] = True   # every query step attends to something
    if masks == "padding_with_dropout":
        value, value_mask = x, mask
    if masks == "none":
        value = x

    def masked_inputs():
        # A query step hidden entirely differs between Keras's paths by design unless dropout is set.
        if masks == "padding_with_dropout":
            x._keras_mask = mask
        if masks in ("padding_with_dropout", "cross_padding"):
            value._keras_mask = value_mask
        return x, value

    fused = layer(*masked_inputs(), **kwargs)
    explicit, _ = layer(*masked_inputs(), return_attention_scores=True, **kwargs)
    torch.testing.assert_close(fused, explicit, atol=1e-5, rtol=1e-5)


def test_default_call_runs_on_scaled_dot_product_attention():
    layer = seeded_layer()
    x = torch.randn(2, 5, 8)
    layer(x, x)
    assert layer.uses_fused_kernel()
    assert sdpa_ran(lambda: layer(x, x))
    assert sdpa_ran(lambda: layer(x, x, use_causal_mask=True, attention_mask=torch.ones(2, 5, 5, dtype=bool)))


def test_asking_for_scores_runs_explicitly():
    layer = seeded_layer()
    x = torch.randn(2, 5, 8)
    layer(x, x)
    assert not layer.uses_fused_kernel(return_attention_scores=True)
    assert not sdpa_ran(lambda: layer(x, x, return_attention_scores=True))


def test_several_attention_axes_run_explicitly():
    layer = seeded_layer(attention_axes=(1, 2))
    x = torch.randn(2, 3, 4, 8)
    layer(x, x)
    assert not layer.uses_fused_kernel()
    assert not sdpa_ran(lambda: layer(x, x))


def identity_attention(rate):
    """One head whose query and key kernels are zero (every step gets probability 1/S), value and output kernels
    the identity: its output on the identity matrix is the (dropped-out) attention probabilities themselves."""
    layer = layers.MultiHeadAttention(num_heads=1, key_dim=8, dropout=rate)
    x = torch.eye(8).expand(64, 8, 8).contiguous()
    layer(x, x)
    zeros = [np.zeros(w.shape, "float32") for w in layer.get_weights()]
    zeros[4] = np.eye(8, dtype="float32").reshape(8, 1, 8)
    zeros[6] = np.eye(8, dtype="float32").reshape(1, 8, 8)
    layer.set_weights(zeros)
    return layer, x


def test_dropout_drops_attention_probabilities_as_keras_dropout_does():
    # Keras drops each probability with `rate` and scales the kept ones by 1 / (1 - rate).
    torch.manual_seed(3)
    layer, x = identity_attention(0.5)
    with torch.no_grad():
        probabilities = layer(x, x, training=True)
    kept = probabilities != 0
    assert 0.45 < kept.float().mean().item() < 0.55
    torch.testing.assert_close(probabilities[kept], torch.full_like(probabilities[kept], (1 / 8) / 0.5))


def test_dropout_is_off_outside_training():
    layer, x = identity_attention(0.5)
    with torch.no_grad():
        torch.testing.assert_close(layer(x, x), torch.full((64, 8, 8), 1 / 8))


def test_call_by_keyword():
    layer = seeded_layer()
    x = torch.randn(2, 5, 8)
    torch.testing.assert_close(layer(query=x, value=x), layer(x, x))


def test_input_masks_are_taken_off_the_inputs_and_put_on_the_output():
    layer = seeded_layer()
    x, mask = padded()
    x._keras_mask = mask
    output = layer(x, x)
    assert getattr(x, "_keras_mask", None) is None
    assert torch.equal(output._keras_mask, mask)


def test_a_training_step_reaches_every_weight():
    layer = seeded_layer(dropout=0.1)
    x, mask = padded()
    x._keras_mask = mask
    layer(x, x, training=True).sum().backward()
    assert all(w.grad is not None and torch.isfinite(w.grad).all() for w in layer.weights)


@pytest.mark.parametrize("arguments, words", [
    ({"num_heads": 0, "key_dim": 4}, "num_heads=0"),
    ({"num_heads": 2, "key_dim": 2.5}, "key_dim=2.5"),
    ({"num_heads": 2, "key_dim": 4, "value_dim": -1}, "value_dim=-1"),
    ({"num_heads": 2, "key_dim": 4, "dropout": 1.5}, "dropout=1.5"),
])
def test_bad_arguments_are_refused(arguments, words):
    with pytest.raises(ValueError, match=words.replace(".", r"\.")):
        layers.MultiHeadAttention(**arguments)


@pytest.mark.parametrize("shapes, words", [
    (((2, 5, 8), (2, 6, 8), (2, 7, 8)), "value_shape=.*key_shape"),
    (((2, 5, 8), (2, 3, 6, 8)), "same rank"),
    (((2, 5, 8), (3, 5, 8)), "same batch size"),
    (((8,), (8,)), "same rank, at least 3"),
])
def test_inconsistent_input_shapes_are_refused(shapes, words):
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")
    with pytest.raises(ValueError, match=f"Layer 'mha'.*{words}"):
        layer(*[torch.zeros(s) for s in shapes])


def test_attention_mask_of_a_wrong_shape_is_refused():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")
    x, v = torch.zeros(2, 5, 8), torch.zeros(2, 6, 8)
    with pytest.raises(ValueError, match=r"Layer 'mha'.*\(2, 5, 6\).*attention_mask.shape=\(2, 6, 5\)"):
        layer(x, v, attention_mask=torch.ones(2, 6, 5, dtype=torch.bool))


def test_call_without_value_is_refused():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")
    with pytest.raises(ValueError, match="Layer 'mha'.*`query` and `value`"):
        layer(torch.zeros(2, 5, 8))


def test_keras_written_file_loads_and_predicts_as_keras():
    model = keras.models.load_model(golden_path("layers/attention_mha.keras"))
    np.testing.assert_allclose(model.predict(GOLDEN["keras_file/x"], verbose=0), GOLDEN["keras_file/y"],
                               atol=1e-5, rtol=1e-5)


def _weights_layout(path):
    with zipfile.ZipFile(path) as archive:
        weights = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        datasets, groups = [], []
        weights.visititems(lambda name, obj: datasets.append(name) if isinstance(obj, h5py.Dataset) else None)
        weights.visititems(lambda name, obj: groups.append(name) if name.endswith("vars") else None)
    return sorted(datasets), sorted(groups)


def test_saved_file_has_the_paths_of_keras_file(tmp_path):
    model = keras.models.load_model(golden_path("layers/attention_mha.keras"))
    model.save(tmp_path / "saved.keras")
    datasets, groups = _weights_layout(tmp_path / "saved.keras")
    assert datasets == META["keras_file"]["datasets"]
    assert groups == META["keras_file"]["vars_groups"]


def test_saved_file_loads_back_and_predicts_the_same(tmp_path):
    model = keras.models.load_model(golden_path("layers/attention_mha.keras"))
    model.save(tmp_path / "saved.keras")
    again = keras.models.load_model(tmp_path / "saved.keras")
    x = GOLDEN["keras_file/x"]
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
