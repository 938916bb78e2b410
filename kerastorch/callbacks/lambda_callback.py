"""LambdaCallback: a callback made of plain functions."""
from kerastorch.callbacks.callback import Callback


class LambdaCallback(Callback):
    """A callback whose hooks are the functions given.

    Args:
        on_epoch_begin, on_epoch_end: functions ``(epoch, logs)``.
        on_train_begin, on_train_end: functions ``(logs)``.
        on_train_batch_begin, on_train_batch_end: functions ``(batch, logs)``.
        **kwargs: any other hook by its name (``on_batch_end``, ``on_test_end``, ``on_predict_batch_end``...).

    Example:

    >>> print_batch = LambdaCallback(on_train_batch_end=lambda batch, logs: print(batch, logs["loss"]))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end, "on_train_begin": on_train_begin,
                 "on_train_end": on_train_end, "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end}
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)
