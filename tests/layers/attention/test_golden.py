"""Every attention fixture: kerastorch's model with Keras's weights gives Keras's outputs (within 1e-5) and
attaches Keras's masks, its symbolic outputs have Keras's shapes and each layer Keras's parameter count."""
import json

import numpy as np
import pytest
import torch

from kerastorch.saving import serialization

from golden_cases import META, expected_outputs, recorded_model

from attention_cases import CASES

# Keras 3.15's symbolic scores of MultiHeadAttention take the query's length for the key's, and one axis for
# several attention axes: kerastorch's are the shapes the real scores have.
SYMBOLIC_SHAPE_DIFFERS = {"mha_attention_mask_scores": {1: [None, 2, 4, 6]}, "mha_scores": {1: [None, 2, 4, 6]},
                          "mha_axes_1_2": {1: [None, 2, 3, 4, 3, 4]}}


def _outputs(model, x):
    with torch.no_grad():
        outputs = model(x)
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


@pytest.mark.parametrize("case", sorted(CASES))
def test_outputs_match_keras(case):
    model, x = recorded_model(case)
    expected, _ = expected_outputs(case)
    outputs = _outputs(model, x)
    assert len(outputs) == len(expected)
    for got, want in zip(outputs, expected):
        np.testing.assert_allclose(got.numpy(), want, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("case", sorted(CASES))
def test_output_masks_match_keras(case):
    model, x = recorded_model(case)
    _, masks = expected_outputs(case)
    for index, (output, mask) in enumerate(zip(_outputs(model, x), masks)):
        got = getattr(output, "_keras_mask", None)
        if mask is None:
            assert got is None, f"output {index} carries a mask Keras does not attach"
        else:
            assert got is not None, f"output {index} lacks Keras's mask"
            np.testing.assert_array_equal(got.numpy(), mask)


@pytest.mark.parametrize("case", sorted(CASES))
def test_symbolic_output_shapes_match_keras(case):
    model, _ = recorded_model(case)
    expected = [list(s) for s in META[case]["output_shapes"]]
    for index, shape in SYMBOLIC_SHAPE_DIFFERS.get(case, {}).items():
        expected[index] = shape
    assert [list(t.shape) for t in model.outputs] == expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_parameter_counts_match_keras(case):
    model, _ = recorded_model(case)
    counts = {name: count for name, count in META[case]["params"].items() if not name.startswith("input_layer")}
    assert {name: model.get_layer(name).count_params() for name in counts} == counts


def _as_json(value):
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_matches_keras(case):
    model, _ = recorded_model(case)
    layer = model.get_layer("einsum" if case.startswith("einsum") else "attention")
    config = {k: v for k, v in layer.get_config().items() if k not in ("dtype", "name")}
    assert _as_json(serialization.serialize_keras_object(config)) == META[case]["config"]
