"""Callbacks: objects that ``fit``, ``evaluate`` and ``predict`` call at each stage (Keras 3's set).

``History`` and ``ProgbarLogger`` are added by ``fit`` itself; pass the others in ``callbacks=[...]``.
"""
from kerastorch._porting import missing_attribute
from kerastorch.callbacks.backup_and_restore import BackupAndRestore
from kerastorch.callbacks.callback import Callback, CallbackList
from kerastorch.callbacks.csv_logger import CSVLogger
from kerastorch.callbacks.early_stopping import EarlyStopping
from kerastorch.callbacks.history import History
from kerastorch.callbacks.lambda_callback import LambdaCallback
from kerastorch.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from kerastorch.callbacks.model_checkpoint import ModelCheckpoint
from kerastorch.callbacks.monitor_callback import MonitorCallback
from kerastorch.callbacks.progbar_logger import ProgbarLogger
from kerastorch.callbacks.tensorboard import TensorBoard
from kerastorch.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["BackupAndRestore", "Callback", "CallbackList", "CSVLogger", "EarlyStopping", "History",
           "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "MonitorCallback", "ProgbarLogger",
           "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN"]

__getattr__ = missing_attribute(__name__)
