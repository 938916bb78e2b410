"""One Variable type (kerastorch/layers/variables.py): trainable weights, non-trainable state and metric state are
all `Variable`s, torch.nn.Parameters with Keras's variable API."""
import copy
import io
import pickle

import numpy as np
import pytest
import safetensors.torch
import torch

import kerastorch as keras
from kerastorch.layers.variables import Variable

L = keras.layers


def _dense():
    keras.backend.clear_session()
    layer = L.Dense(2, kernel_regularizer="l2", kernel_constraint="non_neg")
    layer.build((None, 3))
    return layer


def _batchnorm(features=3):
    keras.backend.clear_session()
    layer = L.BatchNormalization()
    layer.build((None, features))
    return layer


# ---- the API on each kind of variable ------------------------------------------------------------------------

def test_a_trainable_weight_has_keras_variable_api():
    kernel = _dense().kernel
    assert isinstance(kernel, Variable) and isinstance(kernel, torch.nn.Parameter)
    assert (kernel.name, kernel.path) == ("kernel", "dense/kernel")
    assert kernel.trainable and kernel.requires_grad
    assert kernel.value is kernel
    assert kernel.shape == (3, 2) and kernel.ndim == 2
    assert kernel.dtype == torch.float32          # torch's dtype: torch code reads it (see variables.py)
    assert kernel.aggregation == "none" and kernel.synchronization == "auto"
    assert kernel.overwrite_with_gradient is False and kernel.autocast
    assert isinstance(kernel.regularizer, keras.regularizers.L2)
    assert isinstance(kernel.constraint, keras.constraints.NonNeg)


def test_assign_methods_write_in_place_and_return_the_variable():
    kernel = _dense().kernel
    storage = kernel.data_ptr()
    assert kernel.assign(np.ones((3, 2))) is kernel
    assert kernel.assign_add(torch.full((3, 2), 2.0)) is kernel
    assert kernel.assign_sub(0.5) is kernel
    np.testing.assert_array_equal(kernel.numpy(), np.full((3, 2), 2.5, "float32"))
    assert kernel.data_ptr() == storage and kernel.is_leaf and kernel.grad_fn is None


def test_assign_of_a_value_that_requires_grad_keeps_the_variable_a_leaf():
    state = _batchnorm().moving_mean
    source = torch.ones(3, requires_grad=True)
    state.assign(source * 2)
    state.assign_add(source)
    assert state.is_leaf and not state.requires_grad and state.grad_fn is None
    np.testing.assert_array_equal(state.numpy(), [3.0, 3.0, 3.0])


def test_assign_of_a_wrong_shape_names_both_shapes():
    kernel = _dense().kernel
    with pytest.raises(ValueError, match=r"variable.shape=\(3, 2\), Received: value.shape=\(4,\)"):
        kernel.assign(np.zeros(4))


def test_batchnorm_moving_statistics_are_non_trainable_variables_registered_as_parameters():
    layer = _batchnorm()
    for name in ("moving_mean", "moving_variance"):
        state = getattr(layer, name)
        assert isinstance(state, Variable) and not state.trainable and not state.requires_grad
        assert state.path == f"batch_normalization/{name}" and state.name == name
        assert dict(layer.named_parameters())[name] is state
    assert layer.trainable_weights == [layer.gamma, layer.beta]
    assert layer.non_trainable_weights == [layer.moving_mean, layer.moving_variance]


def test_metric_state_is_non_trainable_variables_with_keras_paths():
    keras.backend.clear_session()
    metric = keras.metrics.Mean()
    metric.update_state([1.0, 2.0, 6.0])
    variables = metric.variables
    assert all(isinstance(v, Variable) and not v.trainable for v in variables)
    # What Keras 3 reports for keras.metrics.Mean().variables.
    assert [(v.path, v.name, v.aggregation) for v in variables] == [("mean/total", "total", "sum"),
                                                                   ("mean/count", "count", "sum")]
    np.testing.assert_allclose(float(metric.result()), 3.0)
    metric.reset_state()
    assert [float(v) for v in metric.variables] == [0.0, 0.0]


def test_metric_state_of_a_multi_variable_metric_has_keras_paths():
    keras.backend.clear_session()
    paths = [v.path for v in keras.metrics.AUC().variables]
    assert paths == ["auc/true_positives", "auc/false_positives", "auc/true_negatives", "auc/false_negatives"]


def test_a_user_metric_add_variable_gives_a_variable():
    class Count(keras.metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")

        def update_state(self, values):
            self.seen.assign_add(torch.as_tensor(values).numel())

        def result(self):
            return self.seen

    keras.backend.clear_session()
    metric = Count()
    metric.update_state(np.zeros(4))
    metric.update_state(np.zeros(2))
    assert metric.variables == [metric.seen] and metric.seen.path == "count/seen"
    assert float(metric.result()) == 6.0


# ---- the public constructor ----------------------------------------------------------------------------------

def test_keras_variable_is_the_one_type():
    assert keras.Variable is Variable
    assert keras.layers.layer.Variable is Variable
    assert keras.metrics.MetricVariable is Variable


def test_variable_from_an_initializer_and_from_values():
    keras.backend.clear_session()
    ones = keras.Variable(initializer="ones", shape=(2, 2), dtype="float16", name="ones")
    assert ones.dtype == torch.float16 and ones.path == "ones" and ones.trainable
    np.testing.assert_array_equal(ones.numpy(), np.ones((2, 2)))
    # As in Keras: Python floats become floatx, numpy arrays keep their dtype.
    assert keras.Variable([1.0, 2.0]).dtype == torch.float32
    assert keras.Variable(np.zeros(3)).dtype == torch.float64
    assert keras.Variable(np.zeros(3), trainable=False).requires_grad is False
    assert keras.Variable(np.zeros(2), path="outer/state", name="state").path == "outer/state"


def test_integer_variables_cannot_be_trainable():
    counter = keras.Variable(np.array([1, 2]), trainable=True)
    assert counter.dtype == torch.int64 and not counter.trainable
    counter.trainable = True
    assert not counter.requires_grad


def test_variable_arguments_are_checked():
    with pytest.raises(ValueError, match="`shape` argument should be specified"):
        keras.Variable(initializer="zeros")
    with pytest.raises(ValueError, match="without '/'. Received: name='a/b'"):
        keras.Variable(np.zeros(2), name="a/b")
    with pytest.raises(ValueError, match="Invalid value for argument `aggregation`.*Received: aggregation='max'"):
        keras.Variable(np.zeros(2), aggregation="max")
    with pytest.raises(ValueError, match="requested"):
        keras.Variable(np.zeros(2), shape=(3,))
    with pytest.raises(ValueError, match="regularizer"):
        keras.Variable(np.zeros(2)).regularizer = "l2"


def test_repr_reads_like_keras():
    keras.backend.clear_session()
    assert repr(keras.Variable([1.0, 2.0], name="v")) == "<Variable path=v, shape=(2,), dtype=float32, value=[1. 2.]>"


# ---- torch interop -------------------------------------------------------------------------------------------

def test_torch_ops_take_a_variable_and_return_plain_tensors():
    layer = _dense()
    x = torch.ones(4, 3)
    out = torch.nn.functional.linear(x, layer.kernel.T, layer.bias)
    assert type(out) is torch.Tensor and type(layer.kernel * 2) is torch.Tensor
    torch.testing.assert_close(out, x @ layer.kernel + layer.bias)


def test_numpy_takes_torch_force_argument_on_a_variable_that_requires_grad():
    kernel = _dense().kernel
    assert kernel.requires_grad
    array = kernel.numpy(force=True)
    np.testing.assert_array_equal(array, kernel.detach().numpy())
    np.testing.assert_array_equal(np.asarray(kernel), array)
    array[:] = 7.0                      # a copy, as Keras's numpy() is
    assert not torch.any(kernel == 7.0)


@pytest.mark.parametrize("convert", [lambda m: m.double(), lambda m: m.to(torch.float64), lambda m: m.to("cpu")])
def test_module_conversions_keep_each_variable_and_its_attributes(convert):
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((3,)), L.Dense(2, kernel_regularizer="l2"), L.BatchNormalization()])
    before = list(model.weights)
    convert(model)
    after = list(model.weights)
    assert all(a is b for a, b in zip(before, after)) and len(after) == 6
    assert all(isinstance(w, Variable) for w in after)
    assert [w.path for w in after] == ["dense/kernel", "dense/bias", "batch_normalization/gamma",
                                       "batch_normalization/beta", "batch_normalization/moving_mean",
                                       "batch_normalization/moving_variance"]
    assert [w.requires_grad for w in after] == [True, True, True, True, False, False]
    assert all(w.dtype == after[0].dtype for w in after)
    assert isinstance(model.layers[0].kernel.regularizer, keras.regularizers.L2)
    assert not model.layers[1].moving_mean.requires_grad


def test_deepcopy_copies_values_and_keras_attributes():
    layer = _dense()
    clone = copy.deepcopy(layer)
    assert clone.kernel is not layer.kernel and clone.kernel.data_ptr() != layer.kernel.data_ptr()
    assert isinstance(clone.kernel, Variable) and clone.kernel.path == "dense/kernel"
    assert isinstance(clone.kernel.regularizer, keras.regularizers.L2)
    torch.testing.assert_close(clone.kernel, layer.kernel)
    bn = copy.deepcopy(_batchnorm())
    assert isinstance(bn.moving_mean, Variable) and not bn.moving_mean.requires_grad


def test_state_dict_keys_and_round_trip_through_safetensors_and_weights_only_torch_load():
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((3,)), L.Dense(2), L.BatchNormalization()])
    model.layers[1].moving_mean.assign([0.5, -0.5])
    state = model.state_dict()
    assert list(state) == ["dense.kernel", "dense.bias", "batch_normalization.gamma", "batch_normalization.beta",
                           "batch_normalization.moving_mean", "batch_normalization.moving_variance"]
    assert all(type(t) is torch.Tensor for t in state.values())
    for reload in (lambda s: safetensors.torch.load(safetensors.torch.save(s)), _torch_save_load):
        keras.backend.clear_session()   # the same layer names, so the same keys
        fresh = keras.Sequential([keras.Input((3,)), L.Dense(2), L.BatchNormalization()])
        fresh.load_state_dict(reload(state))
        for a, b in zip(fresh.weights, model.weights):
            assert isinstance(a, Variable) and a.requires_grad == b.requires_grad
            torch.testing.assert_close(a, b)


def _torch_save_load(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def test_variables_themselves_load_with_weights_only():
    layer = _batchnorm()
    loaded = _torch_save_load(layer.state_dict(keep_vars=True))
    assert isinstance(loaded["moving_mean"], Variable) and loaded["moving_mean"].path == "batch_normalization/moving_mean"
    assert loaded["gamma"].requires_grad and not loaded["moving_mean"].requires_grad


def test_a_pickled_model_keeps_its_variables():
    layer = _dense()
    clone = pickle.loads(pickle.dumps(layer))
    assert isinstance(clone.kernel, Variable) and clone.kernel.path == "dense/kernel"
    assert isinstance(clone.kernel.constraint, keras.constraints.NonNeg)
    torch.testing.assert_close(clone.kernel, layer.kernel)


def test_load_state_dict_with_assign_keeps_variables():
    layer = _batchnorm()
    values = {k: torch.full_like(v, 2.0) for k, v in layer.state_dict().items()}
    layer.load_state_dict(values, assign=True)
    assert all(isinstance(w, Variable) for w in layer.weights)
    assert layer.moving_mean.path == "batch_normalization/moving_mean" and not layer.moving_mean.requires_grad
    assert layer.weights[0] is layer.gamma and float(layer.moving_variance[0]) == 2.0


def test_a_data_parallel_replica_takes_plain_tensors_for_its_weights():
    # What torch.nn.parallel.replicate does on several GPUs: a replica without parameters, whose weights are set
    # as plain (broadcast) tensors.
    layer = _dense()
    replica = layer._replicate_for_data_parallel()
    for name, weight in layer._parameters.items():
        setattr(replica, name, weight.detach().clone())
    assert replica.kernel is not layer.kernel and type(replica.kernel) is torch.Tensor
    torch.testing.assert_close(replica(torch.ones(1, 3)), layer(torch.ones(1, 3)))
    assert isinstance(layer.kernel, Variable)


def test_a_variable_assigned_to_a_layer_is_tracked():
    class Holder(keras.Layer):
        def build(self, input_shape):
            self.scale = keras.Variable(np.full(input_shape[-1:], 2.0, "float32"), name="scale")
            self.steps = keras.Variable(np.zeros((), "int64"), trainable=False, name="steps")

        def call(self, x):
            self.steps.assign_add(1)
            return x * self.scale

    layer = Holder()
    layer(np.ones((2, 3), "float32"))
    assert layer.trainable_weights == [layer.scale] and layer.non_trainable_weights == [layer.steps]
    assert list(layer.state_dict()) == ["scale", "steps"]
    assert int(layer.steps) == 1


# ---- trainable -----------------------------------------------------------------------------------------------

def test_setting_a_variable_trainable_moves_it_between_weight_lists_keeping_the_order():
    layer = _dense()
    layer.kernel.trainable = False
    assert not layer.kernel.requires_grad
    assert layer.trainable_weights == [layer.bias] and layer.non_trainable_weights == [layer.kernel]
    assert layer.weights == [layer.kernel, layer.bias]
    layer.kernel.trainable = True
    assert layer.trainable_weights == [layer.kernel, layer.bias]


def test_freezing_a_layer_flips_requires_grad_and_never_makes_statistics_trainable():
    layer = _batchnorm()
    layer.trainable = False
    assert not any(p.requires_grad for p in layer.parameters())
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4
    layer.trainable = True
    assert [p.requires_grad for p in layer.parameters()] == [True, True, False, False]
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]


def test_a_weight_added_to_a_frozen_layer_is_trainable_once_the_layer_is_unfrozen():
    keras.backend.clear_session()
    layer = L.Dense(2, trainable=False)
    layer.build((None, 3))
    assert not layer.kernel.requires_grad and layer.trainable_weights == []
    layer.trainable = True
    assert layer.trainable_weights == [layer.kernel, layer.bias]


# ---- training never touches non-trainable variables ----------------------------------------------------------

def _bn_model():
    keras.utils.set_random_seed(3)
    return keras.Sequential([keras.Input((4,)), L.Dense(3), L.BatchNormalization(), L.Dense(1)])


def test_fit_trains_only_the_trainable_variables():
    model = _bn_model()
    model.compile(optimizer="adam", loss="mse")
    x, y = np.random.rand(32, 4).astype("float32"), np.random.rand(32, 1).astype("float32")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    # iterations and learning rate, then Adam's two slots for each of the 6 trained variables (no BN statistics)
    assert len(model.trainable_weights) == 6
    assert len(model.optimizer.variables) == 2 + 2 * 6
    assert all(not w.requires_grad and w.grad is None for w in model.non_trainable_weights)


def test_a_torch_optimizer_over_model_parameters_leaves_non_trainable_variables_alone():
    model = _bn_model()
    bn = model.layers[1]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=0.1)
    with torch.no_grad():
        model(torch.rand(8, 4), training=True)   # moves the statistics once
    before = [bn.moving_mean.detach().clone(), bn.moving_variance.detach().clone()]
    model(torch.rand(8, 4)).sum().backward()     # inference call: statistics unchanged
    optimizer.step()
    torch.testing.assert_close(bn.moving_mean.detach(), before[0], rtol=0, atol=0)
    torch.testing.assert_close(bn.moving_variance.detach(), before[1], rtol=0, atol=0)


def test_batchnorm_under_torch_compile_updates_its_statistics_in_place_as_eager():
    eager, compiled_model = _bn_model(), _bn_model()
    compiled_model.set_weights(eager.get_weights())
    statistics = compiled_model.layers[1].moving_mean
    compiled = torch.compile(compiled_model, backend="aot_eager")
    x = torch.rand(16, 4)
    try:
        for _ in range(2):
            with torch.no_grad():
                expected, got = eager(x, training=True), compiled(x, training=True)
    finally:
        # Dynamo remembers the frames it compiled (and would make later compiles of them shape-dynamic).
        torch.compiler.reset()
    torch.testing.assert_close(got, expected)
    assert compiled_model.layers[1].moving_mean is statistics
    for a, b in zip(compiled_model.non_trainable_weights, eager.non_trainable_weights):
        torch.testing.assert_close(a, b)
    assert float(statistics.abs().sum()) > 0


def test_add_variable_is_add_weight():
    class Counter(keras.Layer):
        def build(self, input_shape):
            self.count = self.add_variable((), "zeros", dtype="int64", trainable=False, name="count")

        def call(self, x):
            return x

    keras.backend.clear_session()
    layer = Counter()
    layer(np.ones((1, 2), "float32"))
    assert isinstance(layer.count, Variable) and layer.count.path == "counter/count"
    assert layer.non_trainable_weights == [layer.count]
