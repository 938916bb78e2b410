"""Keras 2's ``keras.utils.timeseries_dataset``: ``timeseries_dataset_from_array``."""
from kerastorch.data.timeseries import timeseries_dataset_from_array  # noqa: F401
