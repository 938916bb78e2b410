"""3 epochs of fit of three sequence models against real Keras 3 (fixtures from tools/golden_sequence_fit.py).

The models are tests/sequence_models.py's: an Embedding(mask_zero=True) + LSTM binary classifier on right-padded
sequences, a Bidirectional(GRU(return_sequences=True)) tagger with TimeDistributed(Dense(softmax)) whose mask keeps
the padding out of the loss and the accuracy, and a Transformer classifier (token + position Embedding,
MultiHeadAttention, LayerNormalization, Dense feed-forward, GlobalAveragePooling1D). Each starts from the
recorded initial weights and trains with Adam on the same unshuffled data, with a partial last batch. History,
final weights and predictions must agree within 2e-4.
"""
import numpy as np
import pytest

import kerastorch as keras
import sequence_models as sm
from golden_loader import golden_json, golden_npz

GOLDEN = golden_json("training/sequence_fit.json")
ARRAYS = golden_npz("training/sequence_fit.npz")
TOLERANCE = 2e-4


@pytest.fixture(scope="module", params=sorted(GOLDEN["cases"]))
def trained(request):
    name = request.param
    model, _ = sm.build(keras, name)
    case = GOLDEN["cases"][name]
    model.set_weights([ARRAYS[f"{name}/initial/{i}"] for i in range(len(case["weight_shapes"]))])
    _, x_key, y_key, *_ = sm.FIT_CASES[name]
    x, y = ARRAYS[f"data/{x_key}"], ARRAYS[f"data/{y_key}"]
    history = model.fit(x, y, batch_size=GOLDEN["batch_size"], epochs=GOLDEN["epochs"], shuffle=False, verbose=0)
    return name, case, model, history, x


def test_weights_in_keras_order_and_shapes(trained):
    name, case, model, *_ = trained
    assert [list(w.shape) for w in model.get_weights()] == case["weight_shapes"]


def test_history_matches_keras(trained):
    name, case, model, history, _ = trained
    assert list(history.history) == list(case["history"])
    for key, expected in case["history"].items():
        np.testing.assert_allclose(history.history[key], expected, atol=TOLERANCE, err_msg=f"{name}: {key}")


def test_final_weights_match_keras(trained):
    name, case, model, *_ = trained
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, ARRAYS[f"{name}/final/{i}"], atol=TOLERANCE,
                                   err_msg=f"{name}: weight {i} ({case['weight_paths'][i]})")


def test_predictions_match_keras(trained):
    name, _, model, _, x = trained
    got = model.predict(x, batch_size=GOLDEN["batch_size"], verbose=0)
    np.testing.assert_allclose(got, ARRAYS[f"{name}/predict"], atol=TOLERANCE, err_msg=name)


def test_optimizer_counts_every_step_including_the_partial_batch(trained):
    _, case, model, *_ = trained
    assert int(model.optimizer.iterations) == case["iterations"] == GOLDEN["epochs"] * 6
