"""`model.summary()`: Keras 3's table of layers, output shapes and parameter counts, as plain text.

Keras draws the table with `rich`; this module draws the same box-drawing table itself, with the same column
widths (rich's rules for fixed-width columns in a table narrower than their sum) and the same word wrapping.
"""
import math
import shutil

import torch


def _readable_size(num_bytes):
    for unit in ["B", "KB", "MB", "GB", "TB"]:
        if num_bytes / 1024 < 1:
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024
    return f"{num_bytes:.2f} PB"


def _memory_size(weights):
    unique = {id(w): w for w in weights}.values()
    return sum(w.numel() * w.element_size() for w in unique)


def _count(weights):
    unique = {id(w): w for w in weights}.values()
    return int(sum(math.prod(w.shape) for w in unique))


def _ratio_reduce(total, ratios, maximums, values):
    """Take ``total`` away from ``values`` in proportion to ``ratios``, rounding as rich does."""
    ratios = [r if m else 0 for r, m in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return list(values)
    remaining, result = total, []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            taken = min(maximum, round(ratio * remaining / total_ratio))
            result.append(value - taken)
            remaining -= taken
            total_ratio -= ratio
        else:
            result.append(value)
    return result


def _wrap(text, width):
    """Greedy word wrap, as rich wraps table cells; a word longer than ``width`` is cut with an ellipsis."""
    lines, current = [], ""
    for word in text.split(" "):
        if len(word) > width:
            word = word[:width - 1] + "…"
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    lines.append(current)
    return lines


def _format_shape(shape):
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _output_shape_text(layer):
    if layer._inbound_nodes:
        outputs = layer._inbound_nodes[-1].output_tensors
        if len(outputs) == 1:
            return _format_shape(outputs[0].shape)
        return "[" + ", ".join(_format_shape(t.shape) for t in outputs) + "]"
    if layer.built and layer._build_shapes is not None:
        try:
            return _format_shape(layer.compute_output_shape(layer._build_shapes))
        except (NotImplementedError, ValueError, TypeError):
            return "?"
    return "?"


def _params_text(layer):
    if not layer.built:
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _connections_text(layer, relevant_nodes):
    parts = []
    for node in layer._inbound_nodes:
        if relevant_nodes is not None and id(node) not in relevant_nodes:
            continue
        for tensor in node.input_tensors:
            history = tensor._keras_history
            parts.append(f"{history.operation.name}[{history.node_index}][{history.tensor_index}]")
    return ", ".join(parts) or "-"


def render_summary(model, line_length=None, positions=None, expand_nested=False, show_trainable=False,
                   layer_range=None):
    """The summary as one string, lines separated by newlines."""
    layers, sequential_like, relevant_nodes = model._summary_layers()
    if sequential_like:
        default_length, default_positions = 88, [0.45, 0.80, 1.0]
        header, alignment = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"]
    else:
        default_length, default_positions = 108, [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        alignment = ["left", "left", "right", "left"]
    positions = positions or default_positions
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        alignment.append("center")
    default_length = min(default_length, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default_length
    if positions[-1] <= 1:
        positions = [int(p * line_length) for p in positions]
    widths, current = [], 0
    for position in positions:
        width = position - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width

    # Each column is its width plus one space of padding on either side; the borders take ncols + 1.
    cell_widths = [w + 2 for w in widths]
    available = line_length - (len(widths) + 1)
    if sum(cell_widths) > available:
        cell_widths = _ratio_reduce(sum(cell_widths) - available, [1] * len(cell_widths), cell_widths,
                                    cell_widths)
    content_widths = [w - 2 for w in cell_widths]

    if layer_range is not None:
        names = [layer.name for layer in layers]
        start, end = names.index(layer_range[0]), names.index(layer_range[1]) + 1
        layers = layers[start:end]

    rows = []

    def add_rows(layer, level=0):
        prefix = ("   " * level + "└ ") if level else ""
        fields = [f"{prefix}{layer.name} ({type(layer).__name__})", _output_shape_text(layer),
                  _params_text(layer)]
        if not sequential_like:
            fields.append(_connections_text(layer, relevant_nodes))
        if show_trainable:
            fields.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        rows.append(fields)
        if expand_nested and getattr(layer, "layers", None):
            for sublayer in layer.layers:
                add_rows(sublayer, level + 1)

    for layer in layers:
        add_rows(layer)

    def render_row(fields, vertical):
        cells = [_wrap(text, width) for text, width in zip(fields, content_widths)]
        height = max(len(c) for c in cells)
        out = []
        for i in range(height):
            parts = []
            for cell, width, align in zip(cells, content_widths, alignment):
                text = cell[i] if i < len(cell) else ""
                if align == "right":
                    text = text.rjust(width)
                elif align == "center":
                    text = text.center(width)
                else:
                    text = text.ljust(width)
                parts.append(" " + text + " ")
            out.append(vertical + vertical.join(parts) + vertical)
        return out

    def rule(left, fill, middle, right):
        return left + middle.join(fill * w for w in cell_widths) + right

    lines = [f'Model: "{model.name}"', rule("┏", "━", "┳", "┓")]
    lines += render_row(header, "┃")
    lines.append(rule("┡", "━", "╇", "┩"))
    for i, fields in enumerate(rows):
        if i:
            lines.append(rule("├", "─", "┼", "┤"))
        lines += render_row(fields, "│")
    lines.append(rule("└", "─", "┴", "┘"))

    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    optimizer = getattr(model, "optimizer", None)
    optimizer_weights = list(optimizer.variables) if optimizer is not None and getattr(optimizer, "built", False) \
        else []
    optimizer_weights = [w for w in optimizer_weights if isinstance(w, torch.Tensor)]
    total = _count(trainable) + _count(non_trainable) + _count(optimizer_weights)
    total_size = _memory_size(trainable) + _memory_size(non_trainable) + _memory_size(optimizer_weights)
    lines.append(f" Total params: {total:,} ({_readable_size(total_size)})")
    lines.append(f" Trainable params: {_count(trainable):,} ({_readable_size(_memory_size(trainable))})")
    lines.append(f" Non-trainable params: {_count(non_trainable):,} "
                 f"({_readable_size(_memory_size(non_trainable))})")
    if optimizer_weights:
        lines.append(f" Optimizer params: {_count(optimizer_weights):,} "
                     f"({_readable_size(_memory_size(optimizer_weights))})")
    return "\n".join(lines)
