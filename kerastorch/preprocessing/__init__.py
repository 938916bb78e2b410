"""Keras 2's ``keras.preprocessing``: image helpers under their old path."""
from kerastorch._porting import missing_attribute
from kerastorch.data import image_dataset_from_directory, text_dataset_from_directory, timeseries_dataset_from_array

__getattr__ = missing_attribute(__name__)
