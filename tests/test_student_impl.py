"""`--impl` for milestones and perf: the student's own files run, and what is missing is named."""
from __future__ import annotations

import os
import subprocess
import sys

from grading_fixtures import ROOT, copy_solution, starter_kit


def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_milestones_list_shows_what_each_milestone_needs():
    proc = run("-m", "milestones", "list")
    assert proc.returncode == 0 and "regions" in proc.stdout and "models.GPT" in proc.stdout


def test_a_milestone_runs_on_the_students_own_copy(tmp_path):
    package = copy_solution(str(tmp_path / "alice"))  # a renamed copy: its modules import `tiny`
    with open(os.path.join(package, "__init__.py"), "a") as f:
        f.write("\nimport sys as _sys\n_sys.stderr.write('loaded from the student copy\\n')\n")
    proc = run("-m", "milestones", "run", "transformer-2017", "--quick", "--no-progress", "--out",
               str(tmp_path / "runs"), "--impl", package)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "loaded from the student copy" in proc.stderr and "WARNING" in proc.stderr and "PASSED" in proc.stdout


def test_code_not_written_yet_is_named_not_a_traceback(tmp_path):
    starter = starter_kit(str(tmp_path / "kit" / "tiny"))
    milestone = run("-m", "milestones", "run", "transformer-2017", "--quick", "--no-progress", "--impl",
                    str(tmp_path / "kit"))
    assert milestone.returncode == 2 and "Traceback" not in milestone.stderr
    assert "not implemented yet" in milestone.stderr and os.path.realpath(starter) in milestone.stderr
    perf = run("-m", "perf", "training", "--quick", "--impl", starter)
    assert perf.returncode == 2 and "Traceback" not in perf.stderr
    assert "NotImplementedError" in perf.stderr and os.path.realpath(starter) in perf.stderr


def test_a_missing_name_is_reported_by_name(tmp_path):
    package = copy_solution(str(tmp_path / "tiny"))
    init = os.path.join(package, "models", "__init__.py")
    with open(init) as f:
        text = f.read()
    with open(init, "w") as f:
        f.write(text + "\ndel GPT\n")
    proc = run("-m", "milestones", "run", "transformer-2017", "--quick", "--impl", package)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "cannot import name 'GPT'" in proc.stderr, proc.stderr
    bad = run("-m", "milestones", "run", "transformer-2017", "--impl", str(tmp_path / "nowhere"))
    assert bad.returncode == 2 and "expected a package directory" in bad.stderr
