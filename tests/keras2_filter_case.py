"""What tools/golden_keras2_backend.py (under tf_keras) and tests/test_backend_graph.py (under kerastorch) share
for the Keras 2 filter-visualization program (examples/keras2/conv_filter_visualization.py): the seed of the
VGG16 weights and the part of the program's results that the fixture keeps (small enough to store)."""
import pathlib

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "examples" / "keras2" / "conv_filter_visualization.py"
WEIGHTS_SEED = 0


def kept(results):
    """The program's results as the fixture stores them: every loss, every 4th pixel of the final images, the
    first 8 channels of the features."""
    return {"losses": results["losses"], "images": results["images"][:, ::4, ::4, :].astype("float32"),
            "features": results["features"][..., :8].astype("float32"),
            "block4": results["block4"][..., :8].astype("float32"),
            "block5": results["block5"][..., :8].astype("float32"), "tile": results["tile"]}
