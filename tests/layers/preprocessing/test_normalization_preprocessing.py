"""Normalization against Keras 3.15 (tests/golden/layers/preprocessing/layers.json)."""
import numpy as np
import pytest
from preprocessing_golden import GOLDEN, array, case_id, run_case

import kerastorch
from kerastorch.layers import Normalization

CASES = GOLDEN["normalization"]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) + str(i) for i, c in enumerate(CASES)])
def test_normalization_matches_keras(case):
    _, out = run_case(case)
    np.testing.assert_allclose(out, array(case["out"]), rtol=1e-5, atol=1e-5)


class _Batches(kerastorch.utils.PyDataset):
    def __init__(self, x):
        super().__init__()
        self.x = x

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return self.x[5 * index:5 * index + 5], np.zeros(5)


def test_normalization_adapts_on_a_py_dataset_of_batches():
    x = np.random.default_rng(0).normal(size=(20, 2)).astype("float32")
    layer = Normalization()
    layer.adapt(_Batches(x))
    np.testing.assert_allclose(layer.adapt_mean.detach().numpy(), x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.adapt_variance.detach().numpy(), x.var(0), rtol=1e-5)


def test_normalization_saves_and_restores_its_statistics(tmp_path):
    x = np.random.default_rng(1).normal(size=(10, 3)).astype("float32")
    inputs = kerastorch.Input((3,))
    layer = Normalization()
    layer.adapt(x)
    model = kerastorch.Model(inputs, layer(inputs))
    model.save(tmp_path / "m.keras")
    restored = kerastorch.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_normalization_refuses_mean_without_variance():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        Normalization(mean=1.0)


def test_normalization_adapts_on_a_kerastorch_dataset():
    from kerastorch.data import Dataset
    x = np.random.default_rng(2).normal(size=(30, 3)).astype("float32")
    layer = Normalization()
    layer.adapt(Dataset.from_tensor_slices(x).batch(7))
    np.testing.assert_allclose(layer.adapt_variance.detach().numpy(), x.var(0), rtol=1e-5)


def test_normalization_count_is_an_int32_scalar_as_in_keras():
    layer = Normalization()
    layer.build((None, 3))
    count = [w for w in layer.weights if w.name == "count"][0]
    assert tuple(count.shape) == () and "int32" in str(count.dtype)
