"""``kerastorch.data``: tf.data's ``Dataset`` on torch tensors (``tf.data`` under ``kerastorch run``)."""
from kerastorch._porting import missing_attribute
from kerastorch.data.dataset import (AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset, Options)

experimental = type("experimental", (), {
    "AUTOTUNE": AUTOTUNE, "INFINITE_CARDINALITY": INFINITE_CARDINALITY, "UNKNOWN_CARDINALITY": UNKNOWN_CARDINALITY,
    "cardinality": staticmethod(lambda dataset: dataset.cardinality()),
})

__getattr__ = missing_attribute(__name__)
