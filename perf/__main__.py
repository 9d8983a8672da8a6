"""python -m perf [SECTION ...] [--quick] [--repeats N] [--out DIR] [--json F] [--plot F.png]
   python -m perf olympics DIR [...]            (subcommands take their own arguments)

Without a section name every section of SECTIONS runs (those in ON_REQUEST only with --out). Each prints its
tables; --out DIR writes the combined report (DIR/report.md, report.json, one PNG per section, see
perf/report.py); --json F writes every measurement as JSON, --plot F.png a PNG per section (F.png for the first,
F-<section>.png after).

Sections plug in through SECTIONS: a module with run(quick, repeats, progress) -> dict, tables(dict) -> str
and plot(dict, path). Add one line here for a new section.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

import perf  # noqa: F401  (pins the thread pools before NumPy / torch load)

SECTIONS = {"generation": "perf.generation", "training": "perf.training", "quant": "perf.quant",
            "accel": "perf.accel", "profiler": "perf.profiler", "conv": "perf.conv"}
REPORTS = SECTIONS  # the name used before the combined report
# Run only when named, or in the combined report (--out): keeps a plain `python -m perf` run's time unchanged.
ON_REQUEST = {"conv"}
SUBCOMMANDS = {"olympics": "perf.olympics"}  # `python -m perf olympics DIR ...`: their own arguments


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m perf", description="tiny vs torch performance reports")
    parser.add_argument("reports", nargs="*", metavar="SECTION",
                        help=f"sections to run (default: {', '.join(n for n in SECTIONS if n not in ON_REQUEST)}; "
                             f"also: {', '.join(sorted(ON_REQUEST))}, which --out includes)")
    parser.add_argument("--quick", action="store_true", help="smallest configs, few repeats (CI)")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repeats per measurement")
    parser.add_argument("--out", metavar="DIR", help="write the combined report (Markdown, JSON, PNGs) into DIR")
    parser.add_argument("--json", metavar="F", help="write all measurements as JSON to F")
    parser.add_argument("--plot", metavar="F.png", help="write the plot(s) to F.png")
    parser.add_argument("--impl", help="a student's package directory (or a folder holding tiny/) measured in "
                                       "tiny's place; NOT sandboxed")
    args = parser.parse_args(argv)
    unknown = [name for name in args.reports if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)} "
                     f"(subcommands: {', '.join(SUBCOMMANDS)})")
    return args


def plot_path(base: str, index: int, name: str) -> str:
    if index == 0:
        return base
    root, ext = os.path.splitext(base)
    return f"{root}-{name}{ext or '.png'}"


def run_section(name: str, args: argparse.Namespace) -> tuple[object, dict]:
    import importlib
    module = importlib.import_module(SECTIONS[name])
    if args.impl:  # a student's tiny: what it cannot run is named (with the student's frame), not a traceback
        from milestones.student import student_frame
        try:
            return module, module.run(quick=args.quick, repeats=args.repeats,
                                      progress=lambda text: print(text, file=sys.stderr, flush=True))
        except (ImportError, AttributeError, NotImplementedError) as error:
            raise RuntimeError(f"perf {name}: this implementation cannot run it: {type(error).__name__}: "
                               f"{error}{student_frame(error)}") from None
    result = module.run(quick=args.quick, repeats=args.repeats,
                        progress=lambda text: print(text, file=sys.stderr, flush=True))
    return module, result


def main(argv: list[str] | None = None) -> int:
    import importlib
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        return importlib.import_module(SUBCOMMANDS[argv[0]]).main(argv[1:])
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
    names = args.reports or [name for name in SECTIONS if args.out or name not in ON_REQUEST]
    results, images, failed = {}, {}, False
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    for index, name in enumerate(names):
        try:
            module, result = run_section(name, args)
            result["__tables__"] = module.tables(result)
        except Exception as exc:  # noqa: BLE001 - one failing section must not hide the others
            if args.impl:
                print(str(exc), file=sys.stderr)
            else:
                traceback.print_exc()
            results[name] = {"__error__": f"{type(exc).__name__}: {exc}"}
            failed = True
            continue
        results[name] = result
        print(result["__tables__"], flush=True)
        if args.plot:
            module.plot(result, plot_path(args.plot, index, name))
        if args.out:
            module.plot(result, os.path.join(args.out, f"{name}.png"))
            images[name] = f"{name}.png"
    if args.json:
        with open(args.json, "w") as f:
            json.dump({k: {kk: vv for kk, vv in v.items() if kk != "__tables__"} for k, v in results.items()}, f,
                      indent=1)
    if args.out:
        from perf.common import pin_threads
        from perf.report import environment, markdown
        env = environment(pin_threads())
        settings = {"quick": args.quick, "repeats": args.repeats, "argv": " ".join(argv)}
        with open(os.path.join(args.out, "report.md"), "w") as f:
            f.write(markdown(results, env, settings, images))
        with open(os.path.join(args.out, "report.json"), "w") as f:
            json.dump({"environment": env, "settings": settings,
                       "sections": {k: {kk: vv for kk, vv in v.items() if kk != "__tables__"}
                                    for k, v in results.items()}}, f, indent=1, default=str)
        print(f"report: {os.path.join(args.out, 'report.md')}", file=sys.stderr)
    return (2 if args.impl else 1) if failed else 0


if __name__ == "__main__":
    sys.exit(main())
