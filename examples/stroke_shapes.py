"""A 10-class, 28x28x1 image task drawn with numpy: stroke shapes at random places, sizes and angles.

There is no download here, so the convnet example (examples/convnet.py) learns this instead of MNIST. Each class
is a shape made of line segments (a bar, a cross, a ring, a triangle...). Every image draws its class's shape
with a random shift (up to 4 pixels each way), size, rotation (up to 15 degrees), stroke width, and adds a few short
random strokes as clutter plus Gaussian pixel noise. No single pixel tells the class: a model has to recognise
the shape wherever it sits, which is what convolutions and pooling are for.

Only numpy is imported, so tools/golden_convnet.py can draw the very same images for real Keras.
Run this file to print one image of each class as text.

Example:

    images, labels = make_stroke_shapes(1000, seed=0)   # (1000, 28, 28, 1) float32 in [0, 1], (1000,) int64
    (train_x, train_labels), (test_x, test_labels) = load_data(6000, 1000)
"""
import numpy as np

IMAGE_SIZE = 28
TRAIN_SEED, TEST_SEED = 1, 2
CLASS_NAMES = ("horizontal bar", "vertical bar", "falling diagonal", "rising diagonal", "plus", "cross",
               "ring", "square", "triangle", "equals sign")


def _polygon(corners):
    """The closed outline through `corners` as (len(corners), 2, 2) segments."""
    corners = np.asarray(corners, dtype="float64")
    return np.stack([corners, np.roll(corners, -1, axis=0)], axis=1)


def _ring(sides=12):
    angles = np.linspace(0.0, 2.0 * np.pi, sides, endpoint=False)
    return _polygon(np.stack([np.cos(angles), np.sin(angles)], axis=1) * 0.85)


# Each class's shape as line segments (start point, end point) in a unit box centred on 0, as (x, y).
CLASS_SEGMENTS = (
    [[(-1, 0), (1, 0)]],
    [[(0, -1), (0, 1)]],
    [[(-0.8, -0.8), (0.8, 0.8)]],
    [[(-0.8, 0.8), (0.8, -0.8)]],
    [[(-1, 0), (1, 0)], [(0, -1), (0, 1)]],
    [[(-0.8, -0.8), (0.8, 0.8)], [(-0.8, 0.8), (0.8, -0.8)]],
    _ring(),
    _polygon([(-0.75, -0.75), (0.75, -0.75), (0.75, 0.75), (-0.75, 0.75)]),
    _polygon([(0, -0.85), (0.85, 0.7), (-0.85, 0.7)]),
    [[(-1, -0.45), (1, -0.45)], [(-1, 0.45), (1, 0.45)]],
)


def _distance_to_segments(pixels, starts, ends):
    """Distance from every pixel to the nearest of each image's segments.

    Args:
        pixels: (P, 2) pixel centres as (x, y).
        starts: (N, S, 2) segment start points, per image.
        ends: (N, S, 2) segment end points, per image.

    Returns:
        (N, P) distances in pixels.
    """
    # x and y kept apart: arrays with a trailing axis of 2 make numpy several times slower here.
    direction_x, direction_y = (ends - starts)[..., 0, None], (ends - starts)[..., 1, None]   # (N, S, 1)
    offset_x = pixels[:, 0] - starts[..., 0, None]                                          # (N, S, P)
    offset_y = pixels[:, 1] - starts[..., 1, None]
    length_squared = np.maximum(direction_x ** 2 + direction_y ** 2, 1e-9)
    along = np.clip((offset_x * direction_x + offset_y * direction_y) / length_squared, 0.0, 1.0)
    distance_squared = (offset_x - along * direction_x) ** 2 + (offset_y - along * direction_y) ** 2
    return np.sqrt(distance_squared.min(axis=1))


def _strokes(distance, width):
    """Antialiased ink: 1 inside a stroke of `width` pixels, fading to 0 over one pixel at its edge."""
    return np.clip(width / 2.0 + 0.5 - distance, 0.0, 1.0)


def make_stroke_shapes(count, seed=0, clutter_strokes=2, noise=0.1):
    """Draw `count` labelled images, the same ones for the same arguments.

    Args:
        count: number of images.
        seed: seed of the numpy generator that draws labels, placements and noise.
        clutter_strokes: short random strokes added to every image, unrelated to its class.
        noise: standard deviation of the Gaussian noise added to every pixel before clipping to [0, 1].

    Returns:
        images: (count, 28, 28, 1) float32 in [0, 1], channels_last.
        labels: (count,) int64 class indices in [0, 10), in random order.
    """
    if count < 1:
        raise ValueError(f"make_stroke_shapes: count must be a positive integer, received count={count!r}")
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASS_SEGMENTS), size=count)
    rows, columns = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE]
    pixels = np.stack([columns.ravel(), rows.ravel()], axis=1).astype("float64") + 0.5
    ink = np.zeros((count, IMAGE_SIZE * IMAGE_SIZE))

    # One pass per class (10 passes, vectorized over that class's images): classes differ in segment count.
    for label, segments in enumerate(CLASS_SEGMENTS):
        members = np.flatnonzero(labels == label)
        segments = np.asarray(segments, dtype="float64")                 # (S, 2 ends, 2 coords)
        angle = np.deg2rad(rng.uniform(-15.0, 15.0, size=len(members)))
        cos, sin = np.cos(angle), np.sin(angle)
        rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], axis=1)  # (n, 2, 2)
        half_size = rng.uniform(6.5, 9.5, size=len(members))
        centre = IMAGE_SIZE / 2.0 + rng.uniform(-4.0, 4.0, size=(len(members), 2))
        points = np.einsum("nij,sej->nsei", rotation, segments) * half_size[:, None, None, None]
        points = points + centre[:, None, None, :]
        width = rng.uniform(1.0, 2.6, size=len(members))
        distance = _distance_to_segments(pixels, points[:, :, 0], points[:, :, 1])
        ink[members] = _strokes(distance, width[:, None])

    if clutter_strokes:
        starts = rng.uniform(2.0, IMAGE_SIZE - 2.0, size=(count, clutter_strokes, 2))
        heading = rng.uniform(0.0, 2.0 * np.pi, size=(count, clutter_strokes))
        length = rng.uniform(2.0, 5.0, size=(count, clutter_strokes, 1))
        ends = starts + length * np.stack([np.cos(heading), np.sin(heading)], axis=-1)
        width = rng.uniform(1.0, 2.0, size=(count, 1))
        ink = np.maximum(ink, _strokes(_distance_to_segments(pixels, starts, ends), width))

    images = np.clip(ink + rng.normal(0.0, noise, size=ink.shape), 0.0, 1.0)
    return images.reshape(count, IMAGE_SIZE, IMAGE_SIZE, 1).astype("float32"), labels.astype("int64")


def load_data(train_images, test_images):
    """A training set and a test set, `(train_x, train_labels), (test_x, test_labels)`, like keras.datasets.

    The two are drawn with different seeds, so no test image repeats a training image, and are the same for the
    same sizes wherever they are drawn.
    """
    return make_stroke_shapes(train_images, seed=TRAIN_SEED), make_stroke_shapes(test_images, seed=TEST_SEED)


def main():
    images, labels = make_stroke_shapes(200, seed=0)
    for label, name in enumerate(CLASS_NAMES):
        image = images[np.flatnonzero(labels == label)[0], :, :, 0]
        print(f"class {label}: {name}")
        print("\n".join("".join(" .:-=+*#%@"[min(int(value * 10), 9)] for value in row) for row in image))


if __name__ == "__main__":
    main()
