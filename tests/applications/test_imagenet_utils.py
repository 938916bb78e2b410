"""preprocess_input and decode_predictions against Keras 3's results (tools/golden_vgg.py)."""
import hashlib
import json

import numpy as np
import pytest
import torch

from kerastorch.applications import imagenet_utils, vgg16, vgg19
from vgg_fixtures import ARRAYS, GOLDEN

NHWC = ARRAYS["pre_nhwc"]
NCHW = ARRAYS["pre_nchw"]


@pytest.mark.parametrize("mode", ["caffe", "torch", "tf"])
def test_numpy_batches_in_both_layouts_match_keras(mode):
    np.testing.assert_allclose(imagenet_utils.preprocess_input(NHWC.copy(), mode=mode), ARRAYS[f"pre_{mode}_nhwc"],
                               rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(imagenet_utils.preprocess_input(NCHW.copy(), data_format="channels_first", mode=mode),
                               ARRAYS[f"pre_{mode}_nchw"], rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("mode", ["caffe", "torch", "tf"])
def test_torch_tensors_match_keras_and_are_left_unchanged(mode):
    images = torch.tensor(NHWC)
    result = imagenet_utils.preprocess_input(images, mode=mode)
    assert isinstance(result, torch.Tensor) and result.dtype == torch.float32
    np.testing.assert_allclose(result.numpy(), ARRAYS[f"pre_{mode}_nhwc_tensor"], rtol=1e-6, atol=1e-5)
    assert torch.equal(images, torch.tensor(NHWC))


@pytest.mark.parametrize("mode", ["caffe", "torch", "tf"])
def test_a_single_image_matches_keras(mode):
    np.testing.assert_allclose(imagenet_utils.preprocess_input(NHWC[0].copy(), mode=mode),
                               ARRAYS[f"pre_{mode}_one_image"], rtol=1e-6, atol=1e-5)


def test_vgg_preprocessing_is_caffe_mode_and_converts_integers():
    np.testing.assert_allclose(vgg16.preprocess_input(NHWC.copy()), ARRAYS["pre_caffe_nhwc"], rtol=1e-6, atol=1e-5)
    result = vgg19.preprocess_input(NHWC.astype("uint8"))
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, ARRAYS["pre_caffe_uint8"], rtol=1e-6, atol=1e-5)


def test_a_float_numpy_input_is_overwritten_as_keras_does():
    images = NHWC.copy()
    imagenet_utils.preprocess_input(images)
    np.testing.assert_allclose(images, ARRAYS["pre_caffe_overwritten"], rtol=1e-6, atol=1e-5)


def test_bad_mode_lists_the_valid_ones():
    with pytest.raises(ValueError, match="Unknown preprocessing mode: 'bgr'.*caffe"):
        imagenet_utils.preprocess_input(NHWC.copy(), mode="bgr")


def test_images_without_three_channels_are_refused():
    with pytest.raises(ValueError, match=r"3 color channels .*\(2, 4, 5, 1\)"):
        imagenet_utils.preprocess_input(np.zeros((2, 4, 5, 1), "float32"))
    with pytest.raises(ValueError, match="3D.*4D"):
        imagenet_utils.preprocess_input(np.zeros((5, 3), "float32"))


def test_decode_predictions_matches_keras_offline():
    decoded = vgg16.decode_predictions(ARRAYS["decode_preds"], top=3)
    expected = GOLDEN["decoded"]
    assert [[(wnid, name) for wnid, name, _ in sample] for sample in decoded] == \
        [[(wnid, name) for wnid, name, _ in sample] for sample in expected]
    np.testing.assert_allclose([[score for *_, score in sample] for sample in decoded],
                               [[score for *_, score in sample] for sample in expected], rtol=1e-6)


def test_decode_predictions_accepts_tensors_and_checks_the_shape():
    decoded = imagenet_utils.decode_predictions(torch.tensor(ARRAYS["decode_preds"]), top=1)
    assert decoded[0][0][:2] == tuple(GOLDEN["decoded"][0][0][:2])
    with pytest.raises(ValueError) as error:
        imagenet_utils.decode_predictions(np.zeros((2, 10)))
    assert str(error.value) == GOLDEN["errors"]["decode_bad_shape"].split(": ", 1)[1]


def test_class_table_is_keras_published_class_index():
    table = imagenet_utils.class_index()
    as_keras_file = json.dumps({str(i): list(pair) for i, pair in enumerate(table)})
    assert hashlib.md5(as_keras_file.encode()).hexdigest() == "c2c37ea517e94d9795004a39431a14cb"


def test_class_names_agree_with_torchvision_categories():
    torchvision = pytest.importorskip("torchvision")
    categories = torchvision.models.VGG16_Weights.IMAGENET1K_V1.meta["categories"]
    different = [(i, name, categories[i]) for i, (_, name) in enumerate(imagenet_utils.class_index())
                 if name != categories[i].replace(" ", "_")]
    # torchvision renamed the two duplicated names ("crane", "maillot") to tell them apart.
    assert different == [(134, "crane", "crane bird"), (639, "maillot", "maillot tank suit")]


def test_a_keras_tensor_becomes_a_preprocessing_layer_of_the_model():
    import kerastorch as keras
    inputs = keras.Input((4, 5, 3))
    model = keras.Model(inputs, imagenet_utils.preprocess_input(inputs, mode="torch"))
    assert model.layers[1].name == "preprocess_torch"
    np.testing.assert_allclose(model.predict(NHWC, verbose=0), ARRAYS["pre_torch_nhwc"], rtol=1e-6, atol=1e-5)
