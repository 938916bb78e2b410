"""Record Keras 3's directory and array loaders on TensorFlow (run by hand; Keras's directory loaders need TF).

    KERAS_BACKEND=tensorflow /work/tfvenv/bin/python tools/golden_data.py

Writes the JPEG fixture (tests/golden/data/encoded/, TensorFlow's encoder), builds the trees of tests/data/
fake_tree.py in a temporary folder, and records to tests/golden/data/:
  loaders.json: file orders (relative paths), labels, class_names, texts, splits, per case;
  loaders.npz: pixel values of unshuffled image datasets, timeseries windows and split_dataset parts.
TensorFlow's per-epoch shuffle is not reproducible outside TF, so shuffled cases record file_paths and the split,
and the labels matched to file_paths.
"""
import json
import os
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "data"))
OUT = ROOT / "tests" / "golden" / "data"

IMAGE_CASES = {
    "default_unshuffled": dict(image_size=(8, 8), shuffle=False, batch_size=4),
    "nearest": dict(image_size=(6, 9), shuffle=False, interpolation="nearest", batch_size=None),
    "area": dict(image_size=(5, 5), shuffle=False, interpolation="area"),
    "crop": dict(image_size=(6, 6), shuffle=False, crop_to_aspect_ratio=True),
    "pad": dict(image_size=(8, 6), shuffle=False, pad_to_aspect_ratio=True),
    # TensorFlow decodes BMP and GIF only to RGB(A)/RGB, so the cats (c3.bmp) and dogs (d3.gif) are left out.
    "grayscale": dict(image_size=(8, 8), shuffle=False, color_mode="grayscale", class_names=["birds"]),
    "rgba_channels_first": dict(image_size=(7, 7), shuffle=False, color_mode="rgba", data_format="channels_first",
                                class_names=["birds"]),
    "categorical": dict(image_size=(4, 4), shuffle=False, label_mode="categorical"),
    "binary_class_names": dict(image_size=(4, 4), shuffle=False, label_mode="binary", class_names=["dogs", "cats"]),
    "no_labels": dict(image_size=(4, 4), shuffle=False, labels=None),
    "label_list": dict(image_size=(4, 4), shuffle=False, labels=[3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]),
}
SPLIT_CASES = {
    "seeded_shuffle": dict(seed=1337),
    "training": dict(seed=7, validation_split=0.3, subset="training"),
    "validation": dict(seed=7, validation_split=0.3, subset="validation"),
    "both": dict(seed=42, validation_split=0.25, subset="both"),
    "unshuffled_both": dict(shuffle=False, validation_split=0.4, subset="both"),
}
TIMESERIES_CASES = {
    "basic": dict(sequence_length=3, batch_size=4),
    "stride_rate": dict(sequence_length=4, sequence_stride=2, sampling_rate=2, batch_size=3),
    "start_end": dict(sequence_length=2, start_index=3, end_index=15, batch_size=None),
    "shuffled": dict(sequence_length=3, shuffle=True, seed=5, batch_size=None),
}


def main():
    import numpy as np
    import tensorflow as tf
    import keras
    import fake_tree

    fake_tree.ENCODED.mkdir(parents=True, exist_ok=True)
    jpeg = tf.io.encode_jpeg(fake_tree.image_array("cats/c2.jpg"), quality=95).numpy()
    (fake_tree.ENCODED / "cats__c2.jpg").write_bytes(jpeg)

    work = pathlib.Path(tempfile.mkdtemp(prefix="golden-data-"))
    images = fake_tree.write_image_tree(work / "images")
    texts = fake_tree.write_text_tree(work / "texts")
    record, arrays = {"keras": keras.__version__}, {}

    for case, arguments in IMAGE_CASES.items():
        dataset = keras.utils.image_dataset_from_directory(images, verbose=False, **arguments)
        batches = list(dataset.as_numpy_iterator())
        labelled = isinstance(batches[0], tuple)
        xs = [b[0] if labelled else b for b in batches]
        x = np.concatenate(xs) if arguments.get("batch_size", 32) is not None else np.stack(xs)
        arrays[f"images/{case}/x"] = x
        entry = {"arguments": arguments, "file_paths": fake_tree.relative(dataset.file_paths, images),
                 "class_names": dataset.class_names, "x_dtype": str(x.dtype)}
        if labelled:
            ys = [b[1] for b in batches]
            y = np.concatenate(ys) if arguments.get("batch_size", 32) is not None else np.stack(ys)
            arrays[f"images/{case}/y"] = y
            entry["y_dtype"] = str(y.dtype)
        record[f"images/{case}"] = entry

    for case, arguments in SPLIT_CASES.items():
        result = keras.utils.image_dataset_from_directory(images, image_size=(4, 4), verbose=False, **arguments)
        parts = result if isinstance(result, list) else [result]
        entry = {"arguments": arguments, "parts": []}
        for part in parts:
            entry["parts"].append({"file_paths": fake_tree.relative(part.file_paths, images),
                                   "class_names": part.class_names,
                                   "count": int(sum(int(b[0].shape[0]) for b in part.as_numpy_iterator()))})
        record[f"split/{case}"] = entry

    for case, arguments in {"unshuffled": dict(shuffle=False), "max_length": dict(shuffle=False, max_length=6),
                            "both": dict(seed=3, validation_split=0.3, subset="both"),
                            "binary_unbatched": dict(shuffle=False, label_mode="binary", batch_size=None)}.items():
        result = keras.utils.text_dataset_from_directory(texts, verbose=False, **arguments)
        parts = result if isinstance(result, list) else [result]
        entry = {"arguments": arguments, "parts": []}
        for part in parts:
            elements = list(part.unbatch().as_numpy_iterator()) if arguments.get("batch_size", 32) else \
                list(part.as_numpy_iterator())
            part_entry = {"class_names": part.class_names, "count": len(elements)}
            if not arguments.get("seed"):
                part_entry["texts"] = [t.decode("utf-8", errors="replace") for t, _ in elements]
                part_entry["labels"] = [np.asarray(label).tolist() for _, label in elements]
            else:
                part_entry["texts_sorted"] = sorted(t.decode("utf-8", errors="replace") for t, _ in elements)
            entry["parts"].append(part_entry)
        record[f"text/{case}"] = entry

    data = np.arange(40, dtype="float64").reshape(20, 2) * 1.5
    targets = np.arange(100, 120)
    for case, arguments in TIMESERIES_CASES.items():
        dataset = keras.utils.timeseries_dataset_from_array(data, targets, **arguments)
        elements = list(dataset.as_numpy_iterator())
        if arguments.get("batch_size", 128) is not None:
            x = np.concatenate([e[0] for e in elements])
            y = np.concatenate([e[1] for e in elements])
        else:
            x, y = np.stack([e[0] for e in elements]), np.stack([e[1] for e in elements])
        if arguments.get("shuffle"):
            order = np.argsort(y)   # tf's buffer shuffle is not reproducible: record the windows by target
            x, y = x[order], y[order]
        arrays[f"timeseries/{case}/x"], arrays[f"timeseries/{case}/y"] = x, y
        record[f"timeseries/{case}"] = {"arguments": arguments, "x_dtype": str(x.dtype), "y_dtype": str(y.dtype),
                                        "batch_sizes": [len(e[0]) for e in elements]
                                        if arguments.get("batch_size", 128) is not None else None}

    features, labels = np.arange(30, dtype="float32").reshape(10, 3), np.arange(10)
    for case, arguments in {"fraction": dict(left_size=0.7), "counts_shuffled": dict(left_size=3, right_size=5,
                                                                                       shuffle=True, seed=11),
                            "right_only": dict(right_size=0.2, shuffle=True, seed=2)}.items():
        left, right = keras.utils.split_dataset((features, labels), **arguments)
        for side, part in (("left", left), ("right", right)):
            pairs = list(part.as_numpy_iterator())
            arrays[f"split_dataset/{case}/{side}/x"] = np.stack([p[0] for p in pairs])
            arrays[f"split_dataset/{case}/{side}/y"] = np.stack([p[1] for p in pairs])
        record[f"split_dataset/{case}"] = {"arguments": arguments}

    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "loaders.npz", **arrays)
    (OUT / "loaders.json").write_text(json.dumps(record, indent=1, sort_keys=True))
    print(f"recorded {len(record)} cases, {len(arrays)} arrays (Keras {keras.__version__}, TF {tf.__version__})")


if __name__ == "__main__":
    main()
