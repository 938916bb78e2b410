"""Losses honour a mask on y_pred as Keras 3.15 does (fixtures: tools/golden_masked_losses.py)."""

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import backend
from golden_loader import golden_json

FIXTURES = golden_json("losses/masked.json")


def masked_prediction(kind, mask_name):
    y_pred = torch.tensor(FIXTURES["inputs"][kind]["y_pred"], dtype=torch.float32)
    backend.set_keras_mask(y_pred, torch.tensor(FIXTURES["masks"][mask_name]))
    return y_pred


def targets(kind):
    y_true = np.asarray(FIXTURES["inputs"][kind]["y_true"])
    return torch.from_numpy(y_true if kind == "sparse" else y_true.astype("float32"))


def weights(name):
    value = FIXTURES["weights"][name]
    return None if value is None else torch.tensor(value, dtype=torch.float32)


@pytest.mark.parametrize("case", FIXTURES["losses"],
                         ids=lambda c: f"{c['loss']}-{c['reduction']}-{c['mask']}-{c['weights']}")
def test_a_masked_timestep_does_not_count_in_the_loss(case):
    loss = getattr(keras.losses, case["loss"])(reduction=case["reduction"])
    value = loss(targets(case["data"]), masked_prediction(case["data"], case["mask"]),
                 sample_weight=weights(case["weights"]))
    np.testing.assert_allclose(value.numpy(), np.asarray(case["value"], "float32"), rtol=1e-5, atol=1e-6)


def test_the_mask_changes_the_value():
    # Guard against fixtures that would pass with the mask ignored.
    loss = keras.losses.MeanSquaredError()
    y_pred = masked_prediction("regression", "ragged")
    unmasked = loss(targets("regression"), y_pred.clone())
    assert not np.isclose(float(unmasked), float(loss(targets("regression"), y_pred)))
