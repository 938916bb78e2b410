"""``to_pytorch(model, outdir)``: a Keras model as readable PyTorch source plus safetensors weights.

The source defines one ``nn.Module`` subclass with ``torch.nn`` layers in ``__init__`` and a ``forward`` that
calls them in the model's order, and a ``load()`` function that builds it and reads the weights file next to it.
Neither imports kerastorch: the module runs where only torch and safetensors are installed.

The module takes and returns tensors as the Keras model does (channels_last images). Inside, a tensor is kept
in torch's channels_first order from the first layer that wants it to the first one that needs Keras's order
(Flatten, Dense on an image, Reshape, the model's output), so the permutes sit at those boundaries only.
A Keras mask travels as a variable of its own from the layer that makes it to the layers that read it. Where
torch.nn has no module with Keras's semantics, the file defines a small helper module.
The per-layer rules live in ``_pytorch_layers.py``; this module owns the graph walk, the names, the layouts, the
masks and the files.
"""
import keyword
import os
import re

import torch

from kerastorch.export import _pytorch_layers as rules
from kerastorch.keras_tensor import map_structure
from kerastorch.layers.core import InputLayer
from kerastorch.models.functional import map_graph
from kerastorch.models.model import Model

SOURCE_FILE, WEIGHTS_FILE = "model.py", "model.safetensors"
KERAS, TORCH = rules.KERAS, rules.TORCH
# Names the generated source uses itself: a layer named so gets a suffix.
_RESERVED = {"self", "torch", "nn", "F", "os", "load", "x"}


def to_pytorch(model, outdir):
    """Write ``model`` as a PyTorch module's source (``model.py``) and weights (``model.safetensors``).

    Sequential and functional models of the layers that have ``torch.nn`` counterparts convert (see
    ``supported_layers()``); any other layer raises a ValueError naming it.

    ```python
    kerastorch.export.to_pytorch(model, "exported")
    # elsewhere, with only torch and safetensors:
    import sys; sys.path.insert(0, "exported")
    import model as exported
    net = exported.load()          # eval mode
    predictions = net(x)           # x as model.predict takes it (channels_last)
    ```

    Args:
        model: a built Sequential or functional ``keras.Model``.
        outdir: the folder to write into (made when missing; the two files are overwritten).

    Returns:
        ``(source_path, weights_path)``.
    """
    from safetensors.torch import save_file

    source, state = generate(model)
    # The generated module, built without memory (meta tensors), must take exactly these weights.
    with torch.device("meta"):
        module = _instantiate(source)
    try:
        module.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as error:
        raise RuntimeError(f"kerastorch's PyTorch export made weights that do not fit the generated module "
                           f"(a bug in kerastorch): {error}") from error
    os.makedirs(outdir, exist_ok=True)
    source_path, weights_path = os.path.join(outdir, SOURCE_FILE), os.path.join(outdir, WEIGHTS_FILE)
    with open(source_path, "w", encoding="utf-8") as file:
        file.write(source)
    save_file({key: value.contiguous() for key, value in state.items()}, weights_path)
    return source_path, weights_path


def supported_layers():
    """The names of the layer classes ``to_pytorch`` converts."""
    return sorted(rules.RULES)


def _instantiate(source):
    namespace = {"__name__": "kerastorch_generated_module", "__file__": SOURCE_FILE}
    exec(compile(source, SOURCE_FILE, "exec"), namespace)   # our own generated text, not a file's
    return namespace[namespace["MODULE_CLASS"]]()


class Value:
    """A tensor of the generated ``forward``: its variable name, its layout (KERAS or TORCH) and its rank."""

    def __init__(self, name, layout, rank, mask=None):
        self.name, self.layout, self.rank = name, layout, rank
        self.mask = mask   # the variable of its Keras mask (batch, steps), or None


def generate(model):
    """The source text and a ``{state_dict key: tensor}`` of the weights, for ``model``."""
    if not isinstance(model, Model) or not model.built or not getattr(model, "inputs", None):
        raise ValueError(f"to_pytorch needs a built Sequential or functional model with known inputs. Received: "
                         f"{model!r}")
    return _Writer(model).write()


def _identifier(name):
    name = re.sub(r"\W", "_", str(name))
    if not name or name[0].isdigit():
        name = f"_{name}"
    if keyword.iskeyword(name) or name in _RESERVED or hasattr(torch.nn.Module, name):
        name = f"{name}_"
    return name


def _layer_calls(model, alias, expanded):
    """The layer calls (graph nodes) of ``model`` in an executable order, a nested model's inlined: ``alias``
    gets, for each inner model's input, the outer tensor it receives, and for each of its calls' outputs, the
    inner output tensor that computes it."""
    calls = []
    for node in map_graph(model.inputs, model.outputs)[0]:
        layer = node.layer
        if isinstance(layer, InputLayer):
            continue
        if isinstance(layer, Model):
            inner_inputs = getattr(layer, "inputs", None)
            if id(layer) in expanded or not inner_inputs:
                raise ValueError(f"The nested model '{layer.name}' cannot be written as PyTorch source: only a "
                                 f"Sequential or functional model called once inside another is supported.")
            expanded.add(id(layer))
            given = [t for t in node.input_tensors]
            if len(given) != len(inner_inputs):
                raise ValueError(f"The nested model '{layer.name}' takes {len(inner_inputs)} inputs but is called "
                                 f"on {len(given)}.")
            alias.update({id(inner): outer for inner, outer in zip(inner_inputs, given)})
            calls.extend(_layer_calls(layer, alias, expanded))
            alias.update({id(outer): inner for outer, inner in zip(node.output_tensors, layer.outputs)})
            continue
        calls.append(node)
    return calls


class _Writer:
    def __init__(self, model):
        self.model = model
        self.alias = {}
        self.nodes = _layer_calls(model, self.alias, set())
        self.init_lines, self.forward_lines, self.helpers = [], [], {}
        self.state = {}
        self.values = {}          # id(KerasTensor) -> Value
        self.converted = {}       # (variable name, layout) -> the permuted copy's name (made once for all readers)
        self.attributes = {}      # id(layer) -> attribute name
        self.used_names = set(_RESERVED)        # the forward's variables
        self.used_attributes = set(_RESERVED)   # the module's attributes (self.<name>): a namespace of their own
        self.layer_calls = {}     # id(layer) -> how many of its nodes were written
        self.output_ids = {id(self.resolve(t)) for t in model.outputs}
        self.readers = {}
        for index, node in enumerate(self.nodes):
            for tensor in node.input_tensors:
                self.readers.setdefault(id(self.resolve(tensor)), []).append(index)
        self.index = -1

    def resolve(self, tensor):
        """The tensor whose value ``tensor`` is (itself, unless a nested model's input or output)."""
        while id(tensor) in self.alias:
            tensor = self.alias[id(tensor)]
        return tensor

    def value_of(self, tensor):
        return self.values[id(self.resolve(tensor))]

    # ---- names -----------------------------------------------------------------------------------------------

    def fresh(self, base, used=None):
        """A new variable name (an attribute name when ``used`` is ``self.used_attributes``) made from ``base``."""
        used = self.used_names if used is None else used
        name, k = _identifier(base), 1
        while name in used:
            k += 1
            name = f"{_identifier(base)}_{k}"
        used.add(name)
        return name

    def _chained(self, tensor, producer_index):
        """Whether ``tensor`` is read once, by the very next node (or is the model's output, made last): it is then
        ``x``, a variable each line hands to the next."""
        readers = self.readers.get(id(self.resolve(tensor)), [])
        if id(self.resolve(tensor)) in self.output_ids:
            # The model's only output, made last and read by no layer, is returned at once.
            return not readers and len(self.output_ids) == 1 and producer_index == len(self.nodes) - 1
        if len(readers) != 1 or readers[0] != producer_index + 1:
            return False
        return len(self.nodes[readers[0]].input_tensors) == 1

    # ---- the generated module's parts ------------------------------------------------------------------------

    def add_module(self, layer, constructor, weights=None):
        """Register ``layer``'s torch.nn counterpart (``constructor`` is its source) once; returns ``self.<name>``."""
        if id(layer) not in self.attributes:
            name = self.fresh(layer.name, self.used_attributes)
            self.attributes[id(layer)] = name
            self.init_lines.append(f"self.{name} = {constructor}")
            for key, value in (weights or {}).items():
                value = torch.as_tensor(value).detach().cpu()
                self.state[f"{name}.{key}"] = (value.to(torch.float32) if value.is_floating_point() else value).clone()
        return f"self.{self.attributes[id(layer)]}"

    def add_helper(self, name, source):
        self.helpers[name] = source

    def line(self, text):
        self.forward_lines.append(text)

    def want(self, value, layout):
        """``value``'s variable in ``layout``, permuting it (once per variable and layout) where it differs."""
        if value.layout == layout or value.rank <= 2:
            return value.name
        order = rules.permutation(value.rank, to=layout)
        if value.name == "x":   # read once, by this node: permuted in place
            self.line(f"x = x.permute{order}")
            value.layout = layout
            return "x"
        key = (value.name, layout)
        if key not in self.converted:
            name = self.fresh(f"{value.name}_{'keras' if layout == KERAS else 'torch'}")
            self.line(f"{name} = {value.name}.permute{order}")
            self.converted[key] = name
        return self.converted[key]

    def assign(self, node, expressions, masks=()):
        """Write ``node``'s outputs: ``expressions`` is one ``(source, layout)`` per output tensor, ``masks`` the
        mask variables of the first outputs (a layer that makes or keeps a mask); returns nothing."""
        layer = node.layer
        calls = self.layer_calls.get(id(layer), 0)
        self.layer_calls[id(layer)] = calls + 1
        names = []
        for k, (tensor, (source, layout)) in enumerate(zip(node.output_tensors, expressions)):
            if len(node.output_tensors) == 1 and self._chained(tensor, self.index):
                name = "x"
            else:
                base = layer.name + (f"_{calls}" if calls else "") + (f"_{k}" if len(node.output_tensors) > 1 else "")
                name = self.fresh(base)
            names.append(name)
            rank = len(tensor.shape)
            mask = masks[k] if k < len(masks) else None
            self.values[id(tensor)] = Value(name, KERAS if rank <= 2 else layout, rank, mask)
        if len(names) == 1:
            self.line(f"{names[0]} = {expressions[0][0]}")
        else:
            for name, (source, _) in zip(names, expressions):
                self.line(f"{name} = {source}")

    # ---- the walk --------------------------------------------------------------------------------------------

    def write(self):
        model = self.model
        arguments = []
        for tensor in model.inputs:
            readers = self.readers.get(id(tensor), [])
            single = len(model.inputs) == 1 and readers == [0] and id(tensor) not in self.output_ids and \
                len(self.nodes[0].input_tensors) == 1
            name = "x" if single else self.fresh(tensor._keras_history.operation.name)
            arguments.append(name)
            self.values[id(tensor)] = Value(name, KERAS, len(tensor.shape))
        for self.index, node in enumerate(self.nodes):
            rule = rules.rule_for(node.layer)
            masks = [v.mask for v in self.inputs(node) if v.mask is not None]
            passes_mask = type(node.layer).__name__ in rules.MASK_PASSING
            if masks and not passes_mask and not getattr(rule, "reads_masks", False):
                raise rules.unsupported(node.layer, "a mask (from Embedding(mask_zero=True) or Masking) reaches it; "
                                                    f"masks are followed through {sorted(rules.MASK_PASSING)} to "
                                                    f"{sorted(rules.MASK_READERS)} only")
            comment = len(self.forward_lines)
            self.line(f"# {node.layer.name} ({type(node.layer).__name__})")
            rule(self, node, node.layer)
            if self.attributes.get(id(node.layer)) == _identifier(node.layer.name):
                del self.forward_lines[comment]   # self.<the layer's name> says it already
            if masks and passes_mask:
                for tensor in node.output_tensors:
                    self.value_of(tensor).mask = masks[0]
        results = map_structure(lambda t: self.want(self.value_of(t), KERAS), model._outputs_struct
                                if hasattr(model, "_outputs_struct") else model.outputs)
        if isinstance(results, list) and len(results) == 1:
            results = results[0]
        self.line(f"return {_structure_source(results)}")
        return self._source(arguments), self.state

    def inputs(self, node):
        """The Values of ``node``'s input tensors."""
        return [self.value_of(t) for t in node.input_tensors]

    def _source(self, arguments):
        model = self.model
        class_name = "".join(part[:1].upper() + part[1:] for part in re.split(r"\W|_", model.name) if part)
        class_name = _identifier(class_name or "Model")
        if not class_name[0].isalpha() or class_name in self.helpers or hasattr(torch.nn, class_name):
            class_name = f"{class_name}Model"
        shapes = ", ".join(str(tuple(t.shape)) for t in model.inputs)
        body = "\n".join(f"        {line}" for line in self.init_lines) or "        pass"
        forward = "\n".join(f"        {line}" for line in self.forward_lines)
        helpers = "".join(f"\n\n{source.strip()}\n" for source in self.helpers.values())
        return f'''"""PyTorch module of the Keras model '{model.name}', written by kerastorch's PyTorch export.

Only torch and safetensors are needed. The module takes and returns tensors laid out as the Keras model's are
(images channels_last); inputs: {shapes} (None: any size).

    import model
    net = model.load()      # the weights from {WEIGHTS_FILE} next to this file, in eval mode
    outputs = net({", ".join(arguments)})
"""
import os

import torch
import torch.nn.functional as F
from torch import nn
{helpers}

class {class_name}(nn.Module):
    def __init__(self):
        super().__init__()
{body}

    def forward(self, {", ".join(arguments)}):
{forward}


MODULE_CLASS = "{class_name}"


def load(weights=None, device="cpu"):
    """A {class_name} in eval mode on ``device``, with the weights of the safetensors file ``weights`` (by
    default {WEIGHTS_FILE} next to this file)."""
    from safetensors.torch import load_file

    if weights is None:
        weights = os.path.join(os.path.dirname(os.path.abspath(__file__)), "{WEIGHTS_FILE}")
    with torch.device("meta"):   # no memory nor initialization for weights that are replaced at once
        module = {class_name}()
    module.load_state_dict(load_file(weights, device=str(device)), assign=True)
    return module.eval()
'''


def _structure_source(structure):
    if isinstance(structure, dict):
        return "{" + ", ".join(f"{key!r}: {_structure_source(v)}" for key, v in structure.items()) + "}"
    if isinstance(structure, (list, tuple)):
        return "(" + ", ".join(_structure_source(v) for v in structure) + ("," if len(structure) == 1 else "") + ")"
    return structure
