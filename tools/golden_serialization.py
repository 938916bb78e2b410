"""Write tests/golden/saving/serialization.json from real Keras 3 (KERAS_BACKEND=torch).

Records what the serializer's tests compare against: the automatic names of losses (and of metrics, optimizers
and layers, which share the counters) before and after ``keras.backend.clear_session()``, how nested
``custom_object_scope``s see their objects, and Keras's serialized form of one object of each kind.

Run: KERAS_BACKEND=torch /work/kvenv/bin/python tools/golden_serialization.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "saving", "serialization.json")


def names():
    """Names of objects created in a fixed order, in a fresh session."""
    keras.backend.clear_session()
    made = [keras.losses.MeanSquaredError(), keras.losses.MeanSquaredError(), keras.losses.Huber(),
            keras.losses.KLDivergence(), 
            keras.metrics.Mean(), keras.metrics.Mean(), keras.metrics.Sum(),
            keras.optimizers.Adam(), keras.layers.Dense(1), keras.layers.Dense(1)]
    return [obj.name for obj in made]


class Custom(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return y_pred


def custom_names():
    keras.backend.clear_session()
    return [Custom().name, Custom().name, keras.losses.Loss().name]


def scope_nesting():
    outer, inner = object(), object()
    out = {}
    with keras.saving.custom_object_scope({"outer": outer}):
        out["outer_in_outer"] = keras.saving.get_registered_object("outer") is outer
        with keras.saving.custom_object_scope({"inner": inner}):
            out["outer_in_inner"] = keras.saving.get_registered_object("outer") is outer
            out["inner_in_inner"] = keras.saving.get_registered_object("inner") is inner
        out["inner_after_inner"] = keras.saving.get_registered_object("inner") is inner
        out["outer_after_inner"] = keras.saving.get_registered_object("outer") is outer
    out["outer_after_outer"] = keras.saving.get_registered_object("outer") is outer
    return out


def serialized():
    s = keras.saving.serialize_keras_object
    return {
        "initializer": s(keras.initializers.GlorotUniform(seed=1)),
        "regularizer": s(keras.regularizers.L2(0.1)),
        "constraint": s(keras.constraints.MaxNorm(2.0)),
        "activation_builtin": s(keras.activations.relu),
        "loss_function": s(keras.losses.mean_squared_error),
        "loss": s(keras.losses.Huber(delta=2.0, name="h")),
        "metric": s(keras.metrics.Mean(name="m")),
        "optimizer": s(keras.optimizers.SGD(learning_rate=0.5)),
        "schedule": s(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)),
        "dtype_policy": s(keras.DTypePolicy("float32")),
    }


def main():
    first = names()
    second = names()
    fixture = {"keras_version": keras.__version__, "names_first_session": first,
               "names_after_clear_session": second, "custom_loss_names": custom_names(),
               "scope_nesting": scope_nesting(), "serialized": serialized()}
    with open(OUT, "w") as file:
        json.dump(fixture, file, indent=1, sort_keys=True)
    print(json.dumps(fixture, indent=1)[:3000])


if __name__ == "__main__":
    main()
