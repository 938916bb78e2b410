"""Merging layers: combine a list of tensors into one (Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot), and their function forms (``add([x, y])``...).

Elementwise merges broadcast as NumPy does; inputs of lower rank get new axes after the batch axis first, as in
Keras.
"""
import torch

from kerastorch import backend
from kerastorch.layers.layer import Layer


def _check_list_of_shapes(input_shape, layer, at_least=1):
    if not isinstance(input_shape, (list, tuple)) or not input_shape or \
            not all(isinstance(s, (list, tuple)) for s in input_shape):
        raise ValueError(f"A `{type(layer).__name__}` layer should be called on a list of inputs. Received: "
                         f"input_shape={input_shape}")
    if len(input_shape) < at_least:
        raise ValueError(f"A `{type(layer).__name__}` layer should be called on a list of at least {at_least} "
                         f"inputs. Received {len(input_shape)} inputs. Full input_shape received: {input_shape}")


def _elementwise_shape(shape1, shape2):
    """The broadcast of two shapes without their batch axis (None dims stay unknown)."""
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    if not shape2:
        return tuple(shape1)
    result = list(shape1[:len(shape1) - len(shape2)])
    for a, b in zip(shape1[len(shape1) - len(shape2):], shape2):
        if a is None or b is None:
            result.append(None)
        elif a == 1:
            result.append(b)
        elif b == 1 or a == b:
            result.append(a)
        else:
            raise ValueError(f"Inputs have incompatible shapes. Received shapes {tuple(shape1)} and "
                             f"{tuple(shape2)}")
    return tuple(result)


def _mask_list(inputs, masks):
    """``masks`` checked against ``inputs``: None, or a list with one mask (or None) per input."""
    if masks is None:
        return None
    if not isinstance(masks, (list, tuple)):
        raise ValueError(f"`mask` should be a list. Received: mask={masks}")
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
    if len(masks) != len(inputs):
        raise ValueError(f"The lists `inputs` and `mask` should have the same length. Received: inputs of length "
                         f"{len(inputs)}, and mask of length {len(masks)}")
    return list(masks)


def _feature_masks(inputs):
    """Each input's mask broadcast over its last (feature) axis, or None for an input without one."""
    masks = []
    for x in inputs:
        mask = getattr(x, "_keras_mask", None)
        masks.append(None if mask is None else mask.unsqueeze(-1).expand(x.shape))
    return masks


def _merge_ignoring_masked(op, inputs):
    """Fold ``op`` (maximum, minimum) over ``inputs`` where a masked position of one input takes the other's
    value, so only unmasked values compete; the output keeps a position where any input does."""
    output, output_mask = None, None
    for x, mask in zip(inputs, _feature_masks(inputs)):
        if output is None:
            output, output_mask = x, mask
            continue
        if mask is not None:
            x = torch.where(mask, x, output)
        if output_mask is not None:
            output = torch.where(output_mask, output, x)
        output_mask = output_mask | mask if mask is not None and output_mask is not None else None
        output = op(output, x)
    if output_mask is not None:
        output._keras_mask = torch.any(output_mask, dim=-1)
    return output


class Merge(Layer):
    """The base of the elementwise merging layers: ``_merge_function`` combines a list of same-rank tensors."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        _check_list_of_shapes(input_shape, self)
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(f"Cannot merge tensors with different batch sizes. Received tensors with shapes "
                             f"{list(input_shape)}")
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: inputs={inputs} "
                             f"(not a list of tensors)")
        ranks = [x.dim() for x in inputs]
        if len(set(ranks)) > 1:
            highest = max(ranks)
            inputs = [x.reshape(x.shape[:1] + (1,) * (highest - x.dim()) + x.shape[1:]) for x in inputs]
        return self._merge_function(list(inputs))

    def _merge_function(self, inputs):
        raise NotImplementedError

    def compute_mask(self, inputs, previous_mask):
        """A position is kept where any input keeps it; no mask when an input has none."""
        masks = _mask_list(inputs, previous_mask)
        if masks is None or any(m is None for m in masks):
            return None
        output = masks[0]
        for mask in masks[1:]:
            output = output | mask
        return output

    def compute_output_shape(self, input_shape):
        output_shape = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            output_shape = _elementwise_shape(output_shape, tuple(shape[1:]))
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        batch = batch_sizes.pop() if len(batch_sizes) == 1 else None
        return (batch,) + output_shape


class Add(Merge):
    """Adds a list of inputs elementwise: ``Add()([x1, x2])``.

    Input shape: a list of tensors of the same (or broadcastable) shape.
    Output shape: that shape.
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


class Subtract(Merge):
    """``inputs[0] - inputs[1]``, for exactly two inputs."""

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. Received: "
                             f"input_shape={input_shape}")

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. Received "
                             f"{len(inputs)} inputs.")
        return inputs[0] - inputs[1]


class Multiply(Merge):
    """Multiplies a list of inputs elementwise. Masked positions count as 1 in the product; where every input
    is masked the output is 0."""

    def _merge_function(self, inputs):
        masks = _feature_masks(inputs)
        if any(m is not None for m in masks):
            return self._masked_product(inputs, masks)
        output = inputs[0]
        for x in inputs[1:]:
            output = output * x
        return output

    @staticmethod
    def _masked_product(inputs, masks):
        every_input_masked = all(m is not None for m in masks)
        output, output_mask = None, None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                x = torch.where(mask, x, torch.ones((), dtype=x.dtype, device=x.device))
                if every_input_masked:
                    output_mask = mask if output_mask is None else output_mask | mask
            output = x if output is None else output * x
        if output_mask is not None:
            output = torch.where(output_mask, output, torch.zeros((), dtype=output.dtype, device=output.device))
            output._keras_mask = torch.any(output_mask, dim=-1)
        return output


class Average(Merge):
    """The elementwise mean of a list of inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / len(inputs)


class Maximum(Merge):
    """The elementwise maximum of a list of inputs."""

    def _merge_function(self, inputs):
        return _merge_ignoring_masked(torch.maximum, inputs)


class Minimum(Merge):
    """The elementwise minimum of a list of inputs."""

    def _merge_function(self, inputs):
        return _merge_ignoring_masked(torch.minimum, inputs)


class Concatenate(Merge):
    """Concatenates a list of inputs along ``axis``; all other dimensions must match.

    Args:
        axis: the concatenation axis (default -1, the last).
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"Argument `axis` must be an integer. Received: axis={axis!r}")
        self.axis = axis

    def build(self, input_shape):
        _check_list_of_shapes(input_shape, self)
        ranks = {len(s) for s in input_shape}
        if len(ranks) != 1:
            raise ValueError(f"A `Concatenate` layer requires inputs with matching shapes except for the "
                             f"concatenation axis. Received: input_shape={list(input_shape)}")
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(f"Concatenate axis {self.axis} is out of range for inputs of rank {rank}. Received: "
                             f"input_shape={list(input_shape)}")
        axis = self.axis % rank
        for position in range(rank):
            if position == axis:
                continue
            known = {s[position] for s in input_shape} - {None}
            if len(known) > 1:
                raise ValueError(f"A `Concatenate` layer requires inputs with matching shapes except for the "
                                 f"concatenation axis. Received: input_shape={list(input_shape)}")
        self.built = True

    def call(self, inputs):
        return torch.cat(list(inputs), dim=self.axis)

    def compute_mask(self, inputs, previous_mask):
        """The inputs' masks joined along ``axis`` (an input without a mask keeps everything), then reduced over
        the last axis."""
        masks = _mask_list(inputs, previous_mask)
        if masks is None or all(m is None for m in masks):
            return None
        full = []
        for x, mask in zip(inputs, masks):
            if mask is None:
                full.append(torch.ones(x.shape, dtype=torch.bool, device=x.device))
            elif mask.dim() < x.dim():
                full.append(mask.unsqueeze(-1).expand(x.shape))
            else:
                full.append(mask)
        return torch.any(torch.cat(full, dim=self.axis), dim=-1)

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape[0])
        for shape in input_shape[1:]:
            if output_shape[self.axis] is None or shape[self.axis] is None:
                output_shape[self.axis] = None
                break
            output_shape[self.axis] += shape[self.axis]
        return tuple(output_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(Merge):
    """The dot product of two batches of samples, over one axis of each.

    Args:
        axes: an int (the same axis of both inputs) or a pair ``(axis_of_first, axis_of_second)``. The batch
            axis 0 cannot be one of them.
        normalize: L2-normalize both inputs along their dot axis first, giving the cosine similarity.

    Input shape: two tensors of rank >= 2 whose ``axes`` dimensions match.
    Output shape: the first input's shape without its dot axis, then the second's without its batch and dot
        axes; ``(batch_size, 1)`` when that leaves only the batch axis.
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Invalid type for argument `axes`: it should be a list or an int. Received: "
                                f"axes={axes}")
            if len(axes) != 2:
                raise ValueError(f"Invalid format for argument `axes`: it should contain two elements. "
                                 f"Received: axes={axes}")
            if not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Invalid format for argument `axes`: list elements should be integers. "
                                 f"Received: axes={axes}")
        self.axes = axes
        self.normalize = normalize
        self.supports_masking = True

    def compute_mask(self, inputs, previous_mask):
        return None   # the dot axes are gone

    def _axes_for(self, rank1, rank2):
        axes = [self.axes, self.axes] if isinstance(self.axes, int) else list(self.axes)
        return [axes[0] % rank1, axes[1] % rank2]

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or \
                not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Received: "
                             f"input_shape={input_shape}")
        shape1, shape2 = input_shape
        axis1, axis2 = self._axes_for(len(shape1), len(shape2))
        if 0 in (axis1, axis2):
            raise ValueError(f"Cannot perform a Dot over axis 0 (the batch axis). Received: axes={self.axes}")
        if shape1[axis1] is not None and shape2[axis2] is not None and shape1[axis1] != shape2[axis2]:
            raise ValueError(f"Incompatible input shapes: axis values {shape1[axis1]} (at axis {axis1}) != "
                             f"{shape2[axis2]} (at axis {axis2}). Full input shapes: {tuple(shape1)}, "
                             f"{tuple(shape2)}")
        self.built = True

    def call(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A `Dot` layer should be called on exactly 2 inputs. Received {len(inputs)} inputs.")
        x1, x2 = inputs
        axis1, axis2 = self._axes_for(x1.dim(), x2.dim())
        if self.normalize:
            x1, x2 = _l2_normalize(x1, axis1), _l2_normalize(x2, axis2)
        # Contract axis1 of x1 with axis2 of x2 as one batched matrix product.
        x1 = x1.movedim(axis1, -1)
        x2 = x2.movedim(axis2, 1)
        rows, columns = x1.shape[1:-1], x2.shape[2:]
        batch, depth = x1.shape[0], x1.shape[-1]
        result = torch.bmm(x1.reshape(batch, -1, depth), x2.reshape(batch, depth, -1))
        result = result.reshape((batch,) + rows + columns)
        return result.unsqueeze(-1) if result.dim() == 1 else result

    def compute_output_shape(self, input_shape):
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        axis1, axis2 = self._axes_for(len(shape1), len(shape2))
        shape1.pop(axis1)
        shape2.pop(axis2)
        shape2.pop(0)
        output_shape = shape1 + shape2
        if len(output_shape) == 1:
            output_shape.append(1)
        return tuple(output_shape)

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x, axis):
    """``x / max(||x||, epsilon)`` along ``axis``, as Keras's rsqrt form: ``x * min(rsqrt(sum x^2), 1/eps)``."""
    inverse_norm = torch.rsqrt(x.square().sum(dim=axis, keepdim=True))
    return x * torch.clamp(inverse_norm, max=1.0 / backend.epsilon())


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``: the elementwise sum of a list of tensors."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``: ``inputs[0] - inputs[1]``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``: the elementwise product of a list of tensors."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``: the elementwise mean of a list of tensors."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``: the elementwise maximum of a list of tensors."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``: the elementwise minimum of a list of tensors."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """``Dot(axes, normalize, **kwargs)(inputs)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
