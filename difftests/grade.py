"""`python -m difftests grade SUBMISSIONS_DIR --out RESULTS_DIR [--jobs N] [--only NAME] [--weights F]
[-- RUNNER_ARGS...]`: grade a folder of submissions.

Each entry of SUBMISSIONS_DIR (a package directory or a .py file) is one submission. Each is graded
by its own `python -m difftests --impl ENTRY --json RESULTS/NAME.json` process (isolated as always),
N at a time. Finished submissions (their JSON exists) are not re-run, so an interrupted grading
resumes. Then a summary table is printed and RESULTS/summary.csv written.

On a cluster, the same command fans out with any job runner, one submission per job, because
`--only NAME` grades a single entry and `--summarize` only collects:
    ls SUBMISSIONS | xargs -P 64 -I{} python -m difftests grade SUBMISSIONS --out R --only {}
    sbatch --array=0-399 job.sh   # job.sh: python -m difftests grade S --out R --only "${NAMES[$SLURM_ARRAY_TASK_ID]}"
    python -m difftests grade SUBMISSIONS --out R --summarize
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from tabulate import tabulate

from difftests.grading import area_scores, load_weights


def submissions(folder: str) -> dict[str, str]:
    """name -> path for each package directory or .py file in `folder`, sorted by name."""
    found = {}
    for entry in sorted(os.listdir(folder)):
        path = os.path.join(folder, entry)
        if entry.startswith((".", "_")):
            continue
        if os.path.isdir(path) and os.path.exists(os.path.join(path, "__init__.py")):
            found[entry] = path
        elif entry.endswith(".py"):
            found[entry[:-3]] = path
    return found


def grade_one(name: str, path: str, out: str, runner_args: list[str], timeout: float) -> str:
    """Run the difftests on one submission unless its result exists; returns a status line."""
    result = os.path.join(out, f"{name}.json")
    if os.path.exists(result):
        return f"{name}: already graded"
    partial = result + ".partial"
    cmd = [sys.executable, "-m", "difftests", "--impl", os.path.abspath(path), "-n", "0",
           "--json", partial, *runner_args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        _write_failure(result, name, f"grading timed out after {timeout:g} s")
        return f"{name}: timed out"
    with open(os.path.join(out, f"{name}.log"), "w") as f:
        f.write(proc.stdout + proc.stderr)
    if os.path.exists(partial):
        os.replace(partial, result)  # atomic: a result file is always complete
        return f"{name}: graded (exit {proc.returncode})"
    _write_failure(result, name, (proc.stderr.strip().splitlines() or ["no report"])[-1])
    return f"{name}: could not be graded"


def _write_failure(path: str, name: str, message: str) -> None:
    with open(path, "w") as f:
        json.dump({"schema": "tiny-difftests/1", "impl": name, "passed": False, "pairs": [], "tests": [],
                   "errors": [message], "summaries": []}, f)


def summarize(out: str, names: list[str], weights: dict) -> list[dict]:
    rows = []
    for name in names:
        path = os.path.join(out, f"{name}.json")
        if not os.path.exists(path):
            rows.append({"submission": name, "status": "not graded", "total": 0.0})
            continue
        with open(path) as f:
            report = json.load(f)
        scores = area_scores(report, weights)
        row = {"submission": name, "status": "error: " + report["errors"][0][:60] if report["errors"] and
               not report["pairs"] else ("all passed" if report["passed"] else "failures")}
        for s in scores:
            row[s["area"]] = f"{s['passed']}/{s['units']}"
        row["total"] = round(sum(s["score"] for s in scores), 2)
        rows.append(row)
    return rows


def main(argv: list[str]) -> int:
    runner_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, runner_args = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(prog="python -m difftests grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--out", required=True, help="results folder (created; reused to resume)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="submissions graded at once")
    parser.add_argument("--only", action="append", help="grade only this submission (repeatable)")
    parser.add_argument("--summarize", action="store_true", help="only collect existing results")
    parser.add_argument("--weights", help="per-area points (see difftests/grading.py)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per submission")
    args = parser.parse_args(argv)
    weights = load_weights(args.weights)
    found = submissions(args.folder)
    if args.only:
        unknown = set(args.only) - set(found)
        if unknown:
            print(f"error: no submission named {sorted(unknown)} in {args.folder}", file=sys.stderr)
            return 2
    os.makedirs(args.out, exist_ok=True)
    todo = {n: p for n, p in found.items() if not args.only or n in args.only}
    if not args.summarize:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:  # each job is its own process
            for line in pool.map(lambda item: grade_one(*item, args.out, runner_args, args.timeout),
                                 todo.items()):
                print(line, flush=True)
    rows = summarize(args.out, list(found), weights)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    print(tabulate([[row.get(c, "") for c in columns] for row in rows], headers=columns, tablefmt="github"))
    with open(os.path.join(args.out, "summary.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return 0 if all(r["status"] != "not graded" for r in rows if r["submission"] in todo) else 1
