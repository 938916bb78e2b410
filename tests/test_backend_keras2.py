"""Keras 2's backend (kerastorch.backend_keras2 through kerastorch.backend): K.function, K.gradients and the K.*
functions, against tf_keras 2.21 (tests/golden/backend/, from tools/golden_keras2_backend.py)."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from golden_loader import golden_npz
from keras2_filter_case import SCRIPT, WEIGHTS_SEED, kept

import kerastorch as keras
from kerastorch import backend as K

ROOT = SCRIPT.parent.parent.parent


@pytest.fixture(scope="module")
def filter_program_results(tmp_path_factory):
    """The Keras 2 filter-visualization program run unmodified by `kerastorch run`, with the seeded VGG16
    weights in a Keras 2 HDF5 file."""
    sys.path.insert(0, str(ROOT / "tests" / "applications"))
    from vgg_shared import seeded_weights, write_keras2_weights
    work = tmp_path_factory.mktemp("keras2-filters")
    model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
    model.set_weights(seeded_weights(model, WEIGHTS_SEED))
    write_keras2_weights(model, work / "vgg16_seeded.h5")
    env = dict(os.environ, KERASTORCH_DEVICE="cpu",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-m", "kerastorch", "run", str(SCRIPT), str(work / "vgg16_seeded.h5"),
                             str(work / "results.npz")], capture_output=True, text=True, env=env, cwd=work,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    with np.load(work / "results.npz") as results:
        return kept(dict(results)), result.stdout


GOLDEN = golden_npz("backend/filter_visualization.npz")


@pytest.mark.slow
def test_filter_visualization_losses_are_keras2s(filter_program_results):
    results, stdout = filter_program_results
    assert "Filter 7 processed" in stdout
    np.testing.assert_allclose(results["losses"], GOLDEN["losses"], rtol=1e-4)


@pytest.mark.slow
def test_filter_visualization_images_after_gradient_ascent_are_keras2s(filter_program_results):
    images, expected = filter_program_results[0]["images"], GOLDEN["images"]
    np.testing.assert_allclose(images[0], expected[0], rtol=1e-5, atol=1e-3)
    # Filter 7 of block5_conv1 is nearly dead on these weights: its gradient, normalized to unit RMS at each step,
    # comes from a few active positions, and the rounding of the machine's convolution backward (which differs
    # between CPUs with the same torch) moves some pixels by up to one step over the four steps. The losses of
    # the same run match to 1e-4 (the test above).
    np.testing.assert_allclose(images[1], expected[1], rtol=0, atol=1.0)
    # The tile truncates filter 0's image to uint8: a pixel whose value lies within rounding of an integer may
    # land on either side, so a rare pixel may differ by one level.
    tile_difference = np.abs(filter_program_results[0]["tile"].astype(int) - GOLDEN["tile"].astype(int))
    assert tile_difference.max() <= 1 and (tile_difference > 0).mean() < 1e-3


@pytest.mark.slow
def test_k_function_extracts_an_intermediate_layers_features_as_keras2(filter_program_results):
    results = filter_program_results[0]
    np.testing.assert_allclose(results["features"], GOLDEN["features"], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(results["block4"], GOLDEN["block4"], rtol=1e-4, atol=1e-3)


@pytest.mark.slow
def test_k_function_from_an_intermediate_tensor_as_keras2(filter_program_results):
    np.testing.assert_allclose(filter_program_results[0]["block5"], GOLDEN["block5"], rtol=1e-4, atol=1e-3)


# ---- K.function and K.gradients on a small model -----------------------------------------------------------------

def small_model():
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, activation="tanh", name="hidden")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, name="out")(hidden))


def test_k_gradients_with_respect_to_the_input_match_autograd():
    model = small_model()
    loss = K.sum(K.square(model.output))
    grads = K.gradients(loss, model.input)
    assert isinstance(grads, list) and grads[0].shape == (None, 4)
    x = np.random.RandomState(0).normal(size=(5, 4)).astype("float32")
    loss_value, grad_value = K.function([model.input], [loss, grads[0]])([x])
    tensor = torch.tensor(x, requires_grad=True)
    expected = model(tensor).square().sum()
    (expected_grad,) = torch.autograd.grad(expected, tensor)
    np.testing.assert_allclose(loss_value, expected.item(), rtol=1e-6)
    np.testing.assert_allclose(grad_value, expected_grad.numpy(), rtol=1e-5, atol=1e-7)


def test_k_gradients_with_respect_to_weights_and_an_intermediate_tensor():
    model = small_model()
    hidden = model.get_layer("hidden").output
    loss = K.mean(model.output)
    kernel = model.get_layer("out").kernel
    grad_kernel, grad_hidden = K.gradients(loss, [kernel, hidden])
    x = np.ones((2, 4), "float32")
    kernel_value, hidden_value = K.function(model.input, [grad_kernel, grad_hidden])(x)
    h = model.get_layer("hidden")(torch.ones(2, 4)).detach()
    np.testing.assert_allclose(kernel_value, (h.sum(0, keepdim=True).T / 4).expand(3, 2).numpy(), rtol=1e-5)
    np.testing.assert_allclose(hidden_value, np.tile(kernel.detach().numpy().sum(1) / 4, (2, 1)), rtol=1e-5)


def test_k_function_returns_numpy_and_needs_no_gradients_for_plain_outputs():
    model = small_model()
    f = K.function([model.input], [model.output])
    out = f([np.zeros((3, 4))])
    assert isinstance(out, list) and isinstance(out[0], np.ndarray) and out[0].shape == (3, 2)


def test_k_function_refuses_the_wrong_number_of_inputs():
    model = small_model()
    with pytest.raises(ValueError, match="1 input"):
        K.function([model.input], [model.output])([np.zeros((1, 4)), np.zeros((1, 4))])


def test_k_gradients_of_a_real_tensor_is_refused_with_advice():
    with pytest.raises(ValueError, match="symbolic loss"):
        K.gradients(torch.ones(()), [torch.ones(2)])


# ---- the K.* functions against tf_keras (tests/golden/backend/functions.json) ------------------------------------

from golden_loader import golden_json  # noqa: E402
from keras2_backend_cases import CASES, evaluate  # noqa: E402

FUNCTIONS = golden_json("backend/functions.json")["cases"]
# Keras 2 on TensorFlow keeps int64 where torch's Keras narrows to int32 (argmax) and the reverse; the values are
# compared, and dtypes where both libraries name the same kind.
_KIND = {"float32": "f", "float64": "f", "float16": "f", "int32": "i", "int64": "i", "bool": "b"}


@pytest.mark.parametrize("expression", [c for c in CASES if not str(FUNCTIONS[c][0]).startswith("<error")])
def test_k_function_gives_keras2s_value(expression):
    expected, expected_dtype = FUNCTIONS[expression]
    value, dtype = evaluate(K, expression, torch.as_tensor,
                            lambda v: v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v))
    if expected_dtype is None:
        assert value == (tuple(expected) if isinstance(expected, list) else expected)
        return
    assert _KIND.get(dtype) == _KIND.get(expected_dtype), f"{dtype} vs Keras 2's {expected_dtype}"
    np.testing.assert_allclose(np.asarray(value, "float64"), np.asarray(expected, "float64"), rtol=1e-5, atol=1e-6)


def test_k_functions_work_on_keras_tensors():
    inputs = keras.Input((4,))
    loss = K.mean(K.square(K.relu(inputs) - 1.0), axis=-1)
    assert loss.shape == (None,)
    f = K.function([inputs], [loss, K.l2_normalize(inputs, axis=1)])
    x = np.arange(8, dtype="float32").reshape(2, 4)
    values = f([x])
    np.testing.assert_allclose(values[0], ((np.maximum(x, 0) - 1) ** 2).mean(-1), rtol=1e-6)


def test_k_variables_and_values_round_trip():
    v = K.variable(np.ones((2, 2)))
    K.set_value(v, np.full((2, 2), 3.0))
    assert K.get_value(v).tolist() == [[3.0, 3.0], [3.0, 3.0]] and K.dtype(v) == "float32"
    K.batch_set_value([(v, np.zeros((2, 2)))])
    assert K.batch_get_value([v])[0].sum() == 0
    with pytest.raises(ValueError, match="shape"):
        K.set_value(v, np.zeros(3))


def test_k_placeholder_and_learning_phase():
    x = K.placeholder(shape=(None, 3))
    assert K.is_keras_tensor(x) and K.int_shape(x) == (None, 3)
    assert K.learning_phase() == 0
    assert K.function([x], [K.sum(x, axis=1)])([np.ones((2, 3))])[0].tolist() == [3.0, 3.0]


def test_every_keras2_name_of_the_backend_resolves_and_others_say_not_provided():
    import kerastorch.backend_keras2 as keras2
    assert all(getattr(K, name) is getattr(keras2, name) for name in K.KERAS2_FUNCTIONS)
    with pytest.raises(AttributeError, match="not provided by kerastorch"):
        K.conv3d_transpose
