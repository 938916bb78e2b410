"""Running generated PyTorch modules in a fresh interpreter where kerastorch cannot be imported."""
import json
import os
import subprocess
import sys

import numpy as np

from trained_models import as_list

# Runs in `python -I` (no PYTHONPATH, no current directory on sys.path) with kerastorch made unimportable.
_FRESH_RUNNER = r"""
import importlib.util, json, sys
sys.modules["kerastorch"] = None   # the generated modules must not need it
import numpy as np
import torch

for case in json.loads(sys.argv[1]):
    spec = importlib.util.spec_from_file_location(f"generated_{case['name']}", case["source"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.load()
    arrays = np.load(case["inputs"])
    with torch.no_grad():
        outputs = net(*[torch.from_numpy(arrays[key]) for key in arrays.files])
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    np.savez(case["outputs"], *[output.numpy() for output in outputs])
"""


def run_in_fresh_interpreter(cases, cwd):
    """Run each ``(name, source_path, input_arrays)`` of ``cases`` in one fresh interpreter; their outputs."""
    described = []
    for name, source, arrays in cases:
        inputs, outputs = os.path.join(cwd, f"{name}_inputs.npz"), os.path.join(cwd, f"{name}_outputs.npz")
        np.savez(inputs, *as_list(arrays))
        described.append({"name": name, "source": source, "inputs": inputs, "outputs": outputs})
    result = subprocess.run([sys.executable, "-I", "-c", _FRESH_RUNNER, json.dumps(described)], cwd=cwd,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    results = {}
    for case in described:
        saved = np.load(case["outputs"])
        results[case["name"]] = [saved[key] for key in saved.files]
    return results
