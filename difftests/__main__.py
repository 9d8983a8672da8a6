"""`python -m difftests [--impl X] [-k EXPR] [--area A] [--json F]`: run the suite, print the table.

Also: `python -m difftests list` (every pair and its area), `python -m difftests show NAME` (a pair's
code beside its torch twin, with the measured difference), `python -m difftests grade DIR --out R`
(a folder of submissions), `python -m difftests release --course course.toml --homework N --out DIR`
(a student kit), `python -m difftests gradescope-bundle --course course.toml --homework N --out F.zip`.
Exit status 0 only when every case passed.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def run(argv: list[str]) -> int:
    from difftests.integrity import clean_pytest_environment, private_bytecode_cache
    private_bytecode_cache()  # before the trusted tree is imported: no planted __pycache__ is ever read
    clean_pytest_environment()
    from difftests.plugin import Collector

    parser = argparse.ArgumentParser(prog="python -m difftests", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--impl", default="tiny", help="module name, .py file or package dir (default tiny)")
    parser.add_argument("-k", dest="keyword", help="only tests matching this pytest -k expression")
    parser.add_argument("--area", action="append", help="only pairs of this area (repeatable)")
    parser.add_argument("--pair", action="append", help="only this pair (repeatable)")
    parser.add_argument("--json", dest="json_path", help="write the full report as JSON here")
    parser.add_argument("--gradescope", dest="gradescope_path", help="write Gradescope's results.json here")
    parser.add_argument("--weights", help="per-area points (JSON) or a course profile (.toml); see grading.py")
    parser.add_argument("--junit", dest="junit_path", help="write a JUnit XML report here")
    parser.add_argument("--profile", help="course profile (TOML): areas, pairs, dtypes, excluded features, points "
                        "(see difftests/profile.py)")
    parser.add_argument("--seed", default=None, help="property inputs: an integer seed, 'fixed' (the default; "
                        "derandomized) or 'random' (a fresh seed, the default with --gradescope); recorded "
                        "in every report, `--seed S` reproduces a run")
    parser.add_argument("--failures-only", action="store_true", help="print only what failed")
    parser.add_argument("-n", dest="workers", default="auto", help="parallel workers (default auto: none for a "
                        "small selection; 0 = off)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's own output too")
    parser.add_argument("--isolate", action="store_true", default=None,
                        help="run the implementation in an isolated worker (default: anything but tiny)")
    parser.add_argument("--no-isolate", dest="isolate", action="store_false",
                        help="load the implementation into this process (trusted code only)")
    parser.add_argument("--unsafe-same-user", action="store_true",
                        help="when no sandbox is available (bubblewrap, or root for the uid fallback), run "
                             "student code as your own user anyway: it could then forge results")
    parser.add_argument("--case-timeout", type=float, default=20.0,
                        help="seconds an isolated case may take (default 20)")
    args = parser.parse_args(argv)
    _validate(parser, args)

    from difftests.executor import make_executor
    from difftests.impl import ImplementationError
    from difftests.integrity import changed_files, preload_references, snapshot
    from difftests.report import as_json, render  # noqa: F401 — every trusted module before student code
    from difftests.outputs import INCOMPLETE, Outputs
    from difftests.sandbox import SandboxUnavailable

    from difftests.selection import choose_workers, resolve_profile, resolve_seed
    try:  # a bad profile or weights file is a usage error, before the long run
        profile = resolve_profile(args.profile, args.weights)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seed = resolve_seed(args.seed, grading=bool(args.gradescope_path))

    started = time.monotonic()
    outputs = Outputs(args.json_path, args.gradescope_path, args.junit_path)  # stale files are gone now
    outputs.catch_signals()
    collector, code, load_error = Collector(progress=True), INCOMPLETE, None
    try:
        trusted = snapshot()
        preload_references()
        try:  # load it once up front (in a worker when isolated) for a clear error instead of N failures
            make_executor(args.impl, args.isolate,
                          **({"unsafe_same_user": True} if args.unsafe_same_user else {})).close()
        except ImplementationError as exc:
            load_error = str(exc)
        if load_error is None:
            pytest_args = [HERE, "--impl", args.impl, "-p", "no:cacheprovider", "-o", "addopts=",
                           "--case-timeout", str(args.case_timeout)]
            if args.isolate is not None:
                pytest_args.append("--isolate" if args.isolate else "--no-isolate")
            if args.unsafe_same_user:
                pytest_args.append("--unsafe-same-user")
            for name in args.pair or []:
                pytest_args += ["--pair", name]
            if args.junit_path:
                pytest_args += ["--junitxml", outputs.junit_temp]
            if args.profile:
                pytest_args += ["--course-profile", args.profile]
            if seed is not None:
                pytest_args += ["--difftests-seed", str(seed)]
            pytest_args += ["-q", "--tb=short"] if args.verbose else ["-p", "no:terminal"]
            keywords = [args.keyword] if args.keyword else []
            if args.area:
                keywords.append(" or ".join(f"area_{a}" for a in args.area))
            if keywords:
                pytest_args += ["-k", " and ".join(f"({k})" for k in keywords)]
            workers = choose_workers(args.workers, args.pair, args.area, args.keyword, profile)
            if workers not in ("0", "1"):
                pytest_args += ["-p", "xdist.plugin", "-n", workers]
            code = pytest.main(pytest_args, plugins=[collector])
            if code not in (0, 1):
                outputs.incomplete(f"pytest ended abnormally (exit status {int(code)}: "
                                   f"{getattr(code, 'name', code)})")
            for error in collector.errors:
                outputs.incomplete(error)
        tampered = changed_files(trusted)
        if tampered:
            collector.errors.append(f"TAMPERING: trusted files changed during the run: {tampered}")
            outputs.incomplete(f"TAMPERING: trusted files changed during the run: {tampered}")
    except SandboxUnavailable as exc:
        outputs.incomplete(f"no sandbox: {exc}")
    except BaseException as exc:  # noqa: BLE001 — whatever stops the run, every output says so
        outputs.incomplete(f"the run stopped: {type(exc).__name__}: {exc}")
    return _finish(args, outputs, collector, profile, seed, load_error, code, time.monotonic() - started)


def _finish(args, outputs, collector, profile, seed: int | None, load_error: str | None, code: int,
            elapsed: float) -> int:
    """The table, then every output file (written only now), then the exit status:
    0 all passed, 1 some failed (a complete run), 2 the implementation cannot be loaded, 3 incomplete."""
    from difftests.grading import gradescope_results, validate_gradescope
    from difftests.outputs import INCOMPLETE
    from difftests.report import as_json, render
    from difftests.wire import clean_text

    seed_text = "fixed" if seed is None else str(seed)
    profile_name = profile.name if args.profile else None
    errors = list(collector.errors) + ([f"cannot load the implementation: {load_error}"] if load_error else [])
    outputs.failures += errors[len(collector.errors):]
    try:
        print(clean_text(render(collector.summaries, collector.other, errors, seed=seed_text,
                                failures_only=args.failures_only, profile=profile_name),
                         limit=10 ** 7, one_line=False))
    except BaseException as exc:  # noqa: BLE001
        outputs.incomplete(f"rendering the report failed: {type(exc).__name__}: {exc}")
    report = outputs.mark(as_json(collector.summaries, collector.other, errors, args.impl, seed=seed_text,
                                  profile=profile_name))
    results = None
    if args.gradescope_path:
        try:
            results = gradescope_results(report, profile, execution_time=elapsed)
            validate_gradescope(results)
        except Exception as exc:  # noqa: BLE001
            outputs.incomplete(f"building the Gradescope results failed: {type(exc).__name__}: {exc}")
            report = outputs.mark(report)
            results = {"score": 0, "output": "\n".join(report["errors"]), "tests": []}
    outputs.finish(report, results)
    ok = report["passed"] and code == 0 and outputs.complete
    n_pairs = len(report["pairs"])
    for reason in outputs.all_reasons():
        print(f"\nINCOMPLETE: {clean_text(reason)}")
    status = "PASSED" if ok else "INCOMPLETE" if not outputs.complete else "FAILED"
    print(f"\n{status}: {n_pairs} pairs, {sum(p['cases'] for p in report['pairs'])} cases, "
          f"impl={clean_text(args.impl)}")
    if load_error:
        print(f"error: {clean_text(load_error)}", file=sys.stderr)
    return 0 if ok else INCOMPLETE if not outputs.complete else 2 if load_error else 1


def _validate(parser, args) -> None:
    """Bad options are usage errors (exit 2) before anything runs: a zero timeout would fail every case of a
    correct submission, and a misspelt area or pair would grade nothing."""
    import difflib
    import math

    from difftests.registry import AREAS, all_pairs
    if not (math.isfinite(args.case_timeout) and args.case_timeout > 0):
        parser.error(f"--case-timeout must be a positive number of seconds, got {args.case_timeout:g}")
    if args.workers != "auto" and not (args.workers.isdigit()):
        parser.error(f"-n must be 'auto' or a number of workers >= 0, got {args.workers!r}")
    names = {pair.name for pair in all_pairs()}
    for flag, given, known in (("--area", args.area or [], set(AREAS)), ("--pair", args.pair or [], names)):
        for name in given:
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=3)
                parser.error(f"{flag} {name!r} is unknown" + (f"; did you mean {', '.join(close)}?" if close else
                                                              f"; known: {', '.join(sorted(known))[:300]}"))



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
        try:
            return show(argv[1])
        except KeyError as exc:
            print(f"error: {exc.args[0]}", file=sys.stderr)
            return 2
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
