"""Keras 2's model methods that Keras 3 removed, kept for unmodified Keras 2 programs.

``fit_generator``, ``evaluate_generator`` and ``predict_generator`` are ``fit``, ``evaluate`` and ``predict``,
which take generators, ``keras.utils.Sequence`` objects and datasets themselves. ``predict_proba`` and
``predict_classes`` are the methods of Keras 2's ``Sequential``. Each warns once (``kerastorch._legacy``) with
what to write instead.
"""
import warnings

import numpy as np

from kerastorch import _legacy


def warn_loader_arguments(method, max_queue_size, workers, use_multiprocessing):
    """Warn once that tf.keras 2's ``max_queue_size``/``workers``/``use_multiprocessing`` of ``method`` (fit,
    evaluate, predict) have no effect, when any is given (not None)."""
    given = {name: value for name, value in (("max_queue_size", max_queue_size), ("workers", workers),
                                             ("use_multiprocessing", use_multiprocessing)) if value is not None}
    if given:
        _legacy.warn_once(f"{method}({', '.join(f'{name}=...' for name in given)})",
                          "`keras.utils.PyDataset(workers=..., use_multiprocessing=..., max_queue_size=...)` for "
                          "parallel loading (kerastorch reads the batches in the training loop and ignores them)")


def _check_steps(data, steps, argument):
    """Keras 2's rule: a generator without a length needs its number of steps (else it would be read forever)."""
    if steps is None and hasattr(data, "__next__") and not hasattr(data, "__len__"):
        raise ValueError(f"`{argument}=None` is only valid for data with a length, such as a `keras.utils.Sequence`. "
                         f"Received a {type(data).__name__} without one: give `{argument}`, the number of batches "
                         f"to draw from it.")


class Keras2ModelMethods:
    """The generator methods of Keras 2's ``Model``, mixed into kerastorch's ``Model``.

    ``max_queue_size``, ``workers`` and ``use_multiprocessing`` are accepted and have no effect: the batches are
    read from the generator in the training loop's own thread.
    """

    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1, class_weight=None,
                      max_queue_size=10, workers=1, use_multiprocessing=False, shuffle=True, initial_epoch=0):
        """Keras 2's ``fit`` for generators: ``fit(generator, steps_per_epoch=..., ...)``; returns a History."""
        _legacy.warn_once("fit_generator", "`fit`, which accepts generators")
        _check_steps(generator, steps_per_epoch, "steps_per_epoch")
        _check_steps(validation_data, validation_steps, "validation_steps")
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, validation_data=validation_data, validation_steps=validation_steps,
                        validation_freq=validation_freq, class_weight=class_weight, shuffle=shuffle,
                        initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                           use_multiprocessing=False, verbose=0):
        """Keras 2's ``evaluate`` for generators: the loss, or ``[loss, *metrics]`` in ``metrics_names`` order."""
        _legacy.warn_once("evaluate_generator", "`evaluate`, which accepts generators")
        _check_steps(generator, steps, "steps")
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                          use_multiprocessing=False, verbose=0):
        """Keras 2's ``predict`` for generators: the outputs for the inputs of ``steps`` batches."""
        _legacy.warn_once("predict_generator", "`predict`, which accepts generators")
        _check_steps(generator, steps, "steps")
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def reset_states(self):
        """Keras 2's ``Model.reset_states``: zero the states of every stateful layer of the model (nested models
        included)."""
        _legacy.warn_once("Model.reset_states", "`layer.reset_state()` on each stateful recurrent layer")
        for layer in self.modules():
            if layer is not self and getattr(layer, "stateful", False) and hasattr(layer, "reset_state"):
                layer.reset_state()


class Keras2SequentialMethods:
    """``predict_proba`` and ``predict_classes``, the prediction helpers of Keras 2's ``Sequential``."""

    def predict_proba(self, x, batch_size=32, verbose=0):
        """The model's predictions, which should be probabilities (a warning says when they are not in [0, 1])."""
        _legacy.warn_once("predict_proba", "`predict`")
        probabilities = self.predict(x, batch_size=batch_size, verbose=verbose)
        if probabilities.min() < 0.0 or probabilities.max() > 1.0:
            warnings.warn("The model returned probability values outside [0, 1]: is its last activation a softmax "
                          "or a sigmoid?", stacklevel=2)
        return probabilities

    def predict_classes(self, x, batch_size=32, verbose=0):
        """The predicted class of each sample: the argmax of the last axis when it has several units, else
        whether the single output is above 0.5 (as int32, shape ``(samples, 1)``)."""
        _legacy.warn_once("predict_classes", "`np.argmax(model.predict(x), axis=-1)` (softmax) or "
                                             "`(model.predict(x) > 0.5).astype('int32')` (sigmoid)")
        probabilities = self.predict(x, batch_size=batch_size, verbose=verbose)
        if probabilities.shape[-1] > 1:
            return probabilities.argmax(axis=-1)
        return (probabilities > 0.5).astype(np.int32)
