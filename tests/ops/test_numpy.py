"""keras.ops.numpy against Keras 3.15 on torch (tests/golden/ops/{unary,binary,reductions,arrays}.*, recorded by
tools/golden_ops.py): values within 1e-6 (float32) and equal result dtypes, on float32, float16, int and bool
inputs with broadcasting."""
import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import ops
from kerastorch.keras_tensor import KerasTensor
from ops_golden import cases, check_numbers


@pytest.mark.parametrize("case", cases("unary"))
def test_unary_op_matches_keras(case):
    check_numbers("unary", case)


@pytest.mark.parametrize("case", cases("binary"))
def test_binary_op_matches_keras(case):
    check_numbers("binary", case)


@pytest.mark.parametrize("case", cases("reductions"))
def test_reduction_matches_keras(case):
    check_numbers("reductions", case)


@pytest.mark.parametrize("case", cases("arrays"))
def test_array_op_matches_keras(case):
    check_numbers("arrays", case)


# ---- bad input: a ValueError naming the op and the shapes or dtypes, as Keras gives one --------------------------

def test_incompatible_shapes_name_the_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"keras\.ops\.add.*\(2, 3\).*\(2, 4\)"):
        ops.add(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"keras\.ops\.matmul.*\(2, 3\).*\(4, 5\)"):
        ops.matmul(np.ones((2, 3), "float32"), np.ones((4, 5), "float32"))


def test_incompatible_symbolic_shapes_name_the_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"\(None, 3\) and \(None, 4\) in 'add'"):
        ops.add(KerasTensor((None, 3)), KerasTensor((None, 4)))
    with pytest.raises(ValueError, match=r"keras\.ops\.matmul.*\(None, 3\).*\(4, 5\)"):
        ops.matmul(KerasTensor((None, 3)), KerasTensor((4, 5)))
    with pytest.raises(ValueError, match=r"keras\.ops\.concatenate.*\(2, 3\).*\(3, 4\)"):
        ops.concatenate([KerasTensor((2, 3)), KerasTensor((3, 4))], axis=0)
    with pytest.raises(ValueError, match=r"total size of the tensor must be unchanged.*\(2, 3\).*\(4, 2\)"):
        ops.reshape(KerasTensor((2, 3)), (4, 2))


def test_an_unsupported_dtype_names_the_op_and_the_dtype():
    with pytest.raises(ValueError, match=r"keras\.ops\.bitwise_and.*dtype=float32"):
        ops.bitwise_and(np.ones(3, "float32"), np.ones(3, "float32"))
    with pytest.raises(ValueError, match="float8"):
        kerastorch.backend.result_type("float8_e4m3fn", "float32")
    with pytest.raises(ValueError, match="Invalid dtype"):
        ops.ones((2,), dtype="float7")


def test_an_axis_out_of_range_is_a_value_error_naming_the_op():
    with pytest.raises(ValueError, match=r"keras\.ops\.sum.*\(2, 3\)"):
        ops.sum(np.ones((2, 3)), axis=3)


# ---- dispatch: tensors, arrays and numbers in; torch tensors out --------------------------------------------------

def test_arrays_and_numbers_become_tensors_on_the_current_device():
    result = ops.add(np.arange(3, dtype="int32"), 1)
    assert isinstance(result, torch.Tensor) and result.dtype == torch.int32
    assert result.device == kerastorch.backend.device()
    assert ops.multiply(2, 3.5).dtype == torch.float32
    assert ops.sum([1, 2, 3]).dtype == torch.int32


def test_python_numbers_are_weakly_typed_as_in_keras():
    assert ops.add(np.ones(2, "float16"), 1.5).dtype == torch.float16
    assert ops.add(np.ones(2, "int8"), 3).dtype == torch.int8
    assert ops.add(np.ones(2, "int32"), 1.5).dtype == torch.float32
    assert ops.maximum(np.ones(2, "uint8"), np.ones(2, "int8")).dtype == torch.int16


def test_result_type_follows_keras_lattice():
    result_type = kerastorch.backend.result_type
    assert result_type("int32", "float16") == "float16"
    assert result_type("int8", "uint8") == "int16"
    assert result_type("int64", "int64") == "int32"   # torch-backend Keras narrows 64-bit results
    assert result_type("bool", int) == "int32"
    assert result_type("bfloat16", "float16") == "float32"
    assert result_type() == "float32"


def test_dtype_predicates_and_standardize_dtype():
    backend = kerastorch.backend
    assert backend.standardize_dtype(torch.float16) == "float16"
    assert backend.standardize_dtype(np.int32) == "int32"
    assert backend.standardize_dtype(float) == "float32"
    assert backend.is_float_dtype("bfloat16") and not backend.is_float_dtype("int8")
    assert backend.is_int_dtype("uint8") and not backend.is_int_dtype("bool")


def test_an_op_applied_to_keras_tensors_records_a_graph_node():
    x = kerastorch.Input((4, 3))
    y = ops.sum(x, axis=1)
    assert y.shape == (None, 3) and y.dtype == "float32"
    operation = y._keras_history.operation
    assert type(operation).__name__ == "Sum" and operation.get_config() == {"name": operation.name, "axis": 1,
                                                                             "keepdims": False}


def test_vectorize_maps_a_function_over_the_leading_axis():
    vectorized = ops.vectorize(lambda a, b: (a * b).sum(), signature="(m),(m)->()")
    a, b = np.arange(6, dtype="float32").reshape(2, 3), np.ones((2, 3), "float32")
    np.testing.assert_allclose(vectorized(a, b).numpy(), (a * b).sum(axis=1))


def test_ndim_is_a_python_int_on_tensors_and_keras_tensors():
    assert ops.ndim(np.ones((2, 3))) == 2
    assert ops.ndim(KerasTensor((None, 2, 3))) == 3
