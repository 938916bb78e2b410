"""BackupAndRestore: resume a training run that was interrupted (killed, crashed) from its last backup."""
import io
import json
import os
import random

import numpy as np
import safetensors
import safetensors.torch
import torch

from kerastorch.callbacks.callback import BatchCounter, Callback
from kerastorch.saving.weights import assign_weights_state, atomic_save_file, weights_state
from kerastorch.training import distributed

BACKUP_NAME = "latest.backup.safetensors"


def _optimizer_state(optimizer):
    """The optimizer's state as ``{key: CPU tensor}``: its variables (step count, learning rate, slots) in
    order, or a torch optimizer's ``state_dict`` serialized."""
    if optimizer is None:
        return {}
    if hasattr(optimizer, "get_weights") and hasattr(optimizer, "set_weights"):
        if not getattr(optimizer, "built", True):
            return {}
        return {f"optimizer/{position}": torch.tensor(np.asarray(value))
                for position, value in enumerate(optimizer.get_weights())}
    if hasattr(optimizer, "state_dict"):
        buffer = io.BytesIO()
        torch.save(optimizer.state_dict(), buffer)
        return {"optimizer/state_dict": torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8)}
    raise ValueError(f"BackupAndRestore cannot save the state of optimizer {optimizer!r}: it has neither "
                     "get_weights()/set_weights() nor state_dict()/load_state_dict().")


def _restore_optimizer_state(optimizer, tensors, model):
    if "optimizer/state_dict" in tensors:
        state_bytes = io.BytesIO(tensors["optimizer/state_dict"].numpy().tobytes())
        optimizer.load_state_dict(torch.load(state_bytes, weights_only=True))
        return
    count = sum(key.startswith("optimizer/") for key in tensors)
    if not count:
        return
    if not optimizer.built:
        # The step would build it later from these same variables; build now so the state has somewhere to go.
        optimizer.build(model.trainable_weights)
    optimizer.set_weights([tensors[f"optimizer/{position}"].numpy() for position in range(count)])


def _random_state():
    """The random generators' states: torch's (CPU, CUDA) as tensors; NumPy's and Python's as JSON."""
    tensors = {"rng/torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for index, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng/cuda/{index}"] = state
    name, keys, position, has_gauss, cached_gauss = np.random.get_state()
    tensors["rng/numpy_keys"] = torch.from_numpy(keys.astype(np.int64))
    python_version, python_internal, python_gauss = random.getstate()
    metadata = {"numpy": [name, int(position), int(has_gauss), float(cached_gauss)],
                "python": [python_version, list(python_internal), python_gauss]}
    return tensors, metadata


def _restore_random_state(tensors, metadata):
    torch.set_rng_state(tensors["rng/torch"])
    cuda_states = [tensors[f"rng/cuda/{index}"] for index in range(torch.cuda.device_count())
                   if f"rng/cuda/{index}" in tensors]
    if cuda_states:
        torch.cuda.set_rng_state_all(cuda_states)
    name, position, has_gauss, cached_gauss = metadata["numpy"]
    np.random.set_state((name, tensors["rng/numpy_keys"].numpy().astype(np.uint32), position, has_gauss,
                         cached_gauss))
    python_version, python_internal, python_gauss = metadata["python"]
    random.setstate((python_version, tuple(python_internal), python_gauss))


class BackupAndRestore(Callback):
    """Back training up regularly, so that a run that was interrupted resumes where its last backup was made.

    At each epoch end (or every ``save_freq`` batches) one file in ``backup_dir`` receives, atomically, the
    model's weights, the optimizer's state, the random generators' states (torch, NumPy, Python) and the
    epoch reached. When ``fit`` starts with this callback and finds a backup, it restores all of it and
    training resumes at the epoch after the last completed one (through ``model._initial_epoch``, as in
    Keras). With backups at epoch ends, a run killed and started again ends with the same weights as a run
    that was never interrupted. When training completes, the backup is deleted (unless
    ``delete_checkpoint=False``).

    Args:
        backup_dir: the directory for the backup; use a different one for each training run.
        save_freq: ``"epoch"``, or an int N to also back up every N batches (a resumed run then restarts the
            interrupted epoch from its beginning with the weights of that backup, as Keras does).
        double_checkpoint: keep the previous backup too, and fall back to it if the latest cannot be read.
        delete_checkpoint: delete the backup when training completes.

    Example:

    >>> callback = BackupAndRestore(backup_dir="/tmp/backup")
    >>> model.fit(x, y, epochs=10, callbacks=[callback])  # killed at epoch 4; run again: resumes at epoch 5
    """

    _handles_tensor_logs = True
    _may_stop_in_batch = False  # its batch hooks save; they never stop training

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)
                                     or save_freq < 1):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. Expected "
                             "either 'epoch' or an integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._backup_path = os.path.join(self.backup_dir, BACKUP_NAME)
        self._previous_backup_path = self._backup_path + ".bkp"
        self._batch_counter = BatchCounter(save_freq) if save_freq != "epoch" else None
        self._current_epoch = 0

    def on_train_begin(self, logs=None):
        if not self.model.built:
            raise ValueError("To use the BackupAndRestore callback, you model must be built before you call "
                             f"`fit()`. Model {self.model} is unbuilt. You can build it beforehand by calling it "
                             "on a batch of data.")
        self.model._initial_epoch = None
        path = self._backup_path
        if not os.path.exists(path) and os.path.exists(self._previous_backup_path):
            path = self._previous_backup_path
        if not os.path.exists(path):
            return
        try:
            self._restore(path)
        except (OSError, safetensors.SafetensorError, KeyError, ValueError):
            if path == self._previous_backup_path or not os.path.exists(self._previous_backup_path):
                raise
            self._restore(self._previous_backup_path)

    def _restore(self, path):
        with safetensors.safe_open(path, framework="pt") as backup:
            metadata = json.loads(backup.metadata()["backup"])
        tensors = safetensors.torch.load_file(path, device="cpu")
        assign_weights_state(self.model, tensors, source=path, prefix="model/")
        _restore_optimizer_state(getattr(self.model, "optimizer", None), tensors, self.model)
        _restore_random_state(tensors, metadata["random"])
        self._current_epoch = metadata["epoch"]
        self.model._initial_epoch = metadata["epoch"]

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch, logs=None):
        if self._batch_counter is not None and self._batch_counter.passed(batch):
            self._save()

    def _save(self):
        # In a data-parallel run rank 0 writes the backup (every rank resumes from it) and the others wait.
        with distributed.writing_on_chief() as writes:
            if writes:
                self._write_backup()

    def _write_backup(self):
        tensors = weights_state(self.model, prefix="model/")
        tensors.update(_optimizer_state(getattr(self.model, "optimizer", None)))
        random_tensors, random_metadata = _random_state()
        tensors.update(random_tensors)
        metadata = {"backup": json.dumps({"epoch": self._current_epoch, "random": random_metadata}),
                    "format": "pt", "producer": "kerastorch"}
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._backup_path):
            os.replace(self._backup_path, self._previous_backup_path)
        atomic_save_file(tensors, self._backup_path, metadata=metadata)

    def on_train_end(self, logs=None):
        # This run completed: a later fit starts from its own initial_epoch.
        self.model._initial_epoch = None
        if not self.delete_checkpoint:
            return
        with distributed.writing_on_chief() as writes:
            if writes:
                self._delete_backup()

    def _delete_backup(self):
        for path in (self._backup_path, self._previous_backup_path):
            if os.path.exists(path):
                os.remove(path)
        if os.path.isdir(self.backup_dir) and not os.listdir(self.backup_dir):
            os.rmdir(self.backup_dir)
