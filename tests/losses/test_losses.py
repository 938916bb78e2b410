"""kerastorch.losses against values recorded from real Keras 3.15.1 (tools/golden_losses.py)."""
import json
import math

import numpy as np
import pytest
import torch

from kerastorch import losses
from golden_loader import golden_json

FIXTURE = golden_json("losses/losses.json")
CASES = FIXTURE["cases"]
TOLERANCE = 1e-5


def case_id(index_case):
    index, case = index_case
    options = case.get("kwargs") or case.get("config") or {}
    return f"{index}-{case['kind']}-{case['name']}-{case['inputs']}-{json.dumps(options, sort_keys=True)}"


def scaled_absolute_error(y_true, y_pred, scale=1.0):
    """The user function the generator wrapped in Keras's LossFunctionWrapper."""
    return torch.mean(torch.abs(y_true - y_pred), dim=-1) * scale


def compute(case, device="cpu"):
    """Run one recorded case through kerastorch; returns the result tensor."""
    dtype = torch.int64 if case["y_true_dtype"] == "int64" else torch.float32
    y_true = torch.tensor(case["y_true"], dtype=dtype, device=device)
    y_pred = torch.tensor(case["y_pred"], dtype=torch.float32, device=device)
    sample_weight = case.get("sample_weight")
    if sample_weight is not None:
        sample_weight = torch.tensor(sample_weight, dtype=torch.float32, device=device)
    if "mask" in case:
        y_pred._keras_mask = torch.tensor(case["mask"], device=device)
    if case["kind"] == "function":
        return getattr(losses, case["name"])(y_true, y_pred, **case["kwargs"])
    if case["kind"] == "class":
        loss = getattr(losses, case["name"])(**case["config"])
    else:
        config = dict(case["config"])
        loss = losses.LossFunctionWrapper(scaled_absolute_error, reduction=config.pop("reduction"), **config)
    return loss(y_true, y_pred, sample_weight=sample_weight)


def assert_matches_keras(result, case):
    expected = np.asarray(case["expected"], dtype=np.float64)
    got = result.detach().cpu().double().numpy()
    assert list(got.shape) == case["shape"], f"shape {got.shape}, Keras {case['shape']}"
    assert np.all(np.isfinite(got) == np.isfinite(expected))
    np.testing.assert_allclose(got, expected, rtol=TOLERANCE, atol=TOLERANCE)


@pytest.mark.parametrize("case", list(enumerate(CASES)), ids=case_id)
def test_value_matches_keras(case):
    assert_matches_keras(compute(case[1]), case[1])


def test_fixture_covers_every_loss_and_reduction():
    function_names = {c["name"] for c in CASES if c["kind"] == "function"}
    class_names = {c["name"] for c in CASES if c["kind"] == "class"}
    assert {f.__name__ for f in losses._FUNCTIONS} <= function_names
    assert set(FIXTURE["aliases"]) <= function_names
    assert {c.__name__ for c in losses._CLASSES} <= class_names
    reductions = {c["config"].get("reduction", "sum_over_batch_size") for c in CASES if c["kind"] == "class"}
    assert set(losses.REDUCTIONS) <= reductions


# ---- names ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("alias", sorted(FIXTURE["aliases"]))
def test_alias_resolves_to_keras_function(alias):
    target = getattr(losses, FIXTURE["aliases"][alias])
    assert losses.get(alias) is target
    assert getattr(losses, alias) is target


@pytest.mark.parametrize("function", losses._FUNCTIONS, ids=lambda f: f.__name__)
def test_function_name_resolves_to_the_function(function):
    assert losses.get(function.__name__) is function


@pytest.mark.parametrize("cls", losses._CLASSES, ids=lambda c: c.__name__)
def test_class_name_resolves_to_an_instance(cls):
    loss = losses.get(cls.__name__)
    assert type(loss) is cls
    assert losses.get(cls) is not None and type(losses.get(cls)) is cls


def test_get_passes_instances_and_callables_through():
    loss = losses.Huber(delta=2.0)
    assert losses.get(loss) is loss
    assert losses.get(scaled_absolute_error) is scaled_absolute_error
    assert losses.get(None) is None


def test_unknown_name_lists_valid_names_closest_first():
    with pytest.raises(ValueError) as error:
        losses.get("mean_sqared_error")
    message = str(error.value)
    assert "'mean_sqared_error'" in message
    assert message.index("mean_squared_error") < message.index("poisson")


def test_names_are_case_sensitive_as_in_keras():
    with pytest.raises(ValueError):
        losses.get("Mse")


def test_uninterpretable_identifier_raises():
    with pytest.raises(ValueError, match="Could not interpret loss identifier: 3"):
        losses.get(3)


# ---- configs and serialization ------------------------------------------------------------------------------------

@pytest.mark.parametrize("class_name", sorted(FIXTURE["configs"]))
def test_config_has_keras_keys_and_values(class_name):
    config = getattr(losses, class_name)().get_config()
    keras_config = FIXTURE["configs"][class_name]
    assert {key: config[key] for key in keras_config} == keras_config
    # Anything beyond Keras's keys is a constructor argument Keras leaves out (axis, delta).
    assert set(config) - set(keras_config) <= {"axis", "delta"}


@pytest.mark.parametrize("cls", losses._CLASSES, ids=lambda c: c.__name__)
def test_config_round_trips(cls):
    loss = cls(reduction="sum", name="custom_name")
    rebuilt = cls.from_config(loss.get_config())
    assert rebuilt.get_config() == loss.get_config()


def test_non_default_arguments_survive_config():
    loss = losses.CategoricalFocalCrossentropy(alpha=0.4, gamma=1.0, from_logits=True, label_smoothing=0.1, axis=1)
    rebuilt = losses.deserialize(losses.serialize(loss))
    assert rebuilt.get_config() == loss.get_config()
    assert losses.Huber.from_config(losses.Huber(delta=0.3).get_config())._fn_kwargs["delta"] == 0.3


def test_serialize_writes_keras_format():
    assert losses.serialize(losses.MeanSquaredError()) == {
        "module": "keras.losses", "class_name": "MeanSquaredError",
        "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"}, "registered_name": None}
    assert losses.serialize(losses.mean_squared_error) == {
        "module": "builtins", "class_name": "function", "config": "mean_squared_error",
        "registered_name": "function"}


def test_deserialize_functions_names_and_keras2_configs():
    assert losses.deserialize(losses.serialize(losses.log_cosh)) is losses.log_cosh
    assert losses.deserialize("logcosh") is losses.log_cosh
    assert isinstance(losses.deserialize("MeanSquaredError"), losses.MeanSquaredError)
    keras2 = {"class_name": "BinaryCrossentropy",
              "config": {"reduction": "auto", "name": "binary_crossentropy", "from_logits": True,
                         "label_smoothing": 0.0, "axis": -1}}
    loss = losses.deserialize(keras2)
    assert loss.reduction == "sum_over_batch_size" and loss.from_logits is True


def test_wrapper_config_round_trips_through_custom_objects():
    wrapper = losses.LossFunctionWrapper(scaled_absolute_error, reduction="sum", name="scaled", scale=2.5)
    config = losses.serialize(wrapper)
    assert config["config"]["scale"] == 2.5
    rebuilt = losses.deserialize(config, custom_objects={"scaled_absolute_error": scaled_absolute_error})
    assert rebuilt.fn is scaled_absolute_error and rebuilt._fn_kwargs == {"scale": 2.5}
    assert rebuilt.name == "scaled" and rebuilt.reduction == "sum"


# ---- the Loss base class -------------------------------------------------------------------------------------------

class MeanCubedError(losses.Loss):
    def call(self, y_true, y_pred):
        return torch.mean(torch.abs(y_true - y_pred) ** 3, dim=-1)


def test_subclass_gets_snake_case_name_reduction_and_weights():
    loss = MeanCubedError(reduction="sum")
    assert loss.name.startswith("mean_cubed_error")
    y_true = torch.zeros(3, 2)
    y_pred = torch.tensor([[1.0, 1.0], [2.0, 0.0], [0.0, 0.0]])
    # per sample: 1, 4, 0; weighted by 1, 0.5, 3 and summed: first principles.
    assert loss(y_true, y_pred, sample_weight=torch.tensor([1.0, 0.5, 3.0])).item() == pytest.approx(3.0)


def test_invalid_reduction_raises():
    with pytest.raises(ValueError, match="reduction='total'"):
        losses.MeanSquaredError(reduction="total")


def test_keras2_auto_reduction_means_sum_over_batch_size():
    assert losses.MeanSquaredError(reduction=losses.Reduction.AUTO).reduction == "sum_over_batch_size"


def test_dtype_defaults_to_floatx_and_casts_inputs():
    assert losses.MeanSquaredError().dtype == "float32"
    loss = losses.MeanSquaredError(dtype="float64")
    assert loss.dtype == "float64"
    assert loss(np.zeros((2, 2), np.float32), torch.ones(2, 2, dtype=torch.float16)).dtype == torch.float64


def test_sparse_labels_stay_integer_for_the_sparse_path():
    loss = losses.SparseCategoricalCrossentropy()
    y_true, _ = loss._convert(torch.tensor([1, 2]), torch.rand(2, 3))
    assert y_true.dtype == torch.int64
    y_true, _ = losses.MeanSquaredError()._convert(torch.tensor([1, 2]), torch.rand(2))
    assert y_true.dtype == torch.float32


def test_accepts_numpy_and_lists():
    value = losses.MeanAbsoluteError()([[0.0, 1.0]], np.array([[1.0, 1.0]]))
    assert value.item() == pytest.approx(0.5)


# ---- bad input ----------------------------------------------------------------------------------------------------

def test_incompatible_shapes_raise_value_error_with_both_shapes():
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        losses.mean_squared_error(torch.zeros(4, 3), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="same shape"):
        losses.binary_crossentropy(torch.zeros(4), torch.zeros(4, 1))
    with pytest.raises(ValueError, match="same shape"):
        losses.categorical_crossentropy(torch.zeros(4, 3), torch.zeros(4, 2))


def test_sparse_label_shape_mismatch_names_expected_shape():
    with pytest.raises(ValueError, match=r"expected \(4,\).*y_true.shape=\(5,\)"):
        losses.sparse_categorical_crossentropy(torch.zeros(5, dtype=torch.long), torch.rand(4, 3))


def test_unbroadcastable_sample_weight_raises_value_error():
    with pytest.raises(ValueError, match="sample_weight"):
        losses.MeanAbsoluteError()(torch.zeros(2, 3, 4), torch.zeros(2, 3, 4), sample_weight=torch.ones(2))


def test_boolean_axis_rejected():
    with pytest.raises(ValueError, match="axis"):
        losses.categorical_crossentropy(torch.ones(2, 3), torch.ones(2, 3), axis=True)


def test_single_class_categorical_warns():
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_crossentropy(torch.ones(2, 1), torch.ones(2, 1))


# ---- numerics -----------------------------------------------------------------------------------------------------

def test_logit_paths_are_stable_at_extreme_logits():
    logits = torch.tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]], requires_grad=True)
    labels = torch.tensor([1, 1])
    total = (losses.sparse_categorical_crossentropy(labels, logits, from_logits=True).sum()
             + losses.categorical_crossentropy(torch.eye(3)[labels], logits, from_logits=True).sum()
             + losses.binary_crossentropy(torch.ones(2, 3), logits, from_logits=True).sum())
    total.backward()
    assert torch.isfinite(total) and torch.isfinite(logits.grad).all()
    # First principles: sample 0 puts the true class 2000 below the top logit.
    assert losses.sparse_categorical_crossentropy(labels, logits.detach(), from_logits=True)[0].item() == 2000.0


def test_sparse_matches_categorical_on_one_hot_labels_with_gradients():
    torch.manual_seed(0)
    probabilities = torch.softmax(torch.randn(8, 5), dim=-1).requires_grad_()
    labels = torch.randint(0, 5, (8,))
    sparse = losses.sparse_categorical_crossentropy(labels, probabilities)
    (sparse_grad,) = torch.autograd.grad(sparse.sum(), probabilities)
    dense = losses.categorical_crossentropy(torch.eye(5)[labels], probabilities)
    (dense_grad,) = torch.autograd.grad(dense.sum(), probabilities)
    torch.testing.assert_close(sparse, dense)
    torch.testing.assert_close(sparse_grad, dense_grad)


def test_ignore_class_gradient_is_finite_where_ignored():
    probabilities = torch.tensor([[0.0, 1.0], [0.5, 0.5]], requires_grad=True)
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1)(torch.tensor([-1, 0]), probabilities)
    loss.backward()
    assert loss.item() == pytest.approx(math.log(2.0))  # only the second sample counts
    assert torch.isfinite(probabilities.grad).all() and (probabilities.grad[0] == 0).all()


# ---- on a GPU, every recorded case, with host syncs forbidden -----------------------------------------------------

@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cases_on_cuda_match_keras_without_host_sync():
    for case in CASES:
        dtype = torch.int64 if case["y_true_dtype"] == "int64" else torch.float32
        y_true = torch.tensor(case["y_true"], dtype=dtype, device="cuda")
        y_pred = torch.tensor(case["y_pred"], dtype=torch.float32, device="cuda")
        sample_weight = case.get("sample_weight")
        if sample_weight is not None:
            sample_weight = torch.tensor(sample_weight, dtype=torch.float32, device="cuda")
        if "mask" in case:
            y_pred._keras_mask = torch.tensor(case["mask"], device="cuda")
        if case["kind"] == "function":
            def run():
                return getattr(losses, case["name"])(y_true, y_pred, **case["kwargs"])
        else:
            config = dict(case["config"])
            if case["kind"] == "class":
                loss = getattr(losses, case["name"])(**config)
            else:
                loss = losses.LossFunctionWrapper(scaled_absolute_error, reduction=config.pop("reduction"),
                                                  **config)

            def run():
                return loss(y_true, y_pred, sample_weight=sample_weight)
        run()  # the first call may copy constants (a per-class alpha) to the device once
        torch.cuda.set_sync_debug_mode("error")
        try:
            result = run()
        finally:
            torch.cuda.set_sync_debug_mode("default")
        assert result.device.type == "cuda"
        assert_matches_keras(result, case)
