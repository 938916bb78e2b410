"""Record Keras 3's `summary()` text for small models, for tests/models/test_summary.py.

Run by hand with Keras installed:  KERAS_BACKEND=torch COLUMNS=80 python tools/golden_summaries.py
Each case is a snippet that builds `model` from a module bound to the name `keras`; the test runs the same
snippet with kerastorch bound to that name and compares the printed text.
"""
import contextlib
import io
import json
import os
import pathlib
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ["COLUMNS"] = "80"

import keras  # noqa: E402

CASES = {
    "s01_sequential": """
model = keras.Sequential([
    keras.layers.Dense(5, input_shape=(3,), activation='relu'),
    keras.layers.Dense(2, activation='softmax'),
])
""",
    "s02_two_models": """
first = keras.Sequential([keras.layers.Dense(units=5, input_shape=(3,), activation='relu')])
model = keras.Sequential()
model.add(keras.layers.Dense(units=5, input_shape=(3,)))
model.add(keras.layers.Activation('relu'))
""",
    "s09_rank3": """
model = keras.Sequential([
    keras.layers.Dense(16, input_shape=(1, 5), activation='relu'),
    keras.layers.Dense(32, activation='relu', kernel_initializer='glorot_uniform'),
    keras.layers.Dense(2, activation='softmax'),
])
""",
    "input_first": """
model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(256, activation='relu'),
                          keras.layers.Dropout(0.2), keras.layers.Dense(128, activation='relu'),
                          keras.layers.Dense(10, activation='softmax')], name='mlp')
""",
    "reshape_flatten": """
model = keras.Sequential([keras.Input((6, 4)), keras.layers.Reshape((4, 6)), keras.layers.Flatten(),
                          keras.layers.Dense(3), keras.layers.Activation('softmax')])
""",
    "nested_sequential": """
inner = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, name='inner_dense')], name='inner')
model = keras.Sequential([keras.Input((8,)), inner, keras.layers.Dense(2)])
""",
    "built_later": """
model = keras.Sequential([keras.layers.Dense(7), keras.layers.Dense(3)])
model.build((None, 12))
""",
    "frozen_layer": """
model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, name='frozen'), keras.layers.Dense(2)])
model.get_layer('frozen').trainable = False
""",
    "long_names_wrap": """
model = keras.Sequential([keras.Input((5,)),
                          keras.layers.Dense(4, name='a_rather_long_layer_name_that_wraps'),
                          keras.layers.Dense(2, name='short')])
""",
    "functional_chain": """
inputs = keras.Input((10,), name='features')
x = keras.layers.Dense(6, activation='relu')(inputs)
outputs = keras.layers.Dense(1)(x)
model = keras.Model(inputs, outputs, name='chain')
""",
    "line_length_60": """
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
SUMMARY_KWARGS = {'line_length': 60}
""",
}


def summary_text(source):
    keras.backend.clear_session()
    scope = {"keras": keras}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(source, scope)
    lines = []
    scope["model"].summary(print_fn=lambda text, line_break=True: lines.append(text),
                           **scope.get("SUMMARY_KWARGS", {}))
    return "\n".join(lines)


def main():
    cases = {name: {"source": source.strip() + "\n", "summary": summary_text(source)}
             for name, source in CASES.items()}
    out = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "models" / "summaries.json"
    out.write_text(json.dumps({"keras_version": keras.__version__, "cases": cases}, indent=1) + "\n")
    print(f"wrote {out} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
