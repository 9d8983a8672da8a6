"""`python -m difftests [--impl X] [-k EXPR] [--area A] [--json F]`: run the suite, print the table.

Also: `python -m difftests list` (every pair and its area), `python -m difftests show NAME` (a pair's
code beside its torch twin, with the measured difference), `python -m difftests grade DIR --out R`
(a folder of submissions), `python -m difftests release --course course.toml --homework N --out DIR`
(a student kit), `python -m difftests gradescope-bundle --course course.toml --homework N --out F.zip`.
Exit status 0 only when every case passed.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def run(argv: list[str]) -> int:
    from difftests.plugin import Collector
    from difftests.report import as_json, render

    parser = argparse.ArgumentParser(prog="python -m difftests", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--impl", default="tiny", help="module name, .py file or package dir (default tiny)")
    parser.add_argument("-k", dest="keyword", help="only tests matching this pytest -k expression")
    parser.add_argument("--area", action="append", help="only pairs of this area (repeatable)")
    parser.add_argument("--pair", action="append", help="only this pair (repeatable)")
    parser.add_argument("--json", dest="json_path", help="write the full report as JSON here")
    parser.add_argument("--gradescope", dest="gradescope_path", help="write Gradescope's results.json here")
    parser.add_argument("--profile", help="a course profile TOML (difftests/profile.py): its pairs/areas and points")
    parser.add_argument("--weights", help="JSON file of per-area points and partial credit (see difftests/grading.py)")
    parser.add_argument("--junit", dest="junit_path", help="write a JUnit XML report here")
    parser.add_argument("-n", dest="workers", default="auto", help="parallel workers (default auto; 0 = off)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's own output too")
    parser.add_argument("--isolate", action="store_true", default=None,
                        help="run the implementation in an isolated worker (default: anything but tiny)")
    parser.add_argument("--no-isolate", dest="isolate", action="store_false",
                        help="load the implementation into this process (trusted code only)")
    parser.add_argument("--case-timeout", type=float, default=20.0,
                        help="seconds an isolated case may take (default 20)")
    args = parser.parse_args(argv)
    try:
        profile_weights = _apply_profile(args)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: --profile {args.profile}: {exc}", file=sys.stderr)
        return 2
    unknown = unknown_names(args.area or [], args.pair or [])
    if unknown:
        print(f"error: {unknown}", file=sys.stderr)
        return 2

    from difftests.executor import make_executor
    from difftests.impl import ImplementationError
    from difftests.integrity import changed_files, preload_references, snapshot

    trusted = snapshot()
    preload_references()
    try:  # load it once up front (in a worker when isolated) for a clear error instead of N failures
        make_executor(args.impl, args.isolate).close()
    except ImplementationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    pytest_args = [HERE, "--impl", args.impl, "-p", "no:cacheprovider", "-o", "addopts=",
                   "--case-timeout", str(args.case_timeout)]
    if args.isolate is not None:
        pytest_args.append("--isolate" if args.isolate else "--no-isolate")
    for name in args.pair or []:
        pytest_args += ["--pair", name]
    if args.junit_path:
        pytest_args += ["--junitxml", args.junit_path]
    from difftests.grading import gradescope_results, load_weights, validate_gradescope
    weights = load_weights(args.weights)  # a bad weights file fails before the long run
    if profile_weights and not args.weights:
        weights = profile_weights
    pytest_args += ["-q", "--tb=short"] if args.verbose else ["-p", "no:terminal"]
    keywords = [args.keyword] if args.keyword else []
    if args.area:
        keywords.append(" or ".join(f"area_{a}" for a in args.area))
    if keywords:
        pytest_args += ["-k", " and ".join(f"({k})" for k in keywords)]
    if args.workers not in ("0", "1"):
        pytest_args += ["-n", args.workers]
    collector = Collector()
    code = pytest.main(pytest_args, plugins=[collector])
    print(render(collector.summaries, collector.other, collector.errors))
    tampered = changed_files(trusted)
    if tampered:
        collector.errors.append(f"TAMPERING: trusted files changed during the run: {tampered}")
        print(f"\nERROR TAMPERING: trusted files changed during the run: {tampered}")
    report = as_json(collector.summaries, collector.other, collector.errors, args.impl)
    if args.json_path:
        with open(args.json_path, "w") as f:
            json.dump(report, f, indent=2)
    if args.gradescope_path:
        results = gradescope_results(report, weights)
        validate_gradescope(results)
        with open(args.gradescope_path, "w") as f:
            json.dump(results, f, indent=2)
    ok = report["passed"] and code == 0
    n_pairs = len(report["pairs"])
    print(f"\n{'PASSED' if ok else 'FAILED'}: {n_pairs} pairs, "
          f"{sum(p['cases'] for p in report['pairs'])} cases, impl={args.impl}")
    return 0 if ok else 1


def unknown_names(areas: list[str], pairs: list[str]) -> str:
    """'' when every --area/--pair name exists, else a message naming the unknown ones and close matches."""
    import difflib

    from difftests.registry import AREAS, all_pairs

    known_pairs = [p.name for p in all_pairs()]
    problems = []
    for kind, names, known in (("area", areas, AREAS), ("pair", pairs, known_pairs)):
        for name in names:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=4, cutoff=0.5)
                problems.append(f"unknown {kind} {name!r}" + (f" (did you mean {', '.join(close)}?)" if close
                                                               else f"; `python -m difftests list` shows them"))
    return "; ".join(problems)


def _apply_profile(args) -> dict | None:
    """--profile: select its pairs/areas and grade with its points. Stand-in on branch `course`: the
    profile-aware runner of the `accounting` branch supersedes it at merge."""
    if not args.profile:
        return None
    from difftests.profile import load_profile
    from difftests.registry import get

    profile = load_profile(args.profile)
    if profile.pairs and not args.pair:
        args.pair = list(profile.pairs)
    if profile.areas and not args.area:
        args.area = list(profile.areas)
    areas: dict[str, float] = dict(profile.area_points or {})
    if not areas:  # no [points]: each area is worth its pairs' points
        for name, points in (profile.pair_points or {}).items():
            areas[get(name).area] = areas.get(get(name).area, 0.0) + points
    return {"areas": areas or None, "partial_credit": profile.partial_credit, "visibility": profile.visibility}


def list_pairs() -> int:
    from tabulate import tabulate

    from difftests.registry import all_pairs

    rows = [[p.area, p.name, p.source, p.ref] for p in all_pairs()]
    print(tabulate(rows, headers=["area", "pair", "implementation", "reference"], tablefmt="github"))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["list"]:
        return list_pairs()
    if argv[:1] == ["show"]:
        if len(argv) != 2:
            print("usage: python -m difftests show PAIR_NAME  (names: python -m difftests list)", file=sys.stderr)
            return 2
        from difftests.show import show
        return show(argv[1])
    if argv[:1] == ["release"]:
        from difftests.release import main as release_main
        return release_main(argv[1:])
    if argv[:1] == ["gradescope-bundle"]:
        from difftests.bundle import main as bundle_main
        return bundle_main(argv[1:])
    if argv[:1] == ["skeleton"]:
        from difftests.skeleton import main as skeleton_main
        return skeleton_main(argv[1:])
    if argv[:1] == ["grade"]:
        from difftests.grade import main as grade_main
        return grade_main(argv[1:])
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
