"""Transfer learning with VGG16, offline: a frozen base and a new head, then fine-tuning the last block.

The image set is made here and written as PNG files in one folder per class (horizontal stripes, vertical
stripes, checkerboards; random colors, periods, phases and noise), then read back with `keras.utils.load_img`,
as a real image folder would be. The recipe is Keras's:

1. `base = VGG16(include_top=False)`, `base.trainable = False`; a new head (global average pooling, batch
   normalization, dropout, softmax) on `base(inputs, training=False)`;
2. train the head (only its weights change);
3. unfreeze block5 by name, compile again with a low learning rate, train a little more.

    python examples/finetune_vgg16.py [--weights imagenet|PATH] [--images-dir DIR]

Without `--weights` the base has random weights, so no download is needed: its random filters still tell the
stripe orientations apart once the head is trained. With ImageNet weights the same script does real transfer
learning. The full run takes a few minutes on a CPU (accuracy goes from chance, 0.33, to about 0.9 with the
head alone and higher after fine-tuning); KERASTORCH_EXAMPLE_QUICK=1 uses fewer, smaller images and epochs.
"""
import argparse
import os
import tempfile

import numpy as np

import kerastorch as keras
from kerastorch.applications import vgg16

CLASSES = ("horizontal_stripes", "vertical_stripes", "checkerboard")


def draw(kind, size, rng):
    """One RGB image (uint8) of the given kind."""
    rows, columns = np.mgrid[0:size, 0:size]
    period = rng.uniform(4, size / 3)
    phase = rng.uniform(0, period)
    horizontal = ((rows + phase) // (period / 2)) % 2
    vertical = ((columns + phase) // (period / 2)) % 2
    pattern = {"horizontal_stripes": horizontal, "vertical_stripes": vertical,
               "checkerboard": (horizontal + vertical) % 2}[kind]
    dark, light = rng.uniform(0, 110, 3), rng.uniform(145, 255, 3)
    image = dark + pattern[..., None] * (light - dark) + rng.normal(0, 20, (size, size, 3))
    return np.clip(image, 0, 255).astype("uint8")


def write_image_folder(folder, per_class, size, seed):
    rng = np.random.default_rng(seed)
    for kind in CLASSES:
        os.makedirs(os.path.join(folder, kind), exist_ok=True)
        for index in range(per_class):
            keras.utils.save_img(os.path.join(folder, kind, f"{index:04d}.png"), draw(kind, size, rng), scale=False)


def read_image_folder(folder, size):
    """(images, labels): every PNG under folder/<class>/, as float arrays, with the class's index."""
    images, labels = [], []
    for label, kind in enumerate(CLASSES):
        for name in sorted(os.listdir(os.path.join(folder, kind))):
            image = keras.utils.load_img(os.path.join(folder, kind, name), target_size=(size, size))
            images.append(keras.utils.img_to_array(image))
            labels.append(label)
    return np.stack(images), np.asarray(labels)


def accuracy(model, images, labels):
    return float((model.predict(images, batch_size=32, verbose=0).argmax(axis=1) == labels).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="None (random), 'imagenet', or a weights file")
    parser.add_argument("--images-dir", default=None, help="where to write the image set (default: a temp dir)")
    args = parser.parse_args()
    quick = os.environ.get("KERASTORCH_EXAMPLE_QUICK") == "1"
    size, per_class, head_epochs, tune_epochs = (32, 30, 4, 2) if quick else (64, 120, 6, 3)
    keras.utils.set_random_seed(0)

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.images_dir or scratch
        write_image_folder(os.path.join(folder, "train"), per_class, size, seed=1)
        write_image_folder(os.path.join(folder, "test"), per_class // 2, size, seed=2)
        train_x, train_y = read_image_folder(os.path.join(folder, "train"), size)
        test_x, test_y = read_image_folder(os.path.join(folder, "test"), size)
    print(f"{len(train_x)} training and {len(test_x)} test images of {size}x{size}, classes {CLASSES}")
    train_x, test_x = vgg16.preprocess_input(train_x), vgg16.preprocess_input(test_x)

    base = keras.applications.VGG16(weights=args.weights, include_top=False, input_shape=(size, size, 3))
    base.trainable = False
    inputs = keras.Input((size, size, 3))
    features = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    # Random filters give small features whose spread differs from one filter to the next; normalizing them
    # lets the head learn at a usual learning rate (with ImageNet weights it does no harm). A low momentum lets
    # the moving statistics, used at test time, catch up within the few steps of this small data set.
    features = keras.layers.BatchNormalization(momentum=0.9)(features)
    outputs = keras.layers.Dense(len(CLASSES), activation="softmax")(keras.layers.Dropout(0.2)(features))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    print(f"accuracy before training: {accuracy(model, test_x, test_y):.3f}")

    model.fit(train_x, train_y, batch_size=16, epochs=head_epochs, verbose=2)
    print(f"accuracy after training the head: {accuracy(model, test_x, test_y):.3f}")

    base.trainable = True
    for layer in base.layers:
        layer.trainable = layer.name.startswith("block5")
    model.compile(keras.optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print(f"fine-tuning {len(model.trainable_weights)} weight tensors: "
          f"{', '.join(w.path for w in model.trainable_weights)}")
    model.fit(train_x, train_y, batch_size=16, epochs=tune_epochs, verbose=2)
    print(f"accuracy after fine-tuning block5: {accuracy(model, test_x, test_y):.3f}")


if __name__ == "__main__":
    main()
