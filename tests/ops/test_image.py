"""keras.ops.image against Keras 3.15 on torch (tests/golden/ops/image.*, recorded by tools/golden_ops_nn.py):
values within 1e-6 (float32) and equal dtypes; output shapes and dtypes on KerasTensors."""
import numpy as np
import pytest

from ops_golden import cases, check_numbers, check_symbolic

from kerastorch import ops


@pytest.mark.parametrize("case", cases("image"))
def test_image_op_matches_keras(case):
    check_numbers("image", case)


@pytest.mark.parametrize("case", cases("image", symbolic="symbolic_none"))
def test_image_op_on_keras_tensors_gives_keras_shapes(case):
    check_symbolic("image", case, "symbolic_none")


def test_crop_images_needs_exactly_two_of_margins_and_target():
    with pytest.raises(ValueError, match="exactly two of `top_cropping`, `bottom_cropping` and `target_height`"):
        ops.image.crop_images(np.zeros((4, 4, 1)), top_cropping=1, bottom_cropping=1, target_height=2,
                              left_cropping=0, right_cropping=0)


def test_resize_refuses_an_unknown_interpolation():
    with pytest.raises(ValueError, match="interpolation"):
        ops.image.resize(np.zeros((4, 4, 1)), (2, 2), interpolation="cubic")
