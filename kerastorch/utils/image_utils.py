"""Images to and from files and arrays, through PIL (which torchvision brings): ``load_img``, ``save_img``,
``img_to_array`` and ``array_to_img``, with Keras's arguments and conventions (channels_last by default, and
float arrays of any range scaled to [0, 255] when saved)."""
import io
import pathlib
import warnings

import numpy as np
import torch

from kerastorch import backend

_COLOR_MODES = {"grayscale": ("L", "I;16", "I"), "rgb": ("RGB",), "rgba": ("RGBA",)}


def _pil_image():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("Reading and writing images needs Pillow (PIL), which torchvision installs; install it "
                          "with `pip install pillow`.") from None
    return Image


def _interpolations(image_module):
    resampling = image_module.Resampling
    return {"nearest": resampling.NEAREST, "bilinear": resampling.BILINEAR, "bicubic": resampling.BICUBIC,
            "hamming": resampling.HAMMING, "box": resampling.BOX, "lanczos": resampling.LANCZOS}


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image from a 3D array (height, width, channels) with 1, 3 or 4 channels.

    Args:
        x: an array-like or torch tensor of rank 3.
        data_format: ``"channels_last"`` or ``"channels_first"``; None means ``image_data_format()``.
        scale: stretch the values so that the smallest becomes 0 and the largest 255 (else they are cast to
            uint8 as they are).
        dtype: the float dtype of the intermediate array (``floatx()`` when None).

    Returns:
        A ``PIL.Image.Image`` in mode ``"L"`` (or ``"I"`` for one channel above 255 unscaled), ``"RGB"`` or
        ``"RGBA"``.
    """
    image_module = _pil_image()
    data_format = backend.standardize_data_format(data_format)
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.array(x, dtype=dtype or backend.floatx())
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x -= x.min()
        largest = x.max()
        if largest != 0:
            x /= largest
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return image_module.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image_module.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if x.max() > 255:
            return image_module.fromarray(x[:, :, 0].astype("int32"), "I")
        return image_module.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}. An image has 1, 3 or 4 channels; received an "
                     f"array of shape {x.shape}.")


def img_to_array(img, data_format=None, dtype=None):
    """A 3D float array from a PIL image: ``(height, width, channels)``, or channels first.

    Args:
        img: a ``PIL.Image.Image`` (or anything ``np.asarray`` turns into a 2D or 3D array).
        data_format: ``"channels_last"`` or ``"channels_first"``; None means ``image_data_format()``.
        dtype: the array's dtype (``floatx()`` when None).
    """
    data_format = backend.standardize_data_format(data_format)
    x = np.asarray(img, dtype=dtype or backend.floatx())
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"Unsupported image shape: {x.shape}. Expected a 2D (grayscale) or 3D image.")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write a 3D array as an image file.

    Args:
        path: a path or a writable file object.
        x: the image, as for ``array_to_img``.
        data_format: ``"channels_last"`` or ``"channels_first"``; None means ``image_data_format()``.
        file_format: the format (``"png"``, ``"jpeg"``...); by default the path's extension.
        scale: stretch the values to [0, 255] first (see ``array_to_img``).
        **kwargs: passed to ``PIL.Image.Image.save`` (``quality=``...).
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Read an image file into a PIL image.

    Args:
        path: a path (str, bytes, ``pathlib.Path``) or an ``io.BytesIO``.
        color_mode: ``"rgb"``, ``"rgba"`` or ``"grayscale"``.
        target_size: None (the file's size) or ``(height, width)`` to resize to.
        interpolation: ``"nearest"``, ``"bilinear"``, ``"bicubic"``, ``"hamming"``, ``"box"`` or ``"lanczos"``.
        keep_aspect_ratio: resize the largest centered crop of the target's aspect ratio instead of the whole
            image, so nothing is distorted.

    Returns:
        A ``PIL.Image.Image``. The file is read at once and closed.
    """
    image_module = _pil_image()
    if isinstance(path, io.BytesIO):
        img = image_module.open(path)
    elif isinstance(path, (str, bytes, pathlib.Path)):
        with open(path, "rb") as file:
            img = image_module.open(io.BytesIO(file.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    if color_mode not in _COLOR_MODES:
        raise ValueError(f'color_mode must be "grayscale", "rgb", or "rgba". Received: color_mode={color_mode!r}')
    if img.mode not in _COLOR_MODES[color_mode]:
        img = img.convert(_COLOR_MODES[color_mode][0])
    if target_size is None:
        return img
    size = (target_size[1], target_size[0])   # PIL sizes are (width, height)
    if img.size == size:
        return img
    methods = _interpolations(image_module)
    if interpolation not in methods:
        raise ValueError(f"Invalid interpolation method {interpolation} specified. Supported methods are "
                         f"{', '.join(methods)}")
    box = None
    if keep_aspect_ratio:
        width, height = img.size
        crop_height = min(height, (width * size[1]) // size[0])
        crop_width = min(width, (height * size[0]) // size[1])
        top, left = (height - crop_height) // 2, (width - crop_width) // 2
        box = [left, top, left + crop_width, top + crop_height]
    return img.resize(size, methods[interpolation], box=box)
