"""Runs the recurrent cases recorded from Keras 3.15 by tools/golden_recurrent.py on kerastorch.

Each case's layer is rebuilt from Keras's own serialized config (so every case also checks that kerastorch reads
Keras's configs), given Keras's weights and called on Keras's inputs, masks and initial states.
"""
import numpy as np
import torch

from golden_loader import golden_json, golden_npz
from kerastorch import layers
from kerastorch.saving import serialization

TOLERANCE = 1e-5
ARRAYS = golden_npz("layers/recurrent.npz")
SPECS = golden_json("layers/recurrent.json")


class MinimalRNNCell(layers.Layer):
    """The user cell of the recorder (Keras's docs example): ``h = tanh(x @ kernel + h @ recurrent_kernel)``,
    a plain Layer following Keras's cell protocol."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        output = torch.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


CUSTOM_OBJECTS = {"golden>MinimalRNNCell": MinimalRNNCell, "MinimalRNNCell": MinimalRNNCell}


def cases(prefix):
    return sorted(name for name in SPECS if name.startswith(prefix))


def case_inputs(name):
    """``(x, call kwargs)`` of a case: its mask and initial states as tensors."""
    kwargs = {}
    if f"{name}/mask" in ARRAYS:
        kwargs["mask"] = torch.as_tensor(ARRAYS[f"{name}/mask"])
    initial = [torch.as_tensor(ARRAYS[f"{name}/initial/{i}"]) for i in range(8) if f"{name}/initial/{i}" in ARRAYS]
    if initial:
        kwargs["initial_state"] = initial
    return torch.as_tensor(ARRAYS[f"{name}/x"]), kwargs


def case_layer(name):
    """The case's layer, from Keras's config, built and holding Keras's weights."""
    layer = serialization.deserialize_keras_object(SPECS[name]["layer"], custom_objects=CUSTOM_OBJECTS)
    x, kwargs = case_inputs(name)
    if not layer.built:
        layer._maybe_build(tuple(x.shape))
    count = sum(1 for key in ARRAYS if key.startswith(f"{name}/w/"))
    layer.set_weights([ARRAYS[f"{name}/w/{i}"] for i in range(count)])
    return layer


def expected_outputs(name):
    spec = SPECS[name]
    return [[ARRAYS[f"{name}/y/{c}/{i}"] for i in range(spec["outputs"])] for c in range(spec["calls"])]


def run_case(name, layer=None):
    """Kerastorch's outputs of each call of the case (``[[output, ...], ...]``, as numpy)."""
    layer = case_layer(name) if layer is None else layer
    x, kwargs = case_inputs(name)
    calls = [x]
    if "stateful" in name:
        calls = [x, torch.as_tensor(ARRAYS[f"{name}/x2"]), "reset", x]
    results = []
    for inputs in calls:
        if isinstance(inputs, str):
            layer.reset_state()
            continue
        outputs = layer(inputs, **kwargs)
        flat = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        # A stacked cell's states are one list per cell, which the recorder stored stacked.
        results.append([np.stack([t.detach().numpy() for t in o]) if isinstance(o, (list, tuple))
                        else o.detach().numpy() for o in flat])
    return results


def assert_case_matches_keras(name, layer=None):
    got, expected = run_case(name, layer), expected_outputs(name)
    assert len(got) == len(expected)
    for call, (got_call, expected_call) in enumerate(zip(got, expected)):
        assert len(got_call) == len(expected_call), f"{name}: call {call} returned {len(got_call)} outputs"
        for index, (g, e) in enumerate(zip(got_call, expected_call)):
            assert g.shape == e.shape, f"{name}: call {call} output {index}: shape {g.shape} != {e.shape}"
            np.testing.assert_allclose(g, e, atol=TOLERANCE, rtol=0, err_msg=f"{name}: call {call} output {index}")
