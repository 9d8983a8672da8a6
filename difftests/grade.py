"""`python -m difftests grade SUBMISSIONS_DIR --out RESULTS_DIR [--jobs N] [--only NAME] [--weights F]
[--summarize] [-- RUNNER_ARGS...]`: grade a folder of submissions.

Layout of SUBMISSIONS_DIR — one entry per student, named by the student:
    alice.py           a single module (an adapter or a one-file framework)
    bob/__init__.py    a package: graded as `tiny` when its code imports `tiny` (a renamed copy of the
                       starter kit), else under its own name `bob`
    carol/tiny/...     a folder holding the package `tiny` (what `python -m difftests skeleton` writes);
                       anything else in carol/ is ignored
Every other entry (a zip, a folder without a package, `dave/` next to `dave.py`) is an error: it is
listed, the others are graded, and the exit status is non-zero. Hidden entries (`.x`) and
`__pycache__` are skipped. An empty folder is an error too.

Each submission is graded on its own files: they are copied into a fresh private directory and
imported from there (so `from tiny.ops import ...` inside a renamed starter kit finds the student's
`tiny`, never the solution), by its own `python -m difftests` process (isolated as always), N at a
time. The runner writes its report into a run directory named with a random nonce, then — last, and
only when it finished normally — a marker holding the nonce (passed on stdin), its exit status and
the report's SHA-256. `grade` keeps a result only when the marker matches, the exit status is one a
finished run gives (0 passed, 1 failures, 2 cannot import) and the report says it is complete; it
then stores RESULTS/NAME.json and records its hash in RESULTS/.grade/ledger/NAME.json. A submission is
"already graded" only when the ledger says so for the same files and runner arguments and the stored
file still has the recorded hash: a file written by anyone else (e.g. one submission pre-writing
another's result) is ignored and that submission is graded again. An interrupted or incomplete run
stores nothing, so resuming re-runs it. Then a summary (RESULTS/summary.csv, summary.md) and the item
analysis (per-unit pass rates over the class: RESULTS/items.csv, items.md) are written.

On a cluster, the same command fans out with any job runner, one submission per job, because
`--only NAME` grades a single entry and `--summarize` only collects:
    ls SUBMISSIONS | xargs -P 64 -I{} python -m difftests grade SUBMISSIONS --out R --only {}
    sbatch --array=0-399 job.sh   # job.sh: python -m difftests grade S --out R --only "${NAMES[$SLURM_ARRAY_TASK_ID]}"
    python -m difftests grade SUBMISSIONS --out R --summarize
Same-user limits: without the sandbox of the isolated worker, code running as the same user could
still rewrite files after the run; the checks above make that visible, the sandbox makes it impossible.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from difftests.grading import load_error_of, load_weights, write_json_atomically
from difftests.grade_report import summarize, write_summary

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FINISHED = {0: "all passed", 1: "failures", 2: "cannot import"}   # exit statuses of a finished run
IMPORTS_TINY = re.compile(r"^\s*(from\s+tiny(\.|\s)|import\s+tiny\b)", re.MULTILINE)


@dataclass(frozen=True)
class Submission:
    name: str
    path: str       # what the student handed in
    layout: str     # "module" (NAME.py), "package" (NAME/__init__.py), "tiny folder" (NAME/tiny/)
    package: str    # the file or package directory that is graded
    import_as: str  # the module name it is imported under


# ----- finding the submissions ------------------------------------------------------------
def _imports_tiny(package: str) -> bool:
    for root, _, files in os.walk(package):
        for file in files:
            if file.endswith(".py"):
                with open(os.path.join(root, file), errors="replace") as f:
                    if IMPORTS_TINY.search(f.read()):
                        return True
    return False


def _classify(folder: str, entry: str) -> Submission | str:
    """The submission an entry holds, or why it cannot be graded."""
    path = os.path.join(folder, entry)
    if os.path.isfile(path) and entry.endswith(".py"):
        return Submission(entry[:-3], path, "module", path, entry[:-3])
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, "__init__.py")):
        return Submission(entry, path, "package", path, "tiny" if _imports_tiny(path) else entry)
    inner = os.path.join(path, "tiny")
    if os.path.isdir(path) and os.path.isfile(os.path.join(inner, "__init__.py")):
        return Submission(entry, path, "tiny folder", inner, "tiny")
    if os.path.isdir(path):
        return f"{entry}/: neither a package (no __init__.py) nor a folder holding tiny/__init__.py"
    return f"{entry}: not a .py file or a package folder (unpack archives first)"


def submissions(folder: str) -> tuple[dict[str, Submission], list[str]]:
    """(name -> submission, sorted by name; one problem line per entry that cannot be graded)."""
    found: dict[str, list[Submission]] = {}
    problems = []
    for entry in sorted(os.listdir(folder)):
        if entry.startswith(".") or entry == "__pycache__":
            continue
        what = _classify(folder, entry)
        if isinstance(what, str):
            problems.append(what)
        elif not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*", what.name):
            problems.append(f"{entry}: the name {what.name!r} is not usable as a file name; rename it")
        else:
            found.setdefault(what.name, []).append(what)
    for name, subs in list(found.items()):
        if len(subs) > 1:
            entries = " and ".join(os.path.basename(s.path) + ("" if s.layout == "module" else "/") for s in subs)
            problems.append(f"{name}: name collision between {entries}; rename one")
            del found[name]
    return {name: subs[0] for name, subs in sorted(found.items())}, problems


def source_digest(sub: Submission) -> str:
    """SHA-256 over the graded files (paths and contents), so a resubmission is graded again."""
    digest = hashlib.sha256()
    files = [sub.package] if os.path.isfile(sub.package) else sorted(
        os.path.join(root, f) for root, dirs, fs in os.walk(sub.package) for f in fs
        if "__pycache__" not in root and not f.endswith(".pyc"))
    for path in files:
        digest.update(os.path.relpath(path, sub.path).encode() + b"\0")
        with open(path, "rb") as f:
            digest.update(hashlib.sha256(f.read()).digest())
    return digest.hexdigest()


def stage(sub: Submission, into: str) -> str:
    """Copy the submission into `into` under its import name, read-only for everyone (the sandboxed
    worker may run as another uid); returns the --impl path."""
    if sub.layout == "module":
        target = os.path.join(into, f"{sub.name}.py")
        shutil.copyfile(sub.package, target)
    else:
        target = os.path.join(into, sub.import_as)
        shutil.copytree(sub.package, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for root, dirs, files in os.walk(into):
        os.chmod(root, 0o555)
        for f in files:
            os.chmod(os.path.join(root, f), 0o444)
    return target


def _unstage(into: str) -> None:
    for root, dirs, files in os.walk(into):
        os.chmod(root, stat.S_IRWXU)
    shutil.rmtree(into, ignore_errors=True)


# ----- the ledger: what grade itself accepted ---------------------------------------------
def file_sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


class Ledger:
    """RESULTS/.grade/ledger/NAME.json, written only by the grade process that graded NAME: the hash of
    the result it stored, of the graded files, and the runner arguments. Entries this process read or
    wrote are also held in memory, so a copy changed on disk by anyone else is noticed."""

    def __init__(self, out: str) -> None:
        self.out, self.lock = out, threading.Lock()
        self.folder = os.path.join(out, ".grade", "ledger")
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        self.known: dict[str, tuple[dict, str | None]] = {}  # name -> (entry, hash of its ledger file)

    def result_path(self, name: str) -> str:
        return os.path.join(self.out, f"{name}.json")

    def entry(self, name: str) -> dict | None:
        """The ledger entry of `name`, when its stored result still has the recorded hash."""
        with self.lock:
            if name in self.known:
                entry = self.known[name][0]
            else:
                path = os.path.join(self.folder, f"{name}.json")
                try:
                    with open(path) as f:
                        entry = json.load(f)
                except (OSError, ValueError):
                    return None
                if not isinstance(entry, dict):
                    return None
                self.known[name] = (entry, file_sha256(path))
        return entry if file_sha256(self.result_path(name)) == entry.get("sha256") else None

    def graded(self, name: str, source: str | None = None, args: list | None = None) -> bool:
        entry = self.entry(name)
        return (entry is not None and (source is None or entry.get("source_sha256") == source)
                and (args is None or entry.get("runner_args") == args))

    def store(self, name: str, result: dict, source: str, args: list) -> None:
        write_json_atomically(self.result_path(name), result)
        entry = {"sha256": file_sha256(self.result_path(name)), "source_sha256": source,
                 "runner_args": args, "run": result["grade"]["run"]}
        path = os.path.join(self.folder, f"{name}.json")
        write_json_atomically(path, entry)
        with self.lock:
            self.known[name] = (entry, file_sha256(path))

    def changed_on_disk(self) -> list[str]:
        """Names whose stored result or ledger entry no longer has the hash this process knows."""
        with self.lock:
            known = dict(self.known)
        return sorted(name for name, (entry, ledger_sha) in known.items()
                      if file_sha256(self.result_path(name)) != entry.get("sha256")
                      or file_sha256(os.path.join(self.folder, f"{name}.json")) != ledger_sha)


# ----- running one submission -------------------------------------------------------------
def run_trusted(run_dir: str, runner_args: list[str]) -> int:
    """`grade --runner RUN_DIR -- ARGS`: run `python -m difftests ARGS`, then (last, only after a normal
    return) write RUN_DIR/marker.json with the nonce read from stdin, the exit status and the report's hash."""
    nonce = sys.stdin.readline().strip()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # nothing started later can read the nonce from our stdin
    from difftests.__main__ import main as difftests_main

    code = difftests_main(runner_args)
    marker = {"nonce": nonce, "exit": code, "report_sha256": file_sha256(os.path.join(run_dir, "report.json"))}
    write_json_atomically(os.path.join(run_dir, "marker.json"), marker)
    return code


def accept(run_dir: str, nonce: str, returncode: int) -> tuple[dict | None, str]:
    """(the report, "") when the run finished and the trusted runner vouches for it, else (None, why)."""
    try:
        with open(os.path.join(run_dir, "marker.json")) as f:
            marker = json.load(f)
    except (OSError, ValueError):
        return None, f"the runner did not finish (exit {returncode}, no completion marker)"
    if not isinstance(marker, dict) or not hmac.compare_digest(str(marker.get("nonce", "")), nonce):
        return None, "the completion marker was not written by this run"
    if marker.get("exit") != returncode or returncode not in FINISHED:
        return None, f"the runner ended with exit {returncode} (marker says {marker.get('exit')})"
    path = os.path.join(run_dir, "report.json")
    if file_sha256(path) is None or file_sha256(path) != marker.get("report_sha256"):
        return None, "the report is missing or differs from what the runner wrote"
    with open(path) as f:
        report = json.load(f)
    if report.get("complete") is False:
        return None, "the runner reports an incomplete run"
    if (returncode == 2) != bool(load_error_of(report)) or (returncode == 0) != bool(report.get("passed")):
        return None, f"exit {returncode} contradicts the report (passed={report.get('passed')})"
    return report, ""


def _relabel(value, staged: str, original: str):
    """Every string of the report with the private staging path replaced by the submission's path."""
    if isinstance(value, str):
        return value.replace(staged, original)
    if isinstance(value, list):
        return [_relabel(v, staged, original) for v in value]
    if isinstance(value, dict):
        return {k: _relabel(v, staged, original) for k, v in value.items()}
    return value


def _launch(run_dir: str, impl: str, runner_args: list[str], nonce: str, timeout: float) -> tuple[int | None, str]:
    """Run the trusted runner on one staged submission; (exit status or None on timeout, its output)."""
    cmd = [sys.executable, "-m", "difftests", "grade", "--runner", run_dir, "--", "--impl", impl,
           "--json", os.path.join(run_dir, "report.json"), "-n", "0", *runner_args]
    env = {**os.environ, "PYTHONPATH": PROJECT_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "PYTHONDONTWRITEBYTECODE": "1"}
    if STOP.is_set():
        return None, "grade was interrupted before this run started"
    proc = subprocess.Popen(cmd, cwd=run_dir, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    RUNNING.add(proc)
    if STOP.is_set():
        _kill(proc)
    try:
        output, _ = proc.communicate(nonce.encode() + b"\n", timeout=timeout)
        return proc.returncode, output.decode(errors="replace")
    except subprocess.TimeoutExpired:
        _kill(proc)
        output, _ = proc.communicate()
        return None, output.decode(errors="replace")
    finally:
        RUNNING.discard(proc)


RUNNING: set[subprocess.Popen] = set()  # runners in flight, killed when grade is interrupted
STOP = threading.Event()


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the runner and its worker: their own process group
    except ProcessLookupError:
        pass


def _interrupted(signum, frame) -> None:
    raise KeyboardInterrupt


def grade_one(sub: Submission, source: str, ledger: Ledger, runner_args: list[str], timeout: float) -> str:
    """Grade one submission (its files hash to `source`); returns a status line."""
    nonce = secrets.token_hex(16)
    run_dir = os.path.join(ledger.out, ".grade", "runs", f"{sub.name}-{nonce[:12]}")
    os.makedirs(run_dir, mode=0o700)
    staging = tempfile.mkdtemp(prefix=f"grade-{sub.name}-")
    started = time.monotonic()
    try:
        impl = stage(sub, staging)
        code, output = _launch(run_dir, impl, runner_args, nonce, timeout)
    except OSError as exc:  # an unreadable file, a dangling symlink...
        return f"{sub.name}: NOT GRADED: could not copy the submission ({exc})"
    finally:
        _unstage(staging)
    with open(os.path.join(ledger.out, f"{sub.name}.log"), "w") as f:
        f.write(output.replace(impl, sub.package).replace(staging, sub.path))
    if code is None:
        why = "interrupted" if STOP.is_set() else f"timed out after {timeout:g} s"
        return f"{sub.name}: NOT GRADED: {why} (re-run to retry)"
    report, problem = accept(run_dir, nonce, code)
    if report is None:
        return f"{sub.name}: NOT GRADED: {problem} (kept {run_dir}; re-run to retry)"
    result = _relabel(report, impl, sub.package)
    result["grade"] = {"run": nonce, "exit": code, "layout": sub.layout, "imported_as": sub.import_as,
                       "submission": sub.path, "seconds": round(time.monotonic() - started, 1)}
    ledger.store(sub.name, result, source, runner_args)
    shutil.rmtree(run_dir, ignore_errors=True)
    return f"{sub.name}: graded ({FINISHED[code]}, {result['grade']['seconds']:g} s)"


# ----- the command ------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m difftests grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--out", required=True, help="results folder (created; reused to resume)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="submissions graded at once")
    parser.add_argument("--only", action="append", help="grade only this submission (repeatable)")
    parser.add_argument("--summarize", action="store_true", help="only collect results; print the item analysis")
    parser.add_argument("--weights", help="per-area points (JSON) or a course profile (.toml)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per submission")
    return parser


def _grade_all(todo: dict[str, Submission], ledger: Ledger, runner_args: list[str], args) -> None:
    """Grade what the ledger does not vouch for — decided before any submission runs, so nothing a
    submission writes during this invocation can make another one "already graded"."""
    sources = {name: source_digest(sub) for name, sub in todo.items()}
    already = [name for name in todo if ledger.graded(name, sources[name], runner_args)]
    for name in already:
        print(f"{name}: already graded", flush=True)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:  # each job is its own process
        jobs = {pool.submit(grade_one, sub, sources[name], ledger, runner_args, args.timeout): name
                for name, sub in todo.items() if name not in already}
        try:
            for done, job in enumerate(as_completed(jobs), 1):
                print(f"[{done}/{len(jobs)}] {job.result()}", flush=True)
                changed = ledger.changed_on_disk()
                if changed:
                    running = sorted(n for j, n in jobs.items() if not j.done())
                    print(f"WARNING: results changed outside grade: {changed} (running: {running}); "
                          "they count as not graded", flush=True)
        except KeyboardInterrupt:
            STOP.set()
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in list(RUNNING):
                _kill(proc)
            raise


def _grade_interruptibly(todo: dict[str, Submission], ledger: Ledger, runner_args: list[str], args) -> bool:
    """Grade; False when interrupted (SIGINT or SIGTERM): nothing in flight is stored."""
    previous = signal.signal(signal.SIGTERM, _interrupted)
    try:
        _grade_all(todo, ledger, runner_args, args)
        return True
    except KeyboardInterrupt:
        print("interrupted: submissions in flight were not stored; run the same command to resume",
              file=sys.stderr)
        return False
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--runner"] and len(argv) >= 3 and argv[2] == "--":
        return run_trusted(argv[1], argv[3:])
    runner_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, runner_args = argv[:cut], argv[cut + 1:]
    args = _parser().parse_args(argv)
    reserved = sorted({a.split("=")[0] for a in runner_args} & {"--impl", "--json", "--no-isolate"})
    if reserved:
        print(f"error: {', '.join(reserved)} cannot be passed to the runner: grade sets them per submission",
              file=sys.stderr)
        return 2
    weights = load_weights(args.weights)
    if not os.path.isdir(args.folder):
        print(f"error: {args.folder} is not a folder", file=sys.stderr)
        return 2
    found, problems = submissions(args.folder)
    if args.only:
        unknown = sorted(set(args.only) - set(found))
        if unknown:
            print(f"error: no gradable submission named {unknown} in {args.folder}", file=sys.stderr)
            return 2
        problems = []  # a single job reports only on its own entries
    for line in problems:
        print(f"CANNOT GRADE {line}", file=sys.stderr)
    if not found and not problems:
        print(f"error: no submissions in {args.folder} (expected NAME.py, NAME/__init__.py or "
              "NAME/tiny/__init__.py)", file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    ledger = Ledger(os.path.abspath(args.out))  # absolute: each runner starts in its own run directory
    todo = {n: s for n, s in found.items() if not args.only or n in args.only}
    if not args.summarize and not _grade_interruptibly(todo, ledger, runner_args, args):
        return 130
    rows = summarize(ledger, found, problems, weights)
    write_summary(args.out, rows, show_items=args.summarize)
    ungraded = [r for r in rows if r["submission"] in todo and not r["graded"]]
    return 1 if ungraded or problems else 0
