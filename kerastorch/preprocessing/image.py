"""Keras 2's ``keras.preprocessing.image``: the image helpers of ``kerastorch.utils``."""
from kerastorch._porting import missing_attribute
from kerastorch.utils.image_utils import array_to_img, img_to_array, load_img, save_img  # noqa: F401

__getattr__ = missing_attribute(__name__)
