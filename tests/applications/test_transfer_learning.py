"""Transfer learning with VGG16 as Keras does it: a frozen base, fine-tuning block5, Sequential.pop, a base model
called with training=False, feature extraction. Summaries and trainable weights from real Keras 3."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch.applications import VGG16
from vgg_fixtures import GOLDEN

TRANSFER = GOLDEN["transfer"]


def summary_text(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "".join(lines)


def frozen_base_model():
    """Keras's recipe (tools/golden_vgg.py builds the same): a frozen VGG16 base called with training=False, then a
    new head."""
    keras.backend.clear_session()
    base = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    base.trainable = False
    inputs = keras.Input((32, 32, 3))
    x = base(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    return base, keras.Model(inputs, outputs)


def small_data(count=8, seed=0):
    rng = np.random.RandomState(seed)
    images = keras.applications.vgg16.preprocess_input(rng.uniform(0, 255, (count, 32, 32, 3)).astype("float32"))
    return images, rng.randint(0, 3, count)


def snapshot(model):
    return {id(w): w.detach().clone() for w in model.weights}


def changed(model, before):
    return [w.path for w in model.weights if not torch.equal(w.detach(), before[id(w)])]


def test_frozen_base_leaves_exactly_the_head_trainable_as_in_keras():
    base, model = frozen_base_model()
    expected = TRANSFER["frozen_base"]
    assert len(model.trainable_weights) == expected["trainable"]
    assert len(model.non_trainable_weights) == expected["non_trainable"]
    assert [w.path for w in model.trainable_weights] == expected["trainable_paths"]
    assert all(not w.requires_grad for w in base.weights)
    assert summary_text(model) == expected["summary"]


def test_fitting_with_a_frozen_base_changes_only_the_head():
    base, model = frozen_base_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = snapshot(model)
    model.fit(*small_data(), batch_size=4, epochs=1, verbose=0)
    assert changed(model, before) == ["dense/kernel", "dense/bias"]


def unfreeze_block5(base):
    base.trainable = True
    for layer in base.layers:
        layer.trainable = layer.name.startswith("block5")


def test_unfreezing_block5_by_name_as_in_keras():
    base, model = frozen_base_model()
    unfreeze_block5(base)
    expected = TRANSFER["block5_unfrozen"]
    assert [w.path for w in model.trainable_weights] == expected["trainable_paths"]
    assert summary_text(model) == expected["summary"]


def test_unfreezing_block5_and_compiling_again_fine_tunes_exactly_its_six_weights():
    base, model = frozen_base_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(*small_data(), batch_size=4, epochs=1, verbose=0)     # first the head alone
    unfreeze_block5(base)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-3), loss="sparse_categorical_crossentropy")
    before = snapshot(model)
    model.fit(*small_data(), batch_size=4, epochs=1, verbose=0)
    trained = changed(model, before)
    assert sorted(trained) == sorted(TRANSFER["block5_unfrozen"]["trainable_paths"])
    assert len([path for path in trained if path.startswith("block5")]) == 6


def test_frozen_batch_normalization_runs_in_inference_mode():
    keras.backend.clear_session()
    base = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(4, 3),
                             keras.layers.BatchNormalization(), keras.layers.GlobalAveragePooling2D()], name="base")
    with torch.no_grad():
        base.layers[1].moving_mean.fill_(0.5)
        base.layers[1].moving_variance.fill_(2.0)
    base.trainable = False
    model = keras.Sequential([keras.Input((6, 6, 2)), base, keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.RandomState(1).normal(size=(16, 6, 6, 2)).astype("float32")
    before = snapshot(model)
    model.fit(x, np.zeros((16, 1), "float32"), batch_size=8, epochs=1, verbose=0)
    assert changed(model, before) == ["dense/kernel", "dense/bias"]
    # In training mode the frozen layer still normalizes with its moving statistics.
    assert torch.allclose(base(torch.tensor(x), training=True), base(torch.tensor(x), training=False))


def test_base_called_with_training_false_stays_in_inference_mode_while_fine_tuned():
    keras.backend.clear_session()
    base_inputs = keras.Input((6, 6, 2))
    y = keras.layers.BatchNormalization()(keras.layers.Conv2D(4, 3)(base_inputs))
    base = keras.Model(base_inputs, keras.layers.Dropout(0.5)(keras.layers.GlobalAveragePooling2D()(y)))
    inputs = keras.Input((6, 6, 2))
    model = keras.Model(inputs, keras.layers.Dense(1)(base(inputs, training=False)))
    model.compile(optimizer="sgd", loss="mse")
    batch_norm = base.layers[2]
    moving_mean = batch_norm.moving_mean.detach().clone()
    x = np.random.RandomState(2).normal(size=(16, 6, 6, 2)).astype("float32")
    model.fit(x, np.ones((16, 1), "float32"), batch_size=8, epochs=1, verbose=0)
    assert torch.equal(batch_norm.moving_mean.detach(), moving_mean)     # inference-mode batch norm
    assert not torch.equal(batch_norm.gamma.detach(), torch.ones(4))      # yet trained
    first, second = model(torch.tensor(x), training=True), model(torch.tensor(x), training=True)
    assert torch.equal(first, second)                                     # and no dropout


def test_sequential_pop_and_a_new_head_as_in_keras(cheap_init):
    keras.backend.clear_session()
    vgg = VGG16(weights=None, include_top=True, input_shape=(32, 32, 3), classes=10)
    sequential = keras.Sequential([keras.Input((32, 32, 3))])
    for layer in vgg.layers[1:]:
        sequential.add(layer)
    popped = sequential.pop()
    for layer in sequential.layers:
        layer.trainable = False
    sequential.add(keras.layers.Dense(2, activation="softmax", name="new_predictions"))
    expected = TRANSFER["sequential_pop"]
    assert popped.name == expected["popped"]
    assert len(sequential.trainable_weights) == expected["trainable"]
    assert summary_text(sequential) == expected["summary"]
    assert sequential(torch.zeros(1, 32, 32, 3)).shape == (1, 2)


def test_feature_extraction_at_block5_conv1_as_in_keras(cheap_init):
    keras.backend.clear_session()
    base = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    extractor = keras.Model(inputs=base.inputs, outputs=base.get_layer("block5_conv1").output)
    expected = TRANSFER["extractor"]
    assert list(extractor.output_shape) == expected["output_shape"]
    assert summary_text(extractor) == expected["summary"]
    assert all(a is b for a, b in zip(extractor.weights, base.weights[:len(extractor.weights)]))


def test_get_layer_on_a_missing_name_lists_the_layers(cheap_init):
    base = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match="No such layer: block6_conv1.*block5_conv1"):
        base.get_layer("block6_conv1")
