"""History: the record of each epoch's logs that ``fit`` returns."""
from kerastorch.callbacks.callback import Callback


class History(Callback):
    """Records each epoch's logs; ``fit`` adds one and returns it (also as ``model.history``).

    Attributes:
        history: ``{"loss": [epoch 0's, epoch 1's, ...], "val_loss": [...], ...}``.
        epoch: the indices of the epochs recorded.
        params: ``{"verbose": ..., "epochs": ..., "steps": ...}`` of the fit call.
    """

    _handles_tensor_logs = True  # it has no batch hooks

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        # Keep model.history pointing at the latest record, as Keras does.
        self.model.history = self
