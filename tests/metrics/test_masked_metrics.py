"""Metrics honour a mask on y_pred as Keras 3.15 does (fixtures: tools/golden_masked_losses.py)."""

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import backend
from golden_loader import golden_json

FIXTURES = golden_json("losses/masked.json")


def with_mask(tensor, mask):
    backend.set_keras_mask(tensor, torch.as_tensor(mask))
    return tensor


def weights(name):
    value = FIXTURES["weights"][name]
    return None if value is None else torch.tensor(value, dtype=torch.float32)


def targets(kind):
    y_true = np.asarray(FIXTURES["inputs"][kind]["y_true"])
    return torch.from_numpy(y_true if kind == "sparse" else y_true.astype("float32"))


def prediction(kind):
    return torch.tensor(FIXTURES["inputs"][kind]["y_pred"], dtype=torch.float32)


@pytest.mark.parametrize("case", [c for c in FIXTURES["metrics"] if c["metric"] != "Mean"],
                         ids=lambda c: f"{c['metric']}-{c['mask']}-{c['weights']}")
def test_a_masked_timestep_does_not_count_in_the_metric(case):
    metric = getattr(keras.metrics, case["metric"])()
    y_true, y_pred, weight = targets(case["data"]), prediction(case["data"]), weights(case["weights"])
    mask = np.asarray(FIXTURES["masks"][case["mask"]])
    metric.update_state(y_true, with_mask(y_pred.clone(), mask), sample_weight=weight)
    metric.update_state(y_true[:2], with_mask(y_pred[:2].clone(), np.asarray(FIXTURES["masks"]["ragged"])[:2]),
                        sample_weight=None if weight is None else weight[:2])
    np.testing.assert_allclose(float(metric.result()), case["value"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", [c for c in FIXTURES["metrics"] if c["metric"] == "Mean"],
                         ids=lambda c: f"{c['mask']}-{c['weights']}")
def test_mean_applies_a_mask_on_its_values_with_sample_weights(case):
    values = with_mask(prediction("regression")[..., 0].clone(), np.asarray(FIXTURES["masks"][case["mask"]]))
    metric = keras.metrics.Mean()
    metric.update_state(values, sample_weight=weights(case["weights"]))
    np.testing.assert_allclose(float(metric.result()), case["value"], rtol=1e-5, atol=1e-6)
