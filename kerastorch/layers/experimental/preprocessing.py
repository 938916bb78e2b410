"""Keras 2.3-2.5's ``keras.layers.experimental.preprocessing``: the preprocessing and augmentation layers."""
from kerastorch._porting import missing_attribute
from kerastorch.layers.augmentation import (CenterCrop, RandomContrast, RandomCrop, RandomFlip,  # noqa: F401
                                            RandomRotation, RandomTranslation, RandomZoom, Rescaling, Resizing)
from kerastorch.layers.preprocessing import (CategoryEncoding, Discretization, HashedCrossing, Hashing,  # noqa: F401
                                             IntegerLookup, Normalization, StringLookup, TextVectorization)

__getattr__ = missing_attribute(__name__)
