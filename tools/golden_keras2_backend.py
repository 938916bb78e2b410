"""Write tests/golden/backend/filter_visualization.npz from Keras 2 (tf_keras 2.21 on TensorFlow 2.21).

    /work/tfvenv/bin/python tools/golden_keras2_backend.py

Runs examples/keras2/conv_filter_visualization.py (K.function and K.gradients on VGG16's block5_conv1) as Keras
2.3 ran it: `keras` is tf_keras and TensorFlow is in graph mode (K.gradients is a graph function; Keras 2.3 ran on
TensorFlow 1's graphs). The VGG16 weights are tests/applications/vgg_shared.py's `seeded_weights(model, 0)`,
written by tf_keras's own `save_weights` to the Keras 2 HDF5 file the program loads. The fixture keeps the part of
the results that tests/keras2_filter_case.py's `kept` selects.
"""
import os
import pathlib
import runpy
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "applications"))
from keras2_filter_case import SCRIPT, WEIGHTS_SEED, kept  # noqa: E402
from vgg_shared import seeded_weights  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402

tf.compat.v1.disable_eager_execution()
sys.modules["keras"] = tf_keras
for name in ("backend", "applications", "layers", "models"):
    sys.modules[f"keras.{name}"] = getattr(tf_keras, name)

work = pathlib.Path(tempfile.mkdtemp(prefix="keras2-filters-"))
model = tf_keras.applications.vgg16.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
model.set_weights(seeded_weights(model, WEIGHTS_SEED))
model.save_weights(str(work / "vgg16_seeded.h5"))
tf_keras.backend.clear_session()

sys.argv = [str(SCRIPT), str(work / "vgg16_seeded.h5"), str(work / "results.npz")]
runpy.run_path(str(SCRIPT), run_name="__main__")
with np.load(work / "results.npz") as results:
    fixture = kept(dict(results))
out = ROOT / "tests" / "golden" / "backend" / "filter_visualization.npz"
np.savez_compressed(out, tf_keras_version=np.array(tf_keras.__version__), **fixture)
print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size} bytes); losses {fixture['losses']}")
