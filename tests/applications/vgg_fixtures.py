"""What the applications tests share: the golden fixtures from tools/golden_vgg.py, the seeded weights that both
sides use and a Keras 2 legacy-layout writer (vgg_shared.py)."""

from golden_loader import golden_json, golden_npz, golden_path
from vgg_shared import seeded_weights, write_keras2_weights  # noqa: F401 - re-exported for the tests

GOLDEN_DIR = golden_path("applications/vgg.json").parent
GOLDEN = golden_json("applications/vgg.json")
ARRAYS = golden_npz("applications/vgg.npz")
