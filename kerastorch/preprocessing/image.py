"""Keras 2's ``keras.preprocessing.image``: ``ImageDataGenerator`` and its iterators, and the image helpers.

The random transforms are drawn with numpy's global generator, as Keras 2 draws them (so ``np.random.seed`` and an
iterator's ``seed`` reproduce a run), and applied to a whole batch at once on torch tensors: one affine sampling
grid per batch (``grid_sample``), then channel shifts, flips and brightness as batched tensor ops.

Keras 2's transforms use scipy's ``ndimage.affine_transform``; here the same matrices sample with torch:
``interpolation_order`` 1 (the default, bilinear) and 0 (nearest) match scipy; higher orders are bicubic (scipy's
splines differ slightly). ``fill_mode`` "constant", "nearest" and "reflect" match scipy's; "wrap" wraps the sampling
coordinates.
"""
import os
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from kerastorch import backend
from kerastorch._porting import missing_attribute
from kerastorch.utils.image_utils import array_to_img, img_to_array, load_img, save_img  # noqa: F401
from kerastorch.utils.py_dataset import PyDataset

WHITE_LIST_FORMATS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")
_FILL_MODES = ("constant", "nearest", "reflect", "wrap")


# ---- batched transforms on tensors ---------------------------------------------------------------------------

def transform_matrices(theta, tx, ty, shear, zx, zy, height, width):
    """Keras 2's affine matrices for a batch (arrays of one value per image): ``(B, 2, 2)`` and ``(B, 2)`` such
    that the input pixel read for output pixel ``(row, col)`` is ``M @ (row, col) + offset``."""
    theta, shear = np.deg2rad(np.asarray(theta, float)), np.deg2rad(np.asarray(shear, float))
    tx, ty, zx, zy = (np.asarray(v, float) for v in (tx, ty, zx, zy))
    count = theta.shape[0]
    eye = np.broadcast_to(np.eye(3), (count, 3, 3)).copy()
    rotation, shift, shearing, zoom = eye.copy(), eye.copy(), eye.copy(), eye.copy()
    rotation[:, 0, 0], rotation[:, 0, 1] = np.cos(theta), -np.sin(theta)
    rotation[:, 1, 0], rotation[:, 1, 1] = np.sin(theta), np.cos(theta)
    shift[:, 0, 2], shift[:, 1, 2] = tx, ty
    shearing[:, 0, 1], shearing[:, 1, 1] = -np.sin(shear), np.cos(shear)
    zoom[:, 0, 0], zoom[:, 1, 1] = zx, zy
    matrix = rotation @ shift @ shearing @ zoom
    o_x, o_y = height / 2 - 0.5, width / 2 - 0.5
    offset, reset = np.eye(3), np.eye(3)
    offset[0, 2], offset[1, 2], reset[0, 2], reset[1, 2] = o_x, o_y, -o_x, -o_y
    matrix = offset @ matrix @ reset
    # Keras 2 swaps the two spatial axes of the centred matrix before handing it to scipy (row, col order).
    matrix = matrix[:, [1, 0, 2]][:, :, [1, 0, 2]]
    return matrix[:, :2, :2], matrix[:, :2, 2]


def affine_transform_batch(images, matrices, offsets, fill_mode="nearest", cval=0.0, order=1):
    """Resample a batch ``(B, C, H, W)`` float tensor with per-image affine maps, in one ``grid_sample``."""
    count, _, height, width = images.shape
    rows, cols = torch.meshgrid(torch.arange(height, dtype=torch.float64), torch.arange(width, dtype=torch.float64),
                                indexing="ij")
    points = torch.stack([rows.reshape(-1), cols.reshape(-1)])  # (2, H*W)
    source = torch.as_tensor(matrices) @ points + torch.as_tensor(offsets)[:, :, None]  # (B, 2, H*W)
    source_rows, source_cols = source[:, 0], source[:, 1]
    if fill_mode == "wrap":
        source_rows, source_cols = torch.remainder(source_rows, height), torch.remainder(source_cols, width)
    if order == 0:
        # scipy rounds half up; grid_sample's nearest would round half to even.
        source_rows, source_cols = torch.floor(source_rows + 0.5), torch.floor(source_cols + 0.5)
    grid = torch.stack([(2 * source_cols + 1) / width - 1, (2 * source_rows + 1) / height - 1], dim=-1)
    grid = grid.reshape(count, height, width, 2).to(images.dtype)
    mode = "nearest" if order == 0 else ("bilinear" if order == 1 else "bicubic")
    padding = {"constant": "border", "nearest": "border", "reflect": "reflection", "wrap": "border"}[fill_mode]
    out = F.grid_sample(images, grid, mode=mode, padding_mode=padding, align_corners=False)
    if fill_mode == "constant":
        # scipy's "constant": points outside the input's pixel centres take cval, with no blending at the edge.
        tolerance = 1e-6
        inside = (source_rows >= -tolerance) & (source_rows <= height - 1 + tolerance) & \
            (source_cols >= -tolerance) & (source_cols <= width - 1 + tolerance)
        out = torch.where(inside.reshape(count, 1, height, width), out, torch.as_tensor(cval, dtype=out.dtype))
    return out


def channel_shift_batch(images, intensities, channel_axis):
    """Each image plus its intensity, clipped to that image's own [min, max] (Keras 2's ``apply_channel_shift``)."""
    dims = tuple(range(1, images.ndim))
    low, high = images.amin(dim=dims, keepdim=True), images.amax(dim=dims, keepdim=True)
    shift = torch.as_tensor(intensities, dtype=images.dtype).reshape(-1, *([1] * (images.ndim - 1)))
    return torch.minimum(torch.maximum(images + shift, low), high)


def brightness_batch(images, factors):
    """Keras 2's ``apply_brightness_shift(scale=False)`` per image: to uint8 (stretched to [0, 255] when outside
    it), times the factor as PIL's Brightness clips and truncates it, then back to the image's range."""
    dims = tuple(range(1, images.ndim))
    low, high = images.amin(dim=dims, keepdim=True), images.amax(dim=dims, keepdim=True)
    stretched = (low < 0) | (high > 255)
    span = torch.where(high > low, high - low, torch.ones_like(high))
    as_bytes = torch.where(stretched, (images - low) / span * 255, images).clamp(0, 255).floor()
    factor = torch.as_tensor(factors, dtype=images.dtype).reshape(-1, *([1] * (images.ndim - 1)))
    bright = (as_bytes * factor).clamp(0, 255).floor()   # PIL truncates the float32 product
    return torch.where(stretched, bright / 255 * (high - low) + low, bright)


# ---- the generator ---------------------------------------------------------------------------------------------

class ImageDataGenerator:
    """Keras 2's real-time image augmentation: batches of (randomly transformed, standardized) images.

    Args:
        featurewise_center, featurewise_std_normalization: subtract the dataset mean / divide by its std, per
            channel (computed by ``fit``).
        samplewise_center, samplewise_std_normalization: the same per image.
        zca_whitening, zca_epsilon: ZCA whitening (computed by ``fit``).
        rotation_range: degrees of random rotation (uniform in +-range).
        width_shift_range, height_shift_range: a fraction of the size (< 1), pixels (>= 1), or a list of choices.
        brightness_range: ``(low, high)`` brightness factors.
        shear_range: shear angle in degrees.
        zoom_range: a float ``z`` for ``[1 - z, 1 + z]``, or ``[low, high]``.
        channel_shift_range: range of random channel shifts.
        fill_mode: ``"constant"``, ``"nearest"``, ``"reflect"`` or ``"wrap"`` for points outside the image.
        cval: the fill value for ``"constant"``.
        horizontal_flip, vertical_flip: random flips.
        rescale: a factor every image is multiplied by (after the transforms).
        preprocessing_function: a function of one image (rank 3 array) run first in ``standardize``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default ``image_data_format()``).
        validation_split: the fraction for ``subset="validation"`` in ``flow``/``flow_from_directory``.
        interpolation_order: 0 (nearest), 1 (bilinear) or higher (bicubic) for the affine transforms.
        dtype: the dtype of the images produced (default ``floatx()``).
    """

    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None, shear_range=0.0,
                 zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype=None):
        data_format = data_format or backend.image_data_format()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f'`data_format` should be `"channels_last"` (channel after row and column) or '
                             f'`"channels_first"` (channel before row and column). Received: {data_format}')
        if fill_mode not in _FILL_MODES:
            raise ValueError(f"`fill_mode` must be one of {_FILL_MODES}. Received: fill_mode={fill_mode!r}")
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(f"`validation_split` must be strictly between 0 and 1.  Received: {validation_split}")
        if isinstance(zoom_range, (float, int)):
            zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2 and all(isinstance(v, (float, int)) for v in zoom_range):
            zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(f"`zoom_range` should be a float or a tuple or list of two floats. Received: "
                             f"{zoom_range}")
        if brightness_range is not None and (not isinstance(brightness_range, (tuple, list))
                                             or len(brightness_range) != 2):
            raise ValueError(f"`brightness_range should be tuple or list of two floats. Received: "
                             f"{brightness_range}")
        if zca_whitening:
            if not featurewise_center:
                featurewise_center = True
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, which overrides setting of "
                              "`featurewise_center`.")
            if featurewise_std_normalization:
                featurewise_std_normalization = False
                warnings.warn("This ImageDataGenerator specifies `zca_whitening` which overrides setting of"
                              "`featurewise_std_normalization`.")
        if featurewise_std_normalization and not featurewise_center:
            featurewise_center = True
            warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, which overrides "
                          "setting of `featurewise_center`.")
        if samplewise_std_normalization and not samplewise_center:
            samplewise_center = True
            warnings.warn("This ImageDataGenerator specifies `samplewise_std_normalization`, which overrides "
                          "setting of `samplewise_center`.")
        self.featurewise_center, self.samplewise_center = featurewise_center, samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening, self.zca_epsilon = zca_whitening, zca_epsilon
        self.rotation_range, self.width_shift_range, self.height_shift_range = (rotation_range, width_shift_range,
                                                                                 height_shift_range)
        self.shear_range, self.zoom_range, self.channel_shift_range = shear_range, zoom_range, channel_shift_range
        self.fill_mode, self.cval = fill_mode, cval
        self.horizontal_flip, self.vertical_flip = horizontal_flip, vertical_flip
        self.rescale, self.preprocessing_function = rescale, preprocessing_function
        self.brightness_range, self.interpolation_order = brightness_range, interpolation_order
        self.dtype = dtype or backend.floatx()
        self.data_format = data_format
        self.channel_axis, self.row_axis, self.col_axis = (3, 1, 2) if data_format == "channels_last" else (1, 2, 3)
        self._validation_split = validation_split
        self.mean = self.std = self.zca_whitening_matrix = None

    def __repr__(self):
        return f"ImageDataGenerator(data_format={self.data_format!r})"

    # ---- iterators ---------------------------------------------------------------------------------------------

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None, save_to_dir=None,
             save_prefix="", save_format="png", ignore_class_split=False, subset=None):
        """An iterator of augmented batches of the arrays ``x`` (and ``y``, ``sample_weight``)."""
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
                                  seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format,
                                  ignore_class_split=ignore_class_split, subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb", classes=None,
                            class_mode="categorical", batch_size=32, shuffle=True, seed=None, save_to_dir=None,
                            save_prefix="", save_format="png", follow_links=False, subset=None,
                            interpolation="nearest", keep_aspect_ratio=False):
        """An iterator of augmented batches of the images in a directory (one subfolder per class)."""
        return DirectoryIterator(directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
                                 shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, follow_links=follow_links, subset=subset,
                                 interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio, dtype=self.dtype)

    def flow_from_dataframe(self, dataframe, directory=None, x_col="filename", y_col="class", weight_col=None,
                            target_size=(256, 256), color_mode="rgb", classes=None, class_mode="categorical",
                            batch_size=32, shuffle=True, seed=None, save_to_dir=None, save_prefix="",
                            save_format="png", subset=None, interpolation="nearest", validate_filenames=True,
                            **kwargs):
        """An iterator of augmented batches of the images listed in a pandas DataFrame (``x_col``: file names,
        ``y_col``: labels)."""
        if class_mode == "other":
            warnings.warn('`class_mode` "other" is deprecated, please use `class_mode` "raw".', DeprecationWarning)
            class_mode = "raw"
        return DataFrameIterator(dataframe, directory, self, x_col=x_col, y_col=y_col, weight_col=weight_col,
                                 target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
                                 shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, subset=subset, interpolation=interpolation,
                                 validate_filenames=validate_filenames, dtype=self.dtype)

    # ---- one image at a time (Keras 2's public methods) --------------------------------------------------------

    def standardize(self, x):
        """``x`` (an image, or a batch) with ``preprocessing_function``, ``rescale``, centering, normalization and
        whitening applied, in Keras 2's order. Sample-wise statistics cover all of ``x``."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        x = np.asarray(x, dtype=self.dtype) if not isinstance(x, np.ndarray) else x
        return self._standardize(x, sample_axes=None)

    def _standardize(self, x, sample_axes):
        if self.rescale:
            x = x * self.rescale
        if self.samplewise_center:
            x = x - np.mean(x, axis=sample_axes, keepdims=True)
        if self.samplewise_std_normalization:
            x = x / (np.std(x, axis=sample_axes, keepdims=True) + 1e-6)
        for wanted, value, name in ((self.featurewise_center, self.mean, "featurewise_center"),
                                    (self.featurewise_std_normalization, self.std, "featurewise_std_normalization"),
                                    (self.zca_whitening, self.zca_whitening_matrix, "zca_whitening")):
            if wanted and value is None:
                warnings.warn(f"This ImageDataGenerator specifies `{name}`, but it hasn't been fit on any training "
                              f"data. Fit it first by calling `.fit(numpy_data)`.")
        if self.featurewise_center and self.mean is not None:
            x = x - self.mean
        if self.featurewise_std_normalization and self.std is not None:
            x = x / (self.std + 1e-6)
        if self.zca_whitening and self.zca_whitening_matrix is not None:
            x = np.reshape(x.reshape(-1, np.prod(x.shape[-3:])) @ self.zca_whitening_matrix, x.shape)
        return x.astype(self.dtype, copy=False)

    def get_random_transform(self, img_shape, seed=None):
        """A dict of random transform parameters for an image of shape ``img_shape`` (numpy's generator, drawn
        as Keras 2 draws them)."""
        if seed is not None:
            np.random.seed(seed)
        return self._draw_one(img_shape[self.row_axis - 1], img_shape[self.col_axis - 1])

    def _shift(self, shift_range, size, count):
        if not shift_range:
            return np.zeros(count)
        if isinstance(shift_range, (list, tuple, np.ndarray)):
            shifts = np.random.choice(shift_range, count) * np.random.choice([-1, 1], count)
        else:
            shifts = np.random.uniform(-shift_range, shift_range, count)
        return shifts * size if np.max(shift_range) < 1 else shifts

    def _draw_one(self, rows, cols):
        # Exactly Keras 2's sequence of numpy draws for one image.
        theta = np.random.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0
        tx = self._shift_one(self.height_shift_range, rows)
        ty = self._shift_one(self.width_shift_range, cols)
        shear = np.random.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = (np.random.random() < 0.5) * self.horizontal_flip
        flip_vertical = (np.random.random() < 0.5) * self.vertical_flip
        channel_shift = np.random.uniform(-self.channel_shift_range, self.channel_shift_range) \
            if self.channel_shift_range != 0 else None
        brightness = np.random.uniform(self.brightness_range[0], self.brightness_range[1]) \
            if self.brightness_range is not None else None
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": channel_shift, "brightness": brightness}

    @staticmethod
    def _shift_one(shift_range, size):
        if not shift_range:
            return 0
        try:
            shift = np.random.choice(shift_range)
            shift *= np.random.choice([-1, 1])
        except ValueError:
            shift = np.random.uniform(-shift_range, shift_range)
        return shift * size if np.max(shift_range) < 1 else shift

    def _draw_many(self, count, rows, cols):
        # The same distributions as _draw_one, drawn for a whole batch at once.
        uniform = np.random.uniform
        zoom = (np.ones((count, 2)) if self.zoom_range[0] == 1 and self.zoom_range[1] == 1
                else uniform(self.zoom_range[0], self.zoom_range[1], (count, 2)))
        return {
            "theta": uniform(-self.rotation_range, self.rotation_range, count) if self.rotation_range
            else np.zeros(count),
            "tx": self._shift(self.height_shift_range, rows, count),
            "ty": self._shift(self.width_shift_range, cols, count),
            "shear": uniform(-self.shear_range, self.shear_range, count) if self.shear_range else np.zeros(count),
            "zx": zoom[:, 0], "zy": zoom[:, 1],
            "flip_horizontal": (np.random.random(count) < 0.5) & bool(self.horizontal_flip),
            "flip_vertical": (np.random.random(count) < 0.5) & bool(self.vertical_flip),
            "channel_shift_intensity": uniform(-self.channel_shift_range, self.channel_shift_range, count)
            if self.channel_shift_range != 0 else None,
            "brightness": uniform(self.brightness_range[0], self.brightness_range[1], count)
            if self.brightness_range is not None else None,
        }

    def apply_transform(self, x, transform_parameters):
        """One image (rank 3 array) transformed by a dict of parameters (``theta``, ``tx``, ``ty``, ``shear``,
        ``zx``, ``zy``, ``flip_horizontal``, ``flip_vertical``, ``channel_shift_intensity``, ``brightness``)."""
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError(f"apply_transform expects one image of rank 3; received an array of shape {x.shape}.")
        defaults = {"theta": 0, "tx": 0, "ty": 0, "shear": 0, "zx": 1, "zy": 1, "flip_horizontal": False,
                    "flip_vertical": False, "channel_shift_intensity": None, "brightness": None}
        batch = {key: None if transform_parameters.get(key, default) is None
                 else np.asarray([transform_parameters.get(key, default)])
                 for key, default in defaults.items()}
        out = self._transform_batch(torch.as_tensor(np.array(x[None], dtype=np.float64 if x.dtype == np.float64
                                                                else np.float32)), batch)
        return out[0].numpy().astype(x.dtype if x.dtype.kind == "f" else self.dtype)

    def random_transform(self, x, seed=None):
        """One image with a random transform (``get_random_transform`` then ``apply_transform``)."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    def _transform_batch(self, images, parameters):
        """A float tensor batch in this generator's data format, transformed by per-image parameter arrays."""
        channels_last = self.data_format == "channels_last"
        x = images.permute(0, 3, 1, 2) if channels_last else images
        height, width = x.shape[2], x.shape[3]
        defaults = {"theta": 0.0, "tx": 0.0, "ty": 0.0, "shear": 0.0, "zx": 1.0, "zy": 1.0}
        values = {k: np.broadcast_to(np.asarray(parameters.get(k) if parameters.get(k) is not None else d, float),
                                     (len(x),)) for k, d in defaults.items()}
        identity = all(np.all(values[k] == d) for k, d in defaults.items())
        if not identity:
            matrices, offsets = transform_matrices(values["theta"], values["tx"], values["ty"], values["shear"],
                                                   values["zx"], values["zy"], height, width)
            x = affine_transform_batch(x, matrices, offsets, self.fill_mode, self.cval, self.interpolation_order)
        if parameters.get("channel_shift_intensity") is not None:
            x = channel_shift_batch(x, np.asarray(parameters["channel_shift_intensity"], float), 1)
        for key, dim in (("flip_horizontal", 3), ("flip_vertical", 2)):
            if parameters.get(key) is not None and np.any(parameters[key]):
                chosen = torch.as_tensor(np.asarray(parameters[key], bool)).reshape(-1, 1, 1, 1)
                x = torch.where(chosen, x.flip(dim), x)
        if parameters.get("brightness") is not None:
            x = brightness_batch(x, np.asarray(parameters["brightness"], float))
        return x.permute(0, 2, 3, 1) if channels_last else x

    def augment_batch(self, x):
        """A batch (rank 4 array) with fresh random transforms, then standardized: what the iterators yield."""
        x = np.asarray(x, dtype=self.dtype)
        transformed = self._transform_batch(torch.as_tensor(x), self._draw_many(len(x), *self._image_size(x)))
        transformed = transformed.numpy()
        if self.preprocessing_function:
            transformed = np.stack([self.preprocessing_function(image) for image in transformed])
        return self._standardize(transformed, sample_axes=(1, 2, 3))

    def _image_size(self, x):
        return x.shape[self.row_axis], x.shape[self.col_axis]

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Compute the statistics of ``featurewise_center``, ``featurewise_std_normalization`` and
        ``zca_whitening`` from the images ``x`` (rank 4), optionally over ``rounds`` augmented copies."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"Input to `.fit()` should have rank 4. Got array with shape: {x.shape}")
        if x.shape[self.channel_axis] not in (1, 3, 4):
            warnings.warn(f'Expected input to be images (as Numpy array) following the data format convention '
                          f'"{self.data_format}" (channels on axis {self.channel_axis}), i.e. expected either 1, 3 '
                          f'or 4 channels on axis {self.channel_axis}. However, it was passed an array with shape '
                          f'{x.shape} ({x.shape[self.channel_axis]} channels).')
        if seed is not None:
            np.random.seed(seed)
        x = np.copy(x)
        if self.rescale:
            x *= self.rescale
        if augment:
            x = np.concatenate([self._transform_batch(torch.as_tensor(x), self._draw_many(len(x),
                                                                                           *self._image_size(x)))
                                .numpy() for _ in range(rounds)]).astype(self.dtype)
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        axes = (0, self.row_axis, self.col_axis)
        if self.featurewise_center:
            self.mean = np.reshape(np.mean(x, axis=axes), shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.reshape(np.std(x, axis=axes), shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            flat = np.reshape(x, (len(x), -1))
            u, s, _ = np.linalg.svd(flat.T, full_matrices=False)
            self.zca_whitening_matrix = (u * (np.sqrt(len(x)) / (s + self.zca_epsilon))).dot(u.T)


# ---- iterators -------------------------------------------------------------------------------------------------

class Iterator(PyDataset):
    """Keras 2's base iterator: batches by index (a ``PyDataset`` that ``fit`` takes), or endlessly by
    ``next()``, reshuffled each epoch."""

    white_list_formats = WHITE_LIST_FORMATS

    def __init__(self, n, batch_size, shuffle, seed):
        super().__init__()
        self.n, self.batch_size, self.seed, self.shuffle = n, batch_size, seed, shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.index_array = None

    def _set_index_array(self):
        self.index_array = np.random.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __getitem__(self, idx):
        if idx >= len(self):
            raise ValueError(f"Asked to retrieve element {idx}, but the Sequence has length {len(self)}")
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        return self._get_batches_of_transformed_samples(
            self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)])

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self):
        self._set_index_array()

    def reset(self):
        self.batch_index = 0

    def __iter__(self):
        return self

    def __next__(self):
        return self.next()

    def next(self):
        """The next batch; after the last one, a new (reshuffled) pass starts."""
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        if self.batch_index == 0:
            self._set_index_array()
        start = self.batch_index * self.batch_size % self.n if self.n else 0
        self.batch_index = self.batch_index + 1 if self.n > start + self.batch_size else 0
        self.total_batches_seen += 1
        return self._get_batches_of_transformed_samples(self.index_array[start:start + self.batch_size])

    def _save(self, batch_x, index_array, data_format):
        if not self.save_to_dir:
            return
        for image, j in zip(batch_x, index_array):
            name = f"{self.save_prefix}_{j}_{np.random.randint(1e7)}.{self.save_format}"
            array_to_img(image, data_format, scale=True).save(os.path.join(self.save_to_dir, name))

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError


class NumpyArrayIterator(Iterator):
    """Batches of augmented images from arrays (what ``ImageDataGenerator.flow`` returns)."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False, sample_weight=None, seed=None,
                 data_format=None, save_to_dir=None, save_prefix="", save_format="png", subset=None,
                 ignore_class_split=False, dtype=None):
        self.dtype = dtype or backend.floatx()
        data_format = data_format or backend.image_data_format()
        x_misc = []
        if isinstance(x, (tuple, list)):
            x_misc = [np.asarray(a) for a in (x[1] if isinstance(x[1], list) else [x[1]])]
            x = x[0]
            for extra in x_misc:
                if len(x) != len(extra):
                    raise ValueError(f"All of the arrays in `x` should have the same length. Found a pair with: "
                                     f"len(x[0]) = {len(x)}, len(x[?]) = {len(extra)}")
        if y is not None and len(x) != len(y):
            raise ValueError(f"`x` (images tensor) and `y` (labels) should have the same length. Found: x.shape = "
                             f"{np.asarray(x).shape}, y.shape = {np.asarray(y).shape}")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(f"`x` (images tensor) and `sample_weight` should have the same length. Found: x.shape "
                             f"= {np.asarray(x).shape}, sample_weight.shape = {np.asarray(sample_weight).shape}")
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(f'Invalid subset name: {subset}; expected "training" or "validation".')
            split = int(len(x) * image_data_generator._validation_split)
            if y is not None and not ignore_class_split and \
                    not np.array_equal(np.unique(y[:split]), np.unique(y[split:])):
                raise ValueError("Training and validation subsets have different number of classes after the "
                                 "split. If your numpy arrays are sorted by the label, you might want to shuffle "
                                 "them.")
            part = slice(None, split) if subset == "validation" else slice(split, None)
            x, x_misc = x[part], [a[part] for a in x_misc]
            y = None if y is None else y[part]
            sample_weight = None if sample_weight is None else sample_weight[part]
        self.x = np.asarray(x, dtype=self.dtype)
        if self.x.ndim != 4:
            raise ValueError(f"Input data in `NumpyArrayIterator` should have rank 4. You passed an array with "
                             f"shape {self.x.shape}")
        self.x_misc = x_misc
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator, self.data_format = image_data_generator, data_format
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        super().__init__(len(self.x), batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = self.image_data_generator.augment_batch(self.x[index_array])
        self._save(batch_x, index_array, self.data_format)
        misc = [a[index_array] for a in self.x_misc]
        inputs = batch_x if not misc else [batch_x] + misc
        if self.y is None:
            return inputs
        output = (inputs, self.y[index_array])
        return output if self.sample_weight is None else output + (self.sample_weight[index_array],)


class BatchFromFilesMixin:
    """Loading, augmenting and labelling batches of image files (shared by the directory and DataFrame
    iterators)."""

    def set_processing_attrs(self, image_data_generator, target_size, color_mode, data_format, save_to_dir,
                             save_prefix, save_format, subset, interpolation, keep_aspect_ratio):
        self.image_data_generator = image_data_generator
        self.target_size, self.keep_aspect_ratio = tuple(target_size), keep_aspect_ratio
        channels = {"rgb": 3, "rgba": 4, "grayscale": 1}
        if color_mode not in channels:
            raise ValueError(f'Invalid color mode: {color_mode}; expected "rgb", "rgba", or "grayscale".')
        self.color_mode, self.data_format = color_mode, data_format
        self.image_shape = self.target_size + (channels[color_mode],) if data_format == "channels_last" else \
            (channels[color_mode],) + self.target_size
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        self.interpolation = interpolation
        if subset is None:
            self.split = None
        elif subset in ("validation", "training"):
            fraction = image_data_generator._validation_split
            self.split = (0, fraction) if subset == "validation" else (fraction, 1)
        else:
            raise ValueError(f'Invalid subset name: {subset};expected "training" or "validation"')
        self.subset = subset

    @property
    def filepaths(self):
        """The absolute (or directory-joined) path of every file, in the iterator's order."""
        return self._filepaths

    def _load(self, path):
        img = load_img(path, color_mode=self.color_mode, target_size=self.target_size,
                       interpolation=self.interpolation, keep_aspect_ratio=self.keep_aspect_ratio)
        return img_to_array(img, data_format=self.data_format, dtype=self.dtype)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.stack([self._load(self.filepaths[j]) for j in index_array]).astype(self.dtype)
        if self.image_data_generator:
            batch_x = self.image_data_generator.augment_batch(batch_x)
        self._save(batch_x, index_array, self.data_format)
        if self.class_mode == "input":
            batch_y = batch_x.copy()
        elif self.class_mode in ("binary", "sparse"):
            batch_y = self.classes[index_array].astype(self.dtype)
        elif self.class_mode == "categorical":
            batch_y = np.eye(len(self.class_indices), dtype=self.dtype)[self.classes[index_array]]
        elif self.class_mode == "multi_output":
            batch_y = [output[index_array] for output in self.labels]
        elif self.class_mode == "raw":
            batch_y = self.labels[index_array]
        else:
            return batch_x
        if self.sample_weight is None:
            return batch_x, batch_y
        return batch_x, batch_y, self.sample_weight[index_array]


def _files_of(directory, split, follow_links):
    """Keras 2's listing of one class folder: walked folders sorted, files sorted, then the split's share."""
    found = []
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0]):
        found += [os.path.join(root, name) for name in sorted(files) if name.lower().endswith(WHITE_LIST_FORMATS)]
    if split:
        found = found[int(split[0] * len(found)):int(split[1] * len(found))]
    name = os.path.basename(directory)
    return [os.path.join(name, os.path.relpath(path, directory)) for path in found]


class DirectoryIterator(BatchFromFilesMixin, Iterator):
    """Batches of augmented images from a directory with one subfolder per class (what
    ``ImageDataGenerator.flow_from_directory`` returns).

    Attributes: ``filenames`` (relative to ``directory``), ``filepaths``, ``classes`` (the label of each file),
    ``class_indices`` (name -> index), ``num_classes``, ``samples``, ``image_shape``.
    """

    allowed_class_modes = {"categorical", "binary", "sparse", "input", None}

    def __init__(self, directory, image_data_generator, target_size=(256, 256), color_mode="rgb", classes=None,
                 class_mode="categorical", batch_size=32, shuffle=True, seed=None, data_format=None,
                 save_to_dir=None, save_prefix="", save_format="png", follow_links=False, subset=None,
                 interpolation="nearest", keep_aspect_ratio=False, dtype=None):
        data_format = data_format or backend.image_data_format()
        self.dtype = dtype or backend.floatx()
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format, save_to_dir,
                                  save_prefix, save_format, subset, interpolation, keep_aspect_ratio)
        if class_mode not in self.allowed_class_modes:
            raise ValueError(f"Invalid class_mode: {class_mode}; expected one of: {self.allowed_class_modes}")
        if not os.path.isdir(directory):
            raise ValueError(f"flow_from_directory: the directory {os.fspath(directory)!r} does not exist or is not "
                             f"a folder; expected a folder with one subfolder per class.")
        self.directory, self.class_mode = directory, class_mode
        if not classes:
            classes = [d for d in sorted(os.listdir(directory)) if os.path.isdir(os.path.join(directory, d))]
        self.num_classes = len(classes)
        self.class_indices = dict(zip(classes, range(len(classes))))
        self.filenames, labels = [], []
        for name in classes:
            files = _files_of(os.path.join(directory, name), self.split, follow_links)
            self.filenames += files
            labels += [self.class_indices[name]] * len(files)
        self.samples = len(self.filenames)
        self.classes = np.asarray(labels, dtype="int32")
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        self._filepaths = [os.path.join(directory, name) for name in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def labels(self):
        return self.classes

    @property
    def sample_weight(self):
        return None


class DataFrameIterator(BatchFromFilesMixin, Iterator):
    """Batches of augmented images listed in a pandas DataFrame (what ``ImageDataGenerator.flow_from_dataframe``
    returns). ``class_mode``: ``"categorical"``, ``"binary"``, ``"sparse"``, ``"raw"``, ``"multi_output"``,
    ``"input"`` or None."""

    allowed_class_modes = {"binary", "categorical", "input", "multi_output", "raw", "sparse", None}

    def __init__(self, dataframe, directory=None, image_data_generator=None, x_col="filename", y_col="class",
                 weight_col=None, target_size=(256, 256), color_mode="rgb", classes=None, class_mode="categorical",
                 batch_size=32, shuffle=True, seed=None, data_format="channels_last", save_to_dir=None,
                 save_prefix="", save_format="png", subset=None, interpolation="nearest", keep_aspect_ratio=False,
                 dtype="float32", validate_filenames=True):
        self.dtype = dtype
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format, save_to_dir,
                                  save_prefix, save_format, subset, interpolation, keep_aspect_ratio)
        if class_mode not in self.allowed_class_modes:
            raise ValueError(f"Invalid class_mode: {class_mode}; expected one of: {self.allowed_class_modes}")
        if x_col not in dataframe.columns:
            raise ValueError(f"flow_from_dataframe: the DataFrame has no column {x_col!r} (x_col); its columns are "
                             f"{list(dataframe.columns)}.")
        if class_mode not in ("input", None) and y_col not in dataframe.columns:
            raise ValueError(f"flow_from_dataframe: the DataFrame has no column {y_col!r} (y_col); its columns are "
                             f"{list(dataframe.columns)}.")
        self.directory, self.class_mode, self.x_col = directory or "", class_mode, x_col
        frame = dataframe.copy()
        if class_mode in ("binary", "categorical", "sparse"):
            values = frame[y_col]
            if classes is None:
                found = set()
                for value in values:
                    found.update(value if isinstance(value, (list, tuple)) else [value])
                classes = sorted(found)
            frame = frame[values.apply(lambda v: all(c in classes for c in (v if isinstance(v, (list, tuple))
                                                                           else [v])))]
        if validate_filenames:
            full = frame[x_col].map(lambda name: os.path.join(self.directory, name))
            valid = full.map(lambda p: p.lower().endswith(WHITE_LIST_FORMATS) and os.path.isfile(p))
            if (~valid).any():
                warnings.warn(f"Found {int((~valid).sum())} invalid image filename(s) in x_col=\"{x_col}\". These "
                              f"filename(s) will be ignored.")
            frame = frame[valid]
        if self.split:
            count = len(frame)
            frame = frame.iloc[int(self.split[0] * count):int(self.split[1] * count)]
        self.filenames = frame[x_col].tolist()
        self._filepaths = [os.path.join(self.directory, name) for name in self.filenames]
        self._sample_weight = frame[weight_col].values if weight_col else None
        if class_mode in ("binary", "categorical", "sparse"):
            self.class_indices = {c: i for i, c in enumerate(classes)}
            self.num_classes = len(classes)
            labels = frame[y_col].tolist()
            if class_mode == "categorical" and any(isinstance(v, (list, tuple)) for v in labels):
                raise ValueError("flow_from_dataframe: multi-label y_col values are not supported here yet.")
            self.classes = np.asarray([self.class_indices[v] for v in labels], dtype="int32")
        elif class_mode == "multi_output":
            self.classes = None
            self._targets = [np.asarray(frame[col].tolist()) for col in y_col]
        elif class_mode == "raw":
            self.classes = None
            self._targets = np.asarray(frame[y_col].tolist() if isinstance(y_col, str) else frame[y_col].values)
        else:
            self.classes = None
        self.samples = len(self.filenames)
        if class_mode in ("binary", "categorical", "sparse"):
            print(f"Found {self.samples} validated image filenames belonging to {self.num_classes} classes.")
        else:
            print(f"Found {self.samples} validated image filenames.")
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def labels(self):
        return self.classes if self.classes is not None else getattr(self, "_targets", None)

    @property
    def sample_weight(self):
        return self._sample_weight


__getattr__ = missing_attribute(__name__)
