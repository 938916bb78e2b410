"""``kerastorch.data``: tf.data's ``Dataset`` on torch tensors (``tf.data`` under ``kerastorch run``), and the
loaders that make Datasets from directories and arrays (exported by ``kerastorch.utils``)."""
from kerastorch._porting import missing_attribute
from kerastorch.data.dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset, Options
from kerastorch.data.images import image_dataset_from_directory
from kerastorch.data.split import split_dataset
from kerastorch.data.text import text_dataset_from_directory
from kerastorch.data.timeseries import timeseries_dataset_from_array

experimental = type("experimental", (), {
    "AUTOTUNE": AUTOTUNE, "INFINITE_CARDINALITY": INFINITE_CARDINALITY, "UNKNOWN_CARDINALITY": UNKNOWN_CARDINALITY,
    "cardinality": staticmethod(lambda dataset: dataset.cardinality()),
})

__getattr__ = missing_attribute(__name__)
