"""Write tests/golden/backend/functions.json from Keras 2 (tf_keras 2.21, eager): the K.* cases of
tests/keras2_backend_cases.py.

    /work/tfvenv/bin/python tools/golden_keras2_functions.py
"""
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from keras2_backend_cases import CASES, evaluate  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
from tf_keras import backend as K  # noqa: E402

record = {"tf_keras_version": tf_keras.__version__,
          "cases": {expression: evaluate(K, expression, tf.constant, lambda v: np.asarray(K.get_value(v) if hasattr(v, "numpy")
                                                                               else v))
                    for expression in CASES}}
out = ROOT / "tests" / "golden" / "backend" / "functions.json"
out.write_text(json.dumps(record, indent=0, sort_keys=True) + "\n")
errors = [e for e, (v, _) in record["cases"].items() if isinstance(v, str) and v.startswith("<error")]
print(f"wrote {out.relative_to(ROOT)}: {len(CASES)} cases; errors: {errors}")
