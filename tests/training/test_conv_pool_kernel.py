"""The fused first-convolution + 2x2 max-pooling CPU kernel (layers/_conv_pool_kernel.py): torch's values and
gradient routing, used by the trainer's execution plan where it applies (never by a plain call), the torch path
wherever it does not, and its build: cached, and a failed one remembered and warned about once."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kerastorch as keras
from kerastorch.layers import _conv_pool_kernel as kernel_module
from kerastorch.training import trainer as trainer_module
from kerastorch.training.execution_plan import plan_for
from golden_loader import golden_npz

L = keras.layers
needs_kernel = pytest.mark.skipif(kernel_module.library() is None, reason="no C compiler to build the kernel")


def _autograd_names(tensor):
    """The names of the autograd nodes that made ``tensor``."""
    names, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node.name() not in names:
            names.add(node.name())
            stack.extend(next_node for next_node, _ in node.next_functions)
    return names


def _unfused(x, kernel, bias):
    conv = F.conv2d(x.permute(0, 3, 1, 2), kernel.permute(3, 2, 0, 1), bias)
    return F.max_pool2d(conv, 2).permute(0, 2, 3, 1)


@needs_kernel
@pytest.mark.parametrize("n, h, w, ci, co, k", [(4, 28, 28, 1, 32, 3), (3, 9, 10, 3, 48, 3), (2, 12, 11, 2, 16, 5)])
def test_values_and_gradients_match_convolution_then_pooling(n, h, w, ci, co, k):
    torch.manual_seed(0)
    x = torch.rand(n, h, w, ci)
    kernel = (torch.randn(k, k, ci, co) * 0.3).requires_grad_()
    bias = torch.randn(co).requires_grad_()
    expected, fused = _unfused(x, kernel, bias), kernel_module.conv_pool(x, kernel, bias)
    torch.testing.assert_close(fused, expected, rtol=1e-5, atol=1e-5)
    grad = torch.randn_like(expected)
    for a, b in zip(torch.autograd.grad(fused, (kernel, bias), grad),
                    torch.autograd.grad(expected, (kernel, bias), grad)):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


@needs_kernel
def test_ties_go_to_the_first_position_and_nans_win_as_in_torch():
    x = torch.ones(2, 6, 6, 1)          # every window's four outputs are equal
    x[1, 2, 3, 0] = float("nan")        # a NaN reaches some outputs of the second image
    kernel = torch.randn(3, 3, 1, 16).requires_grad_()
    bias = torch.zeros(16, requires_grad=True)
    fused, won = kernel_module.ConvPool.apply(x, kernel, bias)
    expected, indices = F.max_pool2d(F.conv2d(x.permute(0, 3, 1, 2), kernel.permute(3, 2, 0, 1), bias), 2,
                                     return_indices=True)
    torch.testing.assert_close(fused, expected.permute(0, 2, 3, 1), equal_nan=True)
    # torch's indices are flat positions in the 4x4 convolution output; the kernel keeps 2 * row + column.
    rows, cols = indices // 4, indices % 4
    base_rows = torch.arange(2).view(1, 1, 2, 1) * 2
    base_cols = torch.arange(2).view(1, 1, 1, 2) * 2
    expected_won = ((rows - base_rows) * 2 + (cols - base_cols)).permute(0, 2, 3, 1)
    assert torch.equal(won.long(), expected_won)
    assert (won[0] == 0).all()


def _first_step(model):
    return plan_for(model).sequential_steps(model)[0]


def _stem_model(filters=32):
    keras.utils.set_random_seed(3)
    return keras.Sequential([L.Input((12, 12, 1)), L.Conv2D(filters, 3, activation="relu"), L.MaxPooling2D(2),
                             L.Flatten(), L.Dense(3, activation="softmax")])


@needs_kernel
def test_sequential_runs_the_kernel_once_the_convolution_has_checked_its_input():
    model = _stem_model()
    x = torch.rand(4, 12, 12, 1)
    step = _first_step(model)
    first = step(x)            # the convolution's own call checks the input shape
    second = step(x)
    assert "ConvPoolBackward" not in _autograd_names(first)
    assert "ConvPoolBackward" in _autograd_names(second)
    torch.testing.assert_close(first, second, rtol=1e-5, atol=1e-6)


@needs_kernel
def test_not_used_where_it_does_not_apply():
    x = torch.rand(4, 12, 12, 1)
    for model in (_stem_model(filters=24),                                               # not 16-aligned
                  keras.Sequential([L.Input((12, 12, 1)), L.Conv2D(16, 3, strides=2, activation="relu"),
                                    L.MaxPooling2D(2)]),                                  # strided
                  keras.Sequential([L.Input((12, 12, 1)), L.Conv2D(16, 3, activation="relu"),
                                    L.MaxPooling2D(3)])):                                 # 3x3 windows
        step = _first_step(model)
        step(x)
        assert "ConvPoolBackward" not in _autograd_names(step(x))
    step = _first_step(_stem_model())
    step(x)
    assert "ConvPoolBackward" not in _autograd_names(step(x.clone().requires_grad_()))  # input gradient wanted


@needs_kernel
def test_fit_with_the_kernel_matches_fit_without_it(monkeypatch):
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 12, 12, 1), dtype=np.float32), rng.integers(0, 3, 64)

    def train(use_kernel):
        model = _stem_model()
        if not use_kernel:
            monkeypatch.setattr(trainer_module, "plan_for", lambda model: None)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        return history.history["loss"], model.get_weights()

    (loss, weights), (plain_loss, plain_weights) = train(True), train(False)
    np.testing.assert_allclose(loss, plain_loss, rtol=1e-5)
    for a, b in zip(weights, plain_weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def _library_in_subprocess(tmp_path, with_stderr=False, **env):
    code = "from kerastorch.layers import _conv_pool_kernel as k; print(k.library() is not None)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "XDG_CACHE_HOME": str(tmp_path), **env})
    assert result.returncode == 0, result.stderr
    built = result.stdout.strip() == "True"
    return (built, result.stderr) if with_stderr else built


def test_turned_off_the_torch_path_runs_and_nothing_is_built(tmp_path):
    assert not _library_in_subprocess(tmp_path, KERASTORCH_NATIVE_KERNELS="0")
    assert not list(tmp_path.rglob("*"))


def test_a_failed_build_is_remembered_and_warned_about_once(tmp_path):
    # A compiler that fails and logs each time it is run.
    log = tmp_path / "calls.log"
    compiler = tmp_path / "broken-cc"
    compiler.write_text(f"#!/bin/sh\necho \"$@\" >> {log}\nexit 1\n")
    compiler.chmod(0o755)
    cache = tmp_path / "cache"
    built, stderr = _library_in_subprocess(cache, with_stderr=True, CC=str(compiler))
    assert not built and "could not build" in stderr and "RuntimeWarning" in stderr
    builds = [line for line in log.read_text().splitlines() if "-shared" in line]
    assert len(builds) == 1
    markers = list(cache.rglob("*.failed"))
    assert len(markers) == 1 and not list(cache.rglob("*.so"))   # nothing half-built was left behind
    # The next process neither tries again nor warns.
    built, stderr = _library_in_subprocess(cache, with_stderr=True, CC=str(compiler))
    assert not built and "could not build" not in stderr
    assert len([line for line in log.read_text().splitlines() if "-shared" in line]) == 1
    # Deleting the marker, as the warning says, tries again.
    markers[0].unlink()
    built, stderr = _library_in_subprocess(cache, with_stderr=True, CC=str(compiler))
    assert not built and "could not build" in stderr


def test_without_a_compiler_the_torch_path_runs_and_that_is_warned_about_once(tmp_path):
    env = {"CC": "", "PATH": str(tmp_path / "empty-bin")}   # neither $CC nor cc nor gcc
    built, stderr = _library_in_subprocess(tmp_path, with_stderr=True, **env)
    assert not built and "no C compiler found" in stderr
    built, stderr = _library_in_subprocess(tmp_path, with_stderr=True, **env)
    assert not built and "no C compiler found" not in stderr


def test_bin_false_as_compiler_runs_the_torch_path(tmp_path):
    assert not _library_in_subprocess(tmp_path, CC="/bin/false")
    assert not list(tmp_path.rglob("*.so")) and len(list(tmp_path.rglob("*.failed"))) == 1


@needs_kernel
def test_built_once_into_the_cache_and_reused(tmp_path):
    assert _library_in_subprocess(tmp_path)
    built = list(tmp_path.rglob("*.so"))
    assert len(built) == 1
    stamp = built[0].stat().st_mtime_ns
    assert _library_in_subprocess(tmp_path)
    assert built[0].stat().st_mtime_ns == stamp and len(list(tmp_path.rglob("*"))) == 3   # kerastorch/kernels/so


@needs_kernel
def test_functional_models_use_the_kernel_too_and_agree():
    keras.utils.set_random_seed(4)
    inputs = keras.Input((12, 12, 1))
    pooled = L.MaxPooling2D(2)(L.Conv2D(16, 3, activation="relu")(inputs))
    model = keras.Model(inputs, L.Dense(2)(L.Flatten()(pooled)))
    x = torch.rand(3, 12, 12, 1)
    plan = plan_for(model)
    with plan.active():
        first, fused = model(x), model(x)   # the convolution's own call checks the input shape first
    assert "ConvPoolBackward" in _autograd_names(fused) and "ConvPoolBackward" not in _autograd_names(first)
    plain = model(x)
    assert "ConvPoolBackward" not in _autograd_names(plain)
    torch.testing.assert_close(fused, plain, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(first, plain, rtol=1e-5, atol=1e-6)


GOLDEN = golden_npz("training/conv_pool_fit.npz")


def _golden_models():
    return {
        "gray": keras.Sequential([L.Input((13, 12, 1)), L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(2),
                                  L.Flatten(), L.Dense(3, activation="softmax")]),
        "rgb": keras.Sequential([L.Input((10, 10, 3)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                                 L.Conv2D(16, 2, activation="relu"), L.Flatten(), L.Dense(3, activation="softmax")]),
    }


@needs_kernel
@pytest.mark.parametrize("name", ["gray", "rgb"])
def test_two_epochs_of_fit_through_the_kernel_match_keras(name):
    model = _golden_models()[name]
    count = len(model.get_weights())
    model.set_weights([GOLDEN[f"initial{i}/{name}"] for i in range(count)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    x, y = GOLDEN[f"x/{name}"], GOLDEN[f"y/{name}"]
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    step, batch = _first_step(model), torch.from_numpy(x[:16])
    step(batch)   # after the last, partial batch, the convolution checks this shape again through its own call
    assert "ConvPoolBackward" in _autograd_names(step(batch))   # and then runs fused, as fit's second batches did
    np.testing.assert_allclose(history.history["loss"], GOLDEN[f"loss/{name}"], rtol=1e-5)
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, GOLDEN[f"final{i}/{name}"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.predict(x, verbose=0), GOLDEN[f"predict/{name}"], rtol=1e-4, atol=1e-5)
