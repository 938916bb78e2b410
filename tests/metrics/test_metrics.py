"""kerastorch.metrics against real Keras 3 (fixtures from tools/golden_metrics.py), and the metric protocol."""
import copy
import pickle

import numpy as np
import pytest
import torch

import kerastorch.metrics as metrics
from kerastorch import backend
from kerastorch.backend import clear_session as reset_name_counters
from golden_loader import golden_json

GOLDEN = golden_json("metrics/metrics.json")
DATA = {name: [torch.tensor(np.asarray(batch, dtype=GOLDEN["data_dtypes"][name])) for batch in batches]
        for name, batches in GOLDEN["data"].items()}

# Keras metrics kerastorch does not provide yet; the names test checks that nothing else is missing.
NOT_PROVIDED = {"BinaryIoU", "ConcordanceCorrelation", "F1Score", "FBetaScore", "PearsonCorrelation", "R2Score",
                "Metric"}


class WeightedTruePositiveRate(metrics.Metric):
    """The fixture's user metric, written the Keras way: add_variable, assign_add, its own reset_state."""

    def __init__(self, name="weighted_tpr", threshold=0.5, **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
        self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = torch.as_tensor(y_true, dtype=torch.float32).reshape(-1)
        predicted = (torch.as_tensor(y_pred) > self.threshold).float().reshape(-1)
        weight = 1.0 if sample_weight is None else torch.as_tensor(sample_weight, dtype=torch.float32).reshape(-1)
        self.hits.assign_add(torch.sum(y_true * predicted * weight))
        self.seen.assign_add(torch.sum(y_true * weight))

    def result(self):
        return torch.where(self.seen == 0, torch.zeros_like(self.seen), self.hits / self.seen)

    def reset_state(self):
        self.hits.assign(0.0)
        self.seen.assign(0.0)


class AttributeStateTruePositiveRate(metrics.Metric):
    """The same metric written torch-style: state is whatever tensors the attributes hold; default reset."""

    def __init__(self, name="attribute_tpr"):
        super().__init__(name=name)
        self.hits = torch.zeros(())
        self.seen = torch.zeros(())

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = y_true.reshape(-1)
        predicted = (y_pred > 0.5).float().reshape(-1)
        weight = 1.0 if sample_weight is None else sample_weight.reshape(-1)
        self.hits = self.hits + torch.sum(y_true * predicted * weight)
        self.seen = self.seen + torch.sum(y_true * weight)

    def result(self):
        return self.hits / self.seen


def build(case):
    if case["class"] == "WeightedTruePositiveRate":
        return WeightedTruePositiveRate(**case["config"])
    return getattr(metrics, case["class"])(**case["config"])


def update(metric, case, index):
    sample_weight = DATA[case["sw"]][index] if case["sw"] else None
    if case["values"]:
        metric.update_state(DATA[case["values"]][index], sample_weight=sample_weight)
    else:
        metric.update_state(DATA[case["y_true"]][index], DATA[case["y_pred"]][index], sample_weight=sample_weight)


def assert_matches_keras(case, actual, expected):
    tolerance = 1e-4 if case["class"] == "AUC" else 1e-5
    np.testing.assert_allclose(np.asarray(actual.detach().cpu(), dtype=np.float64), np.asarray(expected),
                               rtol=tolerance, atol=tolerance, err_msg=case["id"])


# ---- parity with Keras --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[case["id"] for case in GOLDEN["cases"]])
def test_results_match_keras_after_each_update_and_after_reset(case):
    metric = build(case)
    for index, expected in enumerate(case["results"]):
        update(metric, case, index)
        assert_matches_keras(case, metric.result(), expected)
    metric.reset_state()
    update(metric, case, 0)
    assert_matches_keras(case, metric.result(), case["after_reset"])


def test_attribute_state_metric_matches_the_keras_style_one():
    case = next(c for c in GOLDEN["cases"] if c["class"] == "WeightedTruePositiveRate")
    metric = AttributeStateTruePositiveRate()
    for index, expected in enumerate(case["results"]):
        update(metric, case, index)
        assert_matches_keras(case, metric.result(), expected)
    assert len(metric.variables) == 2  # re-assigning an attribute replaces its state, never adds to it
    metric.reset_state()
    update(metric, case, 0)
    assert_matches_keras(case, metric.result(), case["after_reset"])


@pytest.mark.parametrize("row", GOLDEN["functions"], ids=lambda row: row["function"])
def test_metric_functions_match_keras_per_sample(row):
    values = getattr(metrics, row["function"])(DATA[row["y_true"]][0], DATA[row["y_pred"]][0], **row["kwargs"])
    assert values.dtype == torch.float32
    np.testing.assert_allclose(values.numpy(), np.asarray(row["values"]), atol=1e-6)


_CROSSENTROPY_CLASSES = {"binary_crossentropy": "BinaryCrossentropy",
                         "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
                         "categorical_crossentropy": "CategoricalCrossentropy"}


@pytest.mark.parametrize("row", GOLDEN["resolution"],
                         ids=lambda r: f"{r['identifier']}-{r['y_true_shape']}-{r['y_pred_shape']}")
def test_resolve_picks_the_metric_keras_compile_picks(row):
    y_true, y_pred = torch.zeros(row["y_true_shape"]), torch.zeros(row["y_pred_shape"])
    if row["identifier"].startswith("crossentropy"):
        # Keras resolves the 'crossentropy' loss by these shapes; the metric follows the same rule.
        for identifier in ("crossentropy", "ce"):
            metric = metrics.resolve(identifier, y_true, y_pred)
            assert type(metric).__name__ == _CROSSENTROPY_CLASSES[row["function"]]
            assert metric.name == identifier
        return
    metric = metrics.resolve(row["identifier"], y_true, y_pred)
    assert type(metric).__name__ == row["class"]
    assert metric.name == row["name"]


@pytest.mark.parametrize("row", [r for r in GOLDEN["names"] if "class" in r], ids=lambda r: r["identifier"])
def test_get_builds_the_class_keras_builds_with_its_name_and_config(row):
    if row["class"] in NOT_PROVIDED:
        assert not hasattr(metrics, row["class"]) or row["class"] == "Metric"
        return
    reset_name_counters()
    metric = metrics.get(row["identifier"])
    assert type(metric).__name__ == row["class"]
    assert metric.name == row["name"]
    config = metric.get_config()
    for key, value in row["config"].items():
        assert config[key] == value, key


def test_every_keras_name_get_fails_on_is_one_that_needs_arguments_or_is_not_provided():
    for row in GOLDEN["names"]:
        if "error" in row and row["identifier"] not in ("MeanMetricWrapper", "mean_metric_wrapper"):
            with pytest.raises(Exception):
                metrics.get(row["identifier"])


# ---- get, resolve, configs ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("identifier,cls", [
    ("acc", "Accuracy"), ("mse", "MeanSquaredError"), ("MAE", "MeanAbsoluteError"), ("mape", "MeanAbsolutePercentageError"),
    ("msle", "MeanSquaredLogarithmicError"), ("bce", "BinaryCrossentropy"), ("kld", "KLDivergence"),
    ("kullback_leibler_divergence", "KLDivergence"), ("logcosh", "LogCoshError"), ("log_cosh", "LogCoshError"),
    ("auc", "AUC"), ("precision", "Precision"), ("recall", "Recall"), ("root_mean_squared_error", "RootMeanSquaredError"),
    ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"), ("crossentropy", "_CrossentropyByShape"),
    ("ce", "_CrossentropyByShape"),
])
def test_get_accepts_keras_2_and_3_aliases(identifier, cls):
    assert type(metrics.get(identifier)).__name__ == cls


def test_get_of_crossentropy_picks_the_kind_from_the_first_batch():
    metric = metrics.get("ce")
    metric.update_state(DATA["sparse"][0], DATA["probs"][0])
    reference = metrics.SparseCategoricalCrossentropy()
    reference.update_state(DATA["sparse"][0], DATA["probs"][0])
    torch.testing.assert_close(metric.result(), reference.result())


def test_get_of_a_loss_function_name_wraps_it_named_as_given():
    metric = metrics.get("huber")
    assert isinstance(metric, metrics.MeanMetricWrapper) and metric.name == "huber"


def test_get_unknown_name_lists_valid_names_closest_first():
    with pytest.raises(ValueError, match=r"Unknown metric: 'acuracy'.*closest first: accuracy"):
        metrics.get("acuracy")


def test_get_rejects_what_is_not_a_metric():
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 3"):
        metrics.get(3)


def test_get_passes_instances_through_and_builds_classes():
    auc = metrics.AUC(name="my_auc")
    assert metrics.get(auc) is auc
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    assert metrics.get(None) is None


def test_get_wraps_a_function_under_its_snake_case_name():
    def myAbsoluteError(y_true, y_pred):
        return (y_true - y_pred).abs()

    metric = metrics.get(myAbsoluteError)
    assert isinstance(metric, metrics.MeanMetricWrapper) and metric.name == "my_absolute_error"
    metric.update_state(torch.tensor([1.0, 2.0]), torch.tensor([2.0, 4.0]))
    assert metric.result().item() == pytest.approx(1.5)


def test_resolve_keeps_the_users_string_as_the_name():
    y_true, y_pred = torch.zeros(4, 1), torch.zeros(4, 1)
    assert metrics.resolve("mse", y_true, y_pred).name == "mse"
    assert metrics.resolve("acc", y_true, y_pred).name == "acc"
    precision = metrics.Precision(name="p")
    assert metrics.resolve(precision, y_true, y_pred) is precision and precision.name == "p"
    assert metrics.resolve(metrics.mean_absolute_error, y_true, y_pred).name == "mean_absolute_error"
    with pytest.raises(ValueError, match="received None"):
        metrics.resolve(None, y_true, y_pred)


def test_get_builds_from_a_config_dict_and_serialize_round_trips():
    metric = metrics.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(metric, metrics.CategoricalCrossentropy) and metric.from_logits
    for original in (metrics.AUC(curve="PR", thresholds=[0.2, 0.7]), metrics.Precision(top_k=2, class_id=1),
                     metrics.BinaryAccuracy(threshold=0.3), metrics.SparseTopKCategoricalAccuracy(k=3)):
        rebuilt = metrics.deserialize(metrics.serialize(original))
        assert type(rebuilt) is type(original) and rebuilt.get_config() == original.get_config()


def test_mean_metric_wrapper_config_names_its_function():
    wrapper = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="ba", threshold=0.7)
    rebuilt = metrics.MeanMetricWrapper.from_config(wrapper.get_config())
    assert rebuilt._fn is metrics.binary_accuracy and rebuilt._fn_kwargs == {"threshold": 0.7}


def test_keras_2_function_names_are_module_attributes():
    for name in ("mse", "MSE", "mae", "mape", "msle", "kld", "kullback_leibler_divergence", "logcosh",
                 "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                 "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "binary_crossentropy",
                 "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence", "poisson", "hinge",
                 "squared_hinge", "categorical_hinge", "cosine_similarity", "huber", "log_cosh"):
        assert callable(getattr(metrics, name)), name


def test_missing_keras_metric_names_the_symbol():
    with pytest.raises(AttributeError, match="F1Score"):
        metrics.F1Score  # noqa: B018


# ---- the Metric protocol --------------------------------------------------------------------------------------------

def test_default_names_are_unique_per_class():
    reset_name_counters()
    assert [metrics.Precision().name, metrics.Precision().name, metrics.AUC().name] == [
        "precision", "precision_1", "auc"]


def test_call_updates_then_returns_the_result():
    metric = metrics.Mean()
    assert metric([1.0, 3.0]).item() == 2.0
    assert metric([5.0]).item() == 3.0


def test_state_lives_on_the_backend_device_and_is_updated_in_place():
    metric = metrics.AUC()
    before = [(id(v), v.data_ptr()) for v in metric.variables]
    for index in range(3):
        metric.update_state(DATA["bin_true"][index], DATA["bin_pred"][index])
    metric.result()
    assert [(id(v), v.data_ptr()) for v in metric.variables] == before
    assert all(v.device.type == backend.device().type for v in metric.variables)


def test_update_state_does_not_record_gradients():
    metric = metrics.MeanSquaredError()
    y_pred = torch.rand(4, 2, requires_grad=True)
    metric.update_state(torch.rand(4, 2), y_pred)
    assert not any(v.requires_grad or v.grad_fn is not None for v in metric.variables)


def test_to_moves_state_in_place():
    metric = metrics.Precision(thresholds=[0.3, 0.6])
    variable = metric.true_positives
    assert metric.to("cpu") is metric
    assert metric.true_positives is variable and metric.device == torch.device("cpu")


@pytest.mark.parametrize("name", ["Mean", "BinaryAccuracy", "SparseCategoricalAccuracy", "CategoricalAccuracy",
                                  "Precision", "Recall", "AUC", "MeanSquaredError", "RootMeanSquaredError",
                                  "CategoricalCrossentropy", "SparseTopKCategoricalAccuracy"])
def test_update_and_result_never_read_a_tensor_back_to_the_host(name, monkeypatch):
    case = next(c for c in GOLDEN["cases"] if c["class"] == name)
    metric = build(case)

    def host_sync(*args, **kwargs):
        raise AssertionError("host sync in a metric step")

    for method in ("item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__"):
        monkeypatch.setattr(torch.Tensor, method, host_sync)
    update(metric, case, 0)
    metric.result()


def test_reset_state_zeroes_variables_and_held_metrics():
    class MeanOfTwo(metrics.Metric):
        def __init__(self):
            super().__init__(name="mean_of_two")
            self.first, self.second = metrics.Mean(), metrics.Mean()

        def update_state(self, a, b):
            self.first.update_state(a)
            self.second.update_state(b)

        def result(self):
            return (self.first.result() + self.second.result()) / 2

    metric = MeanOfTwo()
    metric.update_state([1.0], [3.0])
    assert metric.result().item() == 2.0 and len(metric.variables) == 4
    metric.reset_state()
    assert all(v.abs().sum().item() == 0 for v in metric.variables)


def test_variables_answer_keras_assign_methods():
    metric = metrics.Sum()
    metric.total.assign(5.0)
    metric.total.assign_add(torch.tensor(2.0))
    metric.total.assign_sub(1)
    assert metric.result().item() == 6.0 and metric.total.name == "total"
    assert isinstance(metric.total, torch.Tensor)


def test_forgetting_super_init_is_a_clear_error():
    class Broken(metrics.Metric):
        def __init__(self):
            self.total = self.add_variable(shape=())

    with pytest.raises(RuntimeError, match=r"must call `super\(\).__init__\(\)`"):
        Broken()


def test_deepcopy_and_pickle_give_independent_state():
    metric = metrics.Mean()
    metric.update_state([2.0])
    for clone in (copy.deepcopy(metric), pickle.loads(pickle.dumps(metric))):
        clone.update_state([4.0])
        assert clone.result().item() == 3.0
    assert metric.result().item() == 2.0


def test_inputs_may_be_lists_numpy_or_tensors():
    results = []
    for convert in (lambda x: x.tolist(), lambda x: x.numpy(), lambda x: x):
        metric = metrics.CategoricalAccuracy()
        metric.update_state(convert(DATA["onehot"][0]), convert(DATA["probs"][0]), convert(DATA["sw"][0]))
        results.append(metric.result())
    assert results[0] == results[1] == results[2]


def test_top_k_larger_than_the_classes_counts_every_target():
    metric = metrics.SparseTopKCategoricalAccuracy()  # k=5 against 4 classes
    metric.update_state(DATA["sparse"][0], DATA["probs"][0])
    assert metric.result().item() == 1.0


# ---- argument errors ----------------------------------------------------------------------------------------------

def test_thresholds_outside_0_1_are_refused():
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]. Received: \[1.5\]"):
        metrics.Precision(thresholds=[0.5, 1.5])


def test_auc_argument_errors_name_the_argument():
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match="summation_method"):
        metrics.AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match="num_labels"):
        metrics.AUC(num_labels=3)


def test_class_id_needs_a_class_axis():
    with pytest.raises(ValueError, match="class_id"):
        metrics.Recall(class_id=1).update_state(torch.ones(4), torch.ones(4))
