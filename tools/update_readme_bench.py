"""Regenerate README.md's benchmark section from a results JSON written by ``python -m benchmarks``.

    python tools/update_readme_bench.py [benchmarks/results/latest.json] [--extra other.json ...] [--readme README.md]

The section lies between ``<!-- bench:start -->`` and ``<!-- bench:end -->``; it is replaced whole, or appended at
the end of the README when the markers are absent. Nothing else in the README changes. The table is never typed
by hand: rerun the benchmarks, copy their results.json under benchmarks/results/, and run this.
"""
import argparse
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks import report  # noqa: E402  (needs the repo root on sys.path first)

DEFAULT_RESULTS = REPO_ROOT / "benchmarks" / "results" / "latest.json"


def updated_readme(readme_text, section):
    """The README text with ``section`` (markers included) in place of the old one, or appended."""
    start = readme_text.find(report.README_START)
    end = readme_text.find(report.README_END)
    if start != -1 and end != -1 and end > start:
        return readme_text[:start] + section + readme_text[end + len(report.README_END):]
    if (start == -1) != (end == -1) or (start != -1 and end < start):
        raise ValueError(f"README has one benchmark marker without the other (or in the wrong order): expected "
                         f"{report.README_START} ... {report.README_END}")
    return readme_text.rstrip("\n") + "\n\n" + section + "\n"


def _shown_path(path):
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def _load(path):
    results = json.loads(path.read_text())
    if "summary" not in results:
        results["summary"] = report.summarize(results)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="?", default=str(DEFAULT_RESULTS), help="results JSON")
    parser.add_argument("--extra", action="append", default=[],
                        help="a further results JSON shown after the main table (repeatable)")
    parser.add_argument("--readme", default=str(REPO_ROOT / "README.md"))
    args = parser.parse_args(argv)
    results_path, readme_path = Path(args.results), Path(args.readme)
    results = _load(results_path)
    extras = [(_load(Path(path)), _shown_path(Path(path))) for path in args.extra]
    section = report.readme_section(results, _shown_path(results_path), extras)
    readme_path.write_text(updated_readme(readme_path.read_text(), section))
    print(f"updated {readme_path} from {results_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
