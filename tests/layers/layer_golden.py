"""Runs the layer cases recorded from Keras 3.15 by tools/golden_conv.py (tests/golden/<name>.npz) on kerastorch."""
import json

import numpy as np
import torch

from kerastorch import layers
from golden_loader import GOLDEN_DIR, golden_npz

GOLDEN = GOLDEN_DIR / "layers"


def load_cases(name):
    """The fixture ``tests/golden/layers/<name>.npz`` and its list of cases."""
    data = golden_npz(f"layers/{name}.npz")
    return data, json.loads(str(data["cases"]))


def make_layer(case):
    return getattr(layers, case["layer"])(**case["kwargs"])


def run_case(data, case):
    """Build the case's layer, give it Keras's weights and call it on Keras's input.

    Returns:
        ``(layer, output as numpy)``.
    """
    layer = make_layer(case)
    layer.build(tuple(case["input_shape"]))
    layer.set_weights([data[f"w{i}/{case['id']}"] for i in range(case["num_weights"])])
    outputs = layer(torch.from_numpy(data["x/" + case["id"]]), **case["call_kwargs"])
    return layer, outputs.detach().numpy()


def plain(value):
    """A configuration value as JSON gives it back (tuples become lists)."""
    return json.loads(json.dumps(value))


def check_against_keras(data, case, atol=1e-4):
    """Output, weights after the call, output shape, parameter count and configuration equal Keras's."""
    layer, outputs = run_case(data, case)
    np.testing.assert_allclose(outputs, data["y/" + case["id"]], atol=atol, rtol=1e-5)
    for index, weight in enumerate(layer.get_weights()):
        np.testing.assert_allclose(weight, data[f"after{index}/{case['id']}"], atol=atol, rtol=1e-5)
    assert list(layer.compute_output_shape(tuple(case["input_shape"]))) == case["output_shape"]
    assert layer.count_params() == case["count_params"]
    config = layer.get_config()
    assert sorted(config) == case["config_keys"]
    assert {key: plain(config[key]) for key in case["config"]} == case["config"]
