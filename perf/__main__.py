"""python -m perf [REPORT ...] [--quick] [--repeats N] [--json F] [--plot F.png]

Runs the named reports (default: all) and prints their tables; --json writes every measurement, --plot a
PNG per report (F.png for the first, F-<report>.png for the others). Reports: see REPORTS.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import perf  # noqa: F401  (pins the thread pools before NumPy / torch load)

REPORTS = {"generation": "perf.generation", "training": "perf.training"}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m perf", description="tiny vs torch performance reports")
    parser.add_argument("reports", nargs="*", metavar="REPORT",
                        help=f"reports to run (default: all of {', '.join(REPORTS)})")
    parser.add_argument("--quick", action="store_true", help="smallest config, few tokens, 2 repeats (< 1 min)")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repeats per measurement")
    parser.add_argument("--json", metavar="F", help="write all measurements as JSON to F")
    parser.add_argument("--plot", metavar="F.png", help="write the plot(s) to F.png")
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


SUBCOMMANDS = {"olympics": "perf.olympics"}  # `python -m perf olympics DIR ...`: their own arguments


def main(argv: list[str] | None = None) -> int:
    import importlib
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        return importlib.import_module(SUBCOMMANDS[argv[0]]).main(argv[1:])
    args = parse(argv)
    names = args.reports or list(REPORTS)
    results = {}
    for index, name in enumerate(names):
        report = importlib.import_module(REPORTS[name])
        results[name] = report.run(quick=args.quick, repeats=args.repeats,
                                   progress=lambda text: print(text, file=sys.stderr, flush=True))
        print(report.tables(results[name]), flush=True)
        if args.plot:
            report.plot(results[name], plot_path(args.plot, index, name))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
