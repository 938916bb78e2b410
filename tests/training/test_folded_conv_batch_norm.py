"""The execution plan's folded convolution (training/execution_plan.FoldedConvBatchNorm): at inference a Conv2D,
the BatchNormalization after it and a ReLU run as one convolution whose weights absorb the batch norm, with the
layers' own results (to float rounding); in training, with gradients, under hooks or in a plain call the layers
run as they are."""
import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch.training.execution_plan import FoldedConvBatchNorm, plan_for

L = keras.layers


def conv_bn_model(kernel_size=3, strides=1, padding="same", scale=True, relu=True, use_bias=True):
    keras.utils.set_random_seed(3)
    inputs = keras.Input((9, 9, 4))
    x = L.Conv2D(6, kernel_size, strides=strides, padding=padding, use_bias=use_bias)(inputs)
    x = L.BatchNormalization(scale=scale)(x)
    if relu:
        x = L.Activation("relu")(x)
    outputs = L.Conv2D(3, 1)(x)
    model = keras.Model(inputs, outputs)
    for layer in model.layers:   # statistics away from the identity, so that a wrong fold shows
        if isinstance(layer, L.BatchNormalization):
            layer.moving_mean.data.uniform_(-1, 1)
            layer.moving_variance.data.uniform_(0.5, 2)
            layer.beta.data.uniform_(-1, 1)
            if layer.gamma is not None:
                layer.gamma.data.uniform_(0.5, 1.5)
    return model


def steps(model):
    overrides = plan_for(model).functional_overrides(model)
    return [override[1] for override in overrides.values() if override is not None]


def images(n=5, seed=0):
    return np.random.RandomState(seed).randn(n, 9, 9, 4).astype("float32")


@pytest.mark.parametrize("kwargs", [{}, {"strides": 2}, {"kernel_size": 1}, {"scale": False, "use_bias": False},
                                    {"relu": False}, {"kernel_size": 1, "strides": 2, "padding": "valid"}])
def test_predict_through_the_folded_step_equals_the_plain_layers(kwargs):
    model = conv_bn_model(**kwargs)
    (step,) = steps(model)
    assert isinstance(step, FoldedConvBatchNorm) and (step.relu is not None) == kwargs.get("relu", True)
    x = images()
    with torch.inference_mode():
        plain = model(torch.from_numpy(x)).numpy()
    model.predict(x, batch_size=5, verbose=0)   # the first batch runs plainly and checks the input shape
    folded = model.predict(x, batch_size=5, verbose=0)
    np.testing.assert_allclose(folded, plain, rtol=1e-5, atol=1e-5)


def test_the_folded_weights_follow_new_weights():
    model = conv_bn_model()
    x = images()
    model.predict(x, verbose=0)
    model.predict(x, verbose=0)
    model.layers[2].moving_mean.data.add_(0.5)     # in place: the cache sees a new version
    model.set_weights([w * 0.5 for w in model.get_weights()])
    with torch.inference_mode():
        plain = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), plain, rtol=1e-5, atol=1e-5)


def test_training_uses_the_batch_statistics_as_without_the_plan():
    model = conv_bn_model()
    model.compile("sgd", "mse")
    x, y = images(8), np.zeros((8, 9, 9, 3), "float32")
    before = model.layers[2].moving_mean.detach().clone()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert not torch.equal(model.layers[2].moving_mean.detach(), before)   # the batch norm itself ran


def test_a_hook_sees_every_layer_run():
    model = conv_bn_model()
    calls = []
    model.layers[2].register_forward_hook(lambda module, args, output: calls.append(module.name))
    x = images()
    model.predict(x, verbose=0)
    model.predict(x, verbose=0)
    assert len(calls) == 2


def test_a_batch_norm_read_elsewhere_too_is_not_folded():
    inputs = keras.Input((9, 9, 4))
    conv = L.Conv2D(6, 3)(inputs)
    normalized = L.BatchNormalization()(conv)
    model = keras.Model(inputs, [normalized, L.Flatten()(conv)])
    plan = plan_for(model)
    assert plan is None or not any(isinstance(o[1], FoldedConvBatchNorm)
                                   for o in plan.functional_overrides(model).values() if o is not None)


def test_a_residual_sum_and_its_relu_run_as_one_step_with_the_layers_results():
    from kerastorch.training.execution_plan import AddThenRelu
    keras.utils.set_random_seed(4)
    inputs = keras.Input((9, 9, 4))
    branch = L.BatchNormalization()(L.Conv2D(4, 3, padding="same")(inputs))
    outputs = L.Activation("relu")(L.Add()([inputs, branch]))
    model = keras.Model(inputs, outputs)
    assert sorted(type(step).__name__ for step in steps(model)) == ["AddThenRelu", "FoldedConvBatchNorm"]
    x = images()
    with torch.inference_mode():
        plain = model(torch.from_numpy(x)).numpy()
    model.predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), plain, rtol=1e-5, atol=1e-5)
    assert repr(next(s for s in steps(model) if isinstance(s, AddThenRelu))).startswith("AddThenRelu('add")
