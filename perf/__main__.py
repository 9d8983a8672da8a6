"""python -m perf [REPORT ...] [--quick] [--repeats N] [--json F] [--plot F.png] [--impl STUDENT_PACKAGE]

Runs the named reports (default: all) and prints their tables; --json writes every measurement, --plot a
PNG per report (F.png for the first, F-<report>.png for the others). Reports: see REPORTS.
--impl measures a student's framework in tiny's place (see milestones/student.py; not sandboxed, with a
warning); a report the implementation cannot run is reported with the missing name, not a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import perf  # noqa: F401  (pins the thread pools before NumPy / torch load)

REPORTS = {"generation": "perf.generation", "training": "perf.training", "quant": "perf.quant", "conv": "perf.conv"}
ON_REQUEST = {"conv"}  # run only when named (`python -m perf conv`): keeps the default run's time unchanged


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m perf", description="tiny vs torch performance reports")
    parser.add_argument("reports", nargs="*", metavar="REPORT",
                        help=f"reports to run (default: {', '.join(n for n in REPORTS if n not in ON_REQUEST)}; "
                             f"also: {', '.join(sorted(ON_REQUEST))})")
    parser.add_argument("--quick", action="store_true", help="smallest config, few tokens, 2 repeats (< 1 min)")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repeats per measurement")
    parser.add_argument("--json", metavar="F", help="write all measurements as JSON to F")
    parser.add_argument("--plot", metavar="F.png", help="write the plot(s) to F.png")
    parser.add_argument("--impl", help="a student's package directory (or a folder holding tiny/) measured in "
                                       "tiny's place; NOT sandboxed")
    args = parser.parse_args(argv)
    unknown = [name for name in args.reports if name not in REPORTS]
    if unknown:
        parser.error(f"unknown report(s) {', '.join(unknown)}; choose from {', '.join(REPORTS)}")
    return args


def plot_path(base: str, index: int, name: str) -> str:
    if index == 0:
        return base
    root, ext = os.path.splitext(base)
    return f"{root}-{name}{ext or '.png'}"


def _student_run(name: str, report, args) -> dict | None:
    """One report on a student's tiny: what it cannot run is named (with the student's frame), not a traceback."""
    from milestones.student import student_frame
    try:
        return report.run(quick=args.quick, repeats=args.repeats,
                          progress=lambda text: print(text, file=sys.stderr, flush=True))
    except (ImportError, AttributeError, NotImplementedError) as error:
        print(f"perf {name}: this implementation cannot run it: {type(error).__name__}: {error}"
              f"{student_frame(error)}", file=sys.stderr)
        return None


def main(argv: list[str] | None = None) -> int:
    import importlib
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    from milestones.student import ImplementationUnusable, check_tiny_is_the_students, in_child, run_as_child
    try:
        if args.impl and not in_child():
            return run_as_child(args.impl, "perf", argv, "perf")
        if args.impl:
            check_tiny_is_the_students()
    except ImplementationUnusable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    names = args.reports or [name for name in REPORTS if name not in ON_REQUEST]
    results, unable = {}, []
    for index, name in enumerate(names):
        report = importlib.import_module(REPORTS[name])
        if args.impl:
            outcome = _student_run(name, report, args)
            if outcome is None:
                unable.append(name)
                continue
            results[name] = outcome
        else:
            results[name] = report.run(quick=args.quick, repeats=args.repeats,
                                       progress=lambda text: print(text, file=sys.stderr, flush=True))
        print(report.tables(results[name]), flush=True)
        if args.plot:
            report.plot(results[name], plot_path(args.plot, index, name))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 2 if unable else 0


if __name__ == "__main__":
    sys.exit(main())
