"""python -m milestones list
python -m milestones run NAME [--quick] [--compare-torch] [--seed S] [--out DIR] [--threads N] [--no-progress]"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tabulate import tabulate

from milestones.common import RunOptions, format_table
from milestones.registry import get, milestones, run


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m milestones", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the milestones, by year")
    run = commands.add_parser("run", help="train one milestone and print its table")
    run.add_argument("name")
    run.add_argument("--quick", action="store_true", help="a few-second configuration (CI); no threshold")
    run.add_argument("--compare-torch", action="store_true",
                     help="also train the torch twin from the same weights on the same batches")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--out", type=Path, default=Path("runs"), help="where checkpoints go (default: runs/)")
    run.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    run.add_argument("--dataset", default=None,
                     help="the milestone's alternative dataset, e.g. mnist (1986), fashion-mnist (1998)")
    run.add_argument("--threads", type=int, default=1,
                     help="BLAS threads for NumPy and torch (default 1: faster for these small models)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        rows = [(m.name, m.year, m.title, m.goal) for m in milestones()]
        print(tabulate(rows, headers=["name", "year", "milestone", "full run must reach"], tablefmt="github"))
        return 0
    try:
        get(args.name)
    except KeyError as error:
        print(error.args[0], file=sys.stderr)
        return 2
    result = run(args.name, RunOptions(quick=args.quick, compare_torch=args.compare_torch, seed=args.seed,
                                       out_dir=args.out, progress=not args.no_progress, threads=args.threads,
                                       dataset=args.dataset))
    for sample in result.samples:
        print(sample + "\n")
    print(format_table(result))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
