"""keras.ops.nn against Keras 3.15 on torch (tests/golden/ops/nn.*, recorded by tools/golden_ops_nn.py): values
within 1e-6 (float32) and equal result dtypes; output shapes and dtypes on KerasTensors (batch known and None)."""
import numpy as np
import pytest
import torch

from ops_golden import call, cases, check_numbers, check_symbolic, leaves, symbolic_input

from kerastorch import ops


# Where Keras 3.15 on torch computes something else than its own definition, kerastorch follows the definition.
KERAS_TORCH_BUGS = {
    "sparsemax": "Keras's torch sparsemax takes its threshold from the sum of the cumulative sums instead of the "
                 "cumulative sum at the support's end, so its rows do not sum to 1 (its other backends do).",
}


@pytest.mark.parametrize("case", cases("nn"))
def test_nn_op_matches_keras(case):
    if case["op"] in KERAS_TORCH_BUGS:
        pytest.skip(KERAS_TORCH_BUGS[case["op"]])
    check_numbers("nn", case)


def test_sparsemax_projects_onto_the_simplex():
    x = torch.tensor([[0.5, 1.2, 1.0, -1.0, -2.0], [3.0, 0.0, 0.0, 0.0, 0.0]])
    torch.testing.assert_close(ops.sparsemax(x), torch.tensor([[0.0, 0.6, 0.4, 0.0, 0.0], [1.0, 0, 0, 0, 0]]))


# Where Keras's symbolic shape or dtype disagrees with what its own op returns on real tensors, kerastorch's
# symbolic result is the real one (checked against Keras's real outputs instead).
KERAS_SPEC_BUGS = {
    "polar": "Keras's Polar spec says float32; the op returns complex64",
    "multi_hot": "Keras's MultiHot spec says int32; the op returns floatx",
    "categorical_crossentropy_2": "Keras's spec drops the last axis whatever `axis` is",
    "adaptive_average_pool": "Keras's spec keeps the input's spatial dimensions",
    "adaptive_max_pool": "Keras's spec keeps the input's spatial dimensions",
}


def check_nn_symbolic(case, key):
    if case["op"] in KERAS_SPEC_BUGS or case["id"] in KERAS_SPEC_BUGS:
        result = call("nn", case, symbolic_input("nn", key == "symbolic_none"))
        for tensor, real in zip(leaves(result), case["outputs"]):
            _, _, real_shape = real["value"]
            assert tensor.dtype == real["dtype"]
            assert all(a is None or a == b for a, b in zip(tensor.shape, real_shape))
        return
    check_symbolic("nn", case, key)


@pytest.mark.parametrize("case", cases("nn", symbolic="symbolic"))
def test_nn_op_on_keras_tensors_gives_keras_shapes(case):
    check_nn_symbolic(case, "symbolic")


@pytest.mark.parametrize("case", cases("nn", symbolic="symbolic_none"))
def test_nn_op_on_keras_tensors_with_unknown_batch_gives_keras_shapes(case):
    check_nn_symbolic(case, "symbolic_none")


def test_conv_with_mismatched_channels_names_the_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"conv.*\(2, 5, 5, 3\).*\(3, 3, 2, 4\)"):
        ops.conv(np.zeros((2, 5, 5, 3), "float32"), np.zeros((3, 3, 2, 4), "float32"))


def test_categorical_crossentropy_with_different_shapes_names_both():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        ops.categorical_crossentropy(np.zeros((2, 3)), np.ones((2, 4)))


def test_activations_run_under_torch_compile():
    compiled = torch.compile(lambda x: ops.softmax(ops.gelu(x)) + ops.relu6(x), fullgraph=True)
    x = torch.randn(3, 4)
    torch.testing.assert_close(compiled(x), ops.softmax(ops.gelu(x)) + ops.relu6(x))
