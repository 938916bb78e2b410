"""ImageNet helpers shared by the applications: input preprocessing, decoding predictions, input-shape rules.

``preprocess_input`` turns RGB images with values in [0, 255] into what a network's ImageNet weights expect:

- ``"caffe"`` (Keras's VGG weights): RGB to BGR, then the ImageNet mean pixel (B 103.939, G 116.779, R 123.68)
  subtracted, without scaling;
- ``"torch"`` (torchvision's weights): scaled to [0, 1], then each RGB channel normalized by ImageNet's mean
  (0.485, 0.456, 0.406) and standard deviation (0.229, 0.224, 0.225);
- ``"tf"``: scaled to [-1, 1].

``decode_predictions`` names the top classes of a batch of 1,000-way predictions, offline (the class table ships
with kerastorch).
"""
import numpy as np
import torch

from kerastorch import backend
from kerastorch._lookup import lookup

_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN_RGB = (0.485, 0.456, 0.406)
_TORCH_STD_RGB = (0.229, 0.224, 0.225)
_MODES = {"caffe": "caffe", "tf": "tf", "torch": "torch"}

_CLASS_INDEX = None


def _channel_shape(ndim, data_format):
    """The broadcast shape of a per-channel constant for an image (3D) or a batch (4D) of ``ndim`` axes."""
    if data_format == "channels_last":
        return (1,) * (ndim - 1) + (3,)
    channel_axis = 0 if ndim == 3 else 1
    return (1,) * channel_axis + (3,) + (1,) * (ndim - channel_axis - 1)


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocess a batch of RGB images (or one image) with values in [0, 255] for an ImageNet network.

    Args:
        x: a numpy array, a torch tensor or a Keras tensor (in a functional model), 3D (one image) or 4D (a
            batch), with 3 color channels. A float numpy array is overwritten with the result where the layouts
            allow it, as in Keras (pass ``np.copy(x)`` to keep it); a torch tensor is never modified.
        data_format: ``"channels_last"`` (NHWC) or ``"channels_first"`` (NCHW); None means
            ``backend.image_data_format()``.
        mode: ``"caffe"`` (VGG16/VGG19 with Keras's weights: RGB to BGR, ImageNet mean subtracted),
            ``"torch"`` (torchvision's weights: [0, 1], then ImageNet mean and std per channel) or ``"tf"``
            ([-1, 1]).

    Returns:
        The preprocessed images, float32 (``floatx()``), of the input's kind and shape.

    Raises:
        ValueError: for an unknown ``mode`` or ``data_format``, or images without 3 channels.
    """
    mode = lookup("preprocessing mode", mode, _MODES)
    data_format = backend.standardize_data_format(data_format)
    from kerastorch.keras_tensor import KerasTensor
    if isinstance(x, KerasTensor):
        # Inside a functional model (``x = preprocess_input(keras.Input(...))``): a layer of the graph.
        from kerastorch.layers import Lambda
        return Lambda(lambda images: preprocess_input(images, data_format, mode), name=f"preprocess_{mode}")(x)
    if not isinstance(x, torch.Tensor):
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(backend.floatx())
    elif not x.is_floating_point():
        x = x.to(backend.torch_dtype())
    if x.ndim not in (3, 4):
        raise ValueError(f"preprocess_input expects one image (3D) or a batch of images (4D). Received an input "
                         f"of shape {tuple(x.shape)}.")
    channel_axis = -1 if data_format == "channels_last" else x.ndim - 3
    if x.shape[channel_axis] != 3:
        raise ValueError(f"preprocess_input expects images with 3 color channels (data_format='{data_format}', "
                         f"channel axis {channel_axis}). Received an input of shape {tuple(x.shape)}.")

    if mode == "tf":
        return _scale(x, 1 / 127.5, -1.0)
    shape = _channel_shape(x.ndim, data_format)
    if mode == "torch":
        x = _scale(x, 1 / 255.0, 0.0)
        mean, std = _TORCH_MEAN_RGB, _TORCH_STD_RGB
    else:
        # RGB to BGR; on numpy a view, so the in-place arithmetic below writes over a float input, as in Keras.
        x = np.flip(x, channel_axis) if isinstance(x, np.ndarray) else torch.flip(x, (channel_axis,))
        mean, std = _CAFFE_MEAN_BGR, None
    if isinstance(x, np.ndarray):
        x -= np.asarray(mean, x.dtype).reshape(shape)
        if std is not None:
            x /= np.asarray(std, x.dtype).reshape(shape)
        return x
    x = x - torch.tensor(mean, dtype=x.dtype, device=x.device).reshape(shape)
    if std is not None:
        x = x / torch.tensor(std, dtype=x.dtype, device=x.device).reshape(shape)
    return x


def _scale(x, factor, offset):
    if isinstance(x, np.ndarray):
        x *= np.asarray(factor, x.dtype)
        x += np.asarray(offset, x.dtype)
        return x
    return x * factor + offset


def class_index():
    """``[(wnid, name), ...]``: the 1,000 ImageNet classes in output order (e.g. ``('n01440764', 'tench')``)."""
    global _CLASS_INDEX
    if _CLASS_INDEX is None:
        from kerastorch.applications.imagenet_classes import class_index as table
        _CLASS_INDEX = table()
    return _CLASS_INDEX


def decode_predictions(preds, top=5):
    """The ``top`` most likely ImageNet classes of each sample, most likely first.

    Args:
        preds: predictions of shape ``(samples, 1000)``, a numpy array or a torch tensor.
        top: how many classes to return per sample.

    Returns:
        One list per sample of ``(wnid, class_name, score)`` tuples, such as
        ``('n02504458', 'African_elephant', 0.82)``.

    Raises:
        ValueError: when ``preds`` is not a batch of 1,000-way predictions.
    """
    if isinstance(preds, torch.Tensor):
        preds = preds.detach().cpu().numpy()
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(f"`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
                         f"(samples, 1000)). Received array with shape: {preds.shape}")
    table = class_index()
    results = []
    for scores in preds:
        best = scores.argsort()[-top:][::-1]
        decoded = [table[i] + (scores[i],) for i in best]
        decoded.sort(key=lambda entry: entry[2], reverse=True)
        results.append(decoded)
    return results


_MODE_DESCRIPTIONS = {
    "caffe": "RGB to BGR, then ImageNet's mean pixel subtracted per channel, without scaling",
    "tf": "pixels in [0, 255] scaled to [-1, 1]",
    "torch": "pixels scaled to [0, 1], then normalized by ImageNet's mean and standard deviation per channel",
    None: "the identity: the network rescales and normalizes its inputs itself",
}


def preprocessing(network, mode):
    """The ``preprocess_input`` of a network's module: ``preprocess_input`` in ``mode`` (``"caffe"``, ``"tf"``,
    ``"torch"``), or the identity for ``mode=None`` (networks whose first layers preprocess).

    Args:
        network: the network's name, for the docstring.
        mode: the preprocessing mode the network's weights were trained with.
    """
    def network_preprocess_input(x, data_format=None):
        return x if mode is None else preprocess_input(x, data_format=data_format, mode=mode)

    network_preprocess_input.__name__ = network_preprocess_input.__qualname__ = "preprocess_input"
    network_preprocess_input.__doc__ = (
        f"{network}'s preprocessing: {_MODE_DESCRIPTIONS[mode]}.\n\n    Args:\n        x: RGB images with values in "
        f"[0, 255] (see ``imagenet_utils.preprocess_input``).\n        data_format: the images' data format "
        f"(default ``image_data_format()``).\n    ")
    return network_preprocess_input


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
    """The input shape of an application network, after checking the one given (Keras's rules).

    Args:
        input_shape: the shape asked for (without the batch axis), or None.
        default_size: the height and width the pretrained top expects (224 for VGG).
        min_size: the smallest height and width the network accepts.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        require_flatten: whether the network ends in a Flatten and dense top, which fixes the shape.
        weights: ``"imagenet"``, None or a path; ImageNet weights need 3 channels.

    Returns:
        The shape, a tuple of 3 entries (None where any size goes).
    """
    channels_last = data_format == "channels_last"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[-1] if channels_last else input_shape[0]
        if channels not in (1, 3):
            import warnings
            warnings.warn(f"This model usually expects 1 or 3 input channels. However, it was passed an "
                          f"input_shape with {channels} input channels.", stacklevel=3)
    else:
        channels = 3
    default_shape = (default_size, default_size, channels) if channels_last else \
        (channels, default_size, default_size)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(f"When setting `include_top=True` and loading `imagenet` weights, `input_shape` "
                             f"should be {default_shape}.  Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(f"`input_shape` must be a tuple of three integers. Received: "
                             f"input_shape={input_shape}")
        channels = input_shape[-1] if channels_last else input_shape[0]
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        spatial = input_shape[:2] if channels_last else input_shape[1:]
        if any(size is not None and size < min_size for size in spatial):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (None, None, 3) if channels_last else (3, None, None)
    if require_flatten and None in input_shape:
        raise ValueError(f"If `include_top` is True, you should specify a static `input_shape`. Received: "
                         f"input_shape={input_shape}")
    return input_shape


def validate_activation(classifier_activation, weights):
    """Refuse a classifier activation other than softmax or None with pretrained weights (they were trained
    with softmax; the logits are available with None)."""
    if weights is None:
        return
    from kerastorch import activations
    activation = activations.get(classifier_activation)
    if activation not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(f"Only `None` and `softmax` activations are allowed for the `classifier_activation` "
                         f"argument when using pretrained weights, with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")
