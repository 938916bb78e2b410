"""The logs fit/evaluate/predict hand to callbacks and return: lazily read batch logs, Python-number epoch logs,
and predict's outputs joined into arrays."""
from collections.abc import MutableMapping

import torch


class BatchLogs(MutableMapping):
    """The logs of one batch: metric name -> 0-dim tensor, computed only when read (reading one costs a host
    sync when the model is on a GPU). Names come in sorted order, as Keras hands logs to callbacks.

    Each step returns a fresh one (``fresh()``), so a callback may write entries into it, as into Keras's
    dict of batch logs, without the entries leaking into the next batch.
    """

    def __init__(self, metrics):
        self._metrics = sorted(metrics, key=lambda metric: metric.name)
        self._written = {}

    def fresh(self):
        """New logs over the same metrics, with nothing written."""
        logs = BatchLogs([])
        logs._metrics = self._metrics
        return logs

    def __getitem__(self, name):
        if name in self._written:
            return self._written[name]
        for metric in self._metrics:
            if metric.name == name:
                return metric.result()
        raise KeyError(name)

    def __setitem__(self, name, value):
        self._written[name] = value

    def __delitem__(self, name):
        # Only written entries can go; the metrics' own entries are part of the model.
        del self._written[name]

    def __iter__(self):
        return iter(sorted({m.name for m in self._metrics} | set(self._written)))

    def __len__(self):
        return len({m.name for m in self._metrics} | set(self._written))

    def copy(self):
        return dict(self)


def as_float(value):
    if isinstance(value, torch.Tensor):
        return float(value.detach().cpu()) if value.numel() == 1 else value.detach().cpu().numpy()
    return value


def python_logs(logs):
    """Logs as Python numbers, keyed in sorted order: Keras sorts every logs dict it gives to callbacks, so
    History's keys and evaluate's dict come out sorted (``accuracy``, ``loss``, ``val_accuracy``, ...)."""
    logs = logs or {}
    return {name: as_float(logs[name]) for name in sorted(logs)}


def _to_host(tensor):
    if tensor.device.type == "cpu":
        return tensor
    if tensor.is_cuda:
        # Page-locked memory, so the copy does not block; it is complete after the synchronize in
        # wait_for_host_copies (reading it before would read garbage).
        host = torch.empty(tensor.shape, dtype=tensor.dtype, pin_memory=True)
        return host.copy_(tensor, non_blocking=True)
    return tensor.cpu()


def outputs_to_host(outputs):
    """One batch of predict's outputs (a tensor, or a dict or list of them) copied to host memory as soon as it
    is made, so the device holds one batch of outputs at a time, not all of them until the end."""
    if isinstance(outputs, torch.Tensor):
        return _to_host(outputs)
    if isinstance(outputs, dict):
        return {key: _to_host(value) for key, value in outputs.items()}
    if isinstance(outputs, (list, tuple)):
        return type(outputs)(_to_host(value) for value in outputs)
    return outputs


def wait_for_host_copies(device):
    """Wait, once, for the copies ``outputs_to_host`` started from ``device`` (CUDA's are non-blocking)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def concatenate_outputs(batches):
    """predict's batches of outputs (tensors, dicts or lists of them) joined into numpy arrays."""
    first = batches[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(batches).cpu().numpy()
    if isinstance(first, dict):
        return {k: torch.cat([b[k] for b in batches]).cpu().numpy() for k in first}
    if isinstance(first, (list, tuple)):
        return [torch.cat([b[i] for b in batches]).cpu().numpy() for i in range(len(first))]
    raise ValueError(f"Unexpected model output type: {type(first).__name__}")
