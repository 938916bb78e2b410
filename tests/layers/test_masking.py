"""Masks: Masking, their way through Dense, pooling, merges and Lambda, and into the loss and metrics, against the
numbers real Keras gave (tests/golden/layers/masking.npz, written by tools/golden_masking.py)."""
import threading
import warnings

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import layers
from golden_loader import case_inputs, golden_npz, set_case_weights

GOLDEN = golden_npz("layers/masking.npz")


def inputs_of(case):
    return case_inputs(GOLDEN, case)


def set_recorded_weights(model, case):
    set_case_weights(model, GOLDEN, case)


def masking_then_pooling():
    inputs = keras.Input((5, 3))
    masked = layers.Masking(name="masking")(inputs)
    return keras.Model(inputs, layers.GlobalAveragePooling1D(name="pool")(masked)), "masking"


def masking_dense_pooling():
    return keras.Sequential([keras.Input((5, 3)), layers.Masking(mask_value=0.0, name="masking"),
                             layers.Dense(4, name="dense"), layers.GlobalAveragePooling1D(name="pool"),
                             layers.Dense(2, name="head")]), "dense"


def masking_max_pooling():
    return keras.Sequential([keras.Input((5, 3)), layers.Masking(name="masking"),
                             layers.GlobalMaxPooling1D(name="pool")]), "masking"


def merge_model(kind):
    def build():
        a, b = keras.Input((5, 3)), keras.Input((5, 3))
        merged = getattr(layers, kind)(name="merge")([layers.Masking(name="mask_a")(a),
                                                      layers.Masking(name="mask_b")(b)])
        return keras.Model([a, b], layers.GlobalAveragePooling1D(name="pool")(merged)), "merge"
    return build


def merge_one_masked():
    a, b = keras.Input((5, 3)), keras.Input((5, 3))
    merged = layers.Add(name="merge")([layers.Masking(name="mask_a")(a), b])
    return keras.Model([a, b], layers.GlobalAveragePooling1D(name="pool")(merged)), "merge"


def concatenate_time():
    a, b = keras.Input((5, 3)), keras.Input((4, 3))
    merged = layers.Concatenate(axis=1, name="merge")([layers.Masking(name="mask_a")(a),
                                                       layers.Masking(name="mask_b")(b)])
    return keras.Model([a, b], layers.GlobalAveragePooling1D(name="pool")(merged)), "merge"


def lambda_mask():
    inputs = keras.Input((5, 3))
    masked = layers.Masking(name="masking")(inputs)
    doubled = layers.Lambda(lambda t: t * 2.0, mask=lambda t, m: m, name="double")(masked)
    return keras.Model(inputs, layers.GlobalAveragePooling1D(name="pool")(doubled)), "double"


CASES = {"masking_then_pooling": masking_then_pooling, "masking_dense_pooling": masking_dense_pooling,
         "masking_max_pooling": masking_max_pooling, "concatenate_time": concatenate_time,
         "merge_one_masked": merge_one_masked, "lambda_mask": lambda_mask}
for _kind in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"):
    CASES[f"merge_{_kind.lower()}"] = merge_model(_kind)


def run(model, xs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model(xs if len(xs) > 1 else xs[0])


@pytest.mark.parametrize("case", sorted(CASES))
def test_outputs_match_keras(case):
    model, _ = CASES[case]()
    set_recorded_weights(model, case)
    output = run(model, inputs_of(case))
    np.testing.assert_allclose(output.detach().numpy(), GOLDEN[f"{case}/y"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", sorted(c for c in CASES if not c.startswith(("masking_dense", "masking_max"))))
def test_masks_match_keras(case):
    """The mask attached to the output of the case's layer is Keras's (or absent where Keras's is)."""
    model, layer_name = CASES[case]()
    set_recorded_weights(model, case)
    probe = keras.Model(model.inputs, model.get_layer(layer_name).output)
    mask = getattr(run(probe, inputs_of(case)), "_keras_mask", None)
    if f"{case}/mask" in GOLDEN:
        np.testing.assert_array_equal(mask.numpy(), GOLDEN[f"{case}/mask"])
    else:
        assert mask is None


def test_masking_computes_the_mask_and_zeroes_masked_steps():
    x = np.array([[[1.0, 0.0], [0.0, 0.0], [2.0, 2.0]]], dtype="float32")
    out = layers.Masking()(x)
    assert out._keras_mask.tolist() == [[True, False, True]]
    np.testing.assert_array_equal(out.numpy(), x)
    out = layers.Masking(mask_value=2.0)(x)
    assert out._keras_mask.tolist() == [[True, True, False]]
    np.testing.assert_array_equal(out.numpy()[0, 2], [0.0, 0.0])


def test_masking_config_round_trips_and_bad_value_is_refused():
    layer = layers.Masking(mask_value=-1.0, name="pad")
    assert layers.Masking.from_config(layer.get_config()).mask_value == -1.0
    with pytest.raises(ValueError, match="mask_value"):
        layers.Masking(mask_value="zero")


def test_a_layer_without_mask_support_warns_that_the_mask_stops_there():
    x = np.ones((2, 3, 4), dtype="float32")
    masked = layers.Masking()(torch.as_tensor(x))
    with pytest.warns(UserWarning, match="does not support masking"):
        out = layers.Flatten()(masked)
    assert not hasattr(out, "_keras_mask")


def test_an_explicit_mask_argument_wins_over_the_attached_one():
    x = torch.ones(1, 3, 2)
    mask = torch.tensor([[True, False, False]])
    out = layers.GlobalAveragePooling1D()(x * torch.tensor([1.0, 5.0, 9.0]).view(1, 3, 1), mask=mask)
    assert out.tolist() == [[1.0, 1.0]]


def test_sequential_passes_a_given_mask_to_its_layers():
    model = keras.Sequential([keras.Input((3, 2)), layers.GlobalAveragePooling1D()])
    x = torch.tensor([[[1.0, 1.0], [3.0, 3.0], [8.0, 8.0]]])
    assert model(x, mask=torch.tensor([[True, True, False]])).tolist() == [[2.0, 2.0]]


def test_masks_stay_with_the_thread_that_computed_them():
    """Masks ride on tensors, not on layers: two threads with different masks through one model."""
    model, _ = masking_then_pooling()
    results = {}

    def work(name, length):
        x = np.ones((1, 5, 3), dtype="float32") * np.arange(1, 6, dtype="float32").reshape(1, 5, 1)
        x[:, length:] = 0.0
        for _ in range(50):
            results[name] = model(x).numpy()

    threads = [threading.Thread(target=work, args=(n, length)) for n, length in (("a", 2), ("b", 4))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_allclose(results["a"], [[1.5] * 3])
    np.testing.assert_allclose(results["b"], [[2.5] * 3])


def per_step_model():
    return keras.Sequential([keras.Input((5, 3)), layers.Masking(name="masking"), layers.Dense(2, name="dense")])


def pooled_model():
    return keras.Sequential([keras.Input((5, 3)), layers.Masking(name="masking"), layers.Dense(4, name="dense"),
                             layers.GlobalAveragePooling1D(name="pool"), layers.Dense(1, name="head")])


@pytest.mark.parametrize("case, build", [("fit_per_step_mse", per_step_model), ("fit_pooled_mse", pooled_model)])
def test_fit_evaluate_predict_with_masks_match_keras(case, build):
    """2 epochs of SGD: a masked timestep counts in neither the loss nor the metric (per-step outputs), and a
    pooled mask reaches no loss at all."""
    model = build()
    set_recorded_weights(model, case)
    x, y = GOLDEN[f"{case}/x0"], GOLDEN[f"{case}/y_true"]
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0, validation_split=0.25)
    for key, values in history.history.items():
        np.testing.assert_allclose(values, GOLDEN[f"{case}/history/{key}"], rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=5, verbose=0), GOLDEN[f"{case}/evaluate"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x, batch_size=5, verbose=0), GOLDEN[f"{case}/y"], rtol=1e-5,
                               atol=1e-6)
