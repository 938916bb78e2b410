"""The attention fixtures as the tests use them: each case's model built with kerastorch, its recorded weights set,
its inputs, and what Keras gave (tests/golden/layers/attention.npz and .json, written by
tools/golden_attention.py)."""
import warnings

import kerastorch as keras
from golden_loader import golden_json, golden_npz

from attention_cases import CASES

GOLDEN = golden_npz("layers/attention.npz")
META = golden_json("layers/attention.json")


def numbered(case, prefix):
    found, i = [], 0
    while f"{case}/{prefix}{i}" in GOLDEN:
        found.append(GOLDEN[f"{case}/{prefix}{i}"])
        i += 1
    return found


def recorded_model(case):
    """``(model, inputs)``: the case's model with Keras's weights, and its recorded inputs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, _ = CASES[case](keras)
    for layer in model.layers:
        prefix = f"{case}/w/{layer.name}/"
        count = sum(1 for k in GOLDEN if k.startswith(prefix))
        if count:
            layer.set_weights([GOLDEN[f"{prefix}{i}"] for i in range(count)])
    xs = numbered(case, "x")
    return model, (xs if len(xs) > 1 else xs[0])


def expected_outputs(case):
    """Keras's outputs, and the masks it attached to them (None where none)."""
    outputs = numbered(case, "y")
    return outputs, [GOLDEN.get(f"{case}/mask{i}") for i in range(len(outputs))]
