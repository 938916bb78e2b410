"""Pretrained weights for the applications: finding, downloading and reading them, whatever library wrote them.

Three kinds of files load into an application network (``load_weights``), each converted to Keras's layouts:

- Keras 3 weights (``.weights.h5``, or a whole ``.keras`` model file): variables stored per layer path
  (``layers/conv2d_3/vars/0``), read through ``kerastorch.saving.keras_h5``'s walk of the model;
- Keras 2 weights (``.h5``), the layout of Keras's published ``vgg16_weights_tf_dim_ordering_tf_kernels.h5``: the
  root lists its layers in ``layer_names``, each layer group its datasets in ``weight_names``;
- torchvision state dicts (``.pth``, read with ``torch.load(weights_only=True)``) of the networks that are
  torchvision's (VGG, DenseNet, ConvNeXt): convolution kernels go from torch's ``(out, in, h, w)`` to Keras's
  ``(h, w, in, out)``, dense kernels are transposed (the first dense layer after a Flatten also has its inputs
  reordered from torch's channels-first flatten order ``(c, h, w)`` to Keras's ``(h, w, c)``), normalizations
  keep their parameters and statistics in Keras's order (see ``torchvision_entries``).

Every layer's values are checked against the model before any is assigned; a file of another architecture gets an
error that names the first layer that does not fit, and both shapes.

``weights="imagenet"`` looks for Keras's published file in ``$KERAS_HOME/models`` (default ``~/.keras/models``),
downloads it there when the network allows (to a temporary file, renamed once its hash checks out), and otherwise
falls back to torchvision's file in ``$TORCH_HOME/hub/checkpoints`` (whose inputs need
``preprocess_input(x, mode="torch")``), or fails at once with an error that names both places and files.
"""
import os
import warnings

import numpy as np
import torch

from kerastorch.utils.file_utils import download, hash_file, keras_home, validate_file

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
# How long a download may wait for the server before giving up (connection and each read).
DOWNLOAD_TIMEOUT_S = 15

# Keras's published ImageNet weights, per network and per top (True: with the classifier): the file's name in the
# cache, its hash (MD5 or SHA-256, as Keras's applications check it; None where Keras checks none) and, where it
# differs, its name on the server; recorded from Keras's downloader by tools/keras_weight_files.py (the test
# tests/applications/test_weights_table.py compares). Keys: "vgg16", "resnet50", "resnet50v2", "densenet121",
# "convnext_tiny", "xception", "inception_v3", "inception_resnet_v2", "nasnet_mobile", "efficientnetb0",
# "efficientnetv2-b0", f"mobilenet_{alpha}_{rows}", f"mobilenet_v2_{alpha}_{rows}",
# f"mobilenet_v3_{small|large}[_minimalistic]_{alpha}" (alpha as Python writes the float: "1.0", "0.35").
# The files are downloaded from ``{KERAS_WEIGHTS_ORIGIN}/{folder}/{file}`` (KERAS_WEIGHTS_FOLDERS); a folder that
# is a whole URL is used as it is, unless the environment variable KERASTORCH_WEIGHTS_ORIGIN names a mirror, whose
# ``{mirror}/{last part of that URL}/{file}`` is used then.
KERAS_WEIGHTS = {
    "convnext_base": {
        True: ("convnext_base.h5", "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6"),
        False: ("convnext_base_notop.h5", "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45")},
    "convnext_large": {
        True: ("convnext_large.h5", "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6"),
        False: ("convnext_large_notop.h5", "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd")},
    "convnext_small": {
        True: ("convnext_small.h5", "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c"),
        False: ("convnext_small_notop.h5", "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab")},
    "convnext_tiny": {
        True: ("convnext_tiny.h5", "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff"),
        False: ("convnext_tiny_notop.h5", "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1")},
    "convnext_xlarge": {
        True: ("convnext_xlarge.h5", "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee"),
        False: ("convnext_xlarge_notop.h5", "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05")},
    "densenet121": {
        True: ("densenet121_weights_tf_dim_ordering_tf_kernels.h5", "9d60b8095a5708f2dcce2bca79d332c7"),
        False: ("densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5", "30ee3e1110167f948a6b9946edeeb738")},
    "densenet169": {
        True: ("densenet169_weights_tf_dim_ordering_tf_kernels.h5", "d699b8f76981ab1b30698df4c175e90b"),
        False: ("densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5", "b8c4d4c20dd625c148057b9ff1c1176b")},
    "densenet201": {
        True: ("densenet201_weights_tf_dim_ordering_tf_kernels.h5", "1ceb130c1ea1b78c3bf6114dbdfd8807"),
        False: ("densenet201_weights_tf_dim_ordering_tf_kernels_notop.h5", "c13680b51ded0fb44dff2d8f86ac8bb1")},
    "efficientnetb0": {
        True: ("efficientnetb0.h5", "902e53a9f72be733fc0bcb005b3ebbac"),
        False: ("efficientnetb0_notop.h5", "50bc09e76180e00e4465e1a485ddc09d")},
    "efficientnetb1": {
        True: ("efficientnetb1.h5", "1d254153d4ab51201f1646940f018540"),
        False: ("efficientnetb1_notop.h5", "74c4e6b3e1f6a1eea24c589628592432")},
    "efficientnetb2": {
        True: ("efficientnetb2.h5", "b15cce36ff4dcbd00b6dd88e7857a6ad"),
        False: ("efficientnetb2_notop.h5", "111f8e2ac8aa800a7a99e3239f7bfb39")},
    "efficientnetb3": {
        True: ("efficientnetb3.h5", "ffd1fdc53d0ce67064dc6a9c7960ede0"),
        False: ("efficientnetb3_notop.h5", "af6d107764bb5b1abb91932881670226")},
    "efficientnetb4": {
        True: ("efficientnetb4.h5", "18c95ad55216b8f92d7e70b3a046e2fc"),
        False: ("efficientnetb4_notop.h5", "ebc24e6d6c33eaebbd558eafbeedf1ba")},
    "efficientnetb5": {
        True: ("efficientnetb5.h5", "ace28f2a6363774853a83a0b21b9421a"),
        False: ("efficientnetb5_notop.h5", "38879255a25d3c92d5e44e04ae6cec6f")},
    "efficientnetb6": {
        True: ("efficientnetb6.h5", "165f6e37dce68623721b423839de8be5"),
        False: ("efficientnetb6_notop.h5", "9ecce42647a20130c1f39a5d4cb75743")},
    "efficientnetb7": {
        True: ("efficientnetb7.h5", "8c03f828fec3ef71311cd463b6759d99"),
        False: ("efficientnetb7_notop.h5", "cbcfe4450ddf6f3ad90b1b398090fe4a")},
    "efficientnetv2-b0": {
        True: ("efficientnetv2-b0.h5", "21ecbf6da12460d5c40bb2f29ceb2188"),
        False: ("efficientnetv2-b0_notop.h5", "893217f2bb855e2983157299931e43ff")},
    "efficientnetv2-b1": {
        True: ("efficientnetv2-b1.h5", "069f0534ff22adf035c89e2d9547a9dc"),
        False: ("efficientnetv2-b1_notop.h5", "0e80663031ca32d657f9caa404b6ec37")},
    "efficientnetv2-b2": {
        True: ("efficientnetv2-b2.h5", "424e49f28180edbde1e94797771950a7"),
        False: ("efficientnetv2-b2_notop.h5", "1dfe2e7a5d45b6632553a8961ea609eb")},
    "efficientnetv2-b3": {
        True: ("efficientnetv2-b3.h5", "1f1fc43bd98a6e4fd8fdfd551e02c7a0"),
        False: ("efficientnetv2-b3_notop.h5", "f6abf7b5849ac99a89b50dd3fd532856")},
    "efficientnetv2-l": {
        True: ("efficientnetv2-l.h5", "27e6d408b53c7ebc868fefa357689935"),
        False: ("efficientnetv2-l_notop.h5", "b0b66b5c863aef5b46e8608fe1711615")},
    "efficientnetv2-m": {
        True: ("efficientnetv2-m.h5", "a3bf6aa3276309f4fc6a34aa114c95cd"),
        False: ("efficientnetv2-m_notop.h5", "1b8dc055df72dde80d614482840fe342")},
    "efficientnetv2-s": {
        True: ("efficientnetv2-s.h5", "e1d88a8495beba45748fedd0cecbe016"),
        False: ("efficientnetv2-s_notop.h5", "af0682fb74e8c54910f2d4393339c070")},
    "inception_resnet_v2": {
        True: ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5", "e693bd0210a403b3192acc6073ad2e96"),
        False: ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5", "d19885ff4a710c122648d3b5c3b684e4")},
    "inception_v3": {
        True: ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
        False: ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "bcbd6486424b2319ff4ef7d526e38f63")},
    "mobilenet_0.25_128": {
        True: ("mobilenet_2_5_128_tf.h5", None),
        False: ("mobilenet_2_5_128_tf_no_top.h5", None)},
    "mobilenet_0.25_160": {
        True: ("mobilenet_2_5_160_tf.h5", None),
        False: ("mobilenet_2_5_160_tf_no_top.h5", None)},
    "mobilenet_0.25_192": {
        True: ("mobilenet_2_5_192_tf.h5", None),
        False: ("mobilenet_2_5_192_tf_no_top.h5", None)},
    "mobilenet_0.25_224": {
        True: ("mobilenet_2_5_224_tf.h5", None),
        False: ("mobilenet_2_5_224_tf_no_top.h5", None)},
    "mobilenet_0.5_128": {
        True: ("mobilenet_5_0_128_tf.h5", None),
        False: ("mobilenet_5_0_128_tf_no_top.h5", None)},
    "mobilenet_0.5_160": {
        True: ("mobilenet_5_0_160_tf.h5", None),
        False: ("mobilenet_5_0_160_tf_no_top.h5", None)},
    "mobilenet_0.5_192": {
        True: ("mobilenet_5_0_192_tf.h5", None),
        False: ("mobilenet_5_0_192_tf_no_top.h5", None)},
    "mobilenet_0.5_224": {
        True: ("mobilenet_5_0_224_tf.h5", None),
        False: ("mobilenet_5_0_224_tf_no_top.h5", None)},
    "mobilenet_0.75_128": {
        True: ("mobilenet_7_5_128_tf.h5", None),
        False: ("mobilenet_7_5_128_tf_no_top.h5", None)},
    "mobilenet_0.75_160": {
        True: ("mobilenet_7_5_160_tf.h5", None),
        False: ("mobilenet_7_5_160_tf_no_top.h5", None)},
    "mobilenet_0.75_192": {
        True: ("mobilenet_7_5_192_tf.h5", None),
        False: ("mobilenet_7_5_192_tf_no_top.h5", None)},
    "mobilenet_0.75_224": {
        True: ("mobilenet_7_5_224_tf.h5", None),
        False: ("mobilenet_7_5_224_tf_no_top.h5", None)},
    "mobilenet_1.0_128": {
        True: ("mobilenet_1_0_128_tf.h5", None),
        False: ("mobilenet_1_0_128_tf_no_top.h5", None)},
    "mobilenet_1.0_160": {
        True: ("mobilenet_1_0_160_tf.h5", None),
        False: ("mobilenet_1_0_160_tf_no_top.h5", None)},
    "mobilenet_1.0_192": {
        True: ("mobilenet_1_0_192_tf.h5", None),
        False: ("mobilenet_1_0_192_tf_no_top.h5", None)},
    "mobilenet_1.0_224": {
        True: ("mobilenet_1_0_224_tf.h5", None),
        False: ("mobilenet_1_0_224_tf_no_top.h5", None)},
    "mobilenet_v2_0.35_128": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_128.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_128_no_top.h5", None)},
    "mobilenet_v2_0.35_160": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_160.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_160_no_top.h5", None)},
    "mobilenet_v2_0.35_192": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_192.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_192_no_top.h5", None)},
    "mobilenet_v2_0.35_224": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5", None)},
    "mobilenet_v2_0.35_96": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5", None)},
    "mobilenet_v2_0.5_128": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_128.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_128_no_top.h5", None)},
    "mobilenet_v2_0.5_160": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_160.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_160_no_top.h5", None)},
    "mobilenet_v2_0.5_192": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_192.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_192_no_top.h5", None)},
    "mobilenet_v2_0.5_224": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5", None)},
    "mobilenet_v2_0.5_96": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_96.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_96_no_top.h5", None)},
    "mobilenet_v2_0.75_128": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.75_128.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.75_128_no_top.h5", None)},
    "mobilenet_v2_0.75_160": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.75_160.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.75_160_no_top.h5", None)},
    "mobilenet_v2_0.75_192": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.75_192.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.75_192_no_top.h5", None)},
    "mobilenet_v2_0.75_224": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.75_224.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.75_224_no_top.h5", None)},
    "mobilenet_v2_0.75_96": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.75_96.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.75_96_no_top.h5", None)},
    "mobilenet_v2_1.0_128": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_128.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_128_no_top.h5", None)},
    "mobilenet_v2_1.0_160": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5", None)},
    "mobilenet_v2_1.0_192": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_192.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_192_no_top.h5", None)},
    "mobilenet_v2_1.0_224": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5", None)},
    "mobilenet_v2_1.0_96": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5", None)},
    "mobilenet_v2_1.3_128": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.3_128.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.3_128_no_top.h5", None)},
    "mobilenet_v2_1.3_160": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.3_160.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.3_160_no_top.h5", None)},
    "mobilenet_v2_1.3_192": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.3_192.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.3_192_no_top.h5", None)},
    "mobilenet_v2_1.3_224": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.3_224.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.3_224_no_top.h5", None)},
    "mobilenet_v2_1.3_96": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.3_96.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.3_96_no_top.h5", None)},
    "mobilenet_v2_1.4_128": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_128.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_128_no_top.h5", None)},
    "mobilenet_v2_1.4_160": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_160.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_160_no_top.h5", None)},
    "mobilenet_v2_1.4_192": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_192.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_192_no_top.h5", None)},
    "mobilenet_v2_1.4_224": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_224.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_224_no_top.h5", None)},
    "mobilenet_v2_1.4_96": {
        True: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_96.h5", None),
        False: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_96_no_top.h5", None)},
    "mobilenet_v3_large_0.75": {
        True: ("weights_mobilenet_v3_large_224_0.75_float.h5", "765b44a33ad4005b3ac83185abf1d0eb"),
        False: ("weights_mobilenet_v3_large_224_0.75_float_no_top_v2.h5", "40af19a13ebea4e2ee0c676887f69a2e")},
    "mobilenet_v3_large_1.0": {
        True: ("weights_mobilenet_v3_large_224_1.0_float.h5", "59e551e166be033d707958cf9e29a6a7"),
        False: ("weights_mobilenet_v3_large_224_1.0_float_no_top_v2.h5", "07fb09a5933dd0c8eaafa16978110389")},
    "mobilenet_v3_large_minimalistic_1.0": {
        True: ("weights_mobilenet_v3_large_minimalistic_224_1.0_float.h5", "675e7b876c45c57e9e63e6d90a36599c"),
        False: ("weights_mobilenet_v3_large_minimalistic_224_1.0_float_no_top_v2.h5", "ec5221f64a2f6d1ef965a614bdae7973")},
    "mobilenet_v3_small_0.75": {
        True: ("weights_mobilenet_v3_small_224_0.75_float.h5", "cb65d4e5be93758266aa0a7f2c6708b7"),
        False: ("weights_mobilenet_v3_small_224_0.75_float_no_top_v2.h5", "ebdb5cc8e0b497cd13a7c275d475c819")},
    "mobilenet_v3_small_1.0": {
        True: ("weights_mobilenet_v3_small_224_1.0_float.h5", "8768d4c2e7dee89b9d02b2d03d65d862"),
        False: ("weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5", "d3e8ec802a04aa4fc771ee12a9a9b836")},
    "mobilenet_v3_small_minimalistic_1.0": {
        True: ("weights_mobilenet_v3_small_minimalistic_224_1.0_float.h5", "99cd97fb2fcdad2bf028eb838de69e37"),
        False: ("weights_mobilenet_v3_small_minimalistic_224_1.0_float_no_top_v2.h5", "cde8136e733e811080d9fcd8a252f7e4")},
    "nasnet_large": {
        True: ("nasnet_large.h5", "11577c9a518f0070763c2b964a382f17", "NASNet-large.h5"),
        False: ("nasnet_large_no_top.h5", "d81d89dc07e6e56530c4e77faddd61b5", "NASNet-large-no-top.h5")},
    "nasnet_mobile": {
        True: ("nasnet_mobile.h5", "020fb642bf7360b370c678b08e0adf61", "NASNet-mobile.h5"),
        False: ("nasnet_mobile_no_top.h5", "1ed92395b5b598bdda52abe5c0dbfd63", "NASNet-mobile-no-top.h5")},
    "resnet101": {
        True: ("resnet101_weights_tf_dim_ordering_tf_kernels.h5", "f1aeb4b969a6efcfb50fad2f0c20cfc5"),
        False: ("resnet101_weights_tf_dim_ordering_tf_kernels_notop.h5", "88cf7a10940856eca736dc7b7e228a21")},
    "resnet101v2": {
        True: ("resnet101v2_weights_tf_dim_ordering_tf_kernels.h5", "6343647c601c52e1368623803854d971"),
        False: ("resnet101v2_weights_tf_dim_ordering_tf_kernels_notop.h5", "c0ed64b8031c3730f411d2eb4eea35b5")},
    "resnet152": {
        True: ("resnet152_weights_tf_dim_ordering_tf_kernels.h5", "100835be76be38e30d865e96f2aaae62"),
        False: ("resnet152_weights_tf_dim_ordering_tf_kernels_notop.h5", "ee4c566cf9a93f14d82f913c2dc6dd0c")},
    "resnet152v2": {
        True: ("resnet152v2_weights_tf_dim_ordering_tf_kernels.h5", "a49b44d1979771252814e80f8ec446f9"),
        False: ("resnet152v2_weights_tf_dim_ordering_tf_kernels_notop.h5", "ed17cf2e0169df9d443503ef94b23b33")},
    "resnet50": {
        True: ("resnet50_weights_tf_dim_ordering_tf_kernels.h5", "2cb95161c43110f7111970584f804107"),
        False: ("resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "4d473c1dd8becc155b73f8504c6f6626")},
    "resnet50v2": {
        True: ("resnet50v2_weights_tf_dim_ordering_tf_kernels.h5", "3ef43a0b657b3be2300d5770ece849e0"),
        False: ("resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5", "fac2f116257151a9d068a22e544a4917")},
    "vgg16": {
        True: ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
        False: ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc")},
    "vgg19": {
        True: ("vgg19_weights_tf_dim_ordering_tf_kernels.h5", "cbe5617147190e668d6c5d5026f83318"),
        False: ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "253f8cb515780f3b799900260a226db6")},
    "xception": {
        True: ("xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"),
        False: ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "b0042744bf5b25fce3cb969f33bebb97")},
}
# The download folder of each family under KERAS_WEIGHTS_ORIGIN, by the longest prefix of the key (or a whole URL).
KERAS_WEIGHTS_FOLDERS = {
    "convnext_": "convnext", "densenet": "densenet", "efficientnetv2-": "efficientnet_v2",
    "efficientnetb": "https://storage.googleapis.com/keras-applications", "mobilenet_": "mobilenet", "mobilenet_v2_": "mobilenet_v2",
    "mobilenet_v3_": "mobilenet_v3", "nasnet_": "nasnet", "resnet": "resnet",
}
KERAS_WEIGHTS_ORIGIN = "https://storage.googleapis.com/tensorflow/keras-applications"

# torchvision's ImageNet weights, as torch.hub caches them, for the networks whose architecture is torchvision's
# (each proven by a test that loads a torchvision model's state dict and compares predictions): the name carries
# the first hex digits of the file's SHA-256, which is checked.
TORCHVISION_WEIGHTS = {
    "vgg16": "vgg16-397923af.pth", "vgg19": "vgg19-dcbb9e9d.pth",
    "densenet121": "densenet121-a639ec97.pth", "densenet169": "densenet169-b2777c0a.pth",
    "densenet201": "densenet201-c1103571.pth",
    "convnext_tiny": "convnext_tiny-983f1562.pth", "convnext_small": "convnext_small-0c510722.pth",
    "convnext_base": "convnext_base-6075fbad.pth", "convnext_large": "convnext_large-ea097f82.pth",
}
# Those whose torchvision weights expect other inputs than Keras's preprocess_input gives (a warning says so).
TORCHVISION_NEEDS_TORCH_PREPROCESSING = {"vgg16", "vgg19"}


# ---- where files live ----------------------------------------------------------------------------------------

def keras_cache_dir():
    """Where Keras keeps downloaded models: ``$KERAS_HOME/models``, by default ``~/.keras/models``."""
    return os.path.join(keras_home(), "models")


def torch_cache_dir():
    """Where torch.hub keeps downloaded weights: ``$TORCH_HOME/hub/checkpoints`` (torch's default when unset)."""
    return os.path.join(torch.hub.get_dir(), "checkpoints")


def _keras_file(model_name, include_top):
    try:
        files = KERAS_WEIGHTS[model_name]
    except KeyError:
        raise ValueError(f"No published ImageNet weights are known for '{model_name}'. Known: "
                         f"{', '.join(sorted(KERAS_WEIGHTS))}.") from None
    if bool(include_top) not in files:
        raise ValueError(f"Keras publishes no ImageNet weights for '{model_name}' with "
                         f"include_top={bool(include_top)}.")
    return files[bool(include_top)]


def keras_weights_url(model_name, filename):
    """Where Keras's file ``filename`` (its name on the server) of ``model_name`` is downloaded from."""
    prefixes = [prefix for prefix in KERAS_WEIGHTS_FOLDERS if model_name.startswith(prefix)]
    folder = KERAS_WEIGHTS_FOLDERS[max(prefixes, key=len)] if prefixes else model_name
    mirror = os.environ.get("KERASTORCH_WEIGHTS_ORIGIN")
    if "://" in folder:
        if not mirror:
            return f"{folder.rstrip('/')}/{filename}"
        folder = folder.rstrip("/").rsplit("/", 1)[-1]
    return f"{(mirror or KERAS_WEIGHTS_ORIGIN).rstrip('/')}/{folder}/{filename}"


def _verified(path, expected_hash):
    return os.path.isfile(path) and (expected_hash is None or validate_file(path, expected_hash))


def _torchvision_file_ok(path):
    prefix = os.path.basename(path).rsplit("-", 1)[-1].split(".")[0]
    return os.path.isfile(path) and hash_file(path, "sha256").startswith(prefix)


def imagenet_weights_path(model_name, include_top):
    """The path of ImageNet weights for ``model_name`` and where they come from: ``(path, "keras")`` or
    ``(path, "torchvision")``.

    Keras's published file is used when it is in ``keras_cache_dir()`` with its published hash, or once
    downloaded there. Without it, torchvision's file in ``torch_cache_dir()`` is used for the networks that are
    torchvision's (``TORCHVISION_WEIGHTS``), with a warning where its inputs need
    ``preprocess_input(x, mode="torch")``.

    Args:
        model_name: the key of ``KERAS_WEIGHTS``: ``"resnet50"``, ``"densenet121"``, ``"convnext_tiny"``,
            ``"mobilenet_v2_1.0_224"`` ...
        include_top: whether the file should hold the classifier.

    Raises:
        ValueError: when no file can be had, naming the places and files looked for.
    """
    filename, expected, *remote = _keras_file(model_name, include_top)
    keras_path = os.path.join(keras_cache_dir(), filename)
    if _verified(keras_path, expected):
        return keras_path, "keras"
    stale = os.path.exists(keras_path)
    url = keras_weights_url(model_name, remote[0] if remote else filename)
    download_error = None
    try:
        return download(url, keras_path, expected, timeout=DOWNLOAD_TIMEOUT_S), "keras"
    except (OSError, ValueError) as error:  # URLError and timeouts are OSErrors; ValueError: a wrong hash
        download_error = error

    torch_name = TORCHVISION_WEIGHTS.get(model_name)
    torch_path = os.path.join(torch_cache_dir(), torch_name) if torch_name else None
    if torch_path and os.path.isfile(torch_path):
        if not _torchvision_file_ok(torch_path):
            raise ValueError(f"{torch_path} does not have the SHA-256 its name promises: it is incomplete or "
                             f"corrupted. Delete it, or put Keras's {filename} in {keras_cache_dir()}.")
        if model_name in TORCHVISION_NEEDS_TORCH_PREPROCESSING:
            warnings.warn(f"Using torchvision's ImageNet weights ({torch_path}) because Keras's {filename} is not "
                          f"in {keras_cache_dir()} and could not be downloaded. These weights expect inputs "
                          f"preprocessed with `preprocess_input(x, mode=\"torch\")` (scaled to [0, 1], normalized "
                          f"per RGB channel), not the default caffe mode.", UserWarning, stacklevel=4)
        return torch_path, "torchvision"
    kind = "MD5" if expected and len(expected) == 32 else "SHA-256"
    found = f"{keras_path} exists but does not have the published {kind} {expected}; " if stale else ""
    torch_option = (f", or torchvision's file {torch_name} in {torch_cache_dir()} (set TORCH_HOME to move it)"
                    if torch_name else "")
    raise ValueError(
        f"No ImageNet weights for {model_name} (include_top={bool(include_top)}) on this machine, and they could "
        f"not be downloaded from {url} ({download_error}). {found}Put either Keras's file {filename} in "
        f"{keras_cache_dir()} (set KERAS_HOME to use another folder than ~/.keras){torch_option}; or pass "
        f"`weights=None`, or `weights=<path to a weights file>`.")


# ---- reading files into Keras's layouts ----------------------------------------------------------------------

def _layers_with_weights(model):
    """The layers that hold ``model``'s weights, in order; a nested model (ConvNeXt's stem is a Sequential)
    counts as its own layers."""
    found = []
    for layer in model.layers:
        if not layer.weights:
            continue
        if getattr(layer, "layers", None) is not None:
            found.extend(_layers_with_weights(layer))
        else:
            found.append(layer)
    return found


def _regrouped(entries, layers):
    """``entries`` with an entry that holds the weights of several consecutive layers (Keras 2 stores a nested
    model as one layer) split into one entry per layer of ``layers``. An entry is never merged with the next: where
    a layer wants more arrays than its entry has left, the rest is kept as it is, for the mismatch to be shown."""
    regrouped, layer_index = [], 0
    for position, (name, values) in enumerate(entries):
        start = 0
        while layer_index < len(layers) and len(layers[layer_index].weights) <= len(values) - start and \
                (start > 0 or len(values) > len(layers[layer_index].weights)):
            count = len(layers[layer_index].weights)
            regrouped.append((name, values[start:start + count]))
            start += count
            layer_index += 1
        if start == 0:
            regrouped.append((name, values))
            layer_index += 1
        elif start < len(values):
            return regrouped + [(name, values[start:])] + list(entries[position + 1:])
    return regrouped


def _shapes(values):
    return [tuple(np.shape(v)) for v in values]


def _file_kind(path):
    from kerastorch.saving.safe_h5 import signature
    head = signature(path)   # a regular file only: a FIFO would block, /dev/zero never end
    if head == _HDF5_SIGNATURE:
        return "h5"
    if path.endswith(".keras"):
        return "keras"
    if path.endswith(".safetensors"):
        return "safetensors"
    if path.endswith((".pth", ".pt", ".bin")) or head[:2] == b"PK" or head[:1] == b"\x80":
        return "torch"
    raise ValueError(f"Cannot tell what kind of weights file {path} is: expected a Keras 3 `.weights.h5` or "
                     f"`.keras` file, a Keras 2 `.h5` file, or a torchvision `.pth` state dict.")


def load_weights(model, path):
    """Load an application weights file of any supported kind into ``model`` (a built functional model).

    Args:
        model: the network; its layers with weights are matched to the file's in order.
        path: a Keras 3 ``.weights.h5``/``.keras`` file, a Keras 2 ``.h5`` file, or a torchvision state dict.

    Raises:
        ValueError: for a file that does not fit the model (naming the first mismatched layer and the shapes),
            or one that cannot be read. Nothing is assigned then.
    """
    kind = _file_kind(path)
    if kind == "safetensors":
        model.load_weights(path)
        return
    if kind == "torch":
        entries = torchvision_entries(path, model)
    else:
        from kerastorch.saving import safe_h5
        data = path
        if kind == "keras":   # the same guarded reader as load_model's (bounded, zip-bomb check)
            with safe_h5.open_zip(path) as archive:
                data = safe_h5.read_member(archive, "model.weights.h5", path)
        with safe_h5.open_h5(data, path) as h5_file:
            try:
                if "layer_names" in h5_file.attrs or "model_weights" in h5_file:
                    group = h5_file["model_weights"] if "model_weights" in h5_file else h5_file
                    safe_h5.check_group(group, path)
                    entries = keras2_entries(group, path)
                else:
                    entries = keras3_entries(h5_file, model, path)
                # Datasets are read only here, once their declared shapes fit the model's.
                assign_entries(model, entries, path)
            except (KeyError, OSError, RuntimeError, TypeError, IndexError, AttributeError, SystemError) as error:
                raise ValueError(f"Cannot read {path}: the file is corrupted ({error}).") from None
        return
    assign_entries(model, entries, path)


def assign_entries(model, entries, source):
    """Check ``entries`` (``[(name in the file, [arrays])]``, one per layer with weights, in the model's order)
    against ``model`` and assign them all, or raise before assigning any."""
    layers = _layers_with_weights(model)
    if len(entries) != len(layers) or any(len(values) != len(layer.weights)
                                          for layer, (_, values) in zip(layers, entries)):
        entries = _regrouped(entries, layers)
    for position in range(max(len(layers), len(entries))):
        layer = layers[position] if position < len(layers) else None
        entry = entries[position] if position < len(entries) else None
        expected = _shapes(layer.weights) if layer is not None else None
        received = _shapes(entry[1]) if entry is not None else None
        if expected != received:
            model_side = f"layer '{layer.name}' expects weights of shapes {expected}" if layer is not None else \
                f"the model has no more layers with weights (it has {len(layers)})"
            file_side = f"the file's entry #{position} ('{entry[0]}') holds {received}" if entry is not None else \
                f"the file has no more entries (it has {len(entries)})"
            raise ValueError(f"The weights in {source} do not fit model '{model.name}' (another architecture, or "
                             f"another include_top/classes/input_shape?): {model_side}, but {file_side}.")
    values_per_layer = [[_read(value, source, f"weight {index} of layer '{layer.name}' ('{name}')",
                               tuple(weight.shape))
                         for index, (weight, value) in enumerate(zip(layer.weights, values))]
                        for layer, (name, values) in zip(layers, entries)]
    with torch.no_grad():
        for layer, values in zip(layers, values_per_layer):
            for weight, value in zip(layer.weights, values):
                weight.copy_(torch.as_tensor(np.ascontiguousarray(value)).to(device=weight.device,
                                                                              dtype=weight.dtype))


def _read(value, source, what, shape):
    """An array of ``value``; an HDF5 dataset is read through the guarded reader, its declared shape first."""
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return value
    from kerastorch.saving.safe_h5 import read_dataset
    return np.asarray(read_dataset(value, source, what, shape))


def keras2_entries(group, source=None):
    """``[(layer name, [datasets])]`` of a Keras 2 weights group, for the layers that have weights, in file order
    (read later, by ``assign_entries``)."""
    from kerastorch.saving.legacy_h5 import _attribute_list
    from kerastorch.saving.safe_h5 import get_dataset
    entries = []
    for layer_name in _attribute_list(group, "layer_names"):
        layer_group = group[layer_name]
        values = [get_dataset(layer_group, weight_name, source) for weight_name in _attribute_list(layer_group,
                                                                                                   "weight_names")]
        if values:
            entries.append((layer_name, values))
    return entries


def keras3_entries(h5_file, model, source=None):
    """``[(path, [datasets])]`` of a Keras 3 weights file: one per layer of ``model`` that has weights, read at the
    path Keras 3 stores that layer under (an empty list when the file has nothing there), then one per further
    layer the file holds weights for, so that a file of another architecture shows where it first differs."""
    from kerastorch.saving.keras_h5 import saveable_paths
    from kerastorch.saving.safe_h5 import get_dataset
    paths = {id(obj): path for path, obj in saveable_paths(model, include_optimizer=False)}
    entries = []
    for layer in _layers_with_weights(model):
        path = paths[id(layer)]
        group = h5_file.get(f"{path}/vars")
        values = [get_dataset(group, str(i), source) for i in range(len(group))] if group is not None else []
        entries.append((path if group is not None else f"{path}, absent", values))
    used = {path for path, _ in entries}
    stored = []
    h5_file.visit(lambda name: stored.append(name[:-len("/vars")]) if name.endswith("/vars") else None)
    for path in stored:
        if path not in used and not path.startswith("optimizer") and len(h5_file[f"{path}/vars"]):
            group = h5_file[f"{path}/vars"]
            entries.append((path, [get_dataset(group, str(i), source) for i in range(len(group))]))
    return entries


def torchvision_entries(path, model):
    """``[(module name, [arrays in Keras's layout])]`` from a torchvision state dict (VGG, DenseNet, ConvNeXt), in
    the order of ``model``'s weights.

    Each module converts by kind: a convolution's kernel goes from ``(out, in, h, w)`` to ``(h, w, in, out)``
    (a depthwise one to ``(h, w, 1, channels)``), a linear layer's is transposed (the first one after a Flatten
    also has its inputs reordered from torch's ``(c, h, w)`` flatten to Keras's ``(h, w, c)``); batch norms give
    ``gamma, beta, moving_mean, moving_variance``, layer norms ``gamma, beta``; a module's own parameter (ConvNeXt's
    ``layer_scale``, shaped ``(channels, 1, 1)``) becomes a vector placed after the module's children, where Keras
    applies it. Trailing linear layers the model does not have (its top was left out) are dropped.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a pickle error, a zip error, a truncated file...
        raise ValueError(f"Cannot read {path} as a torch state dict: {error}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path} does not hold a state dict (a mapping of names to tensors); received "
                         f"{type(state).__name__}.")
    modules = {}
    for key, value in state.items():
        prefix, _, kind = key.rpartition(".")
        if kind != "num_batches_tracked":
            modules.setdefault(prefix, {})[kind] = value
    order = list(modules)
    for prefix in [p for p in order if set(modules[p]) - {"weight", "bias", "running_mean", "running_var"}]:
        children = [i for i, other in enumerate(order) if other.startswith(prefix + ".")]
        if children:    # a module's own parameter, used after its children
            order.remove(prefix)
            order.insert(children[-1], prefix)

    flatten = next((layer for layer in model.layers if type(layer).__name__ == "Flatten"), None)
    # Keras's Flatten always flattens in (h, w, c) order, moving a channels_first input's channels last first.
    flatten_input = tuple(flatten.input.shape[1:]) if flatten is not None else ()
    if len(flatten_input) == 3 and flatten.data_format == "channels_first":
        flatten_input = flatten_input[1:] + flatten_input[:1]
    entries, linear_positions = [], []
    for prefix in order:
        tensors = {kind: value.float() for kind, value in modules[prefix].items()}
        weight = tensors.get("weight")
        if weight is None:
            values = [value.reshape(-1).numpy() for value in tensors.values()]
        elif weight.dim() == 4:
            values = [weight.permute(2, 3, 1, 0).numpy()]                     # OIHW -> HWIO
        elif weight.dim() == 2:
            kernel = weight.t()                                                # (out, in) -> (in, out)
            if not linear_positions and len(flatten_input) == 3 and kernel.shape[0] == int(np.prod(flatten_input)):
                height, width, channels = flatten_input
                kernel = kernel.reshape(channels, height, width, -1).permute(1, 2, 0, 3).reshape(
                    height * width * channels, -1)                             # rows (c, h, w) -> (h, w, c)
            linear_positions.append(len(entries))
            values = [kernel.numpy()]
        elif weight.dim() == 1:
            values = [weight.numpy()]
        else:
            raise ValueError(f"{path}: '{prefix}.weight' has shape {tuple(weight.shape)}, which is neither a "
                             f"convolution's, a linear layer's nor a normalization's.")
        if weight is not None:
            values += [tensors[kind].numpy() for kind in ("bias", "running_mean", "running_var") if kind in tensors]
        entries.append((prefix, values))
    needed = sum(len(layer.weights) for layer in _layers_with_weights(model))
    while linear_positions and linear_positions[-1] == len(entries) - 1 and \
            sum(len(values) for _, values in entries) > needed:
        entries.pop()
        linear_positions.pop()
    return entries
