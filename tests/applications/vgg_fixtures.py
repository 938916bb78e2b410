"""What the applications tests share: the golden fixtures from tools/golden_vgg.py, the seeded weights that both
sides use and a Keras 2 legacy-layout writer (vgg_shared.py)."""
import json
import pathlib

import numpy as np

from vgg_shared import seeded_weights, write_keras2_weights  # noqa: F401 - re-exported for the tests

GOLDEN_DIR = pathlib.Path(__file__).resolve().parents[1] / "golden" / "applications"
GOLDEN = json.loads((GOLDEN_DIR / "vgg.json").read_text())
ARRAYS = np.load(GOLDEN_DIR / "vgg.npz")
