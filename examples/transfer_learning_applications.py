"""Transfer learning with MobileNetV2 and ResNet50, offline, from a weights file this example writes itself.

For each of the two networks, Keras's recipe in three steps:

0. "pretraining": the network without its top, plus a temporary head, is trained a little on a source task
   (stripes against checkerboards); its batch norms' moving statistics, which a few steps barely move, are then
   set to the statistics of a batch of the data, and the base's weights are saved with
   ``base.save_weights(...)``: the file that stands for ImageNet's here, so that nothing is downloaded;
1. a new base is built from that file (``weights=<path>``, ``include_top=False``) and frozen
   (``base.trainable = False``); a new head (global average pooling, dropout, softmax) is trained on the target
   task (horizontal stripes, vertical stripes, checkerboards) on ``base(inputs, training=False)``;
2. the base's top block is unfrozen by name (ResNet50: ``conv5_*``; MobileNetV2: ``block_16_*``, ``Conv_1*``,
   ``out_relu``), the model compiled again with a low learning rate and trained a little more. The batch norms
   stay in inference mode, since the base is called with ``training=False``.

    python examples/transfer_learning_applications.py [--networks mobilenet_v2,resnet50] [--size 64]

The point is the mechanics, end to end and offline: a base of a few pretraining steps on a hundred synthetic
images gives features that help little (expect test accuracies not far above chance, 0.33: a head on 1280 or 2048
features overfits a training set this small). With ``weights="imagenet"`` (Keras's
files in ~/.keras/models) in place of the file of step 0, the same code does real transfer learning.
KERASTORCH_EXAMPLE_QUICK=1 uses fewer, smaller images and epochs.
"""
import argparse
import os
import tempfile

import numpy as np

import kerastorch as keras
from kerastorch.applications import mobilenet_v2, resnet50

NETWORKS = {
    # name: (builder, preprocess_input, which of the base's layers make its top block)
    "mobilenet_v2": (keras.applications.MobileNetV2, mobilenet_v2.preprocess_input,
                     lambda name: name.startswith(("block_16", "Conv_1", "out_relu"))),
    "resnet50": (keras.applications.ResNet50, resnet50.preprocess_input,
                 lambda name: name.startswith("conv5_")),
}
TARGET_CLASSES = ("horizontal_stripes", "vertical_stripes", "checkerboard")


def images_of(kinds, per_class, size, seed):
    """``(images in [0, 255], labels)``: ``per_class`` random patterns of each kind, with random colors,
    periods, phases and noise."""
    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[0:size, 0:size]
    images, labels = [], []
    for label, kind in enumerate(kinds):
        for _ in range(per_class):
            period = rng.uniform(4, size / 3)
            phase = rng.uniform(0, period)
            horizontal = ((rows + phase) // (period / 2)) % 2
            vertical = ((columns + phase) // (period / 2)) % 2
            pattern = {"horizontal_stripes": horizontal, "vertical_stripes": vertical,
                       "stripes": horizontal if rng.random() < 0.5 else vertical,
                       "checkerboard": (horizontal + vertical) % 2}[kind]
            dark, light = rng.uniform(0, 110, 3), rng.uniform(145, 255, 3)
            image = dark + pattern[..., None] * (light - dark) + rng.normal(0, 20, (size, size, 3))
            images.append(np.clip(image, 0, 255))
            labels.append(label)
    order = rng.permutation(len(images))
    return np.stack(images).astype("float32")[order], np.asarray(labels)[order]


def classifier(base, size, classes):
    """A new head on ``base`` (called in inference mode): pooling, batch norm, dropout, softmax."""
    inputs = keras.Input((size, size, 3))
    features = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    # The features of a briefly pretrained base have uneven scales; normalizing them lets the head learn at a usual
    # learning rate (with ImageNet weights it does no harm).
    features = keras.layers.BatchNormalization(momentum=0.9)(features)
    outputs = keras.layers.Dense(classes, activation="softmax")(keras.layers.Dropout(0.2)(features))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def accuracy(model, images, labels):
    return float((model.predict(images, batch_size=32, verbose=0).argmax(axis=1) == labels).mean())


def calibrate_batch_norms(base, images):
    """Set every batch norm's moving statistics to those of ``images`` (one pass in training mode with momentum
    0), as a long pretraining would have left them."""
    import torch
    norms = [layer for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0
    with torch.no_grad():
        base(images, training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum


def pretrain(name, size, per_class, epochs, path):
    """Step 0: train the base with a temporary head on the source task, save the base's weights to ``path``."""
    builder, preprocess, _ = NETWORKS[name]
    base = builder(weights=None, include_top=False, input_shape=(size, size, 3))
    inputs = keras.Input((size, size, 3))
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling2D()(base(inputs)))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    x, y = images_of(("stripes", "checkerboard"), per_class, size, seed=10)
    x = preprocess(x)
    model.fit(x, y, batch_size=16, epochs=epochs, verbose=0)
    calibrate_batch_norms(base, x[:64])
    base.save_weights(path)
    print(f"{name}: pretrained base saved to {os.path.basename(path)} ({os.path.getsize(path) // 1024} KiB)")


def transfer(name, size, per_class, head_epochs, tune_epochs, path):
    """Steps 1 and 2: a frozen base from ``path`` with a new head, then fine-tuning its top block."""
    builder, preprocess, in_top_block = NETWORKS[name]
    train_x, train_y = images_of(TARGET_CLASSES, per_class, size, seed=1)
    test_x, test_y = images_of(TARGET_CLASSES, per_class // 2, size, seed=2)
    train_x, test_x = preprocess(train_x), preprocess(test_x)

    base = builder(weights=path, include_top=False, input_shape=(size, size, 3))
    base.trainable = False
    model = classifier(base, size, len(TARGET_CLASSES))
    print(f"{name}: {len(model.trainable_weights)} trainable weight tensors with the base frozen; accuracy before "
          f"training: {accuracy(model, test_x, test_y):.3f}")
    model.fit(train_x, train_y, batch_size=16, epochs=head_epochs, verbose=0)
    print(f"{name}: accuracy after training the head: {accuracy(model, test_x, test_y):.3f}")

    base.trainable = True
    for layer in base.layers:
        layer.trainable = in_top_block(layer.name)
    model.compile(keras.optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    tuned = sorted({w.path.split("/")[0] for w in base.trainable_weights})
    print(f"{name}: fine-tuning {len(model.trainable_weights)} weight tensors ({len(tuned)} layers of the base: "
          f"{tuned[0]} ... {tuned[-1]})")
    model.fit(train_x, train_y, batch_size=16, epochs=tune_epochs, verbose=0)
    print(f"{name}: accuracy after fine-tuning the top block: {accuracy(model, test_x, test_y):.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", default="mobilenet_v2,resnet50")
    parser.add_argument("--size", type=int, default=None, help="image height and width (at least 32)")
    args = parser.parse_args()
    quick = os.environ.get("KERASTORCH_EXAMPLE_QUICK") == "1"
    size, per_class, epochs = (32, 16, (1, 3, 1)) if quick else (64, 120, (3, 8, 3))
    size = args.size or size
    keras.utils.set_random_seed(0)
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.networks.split(","):
            path = os.path.join(scratch, f"{name}_pretrained_notop.weights.h5")
            pretrain(name, size, per_class, epochs[0], path)
            transfer(name, size, per_class, epochs[1], epochs[2], path)


if __name__ == "__main__":
    main()
