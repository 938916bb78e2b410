"""Keras 3's console progress bar (``keras.utils.Progbar``), drawn from values that may still be on the device.

What it prints, byte for byte as Keras 3 does:

- verbose=1 redraws one line, at most every ``interval`` seconds and always at the end::

      25/25 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - accuracy: 0.9531 - loss: 0.1592

  The count is bold, the done part of the bar green, the rest grey; the time is the ETA while running and the
  elapsed seconds once finished. Each redraw first erases the previous line with backspaces and a carriage
  return. Keras does this whenever stdout is a terminal, a notebook, PyCharm, or any POSIX system, so a log file
  written on Linux holds the same control characters as the terminal; only elsewhere does each redraw start a
  new line instead.
- verbose=2 prints one line when finished: ``25/25 - 0s - 2ms/step - accuracy: 0.9531 - loss: 0.1592``.
- Values print with 4 decimals, or in scientific notation when their magnitude is at most 1e-3 (for verbose=2
  Keras tests the signed value, so negative values are scientific there too).

Values may be 0-dim torch tensors on any device: they are kept as references (averaged ones are summed on the
device) and turned into numbers only when a line is drawn, in one transfer, so a training step never waits for
the device because of the bar.
"""
import math
import os
import sys
import time
from collections.abc import Mapping

import numpy as np
import torch


def _now():
    """The clock the bar reads (a function, so tests can replace it)."""
    return time.time()


def print_msg(message, line_break=True):
    """Write ``message`` to stdout and flush, as Keras's messages are written.

    When stdout's encoding cannot represent a character (the bar's ``━`` on a legacy console), the bar falls
    back to ``=`` and other unencodable characters are dropped, as Keras does.

    Args:
        message: the text.
        line_break: whether to end it with a newline.
    """
    message = f"{message}\n" if line_break else str(message)
    try:
        sys.stdout.write(message)
    except UnicodeEncodeError:
        encoding = sys.stdout.encoding or "utf-8"
        message = message.replace("━", "=").encode(encoding, errors="ignore").decode(encoding)
        sys.stdout.write(message)
    sys.stdout.flush()


def format_time_per_unit(seconds, unit_name):
    """`` 2s/step``, `` 15ms/step`` or `` 80us/step`` (with the leading space Keras puts there).

    Args:
        seconds: the duration of one unit.
        unit_name: what a unit is called (``"step"``, ``"sample"``).
    """
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1000.0:.0f}ms/{unit_name}"
    return f" {seconds * 1000000.0:.0f}us/{unit_name}"


def format_eta(seconds):
    """The time left: ``1:02:03`` above an hour, ``2:03`` above a minute, else ``45s`` (truncated)."""
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def format_value(value, signed_threshold=False):
    """A metric value as Keras prints it: ``0.1592``, or ``1.2345e-05`` for magnitudes at most 1e-3.

    Args:
        value: a number.
        signed_threshold: compare the value itself, not its magnitude, with 1e-3 (Keras's verbose=2 line does,
            so it prints negative values in scientific notation).
    """
    large = value > 1e-3 if signed_threshold else abs(value) > 1e-3
    return f"{value:.4f}" if large else f"{value:.4e}"


def to_host_numbers(values):
    """``values`` with every torch tensor turned into a Python float (the mean, for tensors of several
    elements), reading all the tensors of one device in a single transfer. Other values are returned as is."""
    by_device = {}
    for position, value in enumerate(values):
        if isinstance(value, torch.Tensor):
            by_device.setdefault(value.device, []).append(position)
    if not by_device:
        return list(values)
    result = list(values)
    for device, positions in by_device.items():
        # float64 holds float32/16 values exactly; MPS has no float64.
        dtype = torch.float32 if device.type == "mps" else torch.float64
        with torch.no_grad():
            flat = torch.stack([values[p].detach().to(dtype).mean() for p in positions])
        for position, number in zip(positions, flat.tolist()):
            result[position] = number
    return result


class Progbar:
    """Displays a progress bar (``keras.utils.Progbar``).

    Metrics are averaged over the steps seen ("stateless") unless listed in ``stateful_metrics``, which are
    shown as given. Alternatively ``stateless_metrics`` lists the averaged ones and all others are shown as
    given. With neither, all are averaged.

    Args:
        target: total number of steps expected, or None if unknown.
        width: the bar's width in characters.
        verbose: 0 (silent), 1 (a redrawn bar) or 2 (one line at the end).
        interval: minimum seconds between two redraws of the bar (verbose=1).
        stateful_metrics: names of values shown as given. Not together with ``stateless_metrics``.
        stateless_metrics: names of values averaged over the steps; all others are shown as given.
        unit_name: what a step is called in the time per step (``"step"``, ``"sample"``).

    Example:

    >>> bar = Progbar(target=100)
    >>> for step in range(1, 101):
    ...     bar.update(step, [("loss", 0.5)])
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None, stateless_metrics=None,
                 unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be provided. Received: "
                f"stateful_metrics={stateful_metrics!r} and stateless_metrics={stateless_metrics!r}.")
        if verbose not in (0, 1, 2):
            raise ValueError(f"Argument `verbose` must be 0, 1 or 2. Received: verbose={verbose!r}")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics is not None else None
        self.stateless_metrics = set(stateless_metrics) if stateless_metrics is not None else None
        if self.stateful_metrics is None and self.stateless_metrics is None:
            self.stateful_metrics = set()
        # Keras redraws in place on terminals, notebooks, PyCharm and every POSIX system (piped output included).
        self._dynamic_display = ((hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
                                 or "ipykernel" in sys.modules or os.name == "posix"
                                 or "PYCHARM_HOSTED" in os.environ)
        self._seen_so_far = 0
        self._values = {}        # name -> [sum or value (a number or a tensor), count]
        self._values_order = []  # names in order of first appearance
        self._pending_values = None  # a mapping of values shown as given, read only when a line is drawn
        self._start = _now()
        self._last_update = 0
        self._time_after_first_step = None
        self._prev_total_width = 0

    def _is_averaged(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def update(self, current, values=None, finalize=None):
        """Record step ``current`` and redraw when it is time to.

        Args:
            current: the index of the current step (1-based).
            values: ``(name, value)`` pairs for this step, or a mapping; values may be numbers, arrays or torch
                tensors (read only when a line is drawn). A mapping whose values are all shown as given is not
                read at all until a line is drawn.
            finalize: whether this is the last update; defaults to ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if isinstance(values, Mapping):
            names = list(values)
            if not finalize and not any(self._is_averaged(name) for name in names):
                # Values shown as given need not be looked at until a line is drawn: keep the mapping (the
                # engine's batch logs compute each value only when it is read).
                for name in names:
                    if name not in self._values:
                        self._values_order.append(name)
                        self._values[name] = [None, 1]
                self._pending_values = values
                values = ()
            else:
                values = values.items()
        if values:
            self._apply_pending_values()  # older than these values
        for name, value in values or ():
            if name not in self._values:
                self._values_order.append(name)
            if not self._is_averaged(name) or finalize:
                # Shown as given; a final update replaces any average (Keras's rule for the end of an epoch).
                self._values[name] = [value, 1]
            else:
                weight = max(current - self._seen_so_far, 1)
                entry = self._values.get(name)
                if entry is None:
                    self._values[name] = [value * weight, weight]
                else:
                    entry[0] = entry[0] + value * weight
                    entry[1] += weight
        self._seen_so_far = current

        now = _now()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            self._draw_bar(current, now, time_per_unit, finalize)
        elif self.verbose == 2 and finalize and self.target is not None and self.target > 0:
            self._print_summary_line(current, now, time_per_unit)
        self._last_update = now

    def add(self, n, values=None):
        """Advance by ``n`` steps (``update(seen + n, values)``)."""
        self.update(self._seen_so_far + n, values)

    def _apply_pending_values(self):
        if self._pending_values is not None:
            for name, value in self._pending_values.items():
                self._values[name] = [value, 1]
            self._pending_values = None

    def _averages(self):
        """Each value's average (or value), as numbers, in display order: one device transfer at most."""
        self._apply_pending_values()
        names = self._values_order
        totals = to_host_numbers([self._values[name][0] for name in names])
        averages = []
        for name, total in zip(names, totals):
            if not isinstance(total, float):
                total = np.mean(total)
            averages.append(total / max(1, self._values[name][1]))
        return names, averages

    def _draw_bar(self, current, now, time_per_unit, finalize):
        message = "\b" * self._prev_total_width + "\r" if self._dynamic_display else "\n"
        # Characters of the escape sequences, which take no room on screen.
        invisible = 0
        if self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            bar = "\x1b[1m%*d/%d\x1b[0m " % (digits, current, self.target)
            invisible += 8
            done = int(self.width * (float(current) / self.target))
            if done > 0:
                bar += f"\33[32m{'━' * done}\x1b[0m"
                invisible += 9
            bar += f"\33[37m{'━' * (self.width - done)}\x1b[0m"
            invisible += 9
        else:
            bar = "%7d/Unknown" % current

        if self.target is not None and self.target > 0 and not finalize:
            shown_time = format_eta(time_per_unit * (self.target - current))
        else:
            shown_time = f"{now - self._start:.0f}s"
        info = f" \x1b[1m{shown_time}\x1b[0m" + format_time_per_unit(time_per_unit, self.unit_name)
        invisible += 8
        names, averages = self._averages()
        for name, average in zip(names, averages):
            info += f" - {name}: {format_value(average)}"

        total_width = len(bar) + len(info) - invisible
        message += bar + info
        if self._prev_total_width > total_width:
            message += " " * (self._prev_total_width - total_width)
        if finalize:
            message += "\n"
        print_msg(message, line_break=False)
        self._prev_total_width = total_width

    def _print_summary_line(self, current, now, time_per_unit):
        digits = int(math.log10(self.target)) + 1
        line = "%*d/%d" % (digits, current, self.target) + f" - {now - self._start:.0f}s -"
        line += format_time_per_unit(time_per_unit, self.unit_name)
        names, averages = self._averages()
        for name, average in zip(names, averages):
            line += f" - {name}: {format_value(average, signed_threshold=True)}"
        print_msg(line + "\n", line_break=False)

    def _estimate_step_duration(self, current, now):
        """Seconds per step; after the first step, the first step's duration (often slow: warm-up) is left out."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit
