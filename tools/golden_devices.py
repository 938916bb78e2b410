"""Write tests/golden/backend/devices.json from Keras 3 on torch (keras 3.15.1, KERAS_BACKEND=torch).

    KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_devices.py

Records what Keras-on-torch makes of a device name: the ``torch.device`` that ``with keras.device(name)`` yields
(or that it raises ValueError), and, in a fresh process per value, the device Keras's variables land on when
``KERAS_TORCH_DEVICE`` is set.
"""
import json
import os
import pathlib
import subprocess
import sys

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "backend" / "devices.json"
NAMES = ["gpu", "gpu:0", "GPU:1", "Gpu:2", "cpu", "cpu:0", "CPU:0", "cuda", "cuda:1", "CUDA:0", "mps", "meta"]
INVALID = [3, None]
VARIABLE_VALUES = ["cpu", "meta"]

VARIABLE_PROBE = """
import json, keras
print(json.dumps(str(keras.Variable([1.0, 2.0]).value.device)))
"""


def scoped(name):
    import keras
    try:
        with keras.device(name) as device:
            return str(device)
    except ValueError:
        return "ValueError"


def variable_device(value):
    env = dict(os.environ, KERAS_BACKEND="torch", KERAS_TORCH_DEVICE=value)
    out = subprocess.run([sys.executable, "-c", VARIABLE_PROBE], env=env, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    record = {
        "scope": {name: scoped(name) for name in NAMES},
        "scope_invalid": {repr(name): scoped(name) for name in INVALID},
        "keras_torch_device_variable": {value: variable_device(value) for value in VARIABLE_VALUES},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
