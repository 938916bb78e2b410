"""Record Keras 2's ImageDataGenerator (tf_keras, with scipy and Pillow) for tests/preprocessing (run by hand).

    /work/tfvenv/bin/python tools/golden_preprocessing_image.py

Deterministic parts only: get_random_transform with a seed, apply_transform for given parameter dicts (every
fill_mode, interpolation orders 0 and 1, both data formats), standardize, fit's statistics (mean, std, ZCA),
flow's batch order for a seed, and flow_from_directory's files, classes, subsets and pixels over the image tree of
tests/data/fake_tree.py. Writes tests/golden/preprocessing/image_data_generator.{npz,json}.
"""
import json
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "data"))
OUT = ROOT / "tests" / "golden" / "preprocessing"

TRANSFORMS = {
    "rotate": {"theta": 23.0},
    "shift": {"tx": 1.5, "ty": -2.25},
    "shear": {"shear": 17.0},
    "zoom": {"zx": 0.8, "zy": 1.3},
    "combined": {"theta": -35.0, "tx": -1.0, "ty": 2.0, "shear": 8.0, "zx": 1.2, "zy": 0.9},
    "flips_channel_shift": {"flip_horizontal": True, "flip_vertical": True, "channel_shift_intensity": 20.0},
    "brightness": {"brightness": 0.63},
    "brightness_out_of_range": {"brightness": 1.4},
}
GENERATORS = {
    "nearest": dict(fill_mode="nearest"),
    "constant_cval": dict(fill_mode="constant", cval=17.0),
    "reflect": dict(fill_mode="reflect"),
    "order0": dict(fill_mode="nearest", interpolation_order=0),
    "channels_first": dict(fill_mode="nearest", data_format="channels_first"),
}


def image(shape, salt):
    import numpy as np
    grids = np.indices(shape)
    return ((grids[0] * 31 + grids[1] * 17 + grids[2] * 71 + salt * 5 + grids[0] * grids[1] * 3) % 251).astype(
        "float32")


def main():
    import numpy as np
    import tf_keras
    from tf_keras.preprocessing.image import ImageDataGenerator
    import fake_tree

    arrays, record = {}, {"tf_keras": tf_keras.__version__}
    x = image((9, 11, 3), 1)
    arrays["input"] = x
    for generator_name, arguments in GENERATORS.items():
        generator = ImageDataGenerator(**arguments)
        source = x.transpose(2, 0, 1) if arguments.get("data_format") == "channels_first" else x
        for transform_name, parameters in TRANSFORMS.items():
            if "brightness" in parameters and arguments.get("data_format") == "channels_first":
                continue   # Keras 2's brightness shift reads channels_first images as channels_last and fails
            if transform_name == "brightness_out_of_range":
                source_in = source * 2.0 - 100.0
            else:
                source_in = source
            arrays[f"apply/{generator_name}/{transform_name}"] = generator.apply_transform(source_in.copy(),
                                                                                         parameters)
    record["generators"], record["transforms"] = GENERATORS, TRANSFORMS

    randomized = dict(rotation_range=30, width_shift_range=0.2, height_shift_range=[1, 2, 3], shear_range=10,
                      zoom_range=0.25, channel_shift_range=5.0, horizontal_flip=True, vertical_flip=True,
                      brightness_range=(0.5, 1.5))
    parameters = ImageDataGenerator(**randomized).get_random_transform((9, 11, 3), seed=1234)
    record["random_transform"] = {"arguments": randomized, "seed": 1234, "shape": [9, 11, 3],
                                  "parameters": {k: (None if v is None else float(v)) for k, v in
                                                 parameters.items()}}

    batch = np.stack([image((5, 6, 3), salt) for salt in range(4)])
    arrays["fit_input"] = batch
    stats = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True, rescale=0.5)
    stats.fit(batch)
    arrays["fit/mean"], arrays["fit/std"] = stats.mean, stats.std
    arrays["fit/standardized"] = stats.standardize(batch[1].copy())
    # ZCA on more samples than features (64 images of 3x3x3): a full-rank covariance, so the whitening matrix is
    # well conditioned and the same on every machine (4 images gave a rank-3 covariance, whose matrix depended on
    # the SVD's rounding).
    zca_input = np.random.RandomState(7).uniform(0, 255, (64, 3, 3, 3)).astype("float32")
    arrays["zca_input"] = zca_input
    zca = ImageDataGenerator(zca_whitening=True)
    zca.fit(zca_input)
    arrays["fit/zca_matrix"], arrays["fit/zca_mean"] = zca.zca_whitening_matrix, zca.mean
    samplewise = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True, rescale=1 / 255.0)
    arrays["standardize/samplewise"] = samplewise.standardize(batch[2].copy())

    flow = ImageDataGenerator().flow(batch, np.arange(4), batch_size=3, shuffle=True, seed=99)
    record["flow_order"] = {"getitem": [flow[i][1].tolist() for i in (0, 1, 0)],
                            "next": [next(flow)[1].tolist() for _ in range(4)]}

    root = fake_tree.write_image_tree(pathlib.Path(tempfile.mkdtemp()) / "images")
    directory_cases = {
        "plain": (dict(rescale=1 / 255.0), dict(target_size=(8, 8), shuffle=False, batch_size=20)),
        "sparse_grayscale": (dict(), dict(target_size=(6, 5), color_mode="grayscale", class_mode="sparse",
                                          shuffle=False, batch_size=20)),
        "training": (dict(validation_split=0.34), dict(target_size=(4, 4), subset="training", shuffle=False)),
        "validation": (dict(validation_split=0.34), dict(target_size=(4, 4), subset="validation", shuffle=False)),
        "classes_binary": (dict(), dict(target_size=(4, 4), classes=["dogs", "cats"], class_mode="binary",
                                        shuffle=False)),
    }
    for case, (generator_arguments, flow_arguments) in directory_cases.items():
        iterator = ImageDataGenerator(**generator_arguments).flow_from_directory(root, **flow_arguments)
        images, labels = iterator[0]
        arrays[f"directory/{case}/x"], arrays[f"directory/{case}/y"] = images, labels
        record[f"directory/{case}"] = {
            "generator": generator_arguments, "flow": flow_arguments,
            "filenames": [f.replace("\\", "/") for f in iterator.filenames], "classes": iterator.classes.tolist(),
            "class_indices": iterator.class_indices, "samples": iterator.samples, "length": len(iterator)}

    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "image_data_generator.npz", **arrays)
    (OUT / "image_data_generator.json").write_text(json.dumps(record, indent=1, sort_keys=True))
    print(f"recorded {len(arrays)} arrays (tf_keras {tf_keras.__version__})")


if __name__ == "__main__":
    main()
