"""`EinsumDense`: a dense layer whose product is any einsum equation (the projections of attention layers)."""
import copy
import math
import re

import torch
import torch.nn.functional as F

from kerastorch import activations, constraints, initializers, regularizers
from kerastorch.layers._weight_arguments import set_weight_arguments
from kerastorch.layers.layer import InputSpec, Layer


def analyze_einsum(equation, bias_axes, input_shape, output_shape, layer_name="einsum_dense"):
    """``(kernel_shape, bias_shape, full_output_shape, kernel_input_axes, kernel_output_axes)`` for an EinsumDense
    with ``equation`` on inputs of ``input_shape``, whose output, less its batch axis and the axes an ellipsis
    stands for, is ``output_shape`` (None where the input gives the size).

    The equation is ``X,Y->Z`` or ``...X,Y->...Z`` or ``X...,Y->Z...``, with X, Y, Z strings of letters: the
    input's, the kernel's and the output's axes. A kernel axis takes its size from the output when the output
    has it, else from the input.
    """
    plain = equation.replace("...", "0")
    forms = (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", False), ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", True),
             ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", False))
    for pattern, left_elided in forms:
        match = re.fullmatch(pattern, plain)
        if match:
            break
    else:
        raise ValueError(f"Layer '{layer_name}' (EinsumDense): invalid einsum equation '{equation}'. Equations must "
                         f"be in the form [X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")
    input_spec, kernel_spec, output_spec = match.groups()
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(input_spec)
    if elided < 0 or (elided > 0 and "0" not in plain):
        raise ValueError(f"Layer '{layer_name}' (EinsumDense): the equation '{equation}' names {len(input_spec)} "
                         f"input axes, but the input has rank {len(input_shape)} (shape {input_shape}).")
    full = [input_shape[0]] + list(output_shape)
    if elided > 0 and left_elided:
        full[1:1] = input_shape[1:elided]
    elif elided > 0:
        full.extend(input_shape[len(input_shape) - elided:])
    if len(full) != len(output_spec) + max(elided, 0):
        raise ValueError(f"Layer '{layer_name}' (EinsumDense): `output_shape` {tuple(output_shape)} does not fit the "
                         f"output '{output_spec}' of the equation '{equation}' (it gives every output axis but the "
                         f"first, the batch axis).")
    offset = elided if left_elided else 0
    input_axis = {axis: (i + elided - len(input_shape)) if left_elided else i for i, axis in enumerate(input_spec)}
    output_axis = {axis: i + offset for i, axis in enumerate(output_spec)}
    for axis in input_spec:
        if axis in output_axis:
            size_in, size_out = input_shape[input_axis[axis]], full[output_axis[axis]]
            if size_out is not None and size_in is not None and size_out != size_in:
                raise ValueError(f"Layer '{layer_name}' (EinsumDense): input shape and output shape do not match "
                                 f"at shared dimension '{axis}'. Input shape is {size_in}, and output shape is "
                                 f"{size_out}.")
    for axis in output_spec:
        if axis not in input_spec and axis not in kernel_spec:
            raise ValueError(f"Layer '{layer_name}' (EinsumDense): dimension '{axis}' was specified in the output "
                             f"'{output_spec}' but has no corresponding dim in the input spec '{input_spec}' or "
                             f"weight spec '{kernel_spec}'.")
    kernel_shape, kernel_input_axes, kernel_output_axes = [], [], []
    for i, axis in enumerate(kernel_spec):
        if axis in output_axis:
            kernel_shape.append(full[output_axis[axis]])
            kernel_output_axes.append(i)
        elif axis in input_axis:
            kernel_shape.append(input_shape[input_axis[axis]])
            kernel_input_axes.append(i)
        else:
            raise ValueError(f"Layer '{layer_name}' (EinsumDense): weight dimension '{axis}' did not have a match "
                             f"in either the input spec '{input_spec}' or the output spec '{output_spec}'. For this "
                             f"layer, the weight must be fully specified.")
    bias_shape = None
    if bias_axes is not None:
        for axis in bias_axes:
            if axis not in output_spec:
                raise ValueError(f"Layer '{layer_name}' (EinsumDense): bias dimension '{axis}' was requested, but "
                                 f"is not part of the output spec '{output_spec}'.")
        first = min(output_spec.find(axis) for axis in bias_axes)
        bias_shape = [full[output_axis[axis]] if axis in bias_axes else 1 for axis in output_spec[first:]]
        if not left_elided:
            bias_shape.extend([1] * max(elided, 0))
    return kernel_shape, bias_shape, full, kernel_input_axes, kernel_output_axes


def _linear_plan(equation, bias_axes):
    """``(contracted, bias_fused)`` when the equation is a matrix product on the input's last axes with the
    kernel's first ones (``abc,cde->abde``, ``...b,bc->...c``): the input's other axes lead the output, in order,
    followed by the kernel's other axes. Then ``F.linear`` on flat views computes it; None otherwise."""
    match = re.fullmatch(r"(\.\.\.)?([a-zA-Z]+),([a-zA-Z]+)->(\.\.\.)?([a-zA-Z]+)", equation)
    if not match or bool(match.group(1)) != bool(match.group(4)):
        return None
    inputs, kernel, output = match.group(2), match.group(3), match.group(5)
    for n in range(1, min(len(inputs), len(kernel)) + 1):
        contracted, free, produced = inputs[-n:], inputs[:-n], kernel[n:]
        if kernel[:n] == contracted and output == free + produced and produced and \
                not set(contracted) & set(output) and len(set(inputs + kernel)) == len(inputs) + len(produced):
            return n, bias_axes is not None and bias_axes == produced
    return None


class EinsumDense(Layer):
    """A dense layer computing ``activation(einsum(equation, inputs, kernel) + bias)``.

    Args:
        equation: the einsum equation, as ``"ab,bc->ac"``, ``"...b,bc->...c"`` or ``"ab...,bc->ac..."``: the
            input's axes, the kernel's axes, the output's axes.
        output_shape: the output's shape without the batch axis and the axes an ellipsis stands for (an int for
            one axis); None for an axis whose size the input gives.
        activation: a name or callable; None means linear.
        bias_axes: the output axes (letters of the equation's output) that the bias spans; None for no bias.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, bias_constraint: as for `Dense`.

    Input shape: the rank the equation names (any rank where it has an ellipsis).
    Output shape: ``(batch_size,) + output_shape`` with the axes of the ellipsis in place.
    Weights: ``kernel`` shaped by the equation's kernel axes, ``bias`` spanning ``bias_axes``.

    >>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), bias_axes="de")
    >>> layer(np.zeros((2, 5, 16), "float32")).shape
    torch.Size([2, 5, 4, 8])
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(equation, str):
            raise ValueError(f"Layer '{self.name}' (EinsumDense): `equation` must be a string such as 'ab,bc->ac'. "
                             f"Received: equation={equation!r}")
        if lora_rank or quantization_config is not None:
            raise NotImplementedError("EinsumDense(lora_rank=..., quantization_config=...) is not supported by "
                                      "kerastorch yet.")
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        set_weight_arguments(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        set_weight_arguments(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self._plan = _linear_plan(equation, bias_axes)

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_einsum(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape, self.name)
        if any(d is None for d in kernel_shape):
            raise ValueError(f"Layer '{self.name}' (EinsumDense): the kernel's shape {tuple(kernel_shape)} is not "
                             f"fully defined by the input shape {tuple(input_shape)} and output_shape "
                             f"{self.partial_output_shape}.")
        initializer = self.kernel_initializer
        if isinstance(initializer, initializers.VarianceScaling) and \
                (initializer.input_axes is None or initializer.output_axes is None):
            # The fans of an einsum kernel are the products of its input and output axes (as Keras computes them).
            initializer = copy.copy(initializer)
            initializer.input_axes, initializer.output_axes = input_axes, output_axes
        self.kernel = self.add_weight(name="kernel", shape=tuple(kernel_shape), initializer=initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if bias_shape is not None:
            self.bias = self.add_weight(name="bias", shape=tuple(bias_shape), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.built = True

    def call(self, inputs):
        if inputs.dtype != self.kernel.dtype:
            inputs = inputs.to(self.kernel.dtype)
        if self._plan is None:
            outputs = torch.einsum(self.equation, inputs, self.kernel)
            if self.bias is not None:
                outputs = outputs + self.bias
        else:
            # A matrix product on flat views: one addmm, the bias fused when it spans the kernel's output axes.
            contracted, bias_fused = self._plan
            kernel = self.kernel.reshape(math.prod(self.kernel.shape[:contracted]), -1)
            flat = inputs.flatten(inputs.dim() - contracted) if contracted > 1 else inputs
            bias = self.bias.reshape(-1) if bias_fused else None
            outputs = F.linear(flat, kernel.T, bias)
            outputs = outputs.unflatten(-1, self.kernel.shape[contracted:])
            if self.bias is not None and not bias_fused:
                outputs = outputs + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(analyze_einsum(self.equation, self.bias_axes, input_shape, self.partial_output_shape,
                                    self.name)[2])

    def get_config(self):
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        }

    def extra_repr(self):
        return f"name={self.name!r}, equation={self.equation!r}, output_shape={self.partial_output_shape}" + \
            (f", bias_axes={self.bias_axes!r}" if self.bias_axes else "")
