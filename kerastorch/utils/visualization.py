"""Looking inside convolution filters: what input makes a filter fire?

``activation_gradients`` gives the gradient of a layer's mean activation (one filter's, or the whole layer's) with
respect to the input images, through torch autograd. ``visualize_filters`` runs gradient ascent on the input from
a noisy gray image, for several filters at once (each image of one batch climbs its own filter, so the work runs
as one batched forward and backward pass per step), and ``stitch_images`` lays the results out as one image:

>>> model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
>>> grid = visualize_filters(model, "block5_conv1", range(4))        # (133, 133, 3) uint8
>>> keras.utils.save_img("filters.png", grid)
"""
import numpy as np
import torch

from kerastorch import backend


def _feature_model(model, layer_name):
    """A model from ``model``'s inputs to the output of its layer ``layer_name``."""
    from kerastorch.models.functional import Functional
    layer = model.get_layer(layer_name)
    if not model.inputs:
        raise ValueError(f"Model '{model.name}' has no defined inputs; build it from `keras.Input` (or give its "
                         f"first layer an input shape) before visualizing its filters.")
    return Functional(model.inputs, layer.output, name=f"{model.name}_{layer_name}_features")


def _filter_means(features, filter_indices, data_format):
    """``(batch,)``: the mean activation of filter ``filter_indices[i]`` over image i's positions."""
    channels_first = features.movedim(-1, 1) if data_format == "channels_last" else features
    picked = channels_first[torch.arange(features.shape[0], device=features.device), filter_indices]
    return picked.reshape(features.shape[0], -1).mean(dim=1)


def activation_gradients(model, images, layer_name, filter_index=None, data_format=None):
    """The mean activation of a layer for each image and its gradient with respect to the image.

    Args:
        model: a functional or Sequential model (built from an ``Input``).
        images: a batch of images, a numpy array or a torch tensor, in the model's input layout.
        layer_name: the layer whose output is measured.
        filter_index: one filter (channel) of that output, an int or one int per image; None averages over all
            channels.
        data_format: the layout of the layer's output (``image_data_format()`` when None).

    Returns:
        ``(activations, gradients)``: torch tensors of shape ``(batch,)`` and of the images' shape.
    """
    data_format = backend.standardize_data_format(data_format)
    features_of = _feature_model(model, layer_name)
    device = next(iter(model.parameters())).device
    images = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    images = images.detach().to(device=device, dtype=backend.torch_dtype()).requires_grad_(True)
    features = features_of(images, training=False)
    if filter_index is None:
        means = features.reshape(features.shape[0], -1).mean(dim=1)
    else:
        indices = torch.as_tensor(filter_index, device=device).expand(features.shape[0])
        means = _filter_means(features, indices, data_format)
    # Each image's value depends on that image only, so the gradient of the sum gives every image its own.
    (gradients,) = torch.autograd.grad(means.sum(), images)
    return means.detach(), gradients


def visualize_filters(model, layer_name, filter_indices, image_size=None, steps=20, step_size=10.0, seed=None,
                      margin=5, columns=None, deprocess=True):
    """Gradient ascent on the input for each filter, stitched into one image.

    Args:
        model: a functional or Sequential model with image inputs (e.g. ``VGG16(include_top=False)``).
        layer_name: the convolution layer whose filters to show.
        filter_indices: the filters (channels) to show, e.g. ``range(4)``.
        image_size: ``(height, width)`` of the images; by default the model's input size (required when the
            model takes any size).
        steps: gradient-ascent steps.
        step_size: how far each step moves, along the gradient normalized to unit RMS.
        seed: the seed of the starting noise (a gray image with +-10 of uniform noise).
        margin: pixels between the tiles.
        columns: tiles per row; by default the smallest square grid that holds them all.
        deprocess: map each tile to a viewable uint8 image (``deprocess_image``); else keep the raw inputs.

    Returns:
        A numpy array ``(rows * (height + margin) - margin, columns * (width + margin) - margin, channels)``.
    """
    images = filter_images(model, layer_name, filter_indices, image_size=image_size, steps=steps,
                           step_size=step_size, seed=seed)
    if deprocess:
        images = np.stack([deprocess_image(image) for image in images])
    return stitch_images(images, columns=columns, margin=margin)


def filter_images(model, layer_name, filter_indices, image_size=None, steps=20, step_size=10.0, seed=None):
    """The gradient-ascent input for each filter (see ``visualize_filters``), as an array ``(n, h, w, c)``
    in the model's input layout, before any stitching or deprocessing."""
    data_format = backend.image_data_format()
    filter_indices = list(filter_indices)
    input_shape = tuple(model.inputs[0].shape[1:]) if model.inputs else None
    if input_shape is None:
        raise ValueError(f"Model '{model.name}' has no defined inputs; build it from `keras.Input`.")
    spatial = input_shape[:2] if data_format == "channels_last" else input_shape[1:]
    size = tuple(image_size) if image_size is not None else spatial
    if len(size) != 2 or None in size:
        raise ValueError(f"Model '{model.name}' takes images of any size ({input_shape}); pass "
                         f"`image_size=(height, width)`. Received: image_size={image_size}")
    channels = input_shape[-1] if data_format == "channels_last" else input_shape[0]
    shape = (len(filter_indices),) + (size + (channels,) if data_format == "channels_last" else (channels,) + size)

    features_of = _feature_model(model, layer_name)
    device = next(iter(model.parameters())).device
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    images = (torch.rand(shape, generator=generator) - 0.5) * 20 + 128
    images = images.to(device=device, dtype=backend.torch_dtype())
    indices = torch.as_tensor(filter_indices, device=device)
    for _ in range(steps):
        images.requires_grad_(True)
        means = _filter_means(features_of(images, training=False), indices, data_format)
        (gradients,) = torch.autograd.grad(means.sum(), images)
        rms = gradients.pow(2).reshape(len(filter_indices), -1).mean(dim=1).sqrt()
        step = gradients / (rms + 1e-5).reshape((-1,) + (1,) * (gradients.dim() - 1))
        images = (images.detach() + step_size * step)
    images = images.detach().cpu().numpy()
    return images if data_format == "channels_last" else images.transpose(0, 2, 3, 1)


def deprocess_image(image, contrast=0.1):
    """A uint8 image from a float one: centered, scaled to standard deviation ``contrast`` around 0.5, clipped
    to [0, 1], then to [0, 255]."""
    image = np.asarray(image, dtype="float64")
    image = (image - image.mean()) / (image.std() + 1e-5) * contrast + 0.5
    return (np.clip(image, 0, 1) * 255).astype("uint8")


def stitch_images(images, columns=None, margin=5):
    """Lay ``images`` (``(n, h, w, c)``) out row by row in a grid, ``margin`` pixels of zeros between them.

    Args:
        images: the tiles, all of one shape.
        columns: tiles per row; by default ``ceil(sqrt(n))``.
        margin: pixels between neighbouring tiles.
    """
    images = np.asarray(images)
    count, height, width, channels = images.shape
    columns = columns or int(np.ceil(np.sqrt(count)))
    rows = -(-count // columns)
    grid = np.zeros((rows * (height + margin) - margin, columns * (width + margin) - margin, channels),
                    dtype=images.dtype)
    for index, image in enumerate(images):
        top, left = (index // columns) * (height + margin), (index % columns) * (width + margin)
        grid[top:top + height, left:left + width] = image
    return grid
