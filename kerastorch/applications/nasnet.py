"""NASNetMobile and NASNetLarge (Zoph et al., "Learning Transferable Architectures for Scalable Image
Recognition", 2018), as Keras builds them, with their layer names and weights.

NASNet is built for channels_last images only, as in Keras.

>>> model = NASNetMobile(weights=None, include_top=False, input_shape=(224, 224, 3), pooling="avg")
>>> features = model.predict(preprocess_input(images))
"""
from kerastorch import backend, layers
from kerastorch.applications import _blocks, _network, imagenet_utils


def _batch_norm(name):
    return layers.BatchNormalization(axis=-1, momentum=0.9997, epsilon=1e-3, name=name)


def _conv1x1(filters, name):
    return layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same", use_bias=False, name=name,
                         kernel_initializer="he_normal")


def _separable_block(x, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """ReLU, separable convolution (stride ``strides``; padded as TensorFlow's 'same' when strided), batch norm,
    ReLU, separable convolution, batch norm."""
    x = layers.Activation("relu")(x)
    if strides == (2, 2):
        x = layers.ZeroPadding2D(padding=_blocks.correct_pad(x, kernel_size),
                                 name=f"separable_conv_1_pad_{block_id}")(x)
        padding = "valid"
    else:
        padding = "same"
    x = layers.SeparableConv2D(filters, kernel_size, strides=strides, name=f"separable_conv_1_{block_id}",
                               padding=padding, use_bias=False)(x)
    x = _batch_norm(f"separable_conv_1_bn_{block_id}")(x)
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(filters, kernel_size, name=f"separable_conv_2_{block_id}", padding="same",
                               use_bias=False)(x)
    return _batch_norm(f"separable_conv_2_bn_{block_id}")(x)


def _adjust(p, ip, filters, block_id=None):
    """The previous cell's output ``p`` brought to the shape of this cell's input ``ip``: halved in size (two
    offset strided 1x1 paths, concatenated) when it is larger, projected to ``filters`` channels when only those
    differ, and unchanged otherwise (``ip`` itself when there is no previous cell)."""
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:
        p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False, name=f"adjust_conv_1_{block_id}",
                           kernel_initializer="he_normal")(p1)
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False, name=f"adjust_conv_2_{block_id}",
                           kernel_initializer="he_normal")(p2)
        p = layers.concatenate([p1, p2], axis=-1)
        return _batch_norm(f"adjust_bn_{block_id}")(p)
    if p.shape[-1] != filters:
        p = layers.Activation("relu")(p)
        p = _conv1x1(filters, f"adjust_conv_projection_{block_id}")(p)
        return _batch_norm(f"adjust_bn_{block_id}")(p)
    return p


def _squeezed_input(ip, filters, kind, block_id):
    h = layers.Activation("relu")(ip)
    h = _conv1x1(filters, f"{kind}_conv_1_{block_id}")(h)
    return _batch_norm(f"{kind}_bn_1_{block_id}")(h)


def _average_3x3(x, strides, padding, name):
    return layers.AveragePooling2D((3, 3), strides=strides, padding=padding, name=name)(x)


def _normal_cell(ip, p, filters, block_id=None):
    """A normal cell (NASNet-A): five pairwise combinations of separable convolutions, average poolings and
    identities of this cell's and the previous cell's outputs, concatenated. Returns ``(output, ip)``."""
    p = _adjust(p, ip, filters, block_id)
    h = _squeezed_input(ip, filters, "normal", block_id)
    x1 = layers.add([_separable_block(h, filters, (5, 5), block_id=f"normal_left1_{block_id}"),
                     _separable_block(p, filters, block_id=f"normal_right1_{block_id}")],
                    name=f"normal_add_1_{block_id}")
    x2 = layers.add([_separable_block(p, filters, (5, 5), block_id=f"normal_left2_{block_id}"),
                     _separable_block(p, filters, (3, 3), block_id=f"normal_right2_{block_id}")],
                    name=f"normal_add_2_{block_id}")
    x3 = layers.add([_average_3x3(h, (1, 1), "same", f"normal_left3_{block_id}"), p],
                    name=f"normal_add_3_{block_id}")
    x4 = layers.add([_average_3x3(p, (1, 1), "same", f"normal_left4_{block_id}"),
                     _average_3x3(p, (1, 1), "same", f"normal_right4_{block_id}")], name=f"normal_add_4_{block_id}")
    x5 = layers.add([_separable_block(h, filters, block_id=f"normal_left5_{block_id}"), h],
                    name=f"normal_add_5_{block_id}")
    x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1, name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_cell(ip, p, filters, block_id=None):
    """A reduction cell (NASNet-A): like a normal cell, with strided operations halving the size. Returns
    ``(output, ip)``."""
    p = _adjust(p, ip, filters, block_id)
    h = _squeezed_input(ip, filters, "reduction", block_id)
    h3 = layers.ZeroPadding2D(padding=_blocks.correct_pad(h, 3), name=f"reduction_pad_1_{block_id}")(h)
    x1 = layers.add([_separable_block(h, filters, (5, 5), strides=(2, 2), block_id=f"reduction_left1_{block_id}"),
                     _separable_block(p, filters, (7, 7), strides=(2, 2), block_id=f"reduction_right1_{block_id}")],
                    name=f"reduction_add_1_{block_id}")
    x2 = layers.add([layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                                         name=f"reduction_left2_{block_id}")(h3),
                     _separable_block(p, filters, (7, 7), strides=(2, 2), block_id=f"reduction_right2_{block_id}")],
                    name=f"reduction_add_2_{block_id}")
    x3 = layers.add([_average_3x3(h3, (2, 2), "valid", f"reduction_left3_{block_id}"),
                     _separable_block(p, filters, (5, 5), strides=(2, 2), block_id=f"reduction_right3_{block_id}")],
                    name=f"reduction_add3_{block_id}")
    x4 = layers.add([x2, _average_3x3(x1, (1, 1), "same", f"reduction_left4_{block_id}")])
    x5 = layers.add([_separable_block(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}"),
                     layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                                         name=f"reduction_right5_{block_id}")(h3)],
                    name=f"reduction_add4_{block_id}")
    x = layers.concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}")
    return x, ip


def NASNet(input_shape=None, penultimate_filters=4032, num_blocks=6, stem_block_filters=96, skip_reduction=True,
           filter_multiplier=2, include_top=True, weights="imagenet", input_tensor=None, pooling=None, classes=1000,
           default_size=None, classifier_activation="softmax", name="NASNet"):
    """A NASNet-A network: a strided 3x3 stem convolution, two reduction cells, then three groups of
    ``num_blocks`` normal cells separated by reduction cells, each group with ``filter_multiplier`` times the
    filters of the one before.

    Args:
        input_shape: ``(height, width, 3)``, at least 32x32; with the top and ImageNet weights it must be
            ``(default_size, default_size, 3)``.
        penultimate_filters: the filters of the last cells (24 times the first group's); a multiple of
            ``24 * filter_multiplier ** 2``.
        num_blocks: the normal cells per group.
        stem_block_filters: the stem convolution's filters.
        skip_reduction: whether the cell after a reduction cell reads the reduction cell's input (rather than
            the reduction cell's output) as its previous cell.
        filter_multiplier: the filters' growth from one group to the next.
        include_top, weights, input_tensor, pooling, classes, classifier_activation, name: see ``NASNetLarge``.
        default_size: 224 (NASNetMobile's ImageNet files) or 331 (NASNetLarge's); None means 331.
    """
    if backend.image_data_format() == "channels_first":
        raise ValueError("NASNet does not support the `channels_first` image data format. Switch to "
                         "`channels_last` with `keras.backend.set_image_data_format('channels_last')` (or in "
                         "~/.keras/keras.json).")
    _network.check_arguments(weights, include_top, classes, pooling, classifier_activation)
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError(f"When specifying the input shape of a NASNet and loading `ImageNet` weights, the "
                         f"input_shape argument must be static (no None entries). Got: `input_shape={input_shape}`.")
    default_size = 331 if default_size is None else default_size
    if weights == "imagenet" and default_size not in (224, 331):
        raise ValueError("ImageNet weights can only be loaded with NASNetLarge or NASNetMobile")
    image = _network.image_input(input_tensor, input_shape, default_size=default_size, min_size=32,
                                 include_top=include_top, weights=weights)
    if penultimate_filters % (24 * filter_multiplier ** 2) != 0:
        raise ValueError(f"For NASNet-A models, the `penultimate_filters` must be a multiple of 24 * "
                         f"(`filter_multiplier` ** 2). Current value: {penultimate_filters}")
    filters = penultimate_filters // 24

    x = layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid", use_bias=False,
                      name="stem_conv1", kernel_initializer="he_normal")(image)
    x = _batch_norm("stem_bn1")(x)
    p = None
    x, p = _reduction_cell(x, p, filters // filter_multiplier ** 2, block_id="stem_1")
    x, p = _reduction_cell(x, p, filters // filter_multiplier, block_id="stem_2")
    for group in range(3):
        if group:
            x, reduced = _reduction_cell(x, p, filters * filter_multiplier ** group,
                                         block_id=f"reduce_{group * num_blocks}")
            p = p if skip_reduction else reduced
        for i in range(num_blocks):
            x, p = _normal_cell(x, p, filters * filter_multiplier ** group,
                                block_id=f"{group * num_blocks + i + (1 if group else 0)}")
    x = layers.Activation("relu")(x)
    x = _network.top(x, include_top, pooling, classes, classifier_activation, top_pool_name=None)
    weights_key = "nasnet_mobile" if default_size == 224 else "nasnet_large"
    return _network.finish(image, input_tensor, x, name, weights, weights_key, include_top)


def NASNetMobile(input_shape=None, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                 classes=1000, classifier_activation="softmax", name="nasnet_mobile"):
    """The NASNet-A (4 @ 1056) network trained on 224x224 images: 5,326,716 weights with the top.

    Keras 3.15 refuses this network on its torch backend; kerastorch builds it (its fixtures are recorded by
    building Keras's ``NASNet`` with these arguments directly).

    Args:
        input_shape: ``(height, width, 3)``, at least 32x32; default (224, 224, 3).
        include_top: whether to end with the global average pooling and the dense classifier.
        weights: None (random initialization), ``"imagenet"`` (Keras's published weights, from
            ``$KERAS_HOME/models``) or the path of a weights file (Keras 3 ``.weights.h5``/``.keras``, Keras 2
            ``.h5``).
        input_tensor: a Keras tensor (from ``keras.Input``) to use as the image input.
        pooling: without the top: None (4D output), ``"avg"`` or ``"max"`` (global pooling to 2D).
        classes: the number of classes of the top; 1000 with ImageNet weights.
        classifier_activation: the top's activation (``"softmax"``; None gives logits).
        name: the model's name.

    Returns:
        A functional ``Model``. Its inputs should be prepared with ``preprocess_input`` (pixels to [-1, 1]).
    """
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return NASNet(input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32, skip_reduction=False,
                  filter_multiplier=2, include_top=include_top, weights=weights, input_tensor=input_tensor,
                  pooling=pooling, classes=classes, default_size=224, classifier_activation=classifier_activation,
                  name=name)


def NASNetLarge(input_shape=None, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="nasnet_large"):
    """The NASNet-A (6 @ 4032) network trained on 331x331 images: 88,949,818 weights with the top.

    Args:
        input_shape: ``(height, width, 3)``, at least 32x32; default (331, 331, 3) with the top,
            ``(None, None, 3)`` without.
        include_top, weights, input_tensor, pooling, classes, classifier_activation, name: as for
            ``NASNetMobile``.

    Returns:
        A functional ``Model``. Its inputs should be prepared with ``preprocess_input`` (pixels to [-1, 1]).
    """
    return NASNet(input_shape, penultimate_filters=4032, num_blocks=6, stem_block_filters=96, skip_reduction=True,
                  filter_multiplier=2, include_top=include_top, weights=weights, input_tensor=input_tensor,
                  pooling=pooling, classes=classes, default_size=331, classifier_activation=classifier_activation,
                  name=name)


preprocess_input = imagenet_utils.preprocessing("NASNet", "tf")


decode_predictions = imagenet_utils.decode_predictions
