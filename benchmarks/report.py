"""The report: a summary of the runs, the markdown table, the chart and the README section.

Everything here works from the results dict (``results.json``), so ``tools/update_readme_bench.py`` can render a
committed results file without running anything. Only the standard library (matplotlib for the chart, if present).
"""
import statistics

from benchmarks.impls import IMPLS

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _row_note(workload, impl, ok, group):
    notes = []
    failed = [r for r in group if r["status"] == "failed"]
    if failed:
        notes.append(f"{len(failed)} of {len(group)} runs failed: {failed[0]['error']}")
    skipped = [r for r in group if r["status"] == "skipped"]
    if skipped:
        notes.append(skipped[0]["note"])
    if ok:
        first = ok[0]
        if impl in ("keras3-torch", "tf-keras") and first.get("jit_compile"):
            notes.append("jit_compile='auto' resolved to True (XLA)")
        if workload.get("task") == "predict" and impl.startswith("kerastorch") and \
                ".applications." not in first.get("model_source", ""):
            notes.append("VGG16 built from the workload's layer stack (kerastorch.applications.VGG16 not available)")
    return "; ".join(notes)


def summarize(results):
    """One row per (workload, implementation): the median, min and max of the runs' wall-clock times and the
    ratio to the workload's baseline, the same ratio in CPU time, the median final loss and accuracy, and the
    largest peak RSS (and CUDA allocation)."""
    rows = []
    order = results["settings"]["impls"]
    for workload in results["workloads"]:
        runs = [r for r in results["runs"] if r["workload"] == workload["name"]]
        baseline_runs = [r for r in runs if r["impl"] == workload["baseline"] and r["status"] == "ok"]
        baseline = _median(r["seconds"] for r in baseline_runs)
        baseline_cpu = _median(r.get("cpu_seconds") for r in baseline_runs)
        for impl in order:
            group = [r for r in runs if r["impl"] == impl]
            if not group:
                continue
            ok = [r for r in group if r["status"] == "ok"]
            row = {"workload": workload["name"], "impl": impl, "runs": len(group), "ok_runs": len(ok),
                   "median": None, "min": None, "max": None, "ratio": None, "cpu_median": None,
                   "cpu_ratio": None, "loss": None, "accuracy": None,
                   "peak_rss_mb": None, "cuda_max_allocated_mb": None}
            if ok:
                times = [r["seconds"] for r in ok]
                cuda = [r.get("cuda_max_allocated_mb") for r in ok if r.get("cuda_max_allocated_mb") is not None]
                row.update(median=statistics.median(times), min=min(times), max=max(times),
                           loss=_median(r.get("loss") for r in ok), accuracy=_median(r.get("accuracy") for r in ok),
                           peak_rss_mb=max(r["peak_rss_mb"] for r in ok), cuda_max_allocated_mb=max(cuda, default=None))
                row["cpu_median"] = _median(r.get("cpu_seconds") for r in ok)
                if baseline:
                    row["ratio"] = row["median"] / baseline
                if baseline_cpu and row["cpu_median"] is not None:
                    row["cpu_ratio"] = row["cpu_median"] / baseline_cpu
            row["note"] = _row_note(workload, impl, ok, group)
            rows.append(row)
    return rows


def _seconds(value):
    if value is None:
        return "–"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _number(value, digits=4):
    return "–" if value is None else f"{value:.{digits}f}"


def _versions_line(results):
    found = {}
    for versions in results.get("versions", {}).values():
        found.update(versions)
    if "torch" not in found and results["machine"].get("torch"):
        found["torch"] = results["machine"]["torch"]
    return ", ".join(f"{name} {version}" for name, version in sorted(found.items()))


def machine_line(results):
    machine = results["machine"]
    gpu = f", GPU {machine['gpu']}" if machine.get("gpu") else ""
    settings = results["settings"]
    threads = machine["threads"]
    line = (f"Measured {results['date']} on {machine['cpu']} ({machine['cores']} cores{gpu}), {threads} compute "
            f"thread{'s' if threads != 1 else ''} per implementation, {settings['repeats']} interleaved repeat"
            f"{'s' if settings['repeats'] != 1 else ''}; {_versions_line(results)}.")
    if settings.get("quick"):
        line += " **Quick run**: reduced sample counts (see the workloads below), so times are not comparable " \
                "with a full run."
    return line


def markdown_table(results):
    """The table: one row per workload and implementation."""
    workloads = {w["name"]: w for w in results["workloads"]}
    lines = ["| workload | implementation | time: median (min–max) | vs baseline | CPU time vs baseline "
             "| final loss | final accuracy | peak RSS | runs |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in results["summary"]:
        workload = workloads[row["workload"]]
        label = IMPLS[row["impl"]].label if row["impl"] in IMPLS else row["impl"]
        cpu_cell = "–" if row.get("cpu_ratio") is None else f"{row['cpu_ratio']:.2f}x"
        if row["median"] is None:
            time_cell, ratio_cell = "–", "–"
        else:
            spread = f"{_seconds(row['min'])}–{_seconds(row['max'])}"
            time_cell = f"{_seconds(row['median'])} {workload['unit']} ({spread})"
            ratio_cell = "–" if row["ratio"] is None else f"{row['ratio']:.2f}x"
            if row["impl"] == workload["baseline"]:
                ratio_cell += " (baseline)"
        rss = "–" if row["peak_rss_mb"] is None else f"{row['peak_rss_mb']:,.0f} MB"
        if row.get("cuda_max_allocated_mb") is not None:
            rss += f" (CUDA {row['cuda_max_allocated_mb']:,.0f} MB)"
        status = f"{row['ok_runs']}/{row['runs']}" if row["runs"] else "–"
        if row["ok_runs"] == 0 and row["runs"] and row["note"].startswith("skipped"):
            status = "skipped"
        lines.append(f"| {row['workload']} | {label} | {time_cell} | {ratio_cell} | {cpu_cell} | "
                     f"{_number(row['loss'])} | {_number(row['accuracy'])} | {rss} | {status} |")
    return "\n".join(lines)


def _workload_lines(results):
    lines = []
    for w in results["workloads"]:
        size = f"{w['samples']:,} samples, batch {w['batch_size']}"
        calls = f"{w['calls']} timed call{'s' if w['calls'] != 1 else ''}" if w["task"] == "predict" else ""
        run = f"{w['epochs']} epochs" if w["task"] == "fit" else f"{calls} after a warm-up call"
        baseline = "the hand-written loop" if w["baseline"] == "torch-loop" else w["baseline"]
        init = "same initial weights for all" if w["shared_init"] else "each library's own initialisation"
        lines.append(f"- **{w['name']}**: {w['description']}; {size}, {run}; {init}; baseline: {baseline}.")
    return lines


def _explanation():
    return [
        "- Time: for training, each run's median of the epochs after the first (epoch 1 includes warm-up), then "
        "the median (min–max) over the repeats; for predict, the median of the timed calls. Each run is a "
        "separate process. Training uses Adam(1e-3), sparse categorical crossentropy (binary crossentropy for "
        "lstm), the accuracy metric and verbose=0 everywhere.",
        "- vs baseline: time divided by the baseline's time (the hand-written PyTorch loop for training, "
        "torchvision for predict); below 1.00x is faster. CPU time vs baseline: the same ratio in the process's CPU "
        "seconds (all its threads), which load from other work on a shared machine disturbs less than wall time.",
        "- Final loss and accuracy: the last epoch's training logs (means over the epoch), on the same data.",
    ]


def _notes(results):
    lines = [f"- {row['impl']} on {row['workload']}: {row['note']}" for row in results["summary"] if row["note"]]
    return lines + [f"- {note}" for note in results.get("notes", [])]


def markdown_report(results):
    parts = ["# kerastorch benchmarks", "", machine_line(results), "", markdown_table(results), "",
             *_explanation(), "", "Workloads:", "", *_workload_lines(results)]
    notes = _notes(results)
    if notes:
        parts += ["", "Notes:", "", *notes]
    return "\n".join(parts) + "\n"


def readme_section(results, source, extras=()):
    """The README's benchmark section, markers included.

    Args:
        results: the results dict.
        source: the path of the results file, shown in the regeneration command.
        extras: ``(results, source)`` pairs of further runs (another thread count, a subset of the workloads),
            each shown after the main table with its own machine line and table.
    """
    command = " ".join([source] + [f"--extra {extra_source}" for _, extra_source in extras])
    parts = [README_START, "## Benchmarks", "",
             f"Generated by `python tools/update_readme_bench.py {command}` from runs of "
             "`python -m benchmarks` (`make bench` for a quick one); do not edit by hand.", "",
             machine_line(results), "", markdown_table(results), "", *_explanation(), "", "Workloads:", "",
             *_workload_lines(results)]
    notes = _notes(results)
    if notes:
        parts += ["", "Notes:", "", *notes]
    for extra, extra_source in extras:
        threads = extra["machine"]["threads"]
        names = ", ".join(w["name"] for w in extra["workloads"])
        parts += ["", f"### {names} at {threads} compute thread{'s' if threads != 1 else ''} "
                      f"(`{extra_source}`)", "", machine_line(extra), "", markdown_table(extra)]
        extra_notes = _notes(extra)
        if extra_notes:
            parts += ["", *extra_notes]
    return "\n".join(parts + [README_END])


def write_chart(results, path):
    """A bar chart of each implementation's time relative to the baseline, one panel per workload. Returns
    False (and writes nothing) when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    workloads = [w for w in results["workloads"]
                 if any(r["workload"] == w["name"] and r["ratio"] is not None for r in results["summary"])]
    if not workloads:
        return False
    figure, axes = plt.subplots(len(workloads), 1, figsize=(7, 1.2 + 0.45 * len(IMPLS) * len(workloads)),
                                squeeze=False)
    for axis, workload in zip(axes[:, 0], workloads):
        rows = [r for r in results["summary"] if r["workload"] == workload["name"] and r["ratio"] is not None]
        labels = [r["impl"] for r in rows]
        ratios = [r["ratio"] for r in rows]
        colors = ["tab:red" if label.startswith("kerastorch") else "tab:gray" for label in labels]
        axis.barh(labels, ratios, color=colors)
        axis.axvline(1.0, color="black", linewidth=0.8)
        axis.invert_yaxis()
        for y, (ratio, row) in enumerate(zip(ratios, rows)):
            axis.text(ratio, y, f" {ratio:.2f}x ({_seconds(row['median'])} {workload['unit']})", va="center",
                      fontsize=8)
        axis.set_title(f"{workload['name']}: time / {workload['baseline']} (lower is faster)", fontsize=9)
        axis.set_xlim(0, max(ratios) * 1.45)
        axis.tick_params(labelsize=8)
    figure.suptitle(results["date"], fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def write_report(results, folder):
    """Write results.md and, with matplotlib, chart.png into ``folder``; returns the names written."""
    (folder / "results.md").write_text(markdown_report(results))
    written = ["results.md"]
    if write_chart(results, folder / "chart.png"):
        written.append("chart.png")
    return written
