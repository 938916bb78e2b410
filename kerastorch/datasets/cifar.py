"""The batch files of CIFAR-10 and CIFAR-100 (Python pickles), read safely."""
from kerastorch.datasets._files import load_pickle


def load_batch(fpath, label_key="labels"):
    """One CIFAR batch file: ``(data, labels)`` with data of shape (n, 3, 32, 32).

    The pickle is read by a restricted unpickler that builds only dicts, lists, strings, bytes, numbers and numpy
    arrays.
    """
    content = load_pickle(fpath)
    if not isinstance(content, dict):
        raise ValueError(f"{fpath} is not a CIFAR batch file: expected a pickled dict, found a "
                         f"{type(content).__name__}.")
    content = {key.decode("utf8") if isinstance(key, bytes) else key: value for key, value in content.items()}
    data = content["data"]
    return data.reshape(data.shape[0], 3, 32, 32), content[label_key]
