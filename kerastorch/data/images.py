"""``image_dataset_from_directory``: image files to a ``Dataset`` of batches, decoded in DataLoader workers.

Files are found, ordered and split as Keras finds them (``kerastorch.data.directory``). Each file is decoded by
torchvision (PNG, JPEG, GIF; Pillow for BMP and anything else torchvision cannot read), converted to the colour
mode and resized with torch's kernels to a float32 image, as TensorFlow's ``decode_image`` + ``resize`` do in
Keras. Batches are made by a ``DataLoader`` (``num_workers`` processes decode while the model trains; pinned memory
when CUDA is available).

Known differences from Keras on TensorFlow: the per-epoch shuffle of the files is torch's (the split and
``file_paths`` are Keras's exactly); ``"bicubic"`` uses torch's cubic kernel (a=-0.75, TF's is a=-0.5);
``"lanczos3"``, ``"lanczos5"``, ``"gaussian"`` and ``"mitchellcubic"`` resample with torch's antialiased bicubic.
"""
import functools
import math
import os
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from kerastorch import backend
from kerastorch.data.dataset import Dataset
from kerastorch.data.directory import (check_binary_classes, check_label_arguments, check_validation_split_arg,
                                       datasets_for_subset, index_directory)

# torchvision 0.29 warns at every decode that its decoders will move to torchcodec; they are what decodes here.
warnings.filterwarnings("ignore", message="The image decoding and encoding capabilities of TorchVision are "
                        "deprecated", category=DeprecationWarning)

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


# ---- one image ------------------------------------------------------------------------------------------------

def _decode_with_pillow(path, num_channels):
    from PIL import Image
    with Image.open(path) as img:
        img = img.convert({1: "L", 3: "RGB", 4: "RGBA"}[num_channels])
        array = np.asarray(img, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    return torch.from_numpy(array.copy()).permute(2, 0, 1)


@functools.lru_cache(maxsize=None)
def _torchvision_io():
    from torchvision import io
    return io, {1: io.ImageReadMode.GRAY, 3: io.ImageReadMode.RGB, 4: io.ImageReadMode.RGB_ALPHA}


def decode_image_file(path, num_channels):
    """The image in ``path`` as a uint8 tensor ``(channels, height, width)`` (the first frame of a GIF).

    Raises:
        ValueError: the file is not an image torchvision or Pillow can decode; the message names the path.
    """
    io, modes = _torchvision_io()
    try:
        image = io.decode_image(io.read_file(path), mode=modes[num_channels])
        return image[0] if image.ndim == 4 else image
    except (RuntimeError, ValueError):
        pass
    try:
        return _decode_with_pillow(path, num_channels)
    except Exception as error:  # Pillow raises many kinds (UnidentifiedImageError, OSError, SyntaxError)
        raise ValueError(f"Could not decode the image file {path!r}: expected a PNG, JPEG, BMP or GIF image "
                         f"({type(error).__name__}: {error}).") from None


def _crop_box(height, width, target_height, target_width):
    """Keras's ``smart_resize`` crop: the largest centered box of the target's aspect ratio."""
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top, left = int(float(height - crop_height) / 2), int(float(width - crop_width) / 2)
    return top, left, crop_height, crop_width


def _area_weights(in_size, out_size):
    """(out, in) weights of TensorFlow's area resize: each output pixel averages the input span it covers,
    partly covered input pixels weighted by the covered fraction."""
    scale = in_size / out_size
    starts = torch.arange(out_size, dtype=torch.float64) * scale
    ends = starts + scale
    left = torch.arange(in_size, dtype=torch.float64)
    overlap = (torch.minimum(ends[:, None], left[None, :] + 1) - torch.maximum(starts[:, None], left[None, :]))
    return (overlap.clamp(min=0) / scale).to(torch.float32)


def _area_resize(image, size):
    rows = _area_weights(image.shape[-2], size[0])
    columns = _area_weights(image.shape[-1], size[1])
    return rows @ image @ columns.T


def _interpolate(image, size, interpolation):
    """``image`` (channels, h, w) float32 resized to ``size`` as tf.image.resize does (no antialias)."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    batch = image[None]
    if interpolation == "bilinear":
        out = F.interpolate(batch, size=size, mode="bilinear", align_corners=False)
    elif interpolation == "nearest":
        out = F.interpolate(batch, size=size, mode="nearest-exact")
    elif interpolation == "area":
        return _area_resize(image, size)
    elif interpolation == "bicubic":
        out = F.interpolate(batch, size=size, mode="bicubic", align_corners=False)
    else:
        out = F.interpolate(batch, size=size, mode="bicubic", align_corners=False, antialias=True)
    return out[0]


def resize_image(image, size, interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False):
    """A uint8 image ``(channels, h, w)`` resized to spatial ``size``: stretched (Keras's default), center-cropped
    to the target's aspect ratio first, or resized to fit and padded with zeros around. float32, except that
    ``"nearest"`` keeps the input's dtype, as tf.image.resize does."""
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`.")
    dtype = image.dtype if interpolation == "nearest" else torch.float32
    image = _resized(image.to(torch.float32), size, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio)
    return image.to(dtype)


def _resized(image, size, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio):
    height, width = image.shape[-2:]
    target_height, target_width = size
    if crop_to_aspect_ratio:
        top, left, crop_height, crop_width = _crop_box(height, width, target_height, target_width)
        image = image[:, top:top + crop_height, left:left + crop_width]
        return _interpolate(image, size, interpolation)
    if pad_to_aspect_ratio:
        # tf.image.resize_with_pad: scale to fit inside; the padding is computed from the unrounded size.
        ratio = max(width / target_width, height / target_height)
        inner_height, inner_width = height / ratio, width / ratio
        inner = (max(math.floor(inner_height), 1), max(math.floor(inner_width), 1))
        resized = _interpolate(image, inner, interpolation)
        top = max(0, math.floor((target_height - inner_height) / 2))
        left = max(0, math.floor((target_width - inner_width) / 2))
        return F.pad(resized, (left, target_width - inner[1] - left, top, target_height - inner[0] - top))
    return _interpolate(image, size, interpolation)


# ---- many images ----------------------------------------------------------------------------------------------

def encoded_labels(labels, label_mode, num_classes):
    """Labels as Keras's loaders give them: int32 (``"int"``), float32 of shape (n, 1) (``"binary"``), or
    float32 one-hot (``"categorical"``)."""
    labels = torch.as_tensor(np.asarray(labels))
    if label_mode == "binary":
        return labels.to(torch.float32)[:, None]
    if label_mode == "categorical":
        return F.one_hot(labels.long(), num_classes).to(torch.float32)
    return labels.to(torch.int32)


class ImageFiles(torch.utils.data.Dataset):
    """Map-style dataset of decoded, resized images (and their labels); what DataLoader workers run."""

    def __init__(self, paths, labels, image_size, num_channels, interpolation, data_format, crop_to_aspect_ratio,
                 pad_to_aspect_ratio):
        self.paths, self.labels = list(paths), labels
        self.image_size, self.num_channels, self.interpolation = tuple(image_size), num_channels, interpolation
        self.channels_last = data_format == "channels_last"
        self.crop, self.pad = crop_to_aspect_ratio, pad_to_aspect_ratio

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        image = decode_image_file(self.paths[index], self.num_channels)
        image = resize_image(image, self.image_size, self.interpolation, self.crop, self.pad)
        if self.channels_last:
            image = image.permute(1, 2, 0).contiguous()
        return image if self.labels is None else (image, self.labels[index])


class _EpochOrder(torch.utils.data.Sampler):
    """Indices in order, or a fresh permutation per epoch from a generator seeded by ``seed`` and the epoch."""

    def __init__(self, size, shuffle, seed):
        self.size, self.shuffle, self.seed, self.epoch = size, shuffle, seed, 0

    def __len__(self):
        return self.size

    def __iter__(self):
        if not self.shuffle:
            return iter(range(self.size))
        generator = torch.Generator().manual_seed(int(self.seed) * 1000003 + self.epoch)
        self.epoch += 1
        return iter(torch.randperm(self.size, generator=generator).tolist())


def default_num_workers(paths):
    """Worker processes for decoding ``paths``: none for few or small files (decoding a 32x32 PNG costs less than
    sending it back from a worker), else up to 4 and never all the cores; ``KERASTORCH_DATA_WORKERS`` sets it."""
    if os.environ.get("KERASTORCH_DATA_WORKERS"):
        return int(os.environ["KERASTORCH_DATA_WORKERS"])
    cores = os.cpu_count() or 1
    if len(paths) < 256 or cores < 2:
        return 0
    sample = paths[::max(1, len(paths) // 32)]
    mean_bytes = sum(os.path.getsize(path) for path in sample) / len(sample)
    return 0 if mean_bytes < 32 * 1024 else min(4, cores - 1)


def collate(items):
    """A list of elements (tensors, string arrays, or tuples of them) as one batch element of the same
    structure."""
    first = items[0]
    if isinstance(first, tuple):
        return tuple(collate([item[i] for item in items]) for i in range(len(first)))
    return torch.stack(items) if isinstance(first, torch.Tensor) else np.stack(items)


def _as_is(item):
    return item


def loader_dataset(items, batch_size, shuffle, seed, num_workers=None):
    """A ``Dataset`` over a map-style ``items`` through one ``DataLoader`` (kept, so persistent workers serve
    every epoch): batches of ``batch_size`` (single elements when None)."""
    workers = default_num_workers(items.paths) if num_workers is None else num_workers
    loader = torch.utils.data.DataLoader(
        items, batch_size=batch_size, sampler=_EpochOrder(len(items), shuffle, seed), num_workers=workers,
        collate_fn=collate if batch_size is not None else _as_is,
        pin_memory=torch.cuda.is_available(), persistent_workers=workers > 0,
        prefetch_factor=2 if workers > 0 else None)
    count = len(items) if batch_size is None else -(-len(items) // batch_size)
    def make_iterator():
        # A generator: nothing (no worker) starts until the first batch is asked for.
        yield from loader
    dataset = Dataset(make_iterator, count, description="FileDataset")
    dataset._batch_size = batch_size
    return dataset


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, color_mode="rgb",
                                 batch_size=32, image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, data_format=None,
                                 format="tf", verbose=True, num_workers=None):
    """A ``Dataset`` of image batches (and labels) from the image files in a directory tree.

    With ``labels="inferred"`` the directory holds one subfolder per class (sorted names are the classes)::

        main_directory/
            class_a/  a_image_1.jpg  a_image_2.jpg
            class_b/  b_image_1.jpg

    Args:
        directory: the folder.
        labels: ``"inferred"``, None (no labels), or a list/tuple of integer labels in the files' sorted order.
        label_mode: ``"int"`` (int32), ``"categorical"`` (one-hot float32), ``"binary"`` (float32 0/1 of shape
            (batch, 1); exactly two classes), or None (no labels).
        class_names: with inferred labels, the subfolders to use and their order.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"`` (1, 3 or 4 channels).
        batch_size: images per batch, or None for single images.
        image_size: ``(height, width)`` (or one int) every image is resized to.
        shuffle, seed: shuffle the files (Keras's order for the split; a fresh permutation each epoch).
        validation_split: the fraction kept for validation (needs ``subset`` and, when shuffling, ``seed``).
        subset: ``"training"``, ``"validation"`` or ``"both"`` (a list of the two datasets).
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"area"``, ``"lanczos3"``, ``"lanczos5"``,
            ``"gaussian"`` or ``"mitchellcubic"``.
        follow_links: follow symbolic links to folders.
        crop_to_aspect_ratio: center-crop to the target aspect ratio before resizing.
        pad_to_aspect_ratio: resize to fit and pad with zeros instead of stretching.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default ``image_data_format()``).
        format: ``"tf"`` or ``"grain"``: accepted for Keras's signature; the result is a kerastorch Dataset.
        verbose: print what was found.
        num_workers: DataLoader worker processes decoding images (kerastorch's addition; default: none for
            fewer than 256 files or files under 32 KB on average, else up to 4).

    Returns:
        A ``kerastorch.data.Dataset`` of ``(images, labels)`` batches (images float32 of shape
        ``(batch, height, width, channels)``), or of images alone without labels; with ``class_names`` and
        ``file_paths`` attributes.
    """
    check_label_arguments(labels, label_mode, class_names, format, "image files")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if color_mode not in _CHANNELS:
        raise ValueError(f'`color_mode` must be one of {{"rgb", "rgba", "grayscale"}}. Received: '
                         f'color_mode={color_mode}')
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(f"Invalid `image_size` value. Expected a tuple of 2 integers. Received: "
                         f"image_size={image_size}")
    interpolation = interpolation.lower()
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {INTERPOLATIONS}. Received: "
                         f"interpolation={interpolation}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`.")
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    _torchvision_io()  # imported now, not in the first batch of the first epoch
    if seed is None:
        seed = np.random.randint(1e6)
    paths, file_labels, class_names = index_directory(directory, labels, ALLOWLIST_FORMATS, class_names, shuffle,
                                                      seed, follow_links, verbose)
    check_binary_classes(label_mode, class_names)
    data_format = backend.standardize_data_format(data_format)
    num_classes = len(class_names) if class_names else 0

    def make(subset_paths, subset_labels, subset_shuffle, what):
        if not subset_paths:
            raise ValueError(f"No {what}images found in directory {os.fspath(directory)}. Allowed formats: "
                             f"{ALLOWLIST_FORMATS}")
        encoded = None if label_mode is None else encoded_labels(subset_labels, label_mode, num_classes)
        items = ImageFiles(subset_paths, encoded, image_size, _CHANNELS[color_mode], interpolation, data_format,
                           crop_to_aspect_ratio, pad_to_aspect_ratio)
        dataset = loader_dataset(items, batch_size, subset_shuffle, seed, num_workers)
        dataset.class_names, dataset.file_paths = class_names, list(subset_paths)
        return dataset

    return datasets_for_subset(paths, file_labels, validation_split, subset, shuffle, verbose, make)
