"""The cases of tests/golden/layers/preprocessing/layers.json (tools/golden_preprocessing_layers.py, Keras 3.15):
building the kerastorch layer of a case, adapting it as Keras was, and reading Keras's arrays."""
import json

import numpy as np
import torch
from golden_loader import golden_json

import kerastorch.layers as layers

GOLDEN = golden_json("layers/preprocessing/layers.json")


def array(entry):
    if entry["dtype"] == "string":
        return np.asarray(entry["value"], dtype=object)
    return np.asarray(entry["value"], dtype=entry["dtype"])


def case_id(case):
    return case["class"] + json.dumps(case["kwargs"], sort_keys=True)


def run_case(case):
    """The layer of ``case`` (adapted as Keras's was) and its output for the case's inputs, as numpy."""
    kwargs = {k: tuple(v) if isinstance(v, list) and k in ("axis", "ngrams") else v
              for k, v in case["kwargs"].items()}
    layer = getattr(layers, case["class"])(**kwargs)
    if case.get("adapt") is not None:
        layer.adapt(array(case["adapt"]))
    if case.get("adapt_batches") is not None:
        layer.adapt([array(b) for b in case["adapt_batches"]])
    inputs = case["inputs"]
    inputs = tuple(array(i) for i in inputs) if isinstance(inputs, list) else array(inputs)
    out = layer(inputs)
    if isinstance(out, torch.Tensor):
        out = out.detach().cpu().numpy()
    return layer, out
