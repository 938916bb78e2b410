"""keras.ops.image against Keras 3.15 on torch (tests/golden/ops/image.*, recorded by tools/golden_ops_nn.py):
values within 1e-6 (float32) and equal dtypes; output shapes and dtypes on KerasTensors."""
import numpy as np
import pytest

from ops_golden import cases, check_numbers, check_symbolic

from kerastorch import ops


# Where Keras 3.15 on torch departs from its own documentation, kerastorch follows the documentation.
KERAS_TORCH_BUGS = {
    "gaussian_blur_0": "Keras's torch gaussian_blur does not resolve data_format=None to channels_last, so it "
                       "blurs a channels_last batch as if it were channels_first",
    "gaussian_blur_1": "as gaussian_blur_0",
}
KERAS_CONFIG_QUIRKS = {"extract_patches": "Keras's ExtractPatches config has no `name`"}


@pytest.mark.parametrize("case", cases("image"))
def test_image_op_matches_keras(case):
    if case["id"] in KERAS_TORCH_BUGS:
        pytest.skip(KERAS_TORCH_BUGS[case["id"]])
    check_numbers("image", case)


@pytest.mark.parametrize("case", cases("image", symbolic="symbolic_none"))
def test_image_op_on_keras_tensors_gives_keras_shapes(case):
    if case["op"] in KERAS_CONFIG_QUIRKS:
        case = {**case, "symbolic_none": {k: v for k, v in case["symbolic_none"].items() if k != "config_keys"}}
    check_symbolic("image", case, "symbolic_none")


def test_gaussian_blur_of_a_channels_last_batch_blurs_each_channel_spatially():
    images = np.zeros((1, 5, 5, 2), "float32")
    images[0, 2, 2, 0] = 1.0
    blurred = ops.image.gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0)).numpy()
    assert blurred[0, :, :, 1].sum() == 0 and abs(blurred[0, :, :, 0].sum() - 1.0) < 1e-6
    assert blurred[0, 1:4, 1:4, 0].min() > 0 and np.allclose(blurred[0, :, :, 0], blurred[0, :, :, 0].T)


def test_crop_images_needs_exactly_two_of_margins_and_target():
    with pytest.raises(ValueError, match="exactly two of `top_cropping`, `bottom_cropping` and `target_height`"):
        ops.image.crop_images(np.zeros((4, 4, 1)), top_cropping=1, bottom_cropping=1, target_height=2,
                              left_cropping=0, right_cropping=0)


def test_resize_refuses_an_unknown_interpolation():
    with pytest.raises(ValueError, match="interpolation"):
        ops.image.resize(np.zeros((4, 4, 1)), (2, 2), interpolation="cubic")
