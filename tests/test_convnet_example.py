"""The convnet example (examples/convnet.py) is Keras's model and learns its task as well as Keras 3 does.

tests/golden/convnet.json comes from tools/golden_convnet.py: real Keras trained the same model on the same images
(examples/stroke_shapes.py) for the same epochs, once per seed.
"""
import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import kerastorch
from golden_loader import golden_json

ROOT = pathlib.Path(__file__).resolve().parents[1]
GOLDEN = golden_json("convnet.json")
RUN = GOLDEN["run"]

# One kerastorch run (seed 0) is compared with the worst of Keras's seeds. Keras's test accuracies spread by about
# 4 points across its 5 seeds (0.894 to 0.936, "keras_runs" in the fixture), so 2 points below its worst is still
# inside its own seed noise. Measured when this test was written: kerastorch over the same 5 seeds scored 0.899 to
# 0.927 (mean 0.910, Keras 0.914). One epoch before the end Keras's validation accuracy was 0.85 to 0.90, so a
# model learning even a fifth slower than Keras falls below the bar.
ACCURACY_MARGIN = 0.02


def load_example(name):
    """Import examples/<name>.py; the examples import each other by plain name, as scripts run from there do."""
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "examples"))
    return module


stroke_shapes = load_example("stroke_shapes")
convnet = load_example("convnet")


@pytest.fixture(scope="module")
def data():
    """The training and test images of the Keras runs in the fixture (drawn once: it takes a second or two)."""
    return stroke_shapes.load_data(RUN["train_images"], RUN["test_images"])


def test_images_are_the_ones_keras_learned(data):
    (train_x, train_labels), (test_x, test_labels) = data
    expected = GOLDEN["data"]
    assert train_x.shape == (RUN["train_images"], 28, 28, 1) and train_x.dtype == np.float32
    assert train_labels[:20].tolist() == expected["train_labels_head"]
    assert np.bincount(train_labels, minlength=10).tolist() == expected["train_label_counts"]
    assert np.bincount(test_labels, minlength=10).tolist() == expected["test_label_counts"]
    assert train_x.astype("float64").sum() == pytest.approx(expected["train_pixel_sum"], rel=1e-9)
    assert test_x.astype("float64").sum() == pytest.approx(expected["test_pixel_sum"], rel=1e-9)


def test_images_are_reproducible_and_in_range():
    first_x, first_labels = stroke_shapes.make_stroke_shapes(50, seed=7)
    again_x, again_labels = stroke_shapes.make_stroke_shapes(50, seed=7)
    np.testing.assert_array_equal(first_x, again_x)
    np.testing.assert_array_equal(first_labels, again_labels)
    assert 0.0 <= first_x.min() and first_x.max() <= 1.0


def test_bad_image_count_is_refused():
    with pytest.raises(ValueError, match="count must be a positive integer, received count=0"):
        stroke_shapes.make_stroke_shapes(0)


def test_summary_matches_keras(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    kerastorch.backend.clear_session()
    lines = []
    convnet.build_model().summary(print_fn=lines.append)
    assert "\n".join(lines) == GOLDEN["summary"]


@pytest.mark.slow
def test_learns_as_well_as_keras(data):
    (train_x, train_labels), (test_x, test_labels) = data
    kerastorch.backend.clear_session()
    kerastorch.utils.set_random_seed(0)
    model = convnet.build_model()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(train_x, kerastorch.utils.to_categorical(train_labels, 10), batch_size=RUN["batch_size"],
                        epochs=RUN["epochs"], validation_split=RUN["validation_split"], verbose=0)
    _, test_accuracy = model.evaluate(test_x, kerastorch.utils.to_categorical(test_labels, 10), verbose=0)

    keras_worst = GOLDEN["test_accuracy"]["min"]
    message = (f"kerastorch: test accuracy {test_accuracy:.4f}, val_accuracy {history.history['val_accuracy']}; "
               f"Keras over {len(GOLDEN['keras_runs'])} seeds: test accuracy {GOLDEN['test_accuracy']}")
    assert test_accuracy >= keras_worst - ACCURACY_MARGIN, message
    # Learning, not just ending well: validation accuracy rises from the first epoch to the last, as in Keras.
    assert history.history["val_accuracy"][-1] > history.history["val_accuracy"][0] + 0.2, message
