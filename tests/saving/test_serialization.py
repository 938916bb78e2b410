"""The one serializer (kerastorch.saving.serialization) and the one registry (kerastorch.registry).

Keras's own answers (serialized forms, scope nesting, loss names after clear_session) come from
tests/golden/saving/serialization.json, written by tools/golden_serialization.py.
"""
import ast
import json
import pathlib

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch import registry
from kerastorch.saving import serialization
from golden_loader import golden_json

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOLDEN = golden_json("saving/serialization.json")


def round_trip(obj):
    """The object rebuilt from its config after a trip through JSON."""
    return keras.saving.deserialize_keras_object(json.loads(json.dumps(keras.saving.serialize_keras_object(obj))))


# ---- the registry ---------------------------------------------------------------------------------------------

def test_register_keras_serializable_records_the_package_and_name():
    @keras.saving.register_keras_serializable(package="SerTests", name="Doubler")
    class Doubling(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    assert keras.saving.get_registered_name(Doubling) == "SerTests>Doubler"
    assert keras.saving.get_registered_object("SerTests>Doubler") is Doubling
    assert keras.saving.get_custom_objects()["SerTests>Doubler"] is Doubling
    entry = keras.saving.serialize_keras_object(Doubling(name="d"))
    assert entry["registered_name"] == "SerTests>Doubler" and entry["class_name"] == "Doubling"
    assert isinstance(keras.saving.deserialize_keras_object(entry), Doubling)


def test_register_keras_serializable_defaults_to_custom_and_the_class_name():
    @keras.saving.register_keras_serializable()
    def triple(x):
        return 3 * x

    assert keras.saving.get_registered_name(triple) == "Custom>triple"
    assert keras.saving.get_registered_object("Custom>triple") is triple


def test_register_keras_serializable_refuses_a_class_without_get_config_and_a_package_with_a_separator():
    with pytest.raises(ValueError, match="get_config"):
        keras.saving.register_keras_serializable()(type("NoConfig", (), {}))
    with pytest.raises(ValueError, match="package"):
        keras.saving.register_keras_serializable(package="a>b")


def test_keras_utils_exports_the_same_registry_functions():
    for name in ("register_keras_serializable", "get_custom_objects", "custom_object_scope", "CustomObjectScope",
                 "get_registered_name", "get_registered_object", "serialize_keras_object",
                 "deserialize_keras_object"):
        assert getattr(keras.utils, name) is getattr(keras.saving, name), name


def test_get_registered_name_of_an_unregistered_object_is_its_name():
    assert keras.saving.get_registered_name(keras.layers.Dense) == "Dense"
    assert keras.saving.get_registered_object("NoSuchThing") is None
    assert keras.saving.get_registered_object("x", custom_objects={"x": int}) is int
    assert keras.saving.get_registered_object("y", module_objects={"y": float}) is float


def test_custom_object_scope_nests_as_in_keras():
    outer, inner = object(), object()
    seen = {}
    with keras.saving.custom_object_scope({"outer": outer}):
        seen["outer_in_outer"] = keras.saving.get_registered_object("outer") is outer
        with keras.utils.CustomObjectScope({"inner": inner}):
            seen["outer_in_inner"] = keras.saving.get_registered_object("outer") is outer
            seen["inner_in_inner"] = keras.saving.get_registered_object("inner") is inner
        seen["inner_after_inner"] = keras.saving.get_registered_object("inner") is inner
        seen["outer_after_inner"] = keras.saving.get_registered_object("outer") is outer
    seen["outer_after_outer"] = keras.saving.get_registered_object("outer") is outer
    assert seen == GOLDEN["scope_nesting"]


def test_kerastorch_classes_register_themselves_by_subclassing_and_user_classes_do_not():
    assert registry.find_builtin("layers", "Dense") is keras.layers.Dense
    assert registry.find_builtin("losses", "Huber") is keras.losses.Huber
    assert registry.find_builtin("metrics", "Hinge") is keras.metrics.Hinge
    assert registry.find_builtin("initializers", "glorot_uniform") is keras.initializers.GlorotUniform
    assert registry.find_builtin("optimizers", "adam") is keras.optimizers.Adam

    class Unregistered(keras.layers.Layer):
        pass

    assert registry.find_builtin("layers", "Unregistered") is None


# ---- Keras's serialized forms ---------------------------------------------------------------------------------

KERAS_FORMS = {
    "initializer": lambda: keras.initializers.GlorotUniform(seed=1),
    "regularizer": lambda: keras.regularizers.L2(0.1),
    "constraint": lambda: keras.constraints.MaxNorm(2.0),
    "activation_builtin": lambda: keras.activations.relu,
    "loss_function": lambda: keras.losses.mean_squared_error,
    "metric": lambda: keras.metrics.Mean(name="m"),
    "schedule": lambda: keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5),
    "dtype_policy": lambda: keras.dtype_policies.DTypePolicy("float32"),
}


@pytest.mark.parametrize("kind", sorted(KERAS_FORMS))
def test_serialized_form_is_keras(kind):
    assert keras.saving.serialize_keras_object(KERAS_FORMS[kind]()) == GOLDEN["serialized"][kind]


def test_an_optimizer_config_holds_keras_arguments_and_class():
    keras.backend.clear_session()   # the automatic name counts optimizers made before
    written = keras.saving.serialize_keras_object(keras.optimizers.SGD(learning_rate=0.5))
    expected = GOLDEN["serialized"]["optimizer"]
    # Keras writes its torch backend's private module; kerastorch writes the public one, which Keras also loads.
    assert (written["class_name"], written["config"]) == (expected["class_name"], expected["config"])
    assert written["module"] == "keras.optimizers"


# ---- round trips of every kind ---------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: keras.initializers.HeNormal(seed=3),
    lambda: keras.initializers.Constant(0.5),
    lambda: keras.regularizers.L1L2(l1=0.1, l2=0.2),
    lambda: keras.constraints.MinMaxNorm(0.5, 2.0),
    lambda: keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, name="cce"),
    lambda: keras.metrics.Precision(thresholds=0.3, name="p"),
    lambda: keras.optimizers.Adam(learning_rate=0.01, beta_1=0.8),
    lambda: keras.optimizers.schedules.CosineDecay(0.1, 100, alpha=0.1),
    lambda: keras.dtype_policies.DTypePolicy("mixed_float16"),
    lambda: keras.layers.Dense(3, activation="relu", kernel_initializer=keras.initializers.Orthogonal(seed=1),
                               kernel_regularizer="l2", name="dense_rt"),
], ids=["initializer", "constant", "regularizer", "constraint", "loss", "metric", "optimizer", "schedule",
        "dtype_policy", "layer"])
def test_round_trip_rebuilds_the_same_config(make):
    obj = make()
    clone = round_trip(obj)
    assert type(clone) is type(obj) and clone is not obj
    assert clone.get_config() == obj.get_config()


def test_round_trip_of_an_optimizer_with_a_schedule():
    optimizer = keras.optimizers.SGD(learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))
    clone = round_trip(optimizer)
    assert isinstance(clone.learning_rate if not callable(clone._learning_rate) else clone._learning_rate,
                      keras.optimizers.schedules.ExponentialDecay)


def test_round_trip_of_functions():
    assert round_trip(keras.activations.gelu) is keras.activations.gelu
    assert round_trip(keras.losses.mean_squared_error) is keras.losses.mean_squared_error

    @keras.saving.register_keras_serializable(package="SerTests")
    def halve(x):
        return x / 2

    assert round_trip(halve) is halve
    assert keras.activations.deserialize(keras.activations.serialize(halve)) is halve


def test_package_get_and_deserialize_go_through_the_one_serializer():
    assert isinstance(keras.initializers.get("he_uniform"), keras.initializers.HeUniform)
    assert isinstance(keras.regularizers.get({"class_name": "L2", "config": {"l2": 0.5}}), keras.regularizers.L2)
    assert isinstance(keras.constraints.get("non_neg"), keras.constraints.NonNeg)
    assert keras.losses.get("mse") is keras.losses.mean_squared_error
    assert isinstance(keras.losses.get("Huber"), keras.losses.Huber)
    assert isinstance(keras.metrics.deserialize(keras.metrics.serialize(keras.metrics.AUC(name="a"))),
                      keras.metrics.AUC)
    assert isinstance(keras.optimizers.get("RMSprop"), keras.optimizers.RMSprop)
    assert isinstance(keras.optimizers.deserialize({"class_name": "adam", "config": {}}), keras.optimizers.Adam)


def test_values_keep_their_marker_forms():
    values = [slice(1, None, 2), Ellipsis, b"ab", np.arange(3, dtype="int32"), torch.ones(2)]
    written = json.loads(json.dumps(keras.saving.serialize_keras_object(values)))
    assert [entry["class_name"] for entry in written] == ["__slice__", "__ellipsis__", "__bytes__", "__numpy__",
                                                          "__tensor__"]
    revived = keras.saving.deserialize_keras_object(written)
    assert revived[:3] == [slice(1, None, 2), Ellipsis, b"ab"]
    np.testing.assert_array_equal(revived[3], np.arange(3))
    torch.testing.assert_close(revived[4], torch.ones(2))


# ---- errors and safe mode ----------------------------------------------------------------------------------------

def test_unknown_class_lists_the_closest_kerastorch_classes_and_how_to_pass_it():
    with pytest.raises(ValueError) as error:
        keras.saving.deserialize_keras_object({"module": "keras.layers", "class_name": "Dens", "config": {}})
    message = str(error.value)
    assert "'Dens'" in message and "Dense" in message and "custom_objects" in message


def test_unknown_name_lists_the_valid_names_closest_first():
    with pytest.raises(ValueError, match="Unknown initializer: 'glorot_unifrom'. Valid initializer names, "
                                         "closest first: glorot_uniform"):
        keras.initializers.get("glorot_unifrom")


def test_a_lambda_is_refused_in_safe_mode_and_revived_without_it():
    written = json.loads(json.dumps(keras.saving.serialize_keras_object(keras.layers.Lambda(lambda x: x + 1))))
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.saving.deserialize_keras_object(written)
    layer = keras.saving.deserialize_keras_object(written, safe_mode=False)
    torch.testing.assert_close(layer(torch.zeros(2)), torch.ones(2))


# ---- custom objects through model.save / load_model ----------------------------------------------------------

@keras.saving.register_keras_serializable(package="SerTests")
class ScaledDense(keras.layers.Dense):
    def __init__(self, units, scale=2.0, **kwargs):
        super().__init__(units, **kwargs)
        self.scale = scale

    def call(self, inputs):
        return self.scale * super().call(inputs)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package="SerTests")
class MeanFourthError(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return torch.mean((y_true - y_pred) ** 4, dim=-1)


@keras.saving.register_keras_serializable(package="SerTests")
class MaxAbsError(keras.metrics.Metric):
    def __init__(self, name="max_abs_error", **kwargs):
        super().__init__(name=name, **kwargs)
        self.largest = self.add_variable(shape=(), initializer="zeros", name="largest")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.largest.assign(torch.maximum(self.largest, torch.max(torch.abs(y_true - y_pred))))

    def result(self):
        return self.largest


def test_registered_layer_loss_and_metric_round_trip_through_a_keras_file(tmp_path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, ScaledDense(2, scale=3.0)(inputs))
    model.compile(optimizer="sgd", loss=MeanFourthError(), metrics=[MaxAbsError()])
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "custom.keras")
    loaded = keras.models.load_model(tmp_path / "custom.keras")
    assert isinstance(loaded.layers[-1], ScaledDense) and loaded.layers[-1].scale == 3.0
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(loaded)))
    assert config["compile_config"]["loss"]["registered_name"] == "SerTests>MeanFourthError"
    assert config["compile_config"]["metrics"][0]["registered_name"] == "SerTests>MaxAbsError"


# ---- names after clear_session (one of issue 11's bugs) ------------------------------------------------------------

class Custom(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return y_pred


def test_loss_names_restart_after_clear_session_as_in_keras():
    Custom(), Custom()   # names taken in an earlier "session"
    keras.backend.clear_session()
    assert [Custom().name, Custom().name, keras.losses.Loss().name] == GOLDEN["custom_loss_names"]


def test_builtin_names_match_keras_after_clear_session():
    def names():
        keras.backend.clear_session()
        made = [keras.losses.MeanSquaredError(), keras.losses.MeanSquaredError(), keras.losses.Huber(),
                keras.losses.KLDivergence(), keras.metrics.Mean(), keras.metrics.Mean(), keras.metrics.Sum(),
                keras.optimizers.Adam(), keras.layers.Dense(1), keras.layers.Dense(1)]
        return [obj.name for obj in made]

    assert names() == GOLDEN["names_first_session"]
    assert names() == GOLDEN["names_after_clear_session"]


# ---- the layering ------------------------------------------------------------------------------------------------

def _imported_modules(path):
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("kerastorch")}


def test_the_serializer_and_the_registry_are_leaves():
    allowed = {"kerastorch", "kerastorch.backend", "kerastorch.registry", "kerastorch._lookup",
               "kerastorch._lookup.closest_first", "kerastorch._lookup.unknown_name_error",
               "kerastorch.dtype_policies", "kerastorch.dtype_policies.DTypePolicy", "kerastorch.keras_tensor",
               "kerastorch.keras_tensor.KerasTensor", "kerastorch.global_state",
               "kerastorch.global_state.to_snake_case"}
    package = ROOT / "kerastorch"
    assert _imported_modules(package / "saving" / "serialization.py") <= allowed
    assert _imported_modules(package / "registry.py") <= allowed


def test_layers_never_import_models_or_saving():
    for path in sorted((ROOT / "kerastorch" / "layers").rglob("*.py")):
        imported = _imported_modules(path)
        # The leaf serializer (basics tier) is the exception: layers holding layers (RNN's cell) use it.
        assert not {m for m in imported if m.startswith(("kerastorch.models", "kerastorch.saving"))
                    and not m.startswith("kerastorch.saving.serialization")}, path
