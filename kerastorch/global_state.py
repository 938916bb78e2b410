"""Per-thread global state: the call context, the mixed-precision depth, the device scope, the name counters and
the trainer's active execution plan.

Every piece of state that Keras keeps globally lives here, in one ``threading.local``, so that a ``training=True``
call in one thread never reaches a call in another thread, and ``clear_session()`` resets all of it in one place.
Nothing here imports another kerastorch module: this is the bottom of the layering.
"""
import collections
import contextlib
import re
import threading


class _ThreadState(threading.local):
    def __init__(self):
        # The `training` value of the outermost call that set one explicitly; inner layers inherit it.
        self.training_stack = [None]
        # How many mixed-policy layer calls are running (their autocast is on).
        self.mixed_depth = 0
        # `with kerastorch.device(...)` scopes, innermost last.
        self.device_stack = []
        # Name prefix -> how many objects took it (layers, losses, metrics, optimizers share them, as in Keras).
        self.name_counters = collections.Counter()
        # Prefix -> the last id `keras.backend.get_uid` gave out.
        self.uid_counters = collections.Counter()
        # The execution plan the trainer's loop runs the model through (training/execution_plan.py), or None.
        self.execution_plan = None


_state = _ThreadState()


# ---- the call context -----------------------------------------------------------------------------------------

def current_training():
    """The ``training`` value set by the innermost enclosing layer call, or None."""
    return _state.training_stack[-1]


def push_training(training):
    _state.training_stack.append(training)


def pop_training():
    _state.training_stack.pop()


# ---- mixed precision --------------------------------------------------------------------------------------------

def mixed_depth():
    return _state.mixed_depth


def enter_mixed():
    _state.mixed_depth += 1


def exit_mixed():
    _state.mixed_depth -= 1


# ---- devices ------------------------------------------------------------------------------------------------------

def current_device_scope():
    """The device of the innermost ``with kerastorch.device(...)`` block of this thread, or None."""
    stack = _state.device_stack
    return stack[-1] if stack else None


@contextlib.contextmanager
def device_scope(device):
    stack = _state.device_stack
    depth = len(stack)
    stack.append(device)
    try:
        yield device
    finally:
        del stack[depth:]   # tolerant of a clear_session() inside the block


# ---- names --------------------------------------------------------------------------------------------------------

def unique_name(prefix):
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``... (reset by ``clear_session``)."""
    counters = _state.name_counters
    count = counters[prefix]
    counters[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def next_uid(prefix):
    """1 the first time for ``prefix``, then 2, 3... (``keras.backend.get_uid``; reset by ``clear_session``)."""
    _state.uid_counters[prefix] += 1
    return _state.uid_counters[prefix]


def to_snake_case(name):
    """``"GlobalAveragePooling1D"`` -> ``"global_average_pooling1d"``, as Keras names objects."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def auto_name(class_name):
    """The next automatic name for an object of ``class_name``: ``dense``, ``dense_1``..."""
    return unique_name(to_snake_case(class_name))


# ---- the trainer's execution plan -----------------------------------------------------------------------------

def active_execution_plan():
    """The plan the trainer's loop is running the model through in this thread, or None (a plain call)."""
    return _state.execution_plan


@contextlib.contextmanager
def execution_plan_scope(plan):
    previous = _state.execution_plan
    _state.execution_plan = plan
    try:
        yield plan
    finally:
        _state.execution_plan = previous


# ---- reset --------------------------------------------------------------------------------------------------------

def clear_session():
    """Reset this thread's state: name counters, call context, mixed depth, device scopes, execution plan."""
    _state.name_counters.clear()
    _state.uid_counters.clear()
    _state.training_stack[:] = [None]
    _state.mixed_depth = 0
    _state.device_stack.clear()
    _state.execution_plan = None
