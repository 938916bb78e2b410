"""A loss says which target shapes it accepts; the trainer asks it, once per fit. A user's loss function or Loss
subclass gets no built-in check (Keras trains them as they are)."""
import numpy as np
import pytest
import torch

import kerastorch as keras

RNG = np.random.default_rng(3)
X = RNG.normal(size=(32, 4)).astype("float32")
LABELS = RNG.integers(0, 3, size=32)


def classifier():
    keras.backend.set_random_seed(1)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])


@pytest.mark.parametrize("name, rule", [("sparse_categorical_crossentropy", "sparse"),
                                        ("categorical_crossentropy", "same"), ("binary_crossentropy", "same"),
                                        ("kl_divergence", "same"), ("mse", "broadcast"), ("huber", "broadcast")])
def test_built_in_losses_name_their_rule(name, rule):
    loss = keras.losses.get(name)
    loss = loss if isinstance(loss, keras.losses.Loss) else keras.losses.LossFunctionWrapper(loss)
    assert loss.target_shapes == rule


def test_the_rules():
    sparse = keras.losses.SparseCategoricalCrossentropy()
    sparse.check_target_shape((8,), (8, 3))
    sparse.check_target_shape((8, 1), (8, 3))
    with pytest.raises(ValueError, match=r"target.shape=\(8, 3\), output.shape=\(8, 3\)"):
        sparse.check_target_shape((8, 3), (8, 3))
    same = keras.losses.CategoricalCrossentropy()
    same.check_target_shape((8, 3), (8, 3))
    with pytest.raises(ValueError, match="must have the same shape"):
        same.check_target_shape((8, 1), (8, 3))
    broadcast = keras.losses.MeanSquaredError()
    broadcast.check_target_shape((8,), (8, 1))
    broadcast.check_target_shape((8, 1), (8, 3))
    with pytest.raises(ValueError, match="must have the same shape"):
        broadcast.check_target_shape((8, 2), (8, 3))


def test_a_user_function_wrapping_sparse_crossentropy_trains_on_labels_of_shape_n():
    def my_sparse_loss(y_true, y_pred):
        return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    assert keras.losses.LossFunctionWrapper(my_sparse_loss).target_shapes is None
    model = classifier()
    model.compile("sgd", loss=my_sparse_loss)
    history = model.fit(X, LABELS, epochs=2, verbose=0)
    reference = classifier()
    reference.compile("sgd", loss="sparse_categorical_crossentropy")
    expected = reference.fit(X, LABELS, epochs=2, verbose=0)
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=1e-6)


def test_a_loss_subclass_gets_no_shape_check():
    class FirstColumnError(keras.losses.Loss):
        """Targets of shape (N, 1) against the first of three outputs: no built-in rule would accept it."""

        def call(self, y_true, y_pred):
            return torch.abs(y_true[:, 0] - y_pred[:, 0])

    assert FirstColumnError().target_shapes is None
    FirstColumnError().check_target_shape((32, 2), (32, 3))
    model = classifier()
    model.compile("sgd", loss=FirstColumnError())
    targets = RNG.uniform(size=(32, 2)).astype("float32")
    history = model.fit(X, targets, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_built_in_sparse_losses_check_the_label_range_user_losses_do_not():
    labels = torch.tensor([0, 1, 5])
    with pytest.raises(ValueError, match="label value of 5"):
        keras.losses.SparseCategoricalCrossentropy().check_labels(labels, torch.zeros(3, 3))
    keras.losses.MeanSquaredError().check_labels(labels, torch.zeros(3, 3))
    keras.losses.SparseCategoricalCrossentropy(ignore_class=5).check_labels(labels, torch.zeros(3, 3))
