"""Benchmarks: kerastorch against a hand-written PyTorch loop, Keras 3 on torch, tf.keras and torchvision.

``python -m benchmarks --quick --out bench-out`` (or ``make bench``) runs every workload for every installed
implementation, each run in its own process, repetitions interleaved, and writes ``results.md``,
``results.json`` and, with matplotlib, ``chart.png``. See ``python -m benchmarks --help``.

Layout:
    workloads.py  the workloads: each model defined once as a list of layer specs, its data once as numpy arrays
    impls/        one module per implementation, turning a workload into that library's model and timing it
    run_one.py    the child process: runs one implementation on one workload and prints its result as JSON
    __main__.py   the parent: plans the runs, interleaves the repetitions, collects the results
    report.py     the markdown table, the chart and the README section

This package imports neither torch nor tensorflow at import time: the Keras children run in interpreters that
may have only one of them.
"""
