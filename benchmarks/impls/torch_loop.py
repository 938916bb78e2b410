"""The hand-written PyTorch loop: the baseline the ratios divide by.

Written the way people write it: the model as ``nn.Sequential`` of ``nn.Linear``/``nn.Conv2d`` on NCHW data,
``torch.optim.Adam(lr=1e-3)`` with torch's defaults, ``nn.CrossEntropyLoss`` on logits (the model's final
softmax folded into the loss; ``nn.BCEWithLogitsLoss`` for a final sigmoid), a ``torch.randperm`` shuffle each
epoch with the batches indexed from it, and ``loss.item()`` each step for the running loss. Sequence models use
``nn.Embedding``, ``nn.LSTM(batch_first=True)`` and, for attention, ``nn.Linear`` projections around
``F.scaled_dot_product_attention`` (``nn.MultiheadAttention`` cannot have 2 heads of 32 on a width of 32).
"""
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from benchmarks import workloads as w


class ResidualBlock(nn.Module):
    """A ResNet basic block (the workloads' Residual spec) on NCHW tensors."""

    def __init__(self, in_channels, filters, strides):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, filters, 3, strides, 1, bias=False), nn.BatchNorm2d(filters), nn.ReLU(),
            nn.Conv2d(filters, filters, 3, 1, 1, bias=False), nn.BatchNorm2d(filters))
        self.shortcut = nn.Identity()
        if strides != 1 or in_channels != filters:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, filters, 1, strides, bias=False),
                                          nn.BatchNorm2d(filters))

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


class LastLSTMOutput(nn.Module):
    """``nn.LSTM(batch_first=True)`` that returns the last step's output, as Keras's LSTM does by default."""

    def __init__(self, input_size, units):
        super().__init__()
        self.lstm = nn.LSTM(input_size, units, batch_first=True)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return h[-1]

    def load_keras(self, kernel, recurrent_kernel, bias):
        """Keras's gates (i, f, c, o) are torch's (i, f, g, o); Keras has one bias, torch two (the second 0)."""
        self.lstm.weight_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(kernel.T)))
        self.lstm.weight_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(recurrent_kernel.T)))
        self.lstm.bias_ih_l0.copy_(torch.from_numpy(bias))
        self.lstm.bias_hh_l0.zero_()


class TokenAndPosition(nn.Module):
    def __init__(self, vocab, steps, dim):
        super().__init__()
        self.tokens, self.positions = nn.Embedding(vocab, dim), nn.Embedding(steps, dim)

    def forward(self, x):
        return self.tokens(x) + self.positions(torch.arange(x.shape[1], device=x.device))

    def load_keras(self, tokens, positions):
        self.tokens.weight.copy_(torch.from_numpy(tokens))
        self.positions.weight.copy_(torch.from_numpy(positions))


class TransformerBlock(nn.Module):
    """Post-norm encoder block: query/key/value projections to heads * key_dim, scaled_dot_product_attention,
    output projection, dropout, residual, LayerNorm; ReLU feed-forward, dropout, residual, LayerNorm."""

    def __init__(self, dim, num_heads, key_dim, ff_dim, dropout):
        super().__init__()
        self.num_heads, self.key_dim = num_heads, key_dim
        self.query, self.key, self.value = (nn.Linear(dim, num_heads * key_dim) for _ in range(3))
        self.output = nn.Linear(num_heads * key_dim, dim)
        self.norm1, self.norm2 = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(dim, eps=1e-6)
        self.feed_forward = nn.Sequential(nn.Linear(dim, ff_dim), nn.ReLU(), nn.Linear(ff_dim, dim))
        self.dropout = nn.Dropout(dropout)

    def _heads(self, x):   # (batch, steps, heads * key_dim) -> (batch, heads, steps, key_dim)
        return x.unflatten(-1, (self.num_heads, self.key_dim)).transpose(1, 2)

    def forward(self, x):
        attention = F.scaled_dot_product_attention(self._heads(self.query(x)), self._heads(self.key(x)),
                                                   self._heads(self.value(x)))
        attention = self.output(attention.transpose(1, 2).flatten(2))
        x = self.norm1(x + self.dropout(attention))
        return self.norm2(x + self.dropout(self.feed_forward(x)))

    def load_keras(self, *arrays):
        """Keras's MultiHeadAttention kernels (dim, heads, key_dim) and (heads, key_dim, dim) as Linear weights."""
        arrays = [torch.from_numpy(np.ascontiguousarray(a)) for a in arrays]
        for i, linear in enumerate((self.query, self.key, self.value)):
            linear.weight.copy_(arrays[2 * i].flatten(1).T)
            linear.bias.copy_(arrays[2 * i + 1].flatten())
        self.output.weight.copy_(arrays[6].flatten(0, 1).T)
        self.output.bias.copy_(arrays[7])
        first, second = self.feed_forward[0], self.feed_forward[2]
        for module, values in ((self.norm1, arrays[8:10]), (first, arrays[10:12]), (second, arrays[12:14]),
                               (self.norm2, arrays[14:16])):
            module.weight.copy_(values[0].T if isinstance(module, nn.Linear) else values[0])
            module.bias.copy_(values[1])


class GlobalAvgPool1D(nn.Module):
    def forward(self, x):
        return x.mean(dim=1)


# Each sequence spec: (torch module from the spec and its input shape, how many Keras arrays its weights take).
_SEQUENCE_MODULES = {
    w.Embedding: (lambda layer, shape: nn.Embedding(layer.input_dim, layer.output_dim), 1),
    w.LSTM: (lambda layer, shape: LastLSTMOutput(shape[-1], layer.units), 3),
    w.TokenAndPosition: (lambda layer, shape: TokenAndPosition(layer.vocab, layer.steps, layer.dim), 2),
    w.TransformerBlock: (lambda layer, shape: TransformerBlock(shape[-1], layer.num_heads, layer.key_dim,
                                                               layer.ff_dim, layer.dropout), 16),
    w.GlobalAvgPool1D: (lambda layer, shape: GlobalAvgPool1D(), 0),
}


def _activation(name, is_last):
    if name == "relu":
        return [nn.ReLU()]
    if name in ("softmax", "sigmoid") and is_last:
        return []   # folded into CrossEntropyLoss / BCEWithLogitsLoss
    if name is None:
        return []
    raise ValueError(f"The torch loop does not translate activation {name!r}")


def build_model(workload):
    """The workload's model as an NCHW ``nn.Sequential`` that outputs logits."""
    modules = []
    last = len(workload.layers) - 1
    for i, (layer, shape) in enumerate(zip(workload.layers, w.layer_input_shapes(workload))):
        if isinstance(layer, w.Dense):
            modules += [nn.Linear(shape[-1], layer.units)] + _activation(layer.activation, i == last)
        elif isinstance(layer, w.Conv):
            padding = 0 if layer.padding == "valid" else "same"
            modules += [nn.Conv2d(shape[-1], layer.filters, layer.kernel, padding=padding)]
            modules += _activation(layer.activation, False)
        elif isinstance(layer, w.MaxPool):
            modules.append(nn.MaxPool2d(layer.size))
        elif isinstance(layer, w.Flatten):
            modules.append(nn.Flatten())
        elif isinstance(layer, w.ConvBNReLU):
            modules += [nn.Conv2d(shape[-1], layer.filters, layer.kernel, layer.strides, layer.kernel // 2,
                                  bias=False), nn.BatchNorm2d(layer.filters), nn.ReLU()]
        elif isinstance(layer, w.Residual):
            modules.append(ResidualBlock(shape[-1], layer.filters, layer.strides))
        elif isinstance(layer, w.GlobalAvgPool):
            modules += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        elif type(layer) in _SEQUENCE_MODULES:
            modules.append(_SEQUENCE_MODULES[type(layer)][0](layer, shape))
        else:
            raise ValueError(f"Unknown layer spec: {layer!r}")
    return nn.Sequential(*modules)


def load_keras_weights(model, workload, weights):
    """Copy weights given in Keras's layouts into the torch model: Dense kernels transposed, Conv kernels from
    HWIO to OIHW, the rows of the Dense that follows Flatten reordered from Keras's HWC flatten order to
    torch's CHW order, and the sequence layers as their modules' ``load_keras`` say, so that both models compute
    the same function."""
    modules = iter(m for m in model if isinstance(m, (nn.Linear, nn.Conv2d)) or type(m) in _SEQUENCE_TYPES)
    arrays = iter(weights)
    flattened_shape = None   # the (h, w, c) that the Flatten just before this layer flattened
    with torch.no_grad():
        for layer, shape in zip(workload.layers, w.layer_input_shapes(workload)):
            if isinstance(layer, w.Flatten):
                flattened_shape = shape
                continue
            if type(layer) in _SEQUENCE_MODULES:
                count = _SEQUENCE_MODULES[type(layer)][1]
                if count:
                    _load_sequence_module(next(modules), [next(arrays) for _ in range(count)])
                continue
            if not isinstance(layer, (w.Dense, w.Conv)):
                continue
            module, kernel, bias = next(modules), next(arrays), next(arrays)
            if isinstance(layer, w.Conv):
                kernel = kernel.transpose(3, 2, 0, 1)
            else:
                if flattened_shape is not None and len(flattened_shape) == 3:
                    h, wd, c = flattened_shape
                    kernel = kernel.reshape(h, wd, c, -1).transpose(2, 0, 1, 3).reshape(h * wd * c, -1)
                kernel = kernel.T
            flattened_shape = None
            module.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel)))
            module.bias.copy_(torch.from_numpy(bias))


_SEQUENCE_TYPES = (nn.Embedding, LastLSTMOutput, TokenAndPosition, TransformerBlock)


def _load_sequence_module(module, arrays):
    if isinstance(module, nn.Embedding):
        module.weight.copy_(torch.from_numpy(arrays[0]))
    else:
        module.load_keras(*arrays)


def run(workload, data, weights, options):
    """Train the workload's model with the hand-written loop; returns epoch times and the last epoch's loss and
    accuracy (means over the epoch's samples, as Keras reports them)."""
    torch.set_num_threads(options["threads"])
    torch.manual_seed(options["seed"])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = build_model(workload)
    if weights is not None:
        load_keras_weights(model, workload, weights)
    model.to(device)
    x = torch.from_numpy(data["x"])
    if x.dim() == 4:
        x = x.permute(0, 3, 1, 2).contiguous()   # NHWC -> NCHW, once, before training
    x, y = x.to(device), torch.from_numpy(data["y"]).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    binary = workload.loss == "binary_crossentropy"
    loss_fn = nn.BCEWithLogitsLoss() if binary else nn.CrossEntropyLoss()
    amp = workload.mixed_precision and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda") if amp else None
    n, batch_size = x.shape[0], workload.batch_size
    epoch_times, epoch_cpu_times = [], []
    for _ in range(options["epochs"]):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start, cpu_start = time.perf_counter(), time.process_time()
        model.train()
        permutation = torch.randperm(n, device=device)
        running_loss, correct = 0.0, torch.zeros((), dtype=torch.long, device=device)
        for begin in range(0, n, batch_size):
            index = permutation[begin:begin + batch_size]
            xb, yb = x[index], y[index]
            optimizer.zero_grad()
            with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
                logits = model(xb)
                loss = loss_fn(logits, yb)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            running_loss += loss.item() * len(index)
            predicted = (logits > 0).to(yb.dtype) if binary else logits.argmax(dim=1)
            correct += (predicted == yb).sum()
        accuracy = correct.item() / n
        if device.type == "cuda":
            torch.cuda.synchronize()
        epoch_times.append(time.perf_counter() - start)
        epoch_cpu_times.append(time.process_time() - cpu_start)
    return {"epoch_times": epoch_times, "epoch_cpu_times": epoch_cpu_times, "loss": running_loss / n,
            "accuracy": accuracy,
            "params": sum(p.numel() for p in model.parameters()),
            "versions": {"torch": torch.__version__}, "model_source": "nn.Sequential (NCHW), logits"}
