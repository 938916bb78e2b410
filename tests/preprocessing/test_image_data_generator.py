"""Keras 2's ImageDataGenerator: deterministic parts against tf_keras (tests/golden/preprocessing, recorded by
tools/golden_preprocessing_image.py), random parts by their invariants, and training from flow_from_directory.

Tolerances: the affine transforms sample with torch's grid_sample where tf_keras uses scipy; bilinear (order 1)
and nearest (order 0, rounding half up as scipy does) agree to 1e-3 (float32 sampling coordinates). Brightness
goes through uint8 as in Keras 2 (PIL): exact to 1e-3.
"""
import numpy as np
import pytest

import kerastorch as keras
from golden_loader import golden_json, golden_npz
from kerastorch.preprocessing.image import ImageDataGenerator

RECORD = golden_json("preprocessing/image_data_generator.json")
ARRAYS = golden_npz("preprocessing/image_data_generator.npz")


def transform_cases():
    for generator in RECORD["generators"]:
        for transform in RECORD["transforms"]:
            if f"apply/{generator}/{transform}" in ARRAYS:
                yield generator, transform


@pytest.mark.parametrize("generator_name,transform_name", list(transform_cases()))
def test_apply_transform_matches_keras2(generator_name, transform_name):
    arguments = RECORD["generators"][generator_name]
    generator = ImageDataGenerator(**arguments)
    x = ARRAYS["input"]
    if arguments.get("data_format") == "channels_first":
        x = x.transpose(2, 0, 1)
    if transform_name == "brightness_out_of_range":
        x = x * 2.0 - 100.0
    out = generator.apply_transform(x.copy(), RECORD["transforms"][transform_name])
    expected = ARRAYS[f"apply/{generator_name}/{transform_name}"]
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_allclose(out, expected, atol=1e-3, rtol=1e-5)


def test_get_random_transform_draws_keras2s_parameters_for_a_seed():
    case = RECORD["random_transform"]
    arguments = dict(case["arguments"])
    arguments["brightness_range"] = tuple(arguments["brightness_range"])
    parameters = ImageDataGenerator(**arguments).get_random_transform(tuple(case["shape"]), seed=case["seed"])
    assert {k: None if v is None else pytest.approx(float(v)) for k, v in parameters.items()} == \
        {k: None if v is None else pytest.approx(v) for k, v in case["parameters"].items()}


def test_fit_statistics_and_standardize_match_keras2():
    batch = ARRAYS["fit_input"]
    generator = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True, rescale=0.5)
    generator.fit(batch)
    np.testing.assert_allclose(generator.mean, ARRAYS["fit/mean"], rtol=1e-5)
    np.testing.assert_allclose(generator.std, ARRAYS["fit/std"], rtol=1e-5)
    np.testing.assert_allclose(generator.standardize(batch[1].copy()), ARRAYS["fit/standardized"], atol=1e-4)


def test_zca_whitening_matrix_matches_keras2():
    generator = ImageDataGenerator(zca_whitening=True)
    generator.fit(ARRAYS["zca_input"])
    np.testing.assert_allclose(generator.mean, ARRAYS["fit/zca_mean"], rtol=1e-5)
    np.testing.assert_allclose(generator.zca_whitening_matrix, ARRAYS["fit/zca_matrix"], rtol=1e-4, atol=1e-7)


def test_samplewise_standardize_matches_keras2():
    generator = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True, rescale=1 / 255.0)
    np.testing.assert_allclose(generator.standardize(ARRAYS["fit_input"][2].copy()),
                               ARRAYS["standardize/samplewise"], atol=1e-5)


def test_flow_with_a_seed_serves_keras2s_batch_order():
    batch = ARRAYS["fit_input"]
    flow = ImageDataGenerator().flow(batch, np.arange(4), batch_size=3, shuffle=True, seed=99)
    assert [flow[i][1].tolist() for i in (0, 1, 0)] == RECORD["flow_order"]["getitem"]
    assert [next(flow)[1].tolist() for _ in range(4)] == RECORD["flow_order"]["next"]


@pytest.fixture(scope="module")
def image_root(tmp_path_factory):
    import fake_tree_path  # noqa: F401  (puts tests/data on the path)
    import fake_tree
    return fake_tree.write_image_tree(tmp_path_factory.mktemp("idg") / "images")


@pytest.mark.parametrize("case", sorted(k.split("/")[1] for k in RECORD if k.startswith("directory/")))
def test_flow_from_directory_matches_keras2(image_root, case):
    expected = RECORD[f"directory/{case}"]
    flow_arguments = dict(expected["flow"])
    flow_arguments["target_size"] = tuple(flow_arguments["target_size"])
    iterator = ImageDataGenerator(**expected["generator"]).flow_from_directory(image_root, **flow_arguments)
    assert [f.replace("\\", "/") for f in iterator.filenames] == expected["filenames"]
    assert iterator.classes.tolist() == expected["classes"] and iterator.class_indices == expected["class_indices"]
    assert iterator.samples == expected["samples"] and len(iterator) == expected["length"]
    images, labels = iterator[0]
    np.testing.assert_allclose(images, ARRAYS[f"directory/{case}/x"], atol=1e-5)
    np.testing.assert_array_equal(labels, ARRAYS[f"directory/{case}/y"])
    assert images.dtype == ARRAYS[f"directory/{case}/x"].dtype and labels.dtype == ARRAYS[f"directory/{case}/y"].dtype


# ---- random transforms: invariants --------------------------------------------------------------------------

def test_horizontal_flip_flips_about_half_the_images():
    x = np.random.RandomState(0).rand(400, 4, 5, 1).astype("float32")
    out = ImageDataGenerator(horizontal_flip=True).augment_batch(x)
    flipped = np.all(np.isclose(out, x[:, :, ::-1]), axis=(1, 2, 3))
    kept = np.all(np.isclose(out, x), axis=(1, 2, 3))
    assert np.all(flipped | kept) and 150 < flipped.sum() < 250


def test_random_rotation_keeps_a_constant_image_constant():
    x = np.full((16, 7, 7, 3), 5.0, dtype="float32")
    out = ImageDataGenerator(rotation_range=90, zoom_range=0.3, shear_range=20).augment_batch(x)
    np.testing.assert_allclose(out, 5.0, atol=1e-5)


def test_random_shifts_stay_in_range_and_differ_per_image():
    x = np.tile(np.arange(10, dtype="float32")[None, None, :, None], (32, 10, 1, 1))
    out = ImageDataGenerator(width_shift_range=0.3, height_shift_range=0.3).augment_batch(x)
    assert out.min() >= -1e-5 and out.max() <= 9 + 1e-5 and len({row.tobytes() for row in out[:, 0, :, 0]}) > 10


def test_channel_shift_stays_within_each_images_range():
    x = np.random.RandomState(1).rand(20, 4, 4, 3).astype("float32") * 100
    out = ImageDataGenerator(channel_shift_range=50.0).augment_batch(x)
    assert np.all(out.min(axis=(1, 2, 3)) >= x.min(axis=(1, 2, 3)) - 1e-4)
    assert np.all(out.max(axis=(1, 2, 3)) <= x.max(axis=(1, 2, 3)) + 1e-4)


def test_flow_seed_makes_augmented_batches_reproducible():
    x = np.random.RandomState(2).rand(8, 6, 6, 3).astype("float32")
    generator = ImageDataGenerator(rotation_range=40, horizontal_flip=True)
    first = generator.flow(x, batch_size=4, seed=5)[0]
    second = generator.flow(x, batch_size=4, seed=5)[0]
    np.testing.assert_array_equal(first, second)


def test_preprocessing_function_runs_per_image_before_rescale():
    seen = []

    def mark(image):
        seen.append(image.shape)
        return image + 1.0
    out = ImageDataGenerator(preprocessing_function=mark, rescale=2.0).augment_batch(np.zeros((3, 2, 2, 1)))
    assert seen == [(2, 2, 1)] * 3 and np.all(out == 2.0)


# ---- bad input -------------------------------------------------------------------------------------------------

def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="zoom_range"):
        ImageDataGenerator(zoom_range="big")
    with pytest.raises(ValueError, match="fill_mode"):
        ImageDataGenerator(fill_mode="mirror")
    with pytest.raises(ValueError, match="validation_split"):
        ImageDataGenerator(validation_split=1.5)
    with pytest.raises(ValueError, match="rank 4"):
        ImageDataGenerator().fit(np.zeros((3, 3, 3)))
    with pytest.raises(ValueError, match="Invalid class_mode"):
        ImageDataGenerator().flow_from_directory(".", class_mode="multi")


def test_flow_from_a_missing_directory_is_refused(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        ImageDataGenerator().flow_from_directory(str(tmp_path / "nowhere"))


# ---- training ----------------------------------------------------------------------------------------------------

def test_a_model_trains_from_flow_from_directory(image_root):
    iterator = ImageDataGenerator(rescale=1 / 255.0, rotation_range=10, horizontal_flip=True).flow_from_directory(
        image_root, target_size=(8, 8), batch_size=4, class_mode="sparse", seed=1)
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(iterator.num_classes, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(iterator, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_flow_from_dataframe_reads_the_listed_files(image_root):
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"filename": ["cats/c0.png", "dogs/d0.png", "birds/b0.png", "missing.png"],
                              "class": ["cat", "dog", "bird", "cat"]})
    with pytest.warns(UserWarning, match="1 invalid image filename"):
        iterator = ImageDataGenerator().flow_from_dataframe(frame, image_root, target_size=(4, 4), shuffle=False)
    images, labels = iterator[0]
    assert iterator.class_indices == {"bird": 0, "cat": 1, "dog": 2} and images.shape == (3, 4, 4, 3)
    assert labels.tolist() == [[0, 1, 0], [0, 0, 1], [1, 0, 0]]


def test_fit_with_augment_uses_rounds_of_transformed_copies():
    x = np.random.RandomState(3).rand(6, 5, 5, 3).astype("float32")
    plain = ImageDataGenerator(featurewise_center=True)
    plain.fit(x)
    augmented = ImageDataGenerator(featurewise_center=True, horizontal_flip=True)
    augmented.fit(x, augment=True, rounds=3, seed=0)
    # A flip keeps each channel's mean, so the statistics agree.
    np.testing.assert_allclose(augmented.mean, plain.mean, rtol=1e-5)


def test_flow_passes_extra_inputs_and_sample_weights_through():
    x, extra = np.zeros((5, 4, 4, 1), "float32"), np.arange(5)
    inputs, labels, weights = ImageDataGenerator().flow((x, extra), np.arange(5) * 10, batch_size=5, shuffle=False,
                                                        sample_weight=np.ones(5))[0]
    assert inputs[1].tolist() == [0, 1, 2, 3, 4] and labels.tolist() == [0, 10, 20, 30, 40]
    assert weights.tolist() == [1.0] * 5 and inputs[0].shape == (5, 4, 4, 1)


def test_save_to_dir_writes_each_augmented_image(tmp_path):
    x = np.random.RandomState(4).rand(3, 4, 4, 3).astype("float32")
    ImageDataGenerator().flow(x, batch_size=3, save_to_dir=str(tmp_path), save_prefix="aug")[0]
    assert sorted(p.name.split("_")[0] for p in tmp_path.iterdir()) == ["aug"] * 3
