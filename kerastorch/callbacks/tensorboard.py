"""TensorBoard: write training curves (and weight histograms) for TensorBoard, through torch.utils.tensorboard."""
import os
import time

from kerastorch.callbacks.callback import Callback, host_logs


def summary_writer_class():
    """torch's SummaryWriter, or an ImportError that says how to install what it needs."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as error:
        raise ImportError("The TensorBoard callback needs the `tensorboard` package. Install it with "
                          "`pip install kerastorch[tensorboard]` (or `pip install tensorboard`).") from error
    return SummaryWriter


class TensorBoard(Callback):
    """Log the epoch (and optionally batch) metrics, the learning rate and weight histograms for TensorBoard.

    Training values go to ``log_dir/train`` and validation values to ``log_dir/validation``, under Keras's tags
    (``epoch_loss``, ``epoch_accuracy``, ``epoch_learning_rate``, ``batch_loss``,
    ``evaluation_loss_vs_iterations``...), so ``tensorboard --logdir log_dir`` shows the same charts as for Keras.

    Args:
        log_dir: the directory to write to.
        histogram_freq: every how many epochs to write a histogram of each weight (0: never).
        write_graph: accepted for compatibility; the graph is not written.
        write_images: accepted for compatibility; weights are not written as images.
        write_steps_per_second: also log the training steps per second of each epoch.
        update_freq: ``"epoch"``; or ``"batch"`` or an int N to also log the batch values every N batches
            (each such batch waits for the device to read them).
        profile_batch: profiling is not available with torch; must be 0.
        embeddings_freq: embedding projections are not supported; must be 0.
        embeddings_metadata: unused (see ``embeddings_freq``).

    Raises:
        ImportError: when the ``tensorboard`` package is not installed (``pip install kerastorch[tensorboard]``).
    """

    _chief_only = True  # it prints or writes files: rank 0 alone does, in a data-parallel run

    _handles_tensor_logs = True

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        self._writer_class = summary_writer_class()
        if profile_batch:
            raise ValueError("Profiling is not yet available with the torch backend. Received: "
                             f"profile_batch={profile_batch} (must be 0)")
        if embeddings_freq:
            raise ValueError("Embedding projections are not supported by kerastorch's TensorBoard callback. "
                             f"Received: embeddings_freq={embeddings_freq} (must be 0)")
        update_freq = 1 if update_freq == "batch" else update_freq
        if update_freq != "epoch" and (not isinstance(update_freq, int) or update_freq < 1):
            raise ValueError(f"`update_freq` must be 'epoch', 'batch' or a positive int. Received: "
                             f"update_freq={update_freq!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._global_train_batch = 0
        self._epoch_start_time = None
        self._epoch_start_iterations = 0

    def _writer(self, kind):
        if kind not in self._writers:
            self._writers[kind] = self._writer_class(os.path.join(self.log_dir, kind))
        return self._writers[kind]

    def _iterations(self):
        optimizer = getattr(self.model, "optimizer", None)
        return int(getattr(optimizer, "iterations", 0)) if optimizer is not None else 0

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_train_batch_end(self, batch, logs=None):
        self._global_train_batch += 1
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        writer = self._writer("train")
        for name, value in host_logs(logs).items():
            if isinstance(value, float):
                writer.add_scalar(f"batch_{name}", value, self._global_train_batch)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start_time = time.time()
        self._epoch_start_iterations = self._iterations()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train_logs = {name: value for name, value in logs.items() if not name.startswith("val_")}
        val_logs = {name[4:]: value for name, value in logs.items() if name.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train_logs["learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second and self._epoch_start_time is not None:
            elapsed = time.time() - self._epoch_start_time
            train_logs["steps_per_second"] = (self._iterations() - self._epoch_start_iterations) / max(elapsed, 1e-9)
        for kind, values in (("train", train_logs), ("validation", val_logs)):
            for name, value in values.items():
                if isinstance(value, (int, float)):
                    self._writer(kind).add_scalar(f"epoch_{name}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            from kerastorch.saving.weights import weight_paths
            writer = self._writer("train")
            for path, weight in weight_paths(self.model):
                writer.add_histogram(f"{path}/histogram", weight.detach().cpu(), epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "iterations"):
            return
        writer = self._writer("validation")
        for name, value in (logs or {}).items():
            if isinstance(value, (int, float)):
                writer.add_scalar(f"evaluation_{name}_vs_iterations", value, int(optimizer.iterations))

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
