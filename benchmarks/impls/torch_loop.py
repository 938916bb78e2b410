"""The hand-written PyTorch loop: the baseline the ratios divide by.

Written the way people write it: the model as ``nn.Sequential`` of ``nn.Linear``/``nn.Conv2d`` on NCHW data,
``torch.optim.Adam(lr=1e-3)`` with torch's defaults, ``nn.CrossEntropyLoss`` on logits (the model's final
softmax folded into the loss), a ``torch.randperm`` shuffle each epoch with the batches indexed from it, and
``loss.item()`` each step for the running loss.
"""
import time

import numpy as np
import torch
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


def _activation(name, is_last):
    if name == "relu":
        return [nn.ReLU()]
    if name == "softmax" and is_last:
        return []   # folded into CrossEntropyLoss
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
        else:
            raise ValueError(f"Unknown layer spec: {layer!r}")
    return nn.Sequential(*modules)


def load_keras_weights(model, workload, weights):
    """Copy weights given in Keras's layouts into the torch model: Dense kernels transposed, Conv kernels from
    HWIO to OIHW, and the rows of the Dense that follows Flatten reordered from Keras's HWC flatten order to
    torch's CHW order, so that both models compute the same function."""
    modules = iter(m for m in model if isinstance(m, (nn.Linear, nn.Conv2d)))
    arrays = iter(weights)
    flattened_shape = None   # the (h, w, c) that the Flatten just before this layer flattened
    with torch.no_grad():
        for layer, shape in zip(workload.layers, w.layer_input_shapes(workload)):
            if isinstance(layer, w.Flatten):
                flattened_shape = shape
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
    loss_fn = nn.CrossEntropyLoss()
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
            correct += (logits.argmax(dim=1) == yb).sum()
        accuracy = correct.item() / n
        if device.type == "cuda":
            torch.cuda.synchronize()
        epoch_times.append(time.perf_counter() - start)
        epoch_cpu_times.append(time.process_time() - cpu_start)
    return {"epoch_times": epoch_times, "epoch_cpu_times": epoch_cpu_times, "loss": running_loss / n,
            "accuracy": accuracy,
            "params": sum(p.numel() for p in model.parameters()),
            "versions": {"torch": torch.__version__}, "model_source": "nn.Sequential (NCHW), logits"}
