"""`python -m difftests gradescope-bundle --course course.toml --homework N --out autograder.zip`.

The zip Gradescope's "autograder" upload expects (https://gradescope-autograders.readthedocs.io):
- `setup.sh`: pinned installs (`pip install -c constraints.txt ...`, the versions this repository is
  tested with) and `apt-get install -y bubblewrap` for the sandbox;
- `run_autograder`: finds the student's `tiny` package in `/autograder/submission` (a `tiny/` folder at
  the top or one level down, or the package's own files at the top), copies it to a fresh directory and
  runs `python -m difftests --impl <copy> --profile hw<N>.toml --gradescope /autograder/results/results.json`.
  It **always** leaves a results.json: when the runner cannot grade (no package, an import or syntax
  error), the score is 0 and `output` holds the error with the student's file and line;
- the grader (`difftests/`, `reference/`, `conftest.py`, `constraints.txt`) and the homework profile —
  never the solution package.

`AUTOGRADER_ROOT` (default `/autograder`), `AUTOGRADER_PYTHON` (default `python3`) and
`AUTOGRADER_WORKERS` (the runner's `-n`, default auto) override the defaults, so the bundle runs on any machine (tests/test_bundle.py does that).
"""
from __future__ import annotations

import argparse
import os
import stat
import sys
import tempfile
import zipfile

from difftests.course import load_course
from difftests.release import copy_grader, write_profile

# What the grader needs at run time (installed by setup.sh, versions from constraints.txt).
REQUIREMENTS = ["numpy", "scipy", "torch", "hypothesis", "pytest", "pytest-xdist", "execnet", "tabulate"]

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when the autograder image is built.
set -euo pipefail
cd "$(dirname "$0")"
apt-get update -q
apt-get install -y -q bubblewrap python3-pip python3-venv
# Pinned: the versions in constraints.txt. torch comes from its CPU index (an unpinned or default-index
# torch can pull a multi-GB CUDA build).
python3 -m pip install -q --extra-index-url https://download.pytorch.org/whl/cpu -c constraints.txt {requirements}
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission. The logic is in run_autograder.py (always writes results.json).
ROOT="${AUTOGRADER_ROOT:-/autograder}"
exec "${AUTOGRADER_PYTHON:-python3}" "$ROOT/source/run_autograder.py"
"""

RUN_AUTOGRADER_PY = '''"""Grade /autograder/submission; always leave /autograder/results/results.json."""
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.environ.get("AUTOGRADER_ROOT", "/autograder")
SOURCE = os.path.join(ROOT, "source")
SUBMISSION = os.path.join(ROOT, "submission")
RESULTS = os.path.join(ROOT, "results", "results.json")
PROFILE = os.path.join(SOURCE, "{profile}")
MAX_SCORE = {max_score}


def find_package(folder):
    """The student's tiny package: folder/tiny, folder/*/tiny, or folder itself holding __init__.py."""
    candidates = [os.path.join(folder, "tiny")]
    candidates += sorted(os.path.join(folder, d, "tiny") for d in os.listdir(folder)
                         if os.path.isdir(os.path.join(folder, d)) and d not in ("__MACOSX", "tiny"))
    for path in candidates:
        if os.path.isfile(os.path.join(path, "__init__.py")):
            return path
    if os.path.isfile(os.path.join(folder, "__init__.py")):
        return folder
    return None


def fail(message, started):
    """Score 0 with the reason; the graded pairs are listed so the student sees what counts."""
    results = {{"score": 0.0, "output": message, "output_format": "md", "visibility": "visible",
               "stdout_visibility": "visible", "execution_time": round(time.time() - started, 2),
               "tests": []}}
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        json.dump(results, f, indent=2)


def main():
    started = time.time()
    if os.path.exists(RESULTS):
        os.remove(RESULTS)
    package = find_package(SUBMISSION) if os.path.isdir(SUBMISSION) else None
    if package is None:
        fail("No `tiny` package found in the submission: upload the `tiny/` folder of your kit "
             "(a folder named tiny holding __init__.py). Score 0 of {{:g}}.".format(MAX_SCORE), started)
        return 0
    work = os.path.join(ROOT, "work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    target = os.path.join(work, "tiny")
    shutil.copytree(package, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    cmd = [sys.executable, "-m", "difftests", "--impl", target, "--profile", PROFILE, "--gradescope", RESULTS,
           "-n", os.environ.get("AUTOGRADER_WORKERS", "auto")]
    proc = subprocess.run(cmd, cwd=SOURCE, capture_output=True, text=True)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    try:
        with open(RESULTS) as f:
            results = json.load(f)
        if not isinstance(results, dict) or "score" not in results:
            raise ValueError("no score")
    except (OSError, ValueError):
        detail = (proc.stderr.strip() or proc.stdout.strip())[-4000:]
        fail("Your submission could not be graded (score 0 of {{:g}}):\\n\\n```\\n{{}}\\n```".format(
            MAX_SCORE, detail.replace(work + os.sep, "")), started)
        return 0
    results.setdefault("execution_time", round(time.time() - started, 2))
    results.setdefault("output_format", "md")
    with open(RESULTS, "w") as f:
        json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''


def _executable(path: str) -> None:
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def build_bundle(course_path: str, n: int, out_zip: str) -> list[str]:
    """Write the autograder zip; returns the archive's file names."""
    course = load_course(course_path)
    homework = course.homework(n)
    profile = f"hw{n}.toml"
    with tempfile.TemporaryDirectory(prefix="gradescope-bundle-") as tmp:
        copy_grader(tmp)
        write_profile(homework, os.path.join(tmp, profile))
        with open(os.path.join(tmp, "setup.sh"), "w") as f:
            f.write(SETUP_SH.format(requirements=" ".join(REQUIREMENTS)))
        with open(os.path.join(tmp, "run_autograder"), "w") as f:
            f.write(RUN_AUTOGRADER)
        with open(os.path.join(tmp, "run_autograder.py"), "w") as f:
            f.write(RUN_AUTOGRADER_PY.format(profile=profile, max_score=homework.max_score))
        for name in ("setup.sh", "run_autograder"):
            _executable(os.path.join(tmp, name))
        names = []
        os.makedirs(os.path.dirname(os.path.abspath(out_zip)), exist_ok=True)
        with zipfile.ZipFile(out_zip, "w", zipfile.ZIP_DEFLATED) as archive:
            for folder, _, files in os.walk(tmp):
                for name in sorted(files):
                    path = os.path.join(folder, name)
                    arcname = os.path.relpath(path, tmp)
                    info = zipfile.ZipInfo.from_file(path, arcname)
                    with open(path, "rb") as f:
                        archive.writestr(info, f.read(), zipfile.ZIP_DEFLATED)
                    names.append(arcname)
    return names


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m difftests gradescope-bundle", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course", required=True)
    parser.add_argument("--homework", type=int, required=True)
    parser.add_argument("--out", required=True, help="the zip to write (autograder.zip)")
    args = parser.parse_args(argv)
    try:
        names = build_bundle(args.course, args.homework, args.out)
    except (ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out}: {len(names)} files (setup.sh, run_autograder, the grader, hw{args.homework}.toml); "
          f"upload it as the assignment's autograder")
    return 0

