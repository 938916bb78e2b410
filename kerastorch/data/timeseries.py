"""``timeseries_dataset_from_array``: sliding windows over an array, gathered a batch at a time."""
import numpy as np
import torch

from kerastorch.data.dataset import Dataset


def _check_positions(data, sequence_stride, sampling_rate, start_index, end_index):
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= len(data):
            raise ValueError(f"`start_index` must be lower than the length of the data. Received: start_index="
                             f"{start_index}, for data of length {len(data)}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: start_index={start_index}, "
                             f"and end_index={end_index} ")
        if end_index >= len(data):
            raise ValueError(f"`end_index` must be lower than the length of the data. Received: end_index="
                             f"{end_index}, for data of length {len(data)}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= len(data):
            raise ValueError(f"`{name}` must be lower than the length of the data. Received: {name}={value}, for "
                             f"data of length {len(data)}")


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1, batch_size=128,
                                  shuffle=False, seed=None, start_index=None, end_index=None, format="tf"):
    """A ``Dataset`` of sliding windows over ``data`` (and the target of each window's first step).

    Window ``i`` holds ``data[start + p_i + k * sampling_rate]`` for ``k < sequence_length``, where the start
    positions ``p_i`` step by ``sequence_stride``; its target is ``targets[start + p_i]``.

    Args:
        data: an array (or tensor) whose first axis is time.
        targets: targets per time step, or None.
        sequence_length: steps per window.
        sequence_stride: steps between the starts of consecutive windows.
        sampling_rate: steps between two samples inside a window.
        batch_size: windows per batch (None: single windows).
        shuffle, seed: shuffle the windows' start positions with ``np.random.RandomState(seed)`` (as Keras does),
            and the windows again each epoch.
        start_index, end_index: use only ``data[start_index:end_index]``.
        format: accepted for Keras's signature.

    Returns:
        A ``kerastorch.data.Dataset`` of ``(windows, targets)`` batches, or of windows when ``targets`` is None.
    """
    _check_positions(data, sequence_stride, sampling_rate, start_index, end_index)
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    start_index = start_index or 0
    end_index = len(data) if end_index is None else end_index
    num_sequences = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_sequences = min(num_sequences, len(targets))
    positions = np.arange(0, max(num_sequences, 0), sequence_stride)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(positions)
    steps = positions[:, None] + np.arange(sequence_length)[None, :] * sampling_rate
    window_source = torch.as_tensor(np.asarray(data[start_index:end_index])) if not isinstance(data, torch.Tensor) \
        else data[start_index:end_index]
    windows = window_source[torch.as_tensor(steps, dtype=torch.long)] if len(positions) else \
        window_source[:0].unsqueeze(1).expand(0, sequence_length, *window_source.shape[1:])
    elements = windows
    if targets is not None:
        target_source = targets if isinstance(targets, torch.Tensor) else torch.as_tensor(np.asarray(targets))
        elements = (windows, target_source[start_index:end_index][torch.as_tensor(positions, dtype=torch.long)])
    dataset = Dataset.from_tensor_slices(elements)
    if shuffle:
        dataset = dataset.shuffle(len(positions) or 1, seed=seed)
    return dataset.batch(batch_size) if batch_size is not None else dataset
