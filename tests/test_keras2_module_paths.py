"""Keras 2's import paths on kerastorch (``keras.layers.merge``, ``keras.utils.generic_utils``, ``keras.engine``,
...): each gives kerastorch's objects, warns once naming the Keras 3 spelling, and a name none of them has is
reported with the one missing-name text, by attribute, by ``from ... import`` and as a module."""
import importlib
import textwrap
import warnings

import numpy as np
import pytest

import kerastorch
from kerastorch import _porting, initializers, layers, models, optimizers, utils

# Keras 2 module -> {name: the kerastorch object it must be}.
PATHS = {
    "keras.layers.merge": {"add": layers.add, "concatenate": layers.concatenate, "multiply": layers.multiply,
                           "average": layers.average, "maximum": layers.maximum, "minimum": layers.minimum,
                           "subtract": layers.subtract, "dot": layers.dot, "Concatenate": layers.Concatenate},
    "keras.layers.recurrent": {"LSTM": layers.LSTM, "GRU": layers.GRU, "SimpleRNN": layers.SimpleRNN},
    "keras.layers.embeddings": {"Embedding": layers.Embedding},
    "keras.layers.wrappers": {"TimeDistributed": layers.TimeDistributed, "Bidirectional": layers.Bidirectional},
    "keras.layers.advanced_activations": {"LeakyReLU": layers.LeakyReLU, "PReLU": layers.PReLU, "ELU": layers.ELU,
                                          "Softmax": layers.Softmax, "ReLU": layers.ReLU},
    "keras.layers.convolutional_recurrent": {"ConvLSTM2D": layers.ConvLSTM2D},
    "keras.layers.noise": {"GaussianNoise": layers.GaussianNoise, "GaussianDropout": layers.GaussianDropout,
                           "AlphaDropout": layers.AlphaDropout},
    "keras.layers.cudnn_recurrent": {"CuDNNLSTM": layers.CuDNNLSTM, "CuDNNGRU": layers.CuDNNGRU},
    "keras.layers.core": {"Dense": layers.Dense, "Activation": layers.Activation, "Dropout": layers.Dropout,
                          "Flatten": layers.Flatten, "Reshape": layers.Reshape, "Permute": layers.Permute,
                          "RepeatVector": layers.RepeatVector, "Lambda": layers.Lambda, "Masking": layers.Masking,
                          "SpatialDropout1D": layers.SpatialDropout1D,
                          "ActivityRegularization": layers.ActivityRegularization},
    "keras.layers.convolutional": {"Conv2D": layers.Conv2D, "Convolution2D": layers.Conv2D,
                                   "MaxPooling2D": layers.MaxPooling2D, "UpSampling2D": layers.UpSampling2D,
                                   "ZeroPadding2D": layers.ZeroPadding2D, "Conv2DTranspose": layers.Conv2DTranspose},
    "keras.layers.pooling": {"MaxPooling1D": layers.MaxPooling1D,
                             "GlobalAveragePooling2D": layers.GlobalAveragePooling2D},
    "keras.layers.normalization": {"BatchNormalization": layers.BatchNormalization},
    "keras.utils.data_utils": {"get_file": utils.get_file, "Sequence": utils.Sequence},
    "keras.utils.generic_utils": {"Progbar": utils.Progbar, "CustomObjectScope": utils.CustomObjectScope,
                                  "custom_object_scope": utils.custom_object_scope,
                                  "get_custom_objects": utils.get_custom_objects,
                                  "serialize_keras_object": utils.serialize_keras_object,
                                  "deserialize_keras_object": utils.deserialize_keras_object},
    "keras.utils.np_utils": {"to_categorical": utils.to_categorical, "normalize": utils.normalize},
    "keras.utils.layer_utils": {"get_source_inputs": utils.get_source_inputs, "print_summary": utils.print_summary},
    "keras.engine": {"Input": kerastorch.Input, "Layer": kerastorch.Layer, "InputSpec": kerastorch.InputSpec,
                     "Model": kerastorch.Model, "Sequential": kerastorch.Sequential},
    "keras.engine.topology": {"Input": kerastorch.Input, "Layer": kerastorch.Layer, "InputSpec": kerastorch.InputSpec,
                              "get_source_inputs": utils.get_source_inputs, "Model": kerastorch.Model},
    "keras.engine.training": {"Model": kerastorch.Model},
    "keras.engine.sequential": {"Sequential": kerastorch.Sequential},
    "keras.engine.input_layer": {"Input": kerastorch.Input, "InputLayer": layers.InputLayer},
    "keras.engine.base_layer": {"Layer": kerastorch.Layer, "InputSpec": kerastorch.InputSpec},
    "keras.models": {"Sequential": kerastorch.Sequential, "Model": kerastorch.Model,
                     "load_model": models.load_model, "model_from_json": models.model_from_json},
    "keras.optimizers.legacy": {"Adam": optimizers.Adam, "SGD": optimizers.SGD, "RMSprop": optimizers.RMSprop},
}

# The alias modules (Keras 2 only paths) and the Keras 3 spelling their warning names.
WARNING_PATHS = {
    "keras.layers.merge": "`keras.layers`", "keras.layers.embeddings": "`keras.layers`",
    "keras.layers.advanced_activations": "`keras.layers`", "keras.layers.convolutional_recurrent": "`keras.layers`",
    "keras.layers.noise": "`keras.layers`", "keras.layers.local": "`keras.layers`",
    "keras.layers.cudnn_recurrent": "`keras.layers.LSTM`", "keras.utils.data_utils": "`keras.utils`",
    "keras.utils.generic_utils": "`keras.utils`", "keras.utils.vis_utils": "`keras.utils`",
    "keras.utils.np_utils": "`keras.utils`", "keras.engine": "`keras.Model`",
    "keras.optimizers.legacy": "`keras.optimizers`",
}


@pytest.fixture
def keras_hook():
    """The import hook for one test, removed with every module it gave out."""
    _porting.install()
    yield
    _porting.uninstall()


@pytest.mark.parametrize("path", sorted(PATHS))
def test_keras_2_path_gives_kerastorch_objects(keras_hook, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module(path)
    for name, expected in PATHS[path].items():
        assert getattr(module, name) is expected, f"{path}.{name}"


def test_each_alias_warns_once_with_the_keras_3_spelling(kerastorch_runner, tmp_path):
    # The runner silences warnings; the program first restores Python's default filters, under which a
    # DeprecationWarning shows only when it is attributed to __main__.
    lines = ["import warnings", "warnings.resetwarnings()", "warnings.simplefilter('ignore', DeprecationWarning)",
             "warnings.filterwarnings('default', category=DeprecationWarning, module='__main__')"]
    lines += [f"import {path}" for path in sorted(WARNING_PATHS)]
    lines += [f"import {path}  # again" for path in sorted(WARNING_PATHS)]
    lines += ["import keras.engine.topology", "from keras.layers.merge import concatenate",
              "import keras, numpy as np",
              "keras.optimizers.adam(lr=0.1); keras.optimizers.adam(lr=0.2)",
              "keras.initializers.normal(stddev=0.1); keras.initializers.normal()"]
    script = tmp_path / "keras2_imports.py"
    script.write_text("\n".join(lines) + "\n")
    result = kerastorch_runner.run(script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "DeprecationWarning" in line]
    for path, spelling in WARNING_PATHS.items():
        mine = [line for line in warned if f"`{path}` is deprecated: use {spelling}" in line]
        assert len(mine) == 1, (path, warned)
        assert mine[0].startswith(f"{script}:"), mine[0]   # attributed to the program's own line
    assert sum("`keras.optimizers.adam` is deprecated: use `keras.optimizers.Adam`" in line for line in warned) == 1
    assert sum("`keras.initializers.normal` is deprecated: use `keras.initializers.RandomNormal`" in line
               for line in warned) == 1
    assert len(warned) == len(WARNING_PATHS) + 3   # the two functions above and `lr`


# ---- one text for a missing name --------------------------------------------------------------------------

def test_missing_layer_in_a_keras_2_module_is_named_by_attribute(keras_hook):
    import keras.layers.local
    with pytest.raises(AttributeError, match=r"^keras\.layers\.local\.LocallyConnected2D is not provided by "
                                             r"kerastorch \(yet\)$"):
        keras.layers.local.LocallyConnected2D  # noqa: B018


def test_missing_layer_in_a_keras_2_module_is_named_by_from_import(keras_hook):
    with pytest.raises(ImportError, match=r"keras\.layers\.local\.LocallyConnected1D is not provided by kerastorch "
                                          r"\(yet\)"):
        from keras.layers.local import LocallyConnected1D  # noqa: F401


def test_missing_module_and_missing_attribute_share_the_text(keras_hook):
    import keras
    with pytest.raises(ModuleNotFoundError) as as_module:
        import keras.layers.no_such_module  # noqa: F401
    with pytest.raises(AttributeError) as as_attribute:
        keras.layers.no_such_module  # noqa: B018
    assert str(as_module.value) == str(as_attribute.value) == \
        "keras.layers.no_such_module is not provided by kerastorch (yet)"


def test_vis_utils_plot_model_is_keras_utils_plot_model(keras_hook, monkeypatch):
    from kerastorch.utils import vis_utils

    def plot_model(model, to_file="model.png"):
        return to_file

    monkeypatch.setattr(utils, "plot_model", plot_model, raising=False)
    assert vis_utils.plot_model is plot_model
    monkeypatch.delattr(utils, "plot_model")
    with pytest.raises(AttributeError, match=r"^keras\.utils\.vis_utils\.plot_model is not provided by kerastorch"):
        vis_utils.plot_model  # noqa: B018


# ---- the Keras 2 functions of these modules ---------------------------------------------------------------

@pytest.mark.parametrize("name, cls", [("normal", initializers.RandomNormal), ("uniform", initializers.RandomUniform),
                                       ("zero", initializers.Zeros), ("one", initializers.Ones)])
def test_keras_2_initializer_function_builds_the_initializer(name, cls):
    with pytest.warns(DeprecationWarning, match=f"`keras.initializers.{name}` is deprecated"):
        initializer = getattr(initializers, name)()
    assert type(initializer) is cls


def test_keras_2_initializer_function_takes_the_class_arguments():
    values = initializers.normal(mean=3.0, stddev=0.0)((2, 2))
    np.testing.assert_array_equal(np.asarray(values), np.full((2, 2), 3.0))


@pytest.mark.parametrize("name", ["normal", "uniform", "zero", "one", "glorot_normal", "he_uniform"])
def test_keras_2_initializer_names_resolve_as_strings(name):
    layer = layers.Dense(2, kernel_initializer=name)
    layer.build((None, 3))
    assert tuple(layer.kernel.shape) == (3, 2)


def test_generic_utils_to_list():
    from kerastorch.utils.generic_utils import to_list, unpack_singleton
    assert to_list(1) == [1] and to_list([1, 2]) == [1, 2] and to_list((1, 2)) == [(1, 2)]
    assert to_list((1, 2), allow_tuple=True) == [1, 2]
    assert unpack_singleton([5]) == 5 and unpack_singleton([5, 6]) == [5, 6]


def test_layer_utils_count_params_counts_each_weight_once():
    from kerastorch.utils.layer_utils import count_params
    layer = layers.Dense(3)
    layer.build((None, 4))
    assert count_params(layer.weights + layer.weights) == 15


def test_print_summary_prints_the_model_summary():
    model = kerastorch.Sequential([kerastorch.Input((3,)), layers.Dense(2)])
    printed, expected = [], []
    utils.print_summary(model, print_fn=printed.append)
    model.summary(print_fn=expected.append)
    assert printed == expected and any("Total params: 8" in line for line in printed)


def test_model_from_config_rebuilds_the_model():
    model = kerastorch.Sequential([kerastorch.Input((3,)), layers.Dense(2, name="out")])
    config = {"class_name": "Sequential", "config": model.get_config()}
    with pytest.warns(DeprecationWarning, match="`keras.models.model_from_config` is deprecated"):
        restored = models.model_from_config(config)
    assert [layer.name for layer in restored.layers] == ["out"] and restored.output_shape == (None, 2)


def test_missing_models_name_is_named_by_from_import(keras_hook):
    with pytest.raises(ImportError, match=r"keras\.models\.model_from_yaml is not provided by kerastorch \(yet\)"):
        from keras.models import model_from_yaml  # noqa: F401


@pytest.mark.parametrize("path", ["keras.layers", "keras.layers.convolutional"])
@pytest.mark.parametrize("old, new", [("Deconvolution2D", "Conv2DTranspose"), ("Deconv3D", "Conv3DTranspose")])
def test_keras_2_deconvolution_names_warn_and_give_the_transposed_convolution(keras_hook, path, old, new):
    module = importlib.import_module(path)
    with pytest.warns(DeprecationWarning, match=f"`{path}.{old}` is deprecated: use `{path}.{new}`"):
        assert getattr(module, old) is getattr(layers, new)


@pytest.mark.parametrize("path", ["keras.layers.core", "keras.layers.convolutional", "keras.layers.pooling",
                                  "keras.layers.normalization", "keras.layers.recurrent", "keras.activations",
                                  "keras.initializers", "keras.losses", "keras.regularizers", "keras.constraints",
                                  "keras.utils.layer_utils"])
def test_every_keras_2_path_names_a_missing_name_the_same_way(keras_hook, path):
    module = importlib.import_module(path)
    with pytest.raises(AttributeError, match=f"^{path}.NoSuchName is not provided by kerastorch \\(yet\\)$"):
        module.NoSuchName  # noqa: B018
