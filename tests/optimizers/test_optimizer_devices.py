"""Optimizer slots follow their variables when a model moves after the optimizer was built."""
import numpy as np
import pytest
import torch

import kerastorch as keras


def built(optimizer, *shapes, dtype=torch.float32):
    variables = [torch.nn.Parameter(torch.ones(shape, dtype=dtype)) for shape in shapes]
    optimizer.build(variables)
    return optimizer, variables


def to_float64(variables):
    """``model.double()`` as torch does it: each variable's data replaced in place (the same Parameter). A move
    to CUDA changes them the same way; a CPU-only machine has no second device to move them to in place."""
    for variable in variables:
        variable.data = variable.data.double()


@pytest.mark.parametrize("name", ["adam", "rmsprop", "adamax", "nadam", "adagrad", "adadelta", "lion"])
def test_slots_follow_variables_changed_in_place(name):
    optimizer, variables = built(keras.optimizers.get(name), (2, 3), (3,))
    optimizer.apply([torch.ones(2, 3), torch.ones(3)], variables)
    to_float64(variables)
    optimizer.follow_variables()
    assert {slot.dtype for slots in optimizer._slots.values() for slot in slots} == {torch.float64}
    optimizer.apply([torch.ones(2, 3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)], variables)
    assert {v.dtype for v in variables} == {torch.float64}


def test_following_keeps_the_slot_values():
    optimizer, variables = built(keras.optimizers.Adam(0.1), (2,))
    optimizer.apply([torch.tensor([1.0, -2.0])], variables)
    before = [value.copy() for value in optimizer.get_weights()]
    to_float64(variables)
    optimizer.follow_variables()
    for old, new in zip(before, optimizer.get_weights()):
        np.testing.assert_allclose(new, old, rtol=1e-7)


def test_loss_scale_optimizer_moves_its_inner_optimizer_slots():
    optimizer, variables = built(keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam()), (2,))
    to_float64(variables)
    optimizer.follow_variables()
    assert {slot.dtype for slots in optimizer.inner_optimizer._slots.values() for slot in slots} == {torch.float64}


def test_state_copies_live_where_the_variables_live():
    optimizer = keras.optimizers.Adam()
    optimizer.build([torch.nn.Parameter(torch.ones(2, device="meta"))])
    assert {v.device.type for v in optimizer.variables} == {"meta"}


def test_follow_before_build_does_nothing():
    keras.optimizers.Adam().follow_variables()
