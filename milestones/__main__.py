"""python -m milestones list
python -m milestones run NAME [--quick] [--compare-torch] [--seed S] [--out DIR] [--threads N] [--no-progress]
                           [--impl STUDENT_PACKAGE]

--impl runs the milestone on a student's framework (see milestones/student.py): the names it needs are
checked first, and code not written yet is reported by name, not as a traceback. It runs the student's
code without the difftests' sandbox (milestones are not graded), with a warning."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tabulate import tabulate

from milestones.common import RunOptions, format_table
from milestones.registry import UNLOADABLE, get, milestones, run
from milestones.student import (ImplementationUnusable, check_tiny_is_the_students, in_child, missing_names,
                                run_as_child, student_frame)


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
    run.add_argument("--impl", help="a student's package directory (or a folder holding tiny/) to run instead "
                                    "of tiny; NOT sandboxed")
    return parser


def _list() -> int:
    rows = [(m.name, m.year, m.title, m.goal, ", ".join(m.regions) or "-", ", ".join(m.needs) or "-")
            for m in milestones()]
    print(tabulate(rows, headers=["name", "year", "milestone", "full run must reach", "regions", "needs"],
                   tablefmt="github", maxcolwidths=[None, None, 40, 30, 30, 60]))
    for module, why in UNLOADABLE.items():
        print(f"\n{module} could not be imported: {why}")
    return 0


def _check_student(milestone) -> int:
    """In the --impl child: 0 when the student's tiny has every name the milestone needs, else 2."""
    try:
        lib = check_tiny_is_the_students()
    except ImplementationUnusable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    missing = missing_names(lib, milestone.needs)
    if missing:
        print(f"{milestone.name} cannot run: the implementation lacks {', '.join(missing)} "
              f"(regions it needs: {', '.join(milestone.regions)})", file=sys.stderr)
        return 2
    return 0


def _run_student(args) -> int:
    """Run a milestone on a student's tiny: code not written yet is reported by name, not as a traceback."""
    milestone = get(args.name)
    status = _check_student(milestone)
    if status:
        return status
    try:
        return _run(args)
    except NotImplementedError as error:
        print(f"{args.name} stopped: not implemented yet: {error}{student_frame(error)}\n"
              f"(regions this milestone needs: {', '.join(milestone.regions)})", file=sys.stderr)
    except Exception as error:  # noqa: BLE001 — the student's code failed: say where, in their files
        print(f"{args.name} stopped: {type(error).__name__}: {error}{student_frame(error)}", file=sys.stderr)
    return 2


def _run(args) -> int:
    result = run(args.name, RunOptions(quick=args.quick, compare_torch=args.compare_torch, seed=args.seed,
                                       out_dir=args.out, progress=not args.no_progress, threads=args.threads,
                                       dataset=args.dataset))
    for sample in result.samples:
        print(sample + "\n")
    print(format_table(result))
    return 0 if result.passed else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    if args.command == "list":
        return _list()
    if args.impl and not in_child():
        try:
            return run_as_child(args.impl, "milestones", argv, "milestone")
        except ImplementationUnusable as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    try:
        get(args.name)
    except KeyError as error:
        print(error.args[0], file=sys.stderr)
        return 2
    return _run_student(args) if args.impl else _run(args)


if __name__ == "__main__":
    sys.exit(main())
